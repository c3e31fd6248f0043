"""The template: cfn-lint clean, and its resources wired the way the facts require."""

from __future__ import annotations

from typing import Any

from cfnlint.api import ManualArgs, lint_file

from sender.commands.package import DEFAULT_OUT, DEFAULT_PYTHON, ROOT
from sender.observability import NAMESPACE
from tests.infra.template import TEMPLATE, role_statements, source, transformed

POOL_ARN_WHEN_GIVEN = {
    "Fn::Sub": "arn:${AWS::Partition}:cognito-idp:${AWS::Region}:${AWS::AccountId}"
    ":userpool/${UserPoolId}"
}


def resources_of(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def test_cfn_lint_reports_no_errors() -> None:
    matches = lint_file(TEMPLATE, config=ManualArgs(regions=["eu-west-1", "us-east-1"]))
    for match in matches:
        print(match)
    assert [m for m in matches if m.rule.id.startswith("E")] == []


def test_the_new_pool_points_at_the_function_and_the_key() -> None:
    pool = transformed()["Resources"]["UserPool"]
    props = pool["Properties"]

    assert pool["Condition"] == "CreateUserPool"
    assert props["LambdaConfig"] == {
        "KMSKeyID": {"Fn::GetAtt": ["SenderKey", "Arn"]},
        "CustomEmailSender": {
            "LambdaArn": {"Fn::GetAtt": ["SenderFunction", "Arn"]},
            "LambdaVersion": "V1_0",
        },
    }
    assert props["UsernameConfiguration"] == {"CaseSensitive": False}
    assert props["UsernameAttributes"] == ["email"]
    assert props["DeletionProtection"] == "ACTIVE"


def test_an_existing_pool_is_left_alone() -> None:
    template = source()
    assert template["Conditions"]["CreateUserPool"] == {"Fn::Equals": [{"Ref": "UserPoolId"}, ""]}
    created_only = [
        name
        for name, res in template["Resources"].items()
        if res["Type"].startswith("AWS::Cognito::")
    ]
    assert all(template["Resources"][n].get("Condition") == "CreateUserPool" for n in created_only)


def test_cognito_may_invoke_the_function_only_for_this_pool_and_account() -> None:
    [permission] = resources_of(transformed(), "AWS::Lambda::Permission").values()
    props = permission["Properties"]

    assert props["Principal"] == "cognito-idp.amazonaws.com"
    assert props["Action"] == "lambda:InvokeFunction"
    assert props["FunctionName"] == {"Fn::GetAtt": ["SenderFunction", "Arn"]}
    assert props["SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert props["SourceArn"] == {
        "Fn::If": ["CreateUserPool", {"Fn::GetAtt": ["UserPool", "Arn"]}, POOL_ARN_WHEN_GIVEN]
    }


def test_the_role_holds_no_wildcards() -> None:
    statements = role_statements(transformed())

    assert statements, "the role grants nothing?"
    for statement in statements:
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        assert all("*" not in action for action in actions), statement
        resources = statement["Resource"]
        assert resources != "*" and "*" not in (resources if isinstance(resources, list) else [])


def test_the_role_grants_exactly_what_the_sender_calls() -> None:
    granted = {
        action
        for statement in role_statements(transformed())
        for action in (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
    }

    assert granted == {
        "kms:Decrypt",
        "ses:SendEmail",
        "ses:SendRawEmail",
        "cognito-idp:AdminGetUser",
        "sqs:SendMessage",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }


def test_decrypt_is_limited_to_the_key_and_the_pools_encryption_context() -> None:
    [decrypt] = [s for s in role_statements(transformed()) if s["Action"] == "kms:Decrypt"]

    assert decrypt["Resource"] == {"Fn::GetAtt": ["SenderKey", "Arn"]}
    assert decrypt["Condition"]["StringEquals"]["kms:EncryptionContext:userpool-id"] == {
        "Fn::If": ["CreateUserPool", {"Ref": "UserPool"}, {"Ref": "UserPoolId"}]
    }


def test_the_key_is_symmetric_and_the_pool_administrator_may_create_grants() -> None:
    key = transformed({"PoolAdministratorArn": "arn:aws:iam::123456789012:role/deployer"})[
        "Resources"
    ]["SenderKey"]["Properties"]

    assert key["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert key["KeyUsage"] == "ENCRYPT_DECRYPT"
    statements = key["KeyPolicy"]["Statement"]
    [grant] = [
        s["Fn::If"][1]
        for s in statements
        if "Fn::If" in s and s["Fn::If"][0] == "HasPoolAdministrator"
    ]
    assert "kms:CreateGrant" in grant["Action"]
    assert grant["Principal"] == {"AWS": {"Ref": "PoolAdministratorArn"}}
    [cognito] = [
        s for s in statements if s.get("Principal") == {"Service": "cognito-idp.amazonaws.com"}
    ]
    assert cognito["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}


def test_the_function_runs_the_handler_with_its_configuration() -> None:
    [function] = resources_of(transformed(), "AWS::Lambda::Function").values()
    props = function["Properties"]

    assert props["Handler"] == "sender.handler.lambda_handler"
    assert props["Runtime"] == f"python{DEFAULT_PYTHON}"
    assert props["Architectures"] == [{"Ref": "Architecture"}]
    assert props["Code"] == {"S3Bucket": "code", "S3Key": "lambda.zip"}
    env = props["Environment"]["Variables"]
    assert env["KMS_KEY_ARN"] == {"Fn::GetAtt": ["SenderKey", "Arn"]}
    assert env["EMAIL_FROM"] == {"Ref": "EmailFrom"}
    assert env["SES_CONFIGURATION_SET"] == {"Ref": "SesConfigurationSet"}
    assert env["DEFAULT_LOCALE"] == {"Ref": "DefaultLocale"}
    assert props["LoggingConfig"] == {"LogGroup": {"Ref": "SenderLogGroup"}}
    parameters = source()["Parameters"]
    assert parameters["Architecture"]["Default"] == "x86_64"
    assert set(parameters["Architecture"]["AllowedValues"]) == {"x86_64", "arm64"}


def test_the_code_is_the_package_the_package_verb_builds() -> None:
    code_uri = source()["Resources"]["SenderFunction"]["Properties"]["CodeUri"]
    assert (TEMPLATE.parent / code_uri).resolve() == (ROOT / DEFAULT_OUT).resolve()


def test_failed_events_go_to_an_encrypted_queue_after_bounded_retries() -> None:
    template = transformed()
    [config] = resources_of(template, "AWS::Lambda::EventInvokeConfig").values()
    props = config["Properties"]

    assert props["FunctionName"] == {"Ref": "SenderFunction"}
    assert props["MaximumRetryAttempts"] == {"Ref": "MaximumRetryAttempts"}
    assert props["MaximumEventAgeInSeconds"] == {"Ref": "MaximumEventAgeSeconds"}
    assert props["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["FailedEventsQueue", "Arn"]
    }
    queue = template["Resources"]["FailedEventsQueue"]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True


def test_logs_are_kept_for_a_bounded_time() -> None:
    group = transformed()["Resources"]["SenderLogGroup"]["Properties"]
    assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_alarms_watch_failed_emails_function_errors_and_the_queue() -> None:
    alarms = resources_of(transformed(), "AWS::CloudWatch::Alarm")
    by_metric: dict[str, dict[str, Any]] = {}
    for alarm in alarms.values():
        props = alarm["Properties"]
        if "Metrics" in props:
            by_metric[props["Metrics"][0]["Expression"]] = props
        else:
            by_metric[f"{props['Namespace']}/{props['MetricName']}"] = props

    # a CloudWatch Metrics Insights query, not SQL sent to any database
    failed = by_metric[f"SELECT SUM(EmailsFailed) FROM {NAMESPACE}"]  # noqa: S608
    assert failed["Threshold"] == 1
    errors = by_metric["AWS/Lambda/Errors"]
    assert errors["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "SenderFunction"}}]
    depth = by_metric["AWS/SQS/ApproximateNumberOfMessagesVisible"]
    assert depth["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["FailedEventsQueue", "QueueName"]}}
    ]


def test_outputs_give_what_the_next_steps_need() -> None:
    outputs = source()["Outputs"]
    assert {
        "FunctionArn",
        "KmsKeyArn",
        "UserPoolId",
        "UserPoolArn",
        "FailedEventsQueueUrl",
        "LogGroupName",
        "AttachCommand",
        "ReplayCommand",
    } <= set(outputs)
    assert outputs["AttachCommand"]["Condition"] == "NotCreateUserPool"
