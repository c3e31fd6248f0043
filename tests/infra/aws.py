"""Helpers for the infrastructure tests: a Lambda function and a fully configured user pool
on moto, the way a real account would have them before the sender is attached."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

import boto3

ACCOUNT = "123456789012"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def tiny_zip() -> bytes:
    """A deployable (never invoked) function body."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("handler.py", "def handler(event, context):\n    return None\n")
    return buf.getvalue()


def create_function(name: str, environment: dict[str, str] | None = None) -> str:
    """A Lambda function; returns its ARN."""
    iam = boto3.client("iam")
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps(TRUST))
    fn = boto3.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.13",
        Role=role["Role"]["Arn"],
        Handler="handler.handler",
        Code={"ZipFile": tiny_zip()},
        Environment={"Variables": environment or {}},
    )
    return str(fn["FunctionArn"])


def allow_cognito(function: str, pool_arn: str, statement_id: str = "cognito") -> None:
    """The resource policy statement the stack's CognitoInvokePermission makes."""
    boto3.client("lambda").add_permission(
        FunctionName=function,
        StatementId=statement_id,
        Action="lambda:InvokeFunction",
        Principal="cognito-idp.amazonaws.com",
        SourceArn=pool_arn,
        SourceAccount=ACCOUNT,
    )


@dataclass(frozen=True)
class Existing:
    """An account with a pool configured by someone else, and the sender's pieces."""

    pool_id: str
    pool_arn: str
    other_trigger: str
    function_arn: str
    key_arn: str

    def describe(self) -> dict[str, Any]:
        """The pool now."""
        pool: dict[str, Any] = boto3.client("cognito-idp").describe_user_pool(
            UserPoolId=self.pool_id
        )["UserPool"]
        return pool


def existing_pool(*, with_permission: bool = True, **settings: Any) -> Existing:
    """A pool with other triggers, MFA, a password policy, email configuration, custom schema
    attributes and tags (``settings`` replace, add or, when None, remove ``create_user_pool``
    arguments); plus a
    sender function deployed with the key, and the key, not yet attached."""
    other = create_function("pre-sign-up")
    key_arn = boto3.client("kms").create_key(Description="sender")["KeyMetadata"]["Arn"]
    sender = create_function(
        "email-sender", {"KMS_KEY_ARN": key_arn, "EMAIL_FROM": "Example <no-reply@example.com>"}
    )
    cognito = boto3.client("cognito-idp")
    # No UsernameAttributes / AliasAttributes: real Cognito cannot change them with
    # UpdateUserPool, but moto's update replaces its whole stored configuration and drops them
    # (attach's read-back then rightly refuses), so they would only test moto.
    arguments: dict[str, Any] = dict(
        PoolName="existing-pool",
        AutoVerifiedAttributes=["email"],
        MfaConfiguration="OPTIONAL",
        Policies={
            "PasswordPolicy": {
                "MinimumLength": 14,
                "RequireUppercase": True,
                "RequireLowercase": True,
                "RequireNumbers": True,
                "RequireSymbols": False,
                "TemporaryPasswordValidityDays": 3,
            }
        },
        LambdaConfig={"PreSignUp": other, "PostConfirmation": other},
        EmailConfiguration={
            "EmailSendingAccount": "DEVELOPER",
            "SourceArn": f"arn:aws:ses:eu-west-1:{ACCOUNT}:identity/example.com",
            "From": "Example <no-reply@example.com>",
            "ReplyToEmailAddress": "help@example.com",
        },
        Schema=[
            {"Name": "tenant", "AttributeDataType": "String", "Mutable": True},
            {
                "Name": "seats",
                "AttributeDataType": "Number",
                "NumberAttributeConstraints": {"MinValue": "1", "MaxValue": "500"},
            },
        ],
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
        UserPoolTags={"team": "identity", "cost-center": "42"},
        DeletionProtection="ACTIVE",
    )
    arguments.update(settings)
    pool = cognito.create_user_pool(**{k: v for k, v in arguments.items() if v is not None})
    pool = pool["UserPool"]
    if with_permission:
        allow_cognito(sender, pool["Arn"])
    return Existing(pool["Id"], pool["Arn"], other, sender, key_arn)
