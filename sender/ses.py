"""Send the raw MIME message with SES v2; classify its failures in one table."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from sender.errors import SendError
from sender.redact import mask_emails

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client

# error code -> (reason, permanent). Permanent: retrying the same event cannot help.
# Transient ones are already retried by botocore's standard retry mode before they get here;
# raising them lets Lambda's asynchronous retries try again later.
SES_ERRORS: Final[Mapping[str, tuple[str, bool]]] = {
    "MessageRejected": ("ses_message_rejected", True),
    "MailFromDomainNotVerifiedException": ("ses_mail_from_not_verified", True),
    "AccountSuspendedException": ("ses_account_suspended", True),
    "SendingPausedException": ("ses_sending_paused", True),
    "NotFoundException": ("ses_not_found", True),
    "BadRequestException": ("ses_bad_request", True),
    "AccessDeniedException": ("ses_access_denied", True),
    "TooManyRequestsException": ("ses_throttled", False),
    "Throttling": ("ses_throttled", False),
    "ThrottlingException": ("ses_throttled", False),
    "LimitExceededException": ("ses_limit_exceeded", False),
    "InternalFailure": ("ses_unavailable", False),
    "ServiceUnavailable": ("ses_unavailable", False),
}
_TAG_CHARS = re.compile(r"[^A-Za-z0-9_-]")


def classify(err: ClientError) -> tuple[str, bool]:
    """The reason and permanence of an SES error response."""
    code = str(err.response.get("Error", {}).get("Code", ""))
    if code in SES_ERRORS:
        return SES_ERRORS[code]
    status = int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    if status >= 500:
        return "ses_unavailable", False
    return "ses_error", status in range(400, 500) and status != 429


def tag(value: str) -> str:
    """An SES tag value: ASCII letters, digits, '_' and '-' only, at most 256."""
    return _TAG_CHARS.sub("_", value)[:256] or "none"


class SesSender:
    """Sends raw messages; build once per process."""

    def __init__(self, client: SESV2Client, *, configuration_set: str | None) -> None:
        self._client = client
        self._configuration_set = configuration_set

    def send(
        self,
        raw: bytes,
        *,
        sender: str,
        recipient: str,
        tags: Mapping[str, str],
        configuration_set: str | None = None,
    ) -> str:
        """Send once; return the SES MessageId or raise ``SendError``."""
        kwargs: dict[str, Any] = {
            "FromEmailAddress": sender,
            "Destination": {"ToAddresses": [recipient]},
            "Content": {"Raw": {"Data": raw}},
            "EmailTags": [{"Name": tag(k), "Value": tag(v)} for k, v in tags.items()],
        }
        configuration_set = configuration_set or self._configuration_set
        if configuration_set:
            kwargs["ConfigurationSetName"] = configuration_set
        try:
            response = self._client.send_email(**kwargs)
        except ClientError as err:
            reason, permanent = classify(err)
            code = err.response.get("Error", {}).get("Code", "")
            message = err.response.get("Error", {}).get("Message", "")
            raise SendError(
                f"SES refused the message ({code}: {mask_emails(str(message))})",
                reason=reason,
                permanent=permanent,
                response=dict(err.response),
            ) from err
        except BotoCoreError as err:
            raise SendError(
                f"SES could not be reached: {type(err).__name__}", reason="ses_unreachable"
            ) from err
        return str(response["MessageId"])
