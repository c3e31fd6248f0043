"""attach / detach / restore against a real moto_server: only the custom email sender changes,
a refusal changes nothing, an unintended change is written back."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest

from sendertools import localaws
from sendertools.cli import main
from sendertools.pool import PoolEditor, normalised, read_backup, update_request
from tests.faults.conftest import json_error
from tests.infra.aws import ACCOUNT, Existing, allow_cognito, create_function, existing_pool

pytestmark = pytest.mark.server

# Settings that change by themselves with every update.
VOLATILE = ("LastModifiedDate",)
Hooks = list[tuple[str, Callable[..., Any]]]


@pytest.fixture
def pool(moto_env: localaws.MotoServer) -> Existing:
    return existing_pool()


@pytest.fixture
def cli_hooks(monkeypatch: pytest.MonkeyPatch) -> Hooks:
    """botocore event handlers registered (first) on the clients the pool verbs use."""
    hooks: Hooks = []
    real = PoolEditor.__init__

    def init(self: PoolEditor, cognito: Any, lambda_client: Any, kms: Any) -> None:
        for client in (cognito, lambda_client, kms):
            for event, handler in hooks:
                client.meta.events.register_first(event, handler)
        real(self, cognito, lambda_client, kms)

    monkeypatch.setattr(PoolEditor, "__init__", init)
    return hooks


def describe(pool_id: str) -> dict[str, Any]:
    described: dict[str, Any] = boto3.client("cognito-idp").describe_user_pool(UserPoolId=pool_id)[
        "UserPool"
    ]
    return described


def settings(pool: dict[str, Any], *drop: str) -> dict[str, Any]:
    """The pool without what changes by itself (and ``drop``), the deprecated alias folded."""
    return {k: v for k, v in normalised(pool).items() if k not in (*VOLATILE, *drop)}


def attach(pool: Existing, *extra: str, function: str | None = None) -> int:
    return main(
        [
            "attach",
            *("--user-pool-id", pool.pool_id),
            *("--function-arn", function or pool.function_arn),
            *("--kms-key-arn", pool.key_arn),
            *extra,
        ]
    )


def sender_config(pool: Existing) -> dict[str, Any]:
    return {
        "CustomEmailSender": {"LambdaArn": pool.function_arn, "LambdaVersion": "V1_0"},
        "KMSKeyID": pool.key_arn,
    }


def _update_shape() -> Any:
    model = boto3.client("cognito-idp").meta.service_model
    return model.operation_model("UpdateUserPool").input_shape


def test_the_trap_is_real_a_bare_update_resets_the_pool(pool: Existing) -> None:
    """Why attach exists: moto, like Cognito, resets what update_user_pool is not given."""
    boto3.client("cognito-idp").update_user_pool(
        UserPoolId=pool.pool_id, LambdaConfig={"KMSKeyID": pool.key_arn}
    )
    after = pool.describe()
    assert "PreSignUp" not in after["LambdaConfig"]
    assert after.get("UserPoolTags") != {"team": "identity", "cost-center": "42"}
    assert after.get("EmailConfiguration", {}).get("EmailSendingAccount") != "DEVELOPER"


def test_a_pool_made_the_usual_way_attaches_detaches_and_reattaches(
    moto_env: localaws.MotoServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """The console and CLI give every pool TemporaryPasswordValidityDays, and DescribeUserPool
    then also returns the deprecated UnusedAccountValidityDays (7) beside it."""
    made = existing_pool(
        PoolName="usual",
        Policies={"PasswordPolicy": {"MinimumLength": 8, "TemporaryPasswordValidityDays": 7}},
        AdminCreateUserConfig=None,
        LambdaConfig=None,
    )
    original = made.describe()
    assert original["AdminCreateUserConfig"]["UnusedAccountValidityDays"] == 7

    assert attach(made) == 0
    attached = made.describe()
    assert attached["LambdaConfig"] == sender_config(made)
    assert settings(attached, "LambdaConfig") == settings(original, "LambdaConfig")
    assert attached["Policies"]["PasswordPolicy"]["TemporaryPasswordValidityDays"] == 7

    assert main(["detach", "--user-pool-id", made.pool_id]) == 0
    assert settings(made.describe()) == settings(original)

    assert attach(made) == 0
    assert settings(made.describe()) == settings(attached)
    err = capsys.readouterr().err
    assert "not intended" not in err
    assert err == ""


def test_attach_keeps_every_kind_of_setting(
    moto_env: localaws.MotoServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """Other triggers, a custom SMS sender on the same key, MFA, SMS and email configuration,
    schema, tags, deletion protection, account recovery, verification messages, devices."""
    key_arn = boto3.client("kms").create_key()["KeyMetadata"]["Arn"]
    sms = create_function("sms-sender", {"KMS_KEY_ARN": key_arn})
    made = existing_pool(
        LambdaConfig={
            "PreSignUp": sms,
            "PreTokenGeneration": sms,
            "CustomSMSSender": {"LambdaArn": sms, "LambdaVersion": "V1_0"},
            "KMSKeyID": key_arn,
        },
        MfaConfiguration="ON",
        SmsConfiguration={
            "SnsCallerArn": f"arn:aws:iam::{ACCOUNT}:role/sns-caller",
            "ExternalId": "external",
            "SnsRegion": "eu-west-1",
        },
        SmsAuthenticationMessage="Your code is {####}",
        AccountRecoverySetting={
            "RecoveryMechanisms": [
                {"Priority": 1, "Name": "verified_email"},
                {"Priority": 2, "Name": "verified_phone_number"},
            ]
        },
        VerificationMessageTemplate={
            "DefaultEmailOption": "CONFIRM_WITH_LINK",
            "EmailMessageByLink": "Confirm: {##Click here##}",
            "EmailSubjectByLink": "Confirm your account",
        },
        DeviceConfiguration={
            "ChallengeRequiredOnNewDevice": True,
            "DeviceOnlyRememberedOnUserPrompt": True,
        },
        UserAttributeUpdateSettings={"AttributesRequireVerificationBeforeUpdate": ["email"]},
        UserPoolAddOns={"AdvancedSecurityMode": "AUDIT"},
    )
    # The sender must decrypt with the pool's one key.
    sender = create_function("rich-sender", {"KMS_KEY_ARN": key_arn})
    allow_cognito(sender, made.pool_arn)
    before = made.describe()
    for key in (
        "SmsConfiguration",
        "AccountRecoverySetting",
        "DeviceConfiguration",
        "UserAttributeUpdateSettings",
        "UserPoolAddOns",
        "DeletionProtection",
        "UserPoolTags",
    ):
        assert before.get(key), f"moto should keep {key}"

    status = main(
        [
            "attach",
            *("--user-pool-id", made.pool_id),
            *("--function-arn", sender),
            *("--kms-key-arn", key_arn),
        ]
    )

    assert status == 0, capsys.readouterr().err
    after = made.describe()
    assert settings(after, "LambdaConfig") == settings(before, "LambdaConfig")
    assert after["LambdaConfig"] == {
        **before["LambdaConfig"],
        "CustomEmailSender": {"LambdaArn": sender, "LambdaVersion": "V1_0"},
    }
    assert main(["detach", "--user-pool-id", made.pool_id]) == 0
    detached = made.describe()
    assert detached["LambdaConfig"]["KMSKeyID"] == key_arn, "the SMS sender still uses it"
    assert settings(detached) == settings(before)


def test_attach_prints_the_change_saves_a_backup_and_verifies(
    pool: Existing, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    before = pool.describe()

    assert attach(pool) == 0

    after = pool.describe()
    assert after["LambdaConfig"] == {
        "PreSignUp": pool.other_trigger,
        "PostConfirmation": pool.other_trigger,
        **sender_config(pool),
    }
    assert settings(after, "LambdaConfig") == settings(before, "LambdaConfig")
    assert after["UserPoolTags"] == {"team": "identity", "cost-center": "42"}
    assert after["EmailConfiguration"]["EmailSendingAccount"] == "DEVELOPER"
    out = capsys.readouterr().out
    assert "+ LambdaConfig.CustomEmailSender.LambdaArn" in out
    assert "+ LambdaConfig.KMSKeyID" in out
    assert "updated and verified" in out
    [backup] = tmp_path.glob(f"cognito-pool-{pool.pool_id}-*.json")
    assert f"saved to {backup.name}" in out
    assert f"cognito-sender restore {backup.name}" in out
    assert read_backup(backup) == json.loads(json.dumps(before, default=str))


def test_dry_run_changes_nothing_and_saves_nothing(
    pool: Existing, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    before = pool.describe()

    assert attach(pool, "--dry-run") == 0

    assert pool.describe() == before
    out = capsys.readouterr().out
    assert "LambdaConfig.CustomEmailSender.LambdaArn" in out
    assert "dry run" in out
    assert list(tmp_path.iterdir()) == []


def test_a_function_name_is_resolved_to_its_arn(pool: Existing) -> None:
    assert attach(pool, function="email-sender") == 0

    sender = pool.describe()["LambdaConfig"]["CustomEmailSender"]
    assert sender["LambdaArn"] == pool.function_arn
    assert sender["LambdaArn"].startswith("arn:aws:lambda:eu-west-1:")


def test_detach_removes_only_the_sender_and_restore_puts_it_back(
    pool: Existing, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    before = pool.describe()
    assert attach(pool) == 0
    attached = pool.describe()

    backup = tmp_path / "before-detach.json"
    assert main(["detach", "--user-pool-id", pool.pool_id, "--backup", str(backup)]) == 0

    detached = pool.describe()
    assert detached["LambdaConfig"] == {
        "PreSignUp": pool.other_trigger,
        "PostConfirmation": pool.other_trigger,
    }
    assert settings(detached) == settings(before)
    capsys.readouterr()

    assert main(["restore", str(backup)]) == 0

    assert settings(pool.describe()) == settings(attached)
    out = capsys.readouterr().out
    assert "+ LambdaConfig.CustomEmailSender.LambdaArn" in out
    assert "updated and verified" in out


def test_restore_refuses_a_file_that_is_not_a_backup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bogus = tmp_path / "bogus.json"
    bogus.write_text('{"UserPool": {}}', encoding="utf-8")

    assert main(["restore", str(bogus)]) == 1
    assert main(["restore", str(tmp_path / "missing.json")]) == 1

    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"cognito-sender restore: {str(bogus)!r} is not a user pool backup")
    assert "cannot read backup" in err[1] and "missing.json" in err[1]


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


def _missing_function(pool: Existing) -> list[str]:
    return ["--function-arn", "arn:aws:lambda:eu-west-1:123456789012:function:nope"]


def _missing_key(pool: Existing) -> list[str]:
    return [
        "--kms-key-arn",
        "arn:aws:kms:eu-west-1:123456789012:key/" + "0" * 8 + "-0000-4000-8000-" + "0" * 12,
    ]


def _alias(pool: Existing) -> list[str]:
    boto3.client("kms").create_alias(AliasName="alias/sender", TargetKeyId=pool.key_arn)
    return ["--kms-key-arn", "arn:aws:kms:eu-west-1:123456789012:alias/sender"]


def _disabled_key(pool: Existing) -> list[str]:
    # moto_server answers DisableKey and ScheduleKeyDeletion by ARN with a 500; the id works.
    boto3.client("kms").disable_key(KeyId=pool.key_arn.rsplit("/", 1)[1])
    return []


def _key_pending_deletion(pool: Existing) -> list[str]:
    key_id = pool.key_arn.rsplit("/", 1)[1]
    boto3.client("kms").schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    return []


def _asymmetric_key(pool: Existing) -> list[str]:
    rsa = boto3.client("kms").create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")
    arn = rsa["KeyMetadata"]["Arn"]
    boto3.client("lambda").update_function_configuration(
        FunctionName=pool.function_arn, Environment={"Variables": {"KMS_KEY_ARN": arn}}
    )
    return ["--kms-key-arn", arn]


def _other_key_in_the_function(pool: Existing) -> list[str]:
    other = boto3.client("kms").create_key()["KeyMetadata"]["Arn"]
    boto3.client("lambda").update_function_configuration(
        FunctionName=pool.function_arn, Environment={"Variables": {"KMS_KEY_ARN": other}}
    )
    return []


def _no_key_in_the_function(pool: Existing) -> list[str]:
    boto3.client("lambda").update_function_configuration(
        FunctionName=pool.function_arn, Environment={"Variables": {}}
    )
    return []


def _permission_for_another_pool(pool: Existing) -> list[str]:
    client = boto3.client("lambda")
    client.remove_permission(FunctionName=pool.function_arn, StatementId="cognito")
    other_pool = pool.pool_arn.rsplit("/", 1)[0] + "/eu-west-1_Other1"
    allow_cognito(pool.function_arn, other_pool, "other")
    return []


def _no_permission(pool: Existing) -> list[str]:
    boto3.client("lambda").remove_permission(FunctionName=pool.function_arn, StatementId="cognito")
    return []


@pytest.mark.parametrize(
    ("seed", "named"),
    [
        (
            _missing_function,
            "function 'arn:aws:lambda:eu-west-1:123456789012:function:nope' does not exist",
        ),
        (_missing_key, "does not exist (NotFoundException)"),
        (_alias, "is not a key ARN; pass the key's ARN arn:aws:kms:"),
        (_disabled_key, "is Disabled, not Enabled"),
        (_key_pending_deletion, "is PendingDeletion, not Enabled"),
        (_asymmetric_key, "is RSA_2048 for ENCRYPT_DECRYPT; Cognito needs a symmetric"),
        (_other_key_in_the_function, "decrypts with KMS_KEY_ARN='arn:aws:kms:"),
        (_no_key_in_the_function, "decrypts with KMS_KEY_ARN=None"),
        (_permission_for_another_pool, "does not let cognito-idp.amazonaws.com invoke it"),
        (_no_permission, "does not let cognito-idp.amazonaws.com invoke it"),
    ],
)
def test_a_refusal_leaves_the_pool_byte_for_byte_unchanged(
    pool: Existing,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    seed: Callable[[Existing], list[str]],
    named: str,
) -> None:
    extra = seed(pool)
    args = dict(zip(extra[::2], extra[1::2], strict=True))
    before = pool.describe()

    status = main(
        [
            "attach",
            *("--user-pool-id", pool.pool_id),
            *("--function-arn", args.get("--function-arn", pool.function_arn)),
            *("--kms-key-arn", args.get("--kms-key-arn", pool.key_arn)),
        ]
    )

    assert status == 1
    assert pool.describe() == before
    captured = capsys.readouterr()
    assert named in captured.err
    assert captured.err.startswith("cognito-sender attach: ")
    assert "Traceback" not in captured.err
    assert list(tmp_path.iterdir()) == [], "nothing to back up when nothing changes"


def test_a_missing_permission_names_the_command_that_fixes_it_and_force_proceeds(
    pool: Existing, capsys: pytest.CaptureFixture[str]
) -> None:
    _no_permission(pool)

    assert attach(pool) == 1
    err = capsys.readouterr().err
    fix = (
        f"aws lambda add-permission --function-name {pool.function_arn} "
        f"--statement-id cognito-email-sender-{pool.pool_id} --action lambda:InvokeFunction "
        f"--principal cognito-idp.amazonaws.com --source-arn {pool.pool_arn} "
        f"--source-account {ACCOUNT} --region eu-west-1"
    )
    assert fix in err
    assert "--force" in err

    assert attach(pool, "--force") == 0
    assert pool.describe()["LambdaConfig"]["CustomEmailSender"]["LambdaArn"] == pool.function_arn
    assert fix in capsys.readouterr().err

    # The fix printed is the fix: run as boto3 would, it makes attach's check pass.
    _no_permission_fixed_by(pool)
    assert main(["detach", "--user-pool-id", pool.pool_id]) == 0
    assert attach(pool) == 0


def _no_permission_fixed_by(pool: Existing) -> None:
    boto3.client("lambda").add_permission(
        FunctionName=pool.function_arn,
        StatementId=f"cognito-email-sender-{pool.pool_id}",
        Action="lambda:InvokeFunction",
        Principal="cognito-idp.amazonaws.com",
        SourceArn=pool.pool_arn,
        SourceAccount=ACCOUNT,
    )


def test_refuses_a_missing_pool_and_detach_refuses_a_pool_without_sender(
    pool: Existing, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["detach", "--user-pool-id", "eu-west-1_Missing1"]) == 1
    assert "'eu-west-1_Missing1' does not exist" in capsys.readouterr().err
    assert main(["detach", "--user-pool-id", pool.pool_id]) == 1
    assert "no CustomEmailSender" in capsys.readouterr().err
    status = main(
        [
            "attach",
            *("--user-pool-id", "eu-west-1_Missing1"),
            *("--function-arn", pool.function_arn),
            *("--kms-key-arn", pool.key_arn),
        ]
    )
    assert status == 1
    assert "'eu-west-1_Missing1' does not exist" in capsys.readouterr().err


def test_an_unintended_change_is_written_back_and_restore_works(
    pool: Existing, capsys: pytest.CaptureFixture[str], tmp_path: Path, cli_hooks: Hooks
) -> None:
    before = pool.describe()
    updates: list[dict[str, Any]] = []

    def drop_tags_once(params: dict[str, Any], **_: Any) -> None:
        updates.append(params)
        if len(updates) == 1:
            params.pop("UserPoolTags")

    cli_hooks.append(
        ("provide-client-params.cognito-identity-provider.UpdateUserPool", drop_tags_once)
    )
    backup = tmp_path / "backup.json"

    assert attach(pool, "--backup", str(backup)) == 1

    err = capsys.readouterr().err
    assert "changed in ways that were not intended" in err
    assert "UserPoolTags.team: wanted 'identity', the pool has None" in err
    assert "written back and verified" in err
    assert str(backup) in err
    assert len(updates) == 2
    restored = pool.describe()
    assert settings(restored) == settings(before)
    assert settings(restored) == settings(
        read_backup(backup) | {"CreationDate": restored["CreationDate"]}
    )

    # The pool changed by hand afterwards; restore from the backup puts the saved one back.
    cli_hooks.clear()
    assert attach(pool) == 0
    assert main(["restore", str(backup)]) == 0
    assert settings(pool.describe()) == settings(before)


def test_settings_the_installed_sdk_does_not_know_are_refused(
    pool: Existing, capsys: pytest.CaptureFixture[str], cli_hooks: Hooks
) -> None:
    """A pool setting newer than botocore: the raw response has it, the parsed one does not."""

    def future_setting(response_dict: dict[str, Any], **_: Any) -> None:
        body = json.loads(response_dict["body"])
        body["UserPool"]["FutureSetting"] = {"Enabled": True}
        body["UserPool"]["LambdaConfig"]["FutureTrigger"] = "arn:aws:lambda:x"
        response_dict["body"] = json.dumps(body).encode()

    cli_hooks.append(("before-parse.cognito-identity-provider.DescribeUserPool", future_setting))
    before = pool.describe()

    assert attach(pool) == 1

    assert pool.describe() == before
    err = capsys.readouterr().err
    assert "does not know: FutureSetting, LambdaConfig.FutureTrigger" in err
    assert "the pool was not changed" in err


@pytest.mark.parametrize(
    ("operation", "code", "message", "line"),
    [
        (
            "DescribeUserPool",
            "AccessDeniedException",
            "User: arn:aws:iam::123456789012:user/dev is not authorized",
            "cognito-sender attach: cognito-idp DescribeUserPool on {pool} failed: "
            "AccessDeniedException: User: arn:aws:iam::123456789012:user/dev is not authorized",
        ),
        (
            "UpdateUserPool",
            "InvalidParameterException",
            "Invalid SES identity",
            "cognito-sender attach: cognito-idp UpdateUserPool on {pool} failed: "
            "InvalidParameterException: Invalid SES identity",
        ),
    ],
)
def test_an_aws_error_is_one_clear_line_and_changes_nothing(
    pool: Existing,
    capsys: pytest.CaptureFixture[str],
    cli_hooks: Hooks,
    operation: str,
    code: str,
    message: str,
    line: str,
) -> None:
    def refuse(request: AWSPreparedRequest, **_: Any) -> Any:
        if request.headers.get("X-Amz-Target", b"").endswith(operation.encode()):
            return json_error(request, 400, code, message)
        return None

    cli_hooks.append(("before-send.cognito-identity-provider", refuse))
    before = pool.describe()

    assert attach(pool) == 1

    assert pool.describe() == before
    err = capsys.readouterr().err
    assert err.splitlines()[0] == line.format(pool=pool.pool_id)
    assert "Traceback" not in err


def test_an_unreachable_endpoint_is_one_clear_line(
    pool: Existing, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{localaws.free_port()}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")

    assert attach(pool) == 1

    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(
        f"cognito-sender attach: cognito-idp DescribeUserPool on {pool.pool_id} failed: "
        "EndpointConnectionError: Could not connect to the endpoint URL"
    )


def test_attaching_twice_changes_nothing_the_second_time(
    pool: Existing, capsys: pytest.CaptureFixture[str]
) -> None:
    assert attach(pool) == 0
    once = pool.describe()
    capsys.readouterr()

    assert attach(pool) == 0

    assert pool.describe() == once
    assert "nothing to change" in capsys.readouterr().out


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
    assert normalised(with_replacement)["AdminCreateUserConfig"] == {
        "AllowAdminCreateUserOnly": False
    }
    assert normalised(base)["AdminCreateUserConfig"] == legacy
