"""What the checks read of one deployment: the pool, its function and that function's settings,
and SES, each read once and shared by every check. A read that finds what it needs missing
raises ``Skip`` naming the check to fix first."""

from __future__ import annotations

from email.utils import parseaddr
from typing import TYPE_CHECKING, Any

from sendertools.awscall import call, call_if_found
from sendertools.doctor.access import RoleAccess
from sendertools.doctor.finding import Skip
from sendertools.doctor.names import arn_part
from sendertools.doctor.reader import Reader

if TYPE_CHECKING:
    from boto3.session import Session

# sender.observability.NAMESPACE, not imported from there: that module loads Powertools.
DEFAULT_NAMESPACE = "CognitoEmailSender"


def _required(value: object, reason: str, after: str) -> str:
    """``value`` as text; ``Skip`` when it is missing."""
    if not value:
        raise Skip(reason, after)
    return str(value)


class Deployment:
    """One user pool's custom email sender, read with clients from one session."""

    def __init__(self, session: Session, user_pool_id: str, region: str) -> None:
        self.user_pool_id = user_pool_id
        self.region = region
        self.aws = Reader(session, region)
        self.access = RoleAccess(self.aws)

    # -- the pool -------------------------------------------------------------------------

    def pool(self) -> dict[str, Any]:
        """The pool as describe_user_pool returns it."""

        def read() -> dict[str, Any]:
            response = call(
                self.aws.client("cognito-idp"),
                "describe_user_pool",
                f"user pool {self.user_pool_id}",
                UserPoolId=self.user_pool_id,
            )
            return dict(response["UserPool"])

        return self.aws.once("pool", read)

    def lambda_config(self) -> dict[str, Any]:
        """The pool's triggers and their key."""
        return dict(self.pool().get("LambdaConfig") or {})

    def sender_arn(self) -> str:
        """The function the pool hands its emails to."""
        arn = (self.lambda_config().get("CustomEmailSender") or {}).get("LambdaArn")
        return _required(arn, "the pool has no custom email sender", "custom-email-sender")

    def key_id(self) -> str:
        """The key Cognito encrypts the codes with."""
        key = self.lambda_config().get("KMSKeyID")
        return _required(key, "the pool has no KMSKeyID", "kms-key-id")

    def pool_arn(self) -> str:
        """The pool's ARN."""
        arn = self.pool().get("Arn")
        return _required(arn, "describe_user_pool returned no Arn for the pool", "user-pool")

    # -- the function ---------------------------------------------------------------------

    def function_region(self) -> str:
        """The sender function's region (the pool's when the pool names no function)."""
        try:
            return arn_part(self.sender_arn(), 3, self.region) or self.region
        except Skip:
            return self.region

    def lambda_client(self) -> Any:
        """Lambda in the function's region."""
        return self.aws.client("lambda", self.function_region())

    def about_function(self, method: str) -> dict[str, Any] | None:
        """Lambda's ``method`` about the sender function, or None when it finds nothing."""
        arn = self.sender_arn()
        return call_if_found(
            self.lambda_client(),
            method,
            f"function {arn}",
            missing="ResourceNotFoundException",
            FunctionName=arn,
        )

    def function_or_none(self) -> dict[str, Any] | None:
        """The function's configuration, or None when it does not exist."""
        return self.aws.once("function", lambda: self.about_function("get_function_configuration"))

    def function(self) -> dict[str, Any]:
        """The function's configuration."""
        config = self.function_or_none()
        if config is None:
            raise Skip(f"the function {self.sender_arn()} does not exist", "function")
        return config

    def role_arn(self) -> str:
        """The function's execution role."""
        return _required(
            self.function().get("Role"), "the function has no execution role", "function"
        )

    def environment(self) -> dict[str, str]:
        """The function's environment variables."""
        variables = (self.function().get("Environment") or {}).get("Variables") or {}
        return {str(k): str(v) for k, v in variables.items()}

    def namespace(self) -> str:
        """The CloudWatch namespace of the sender's metrics."""
        return self.environment().get("POWERTOOLS_METRICS_NAMESPACE") or DEFAULT_NAMESPACE

    def email_from(self) -> tuple[str, str]:
        """EMAIL_FROM as set, and its address ("" when it has none)."""
        value = self.environment().get("EMAIL_FROM", "")
        address = parseaddr(value)[1]
        return value, address if "@" in address else ""

    def sender_address(self) -> str:
        """EMAIL_FROM's address; Skip when it is missing or not an address."""
        value, address = self.email_from()
        if not address:
            raise Skip(f"EMAIL_FROM {value!r} is not an email address", "ses-identity")
        return address

    def invoke_config(self) -> dict[str, Any] | None:
        """The function's asynchronous invocation settings, or None when it has none."""

        def read() -> dict[str, Any] | None:
            self.function()
            return self.about_function("get_function_event_invoke_config")

        return self.aws.once("invoke-config", read)

    def failure_destination(self) -> str | None:
        """Where events go after their last retry: the on-failure destination, else the
        dead-letter queue; None when there is neither."""
        config = self.invoke_config() or {}
        destination = ((config.get("DestinationConfig") or {}).get("OnFailure") or {}).get(
            "Destination"
        )
        dead_letter = (self.function().get("DeadLetterConfig") or {}).get("TargetArn")
        return str(destination or dead_letter) if destination or dead_letter else None

    # -- SES ------------------------------------------------------------------------------

    def ses(self) -> Any:
        """SES v2 in the function's region."""
        return self.aws.client("sesv2", self.function_region())

    def identity(self, name: str) -> dict[str, Any] | None:
        """The SES v2 identity ``name``, or None when there is none."""

        def read() -> dict[str, Any] | None:
            return call_if_found(
                self.ses(),
                "get_email_identity",
                f"SES identity {name}",
                missing="NotFoundException",
                EmailIdentity=name,
            )

        return self.aws.once(f"identity:{name}", read)

    def account(self) -> dict[str, Any]:
        """The SES account in the function's region."""
        return self.aws.once("account", lambda: call(self.ses(), "get_account", "the SES account"))

    def ses_arn(self, kind: str, name: str) -> str:
        """The ARN of an SES resource in the function's account and region."""
        arn = self.sender_arn()
        partition, account = arn_part(arn, 1, "aws"), arn_part(arn, 4)
        return f"arn:{partition}:ses:{self.function_region()}:{account}:{kind}/{name}"
