"""Who the email goes to: the user's ``email`` attribute, or Cognito's record of the user.

Nothing from ``clientMetadata`` is consulted: the caller of a Cognito API cannot redirect mail.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from botocore.exceptions import BotoCoreError, ClientError

from sender.errors import RecipientError
from sender.event import SenderEvent
from sender.mime import check_address
from sender.redact import mask_address

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

# RFC 5321 dot-atoms in ASCII: SES takes no SMTPUTF8 local part and wants an internationalised
# domain in its xn-- form. Anything looser reaches the ``email`` package, which refuses it only
# when the message is built, as an unnamed error.
_ATOM: Final = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL: Final = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_LOCAL_PART: Final = re.compile(rf"{_ATOM}(?:\.{_ATOM})*")
_DOMAIN: Final = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")


class RecipientResolver:
    """Finds the address; the Cognito client is only used when the event lacks one.

    Give it a client, or ``connect`` to build one on first use (once per process): most
    processes never need it, and creating it is a large share of a cold start.
    """

    def __init__(
        self,
        cognito: CognitoIdentityProviderClient | None = None,
        *,
        connect: Callable[[], CognitoIdentityProviderClient] | None = None,
    ) -> None:
        self._cognito = cognito
        self._connect = connect

    def client(self) -> CognitoIdentityProviderClient | None:
        """The Cognito client, built now if it has not been yet; ``None`` if there is none."""
        if self._cognito is None and self._connect is not None:
            self._cognito = self._connect()
        return self._cognito

    def resolve(self, event: SenderEvent) -> str:
        """The recipient address, validated."""
        address = event.user_attributes.get("email")
        if address is None:
            address = self._look_up(event)
        return check_recipient(address)

    def _look_up(self, event: SenderEvent) -> str:
        cognito = self.client()
        if cognito is None:
            raise RecipientError("the event has no email attribute", reason="recipient_missing")
        try:
            user = cognito.admin_get_user(UserPoolId=event.user_pool_id, Username=event.user_name)
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "Unknown")
            raise RecipientError(
                f"AdminGetUser for the event's user failed: {code}", reason="user_lookup_failed"
            ) from err
        except BotoCoreError as err:
            raise RecipientError(
                f"AdminGetUser could not be called: {type(err).__name__}",
                reason="user_lookup_failed",
            ) from err
        for attr in user.get("UserAttributes", []):
            if attr.get("Name") == "email" and attr.get("Value"):
                return str(attr["Value"])
        raise RecipientError("the user has no email attribute", reason="recipient_missing")


def check_recipient(value: str) -> str:
    """One plain address the ``email`` package and SES can take, or ``RecipientError``.

    Nothing is trimmed: whitespace, a trailing newline included, makes the address invalid.
    """
    # First the shape (one plain address, no list, name or CR/LF, at most 254 characters),
    # whose error shows only a masked run of a hostile value; then every part of it.
    address = check_address(value)
    local, _, domain = address.rpartition("@")
    if any(c.isspace() for c in address):
        problem = "it holds whitespace (a line break at the end, say); nothing is trimmed"
    elif not _LOCAL_PART.fullmatch(local):
        problem = (
            "the part before '@' must be ASCII letters, digits and !#$%&'*+/=?^_`{|}~- "
            "with single dots between them, not at either end"
        )
    elif not _DOMAIN.fullmatch(domain):
        problem = (
            "the domain must be dot-separated labels of ASCII letters, digits and inner '-' "
            "(no empty label, no '-' or '.' at either end; an international domain as xn--)"
        )
    else:
        return address
    raise RecipientError(
        f"recipient {mask_address(address)!r} is not a deliverable address: {problem}",
        reason="recipient_invalid",
    )
