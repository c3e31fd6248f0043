"""attach / detach against moto's cognito-idp: only the custom email sender changes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from sender.cli import main
from sender.pool import PoolEditor, PoolError, update_request
from tests.infra.aws import Existing, existing_pool

UNTOUCHED = (
    "Name",
    "Policies",
    "MfaConfiguration",
    "EmailConfiguration",
    "SchemaAttributes",
    "UserPoolTags",
    "AutoVerifiedAttributes",
    "AdminCreateUserConfig",
    "DeletionProtection",
    "VerificationMessageTemplate",
)


@pytest.fixture
def pool() -> Iterator[Existing]:
    with mock_aws():
        yield existing_pool()


def attach(pool: Existing, *extra: str) -> int:
    return main(
        [
            "attach",
            "--user-pool-id",
            pool.pool_id,
            "--function-arn",
            pool.function_arn,
            "--kms-key-arn",
            pool.key_arn,
            *extra,
        ]
    )


def without(pool: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in pool.items() if k not in keys}


def test_the_trap_is_real_a_bare_update_resets_the_pool(pool: Existing) -> None:
    """Why attach exists: moto, like Cognito, resets what update_user_pool is not given."""
    boto3.client("cognito-idp").update_user_pool(
        UserPoolId=pool.pool_id, LambdaConfig={"KMSKeyID": pool.key_arn}
    )
    after = pool.describe()
    assert "PreSignUp" not in after["LambdaConfig"]
    assert after.get("UserPoolTags") != {"team": "identity", "cost-center": "42"}
    assert after.get("EmailConfiguration", {}).get("EmailSendingAccount") != "DEVELOPER"


def test_attach_sets_the_sender_and_keeps_everything_else(
    pool: Existing, capsys: pytest.CaptureFixture[str]
) -> None:
    before = pool.describe()

    assert attach(pool) == 0

    after = pool.describe()
    assert after["LambdaConfig"] == {
        "PreSignUp": pool.other_trigger,
        "PostConfirmation": pool.other_trigger,
        "CustomEmailSender": {"LambdaArn": pool.function_arn, "LambdaVersion": "V1_0"},
        "KMSKeyID": pool.key_arn,
    }
    for key in UNTOUCHED:
        assert after.get(key) == before.get(key), key
    assert without(after, "LambdaConfig", "LastModifiedDate") == without(
        before, "LambdaConfig", "LastModifiedDate"
    )
    # spot checks that the settings compared above are the rich ones the fixture made
    assert after["MfaConfiguration"] == "OPTIONAL"
    assert after["Policies"]["PasswordPolicy"]["MinimumLength"] == 14
    assert after["UserPoolTags"] == {"team": "identity", "cost-center": "42"}
    assert after["EmailConfiguration"]["EmailSendingAccount"] == "DEVELOPER"
    assert {a["Name"] for a in after["SchemaAttributes"]} >= {"custom:tenant", "custom:seats"}
    out = capsys.readouterr().out
    assert "+ LambdaConfig.CustomEmailSender.LambdaArn" in out
    assert "+ LambdaConfig.KMSKeyID" in out
    assert "updated and verified" in out


def test_dry_run_changes_nothing(pool: Existing, capsys: pytest.CaptureFixture[str]) -> None:
    before = pool.describe()

    assert attach(pool, "--dry-run") == 0

    assert pool.describe() == before
    out = capsys.readouterr().out
    assert "LambdaConfig.CustomEmailSender.LambdaArn" in out
    assert "dry run" in out


def test_detach_removes_only_the_sender(pool: Existing) -> None:
    before = pool.describe()
    assert attach(pool) == 0

    assert main(["detach", "--user-pool-id", pool.pool_id]) == 0

    after = pool.describe()
    assert after["LambdaConfig"] == {
        "PreSignUp": pool.other_trigger,
        "PostConfirmation": pool.other_trigger,
    }
    assert without(after, "LastModifiedDate") == without(before, "LastModifiedDate")


def test_detach_keeps_the_key_the_sms_sender_uses(pool: Existing) -> None:
    cognito = boto3.client("cognito-idp")
    request = update_request(pool.describe(), _update_shape())
    request["LambdaConfig"] = {
        **request["LambdaConfig"],
        "CustomSMSSender": {"LambdaArn": pool.other_trigger, "LambdaVersion": "V1_0"},
        "KMSKeyID": pool.key_arn,
    }
    cognito.update_user_pool(**request)
    assert attach(pool) == 0

    assert main(["detach", "--user-pool-id", pool.pool_id]) == 0

    config = pool.describe()["LambdaConfig"]
    assert "CustomEmailSender" not in config
    assert config["KMSKeyID"] == pool.key_arn
    assert config["CustomSMSSender"]["LambdaArn"] == pool.other_trigger


def test_attach_refuses_to_change_the_key_under_a_custom_sms_sender(
    pool: Existing, capsys: pytest.CaptureFixture[str]
) -> None:
    sms_key = boto3.client("kms").create_key()["KeyMetadata"]["Arn"]
    request = update_request(pool.describe(), _update_shape())
    request["LambdaConfig"] = {
        **request["LambdaConfig"],
        "CustomSMSSender": {"LambdaArn": pool.other_trigger, "LambdaVersion": "V1_0"},
        "KMSKeyID": sms_key,
    }
    boto3.client("cognito-idp").update_user_pool(**request)
    before = pool.describe()

    assert attach(pool) == 1

    assert pool.describe() == before
    assert sms_key in capsys.readouterr().err


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("--user-pool-id", "eu-west-1_Missing1", "user pool 'eu-west-1_Missing1' does not exist"),
        (
            "--function-arn",
            "arn:aws:lambda:eu-west-1:123456789012:function:nope",
            "function 'arn:aws:lambda:eu-west-1:123456789012:function:nope' does not exist",
        ),
        (
            "--kms-key-arn",
            "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-4000-8000-000000000000",
            "does not exist",
        ),
    ],
)
def test_attach_refuses_what_does_not_exist(
    pool: Existing, capsys: pytest.CaptureFixture[str], field: str, value: str, named: str
) -> None:
    args = {
        "--user-pool-id": pool.pool_id,
        "--function-arn": pool.function_arn,
        "--kms-key-arn": pool.key_arn,
        field: value,
    }
    before = pool.describe()

    status = main(["attach", *[x for pair in args.items() for x in pair]])

    assert status == 1
    assert named in capsys.readouterr().err
    assert pool.describe() == before


def test_attach_refuses_a_key_alias(pool: Existing, capsys: pytest.CaptureFixture[str]) -> None:
    kms = boto3.client("kms")
    kms.create_alias(AliasName="alias/sender", TargetKeyId=pool.key_arn)
    alias_arn = "arn:aws:kms:eu-west-1:123456789012:alias/sender"

    status = main(
        [
            "attach",
            *("--user-pool-id", pool.pool_id),
            *("--function-arn", pool.function_arn),
            *("--kms-key-arn", alias_arn),
        ]
    )

    assert status == 1
    assert pool.key_arn in capsys.readouterr().err


def test_detach_refuses_a_missing_pool_and_a_pool_without_sender(
    pool: Existing, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["detach", "--user-pool-id", "eu-west-1_Missing1"]) == 1
    assert "'eu-west-1_Missing1' does not exist" in capsys.readouterr().err
    assert main(["detach", "--user-pool-id", pool.pool_id]) == 1
    assert "no CustomEmailSender" in capsys.readouterr().err


def test_attach_warns_when_cognito_may_not_invoke_the_function(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with mock_aws():
        pool = existing_pool(with_permission=False)
        assert attach(pool) == 0
    assert "does not let cognito-idp.amazonaws.com invoke it" in capsys.readouterr().err


def test_apply_fails_when_the_update_changed_something_else(pool: Existing) -> None:
    """A service (or model drift) that drops a setting is caught by the read-back."""

    class DroppingTags:
        def __init__(self) -> None:
            self.real = boto3.client("cognito-idp")
            self.meta = self.real.meta

        def describe_user_pool(self, **kwargs: Any) -> Any:
            return self.real.describe_user_pool(**kwargs)

        def update_user_pool(self, **kwargs: Any) -> Any:
            kwargs.pop("UserPoolTags")
            return self.real.update_user_pool(**kwargs)

    editor = PoolEditor(DroppingTags(), boto3.client("lambda"), boto3.client("kms"))
    plan = editor.plan_attach(pool.pool_id, pool.function_arn, pool.key_arn)

    with pytest.raises(PoolError, match=r"UserPoolTags\.team"):
        editor.apply(plan)


def test_update_request_follows_the_service_model(pool: Existing) -> None:
    described = pool.describe()
    request = update_request(described, _update_shape())

    accepted = set(_update_shape().members)
    assert set(request) <= accepted
    for read_only in ("Id", "Arn", "CreationDate", "SchemaAttributes", "Status"):
        assert read_only not in request
    assert request["UserPoolId"] == pool.pool_id
    assert request["PoolName"] == "existing-pool"
    assert request["UserPoolTags"] == described["UserPoolTags"]


def _update_shape() -> Any:
    model = boto3.client("cognito-idp").meta.service_model
    return model.operation_model("UpdateUserPool").input_shape


def test_attaching_twice_changes_nothing_the_second_time(
    pool: Existing, capsys: pytest.CaptureFixture[str]
) -> None:
    assert attach(pool) == 0
    once = pool.describe()
    capsys.readouterr()

    assert attach(pool) == 0

    assert pool.describe() == once
    assert "nothing to change" in capsys.readouterr().out


def test_the_deprecated_validity_days_are_dropped_only_beside_their_replacement() -> None:
    shape = _update_shape()
    legacy = {"AllowAdminCreateUserOnly": False, "UnusedAccountValidityDays": 7}
    base = {"Id": "eu-west-1_X", "Name": "p", "AdminCreateUserConfig": legacy}
    with_replacement = {
        **base,
        "Policies": {"PasswordPolicy": {"MinimumLength": 8, "TemporaryPasswordValidityDays": 7}},
    }

    kept = update_request(base, shape)["AdminCreateUserConfig"]
    dropped = update_request(with_replacement, shape)["AdminCreateUserConfig"]
    assert "UnusedAccountValidityDays" in kept
    assert "UnusedAccountValidityDays" not in dropped
    assert legacy["UnusedAccountValidityDays"] == 7, "the described pool is not mutated"
