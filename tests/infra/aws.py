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


def create_function(name: str) -> str:
    """A Lambda function; returns its ARN."""
    iam = boto3.client("iam")
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps(TRUST))
    fn = boto3.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.13",
        Role=role["Role"]["Arn"],
        Handler="handler.handler",
        Code={"ZipFile": tiny_zip()},
    )
    return str(fn["FunctionArn"])


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


def existing_pool(*, with_permission: bool = True) -> Existing:
    """A pool with other triggers, MFA, a password policy, email configuration, custom schema
    attributes and tags; plus a sender function and key not yet attached."""
    other = create_function("pre-sign-up")
    sender = create_function("email-sender")
    key_arn = boto3.client("kms").create_key(Description="sender")["KeyMetadata"]["Arn"]
    cognito = boto3.client("cognito-idp")
    # No UsernameAttributes / AliasAttributes: real Cognito cannot change them with
    # UpdateUserPool, but moto's update replaces its whole stored configuration and drops them
    # (attach's read-back then rightly refuses), so they would only test moto.
    pool = cognito.create_user_pool(
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
    )["UserPool"]
    if with_permission:
        boto3.client("lambda").add_permission(
            FunctionName=sender,
            StatementId="cognito",
            Action="lambda:InvokeFunction",
            Principal="cognito-idp.amazonaws.com",
            SourceArn=pool["Arn"],
            SourceAccount=ACCOUNT,
        )
    return Existing(pool["Id"], pool["Arn"], other, sender, key_arn)
