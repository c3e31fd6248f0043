"""Who the email goes to: the user's ``email`` attribute, or Cognito's record of the user.

Nothing from ``clientMetadata`` is consulted: the caller of a Cognito API cannot redirect mail.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from sender.errors import RecipientError
from sender.event import SenderEvent
from sender.mime import check_address

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient


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
        return check_address(address.strip())

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
