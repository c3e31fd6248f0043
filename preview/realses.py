"""Sending a test email through the developer's own SES account.

Enabled only when AWS credentials resolve and the sender is an identity verified for sending
in the configured region; every call has short timeouts and no retries, and any failure
becomes the reason shown beside the disabled button. Clients are built from a fresh session
while the environment is held steady, so the local AWS's variables never leak in.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from sender.recipient import check_recipient
from sender.ses import SesSender
from sendertools.samples import Sample

CHECK_CONFIG = BotoConfig(connect_timeout=2, read_timeout=4, retries={"total_max_attempts": 1})


@dataclass(frozen=True)
class SesStatus:
    """Whether a real test send is possible, and if not, why."""

    enabled: bool
    reason: str
    sender: str | None = None
    region: str | None = None
    sandbox: bool | None = None


CHECKING = SesStatus(False, "checking AWS credentials and the sender identity…")


class RealSes:
    """Checks once (in a thread), then sends on request."""

    def __init__(self, sender: str | None) -> None:
        self.sender = sender
        self.status = CHECKING
        self._lock = threading.Lock()

    def check(self) -> SesStatus:
        """Resolve credentials and the identity's verification; remember and return it."""
        with self._lock:
            self.status = check_identity(self.sender)
            return self.status

    def sender_for_send(self) -> str:
        """The verified sender a test email goes out as; ``PermissionError`` when disabled."""
        status = self.status
        if not status.enabled or status.sender is None:
            raise PermissionError(f"real SES sending is disabled: {status.reason}")
        return status.sender

    def send(self, raw: bytes, *, recipient: str, sample: Sample, brand: str) -> str:
        """Send a message composed (in a render worker) for ``recipient`` in ``brand``; the
        SES MessageId."""
        sender = self.sender_for_send()
        check_recipient(recipient)
        client = _session(self.status.region).client("sesv2", config=CHECK_CONFIG)
        return SesSender(client, configuration_set=None).send(
            raw,
            sender=sender,
            recipient=recipient,
            tags={
                "trigger": sample.trigger.short,
                "template": sample.kind.value,
                "brand": brand,
                "preview": "1",
            },
        )


def check_identity(sender: str | None) -> SesStatus:
    """Can ``sender`` send through SES with this machine's credentials?"""
    if not sender:
        return SesStatus(
            False, "no sender: set EMAIL_FROM or --ses-from to an identity verified in SES"
        )
    address = parseaddr(sender)[1]
    if "@" not in address:
        return SesStatus(False, f"sender {sender!r} is not an email address")
    session = _session(None)
    region = session.region_name
    if not region:
        return SesStatus(False, "no AWS region configured (AWS_REGION or a profile)")
    try:
        if session.get_credentials() is None:
            return SesStatus(False, "no AWS credentials found")
        session.client("sts", config=CHECK_CONFIG).get_caller_identity()
        sesv2 = session.client("sesv2", config=CHECK_CONFIG)
    except (BotoCoreError, ClientError) as err:
        return SesStatus(False, f"AWS credentials are not usable: {_why(err)}")
    verified = _verified(sesv2, address)
    if isinstance(verified, str):
        return SesStatus(False, verified, region=region)
    sandbox = _sandbox(sesv2)
    note = " (SES sandbox: the recipient must be verified too)" if sandbox else ""
    return SesStatus(True, f"sends as {sender} in {region}{note}", sender, region, sandbox)


def _verified(sesv2: Any, address: str) -> bool | str:
    domain = address.rpartition("@")[2]
    for identity in (address, domain):
        try:
            found = sesv2.get_email_identity(EmailIdentity=identity)
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") == "NotFoundException":
                continue
            return f"SES refused to describe {identity}: {_why(err)}"
        except BotoCoreError as err:
            return f"SES could not be reached: {_why(err)}"
        # SES sets both once verified; moto only sets VerificationStatus.
        if found.get("VerifiedForSendingStatus") or found.get("VerificationStatus") == "SUCCESS":
            return True
        return f"SES identity {identity} is not verified for sending yet"
    return f"neither {address} nor {domain} is an SES identity in this account and region"


def _sandbox(sesv2: Any) -> bool | None:
    try:
        return not sesv2.get_account().get("ProductionAccessEnabled", False)
    except (BotoCoreError, ClientError):
        return None


def _session(region: str | None) -> boto3.session.Session:
    return boto3.session.Session(region_name=region) if region else boto3.session.Session()


def _why(err: Exception) -> str:
    if isinstance(err, ClientError):
        error = err.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".strip()
    return f"{type(err).__name__}: {err}"
