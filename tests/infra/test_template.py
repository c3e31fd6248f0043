"""The template: cfn-lint clean, and its resources wired the way the facts require."""

from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint_file

from sender.app import BOTO_CONFIG
from sender.config import Config
from sender.observability import NAMESPACE, count
from sendertools.commands.package import DEFAULT_OUT, DEFAULT_PYTHON, ROOT
from tests.infra.template import TEMPLATE, rendered, role_statements, source, transformed

POOL_ARN_WHEN_GIVEN = {
    "Fn::Sub": "arn:${AWS::Partition}:cognito-idp:${AWS::Region}:${AWS::AccountId}"
    ":userpool/${UserPoolId}"
}
EXISTING_KEY = "arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-0000-4000-8000-000000000000"
ROOT_PRINCIPAL = {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}
KEY_ARN = {
    "Fn::If": ["CreateKey", {"Fn::GetAtt": ["SenderKey", "Arn"]}, {"Ref": "ExistingKmsKeyArn"}]
}
# What a principal could use to read a code, or to mint itself access to the key.
KEY_USE = ("kms:Decrypt", "kms:ReEncryptFrom", "kms:CreateGrant", "kms:Encrypt")


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
        "KMSKeyID": KEY_ARN,
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

    assert decrypt["Resource"] == KEY_ARN
    assert decrypt["Condition"]["StringEquals"]["kms:EncryptionContext:userpool-id"] == {
        "Fn::If": ["CreateUserPool", {"Ref": "UserPool"}, {"Ref": "UserPoolId"}]
    }


def test_the_function_runs_the_handler_with_its_configuration() -> None:
    [function] = resources_of(transformed(), "AWS::Lambda::Function").values()
    props = function["Properties"]

    assert props["Handler"] == "sender.handler.lambda_handler"
    assert props["Runtime"] == f"python{DEFAULT_PYTHON}"
    assert props["Code"] == {"S3Bucket": "code", "S3Key": "lambda.zip"}
    env = props["Environment"]["Variables"]
    assert env["KMS_KEY_ARN"] == KEY_ARN
    assert env["EMAIL_FROM"] == {"Ref": "EmailFrom"}
    assert env["DEFAULT_LOCALE"] == {"Ref": "DefaultLocale"}
    assert props["LoggingConfig"] == {"LogGroup": {"Ref": "SenderLogGroup"}}
    # arm64 cannot be built (no current glibc aarch64 wheel of css-inline): not offered.
    assert props["Architectures"] == ["x86_64"]
    assert "Architecture" not in source()["Parameters"]


def _key_statements(parameters: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    key = rendered(parameters)["Resources"]["SenderKey"]["Properties"]
    assert key["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert key["KeyUsage"] == "ENCRYPT_DECRYPT"
    return {s["Sid"]: s for s in key["KeyPolicy"]["Statement"]}


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


def _allows(statement: dict[str, Any], action: str) -> bool:
    return any(fnmatchcase(action, pattern) for pattern in _actions(statement))


def test_only_the_function_role_may_decrypt_codes() -> None:
    statements = _key_statements()

    users = {sid: [use for use in KEY_USE if _allows(s, use)] for sid, s in statements.items()}
    assert {sid: used for sid, used in users.items() if used} == {
        "OnlyTheSenderDecrypts": ["kms:Decrypt"],
        "PoolAdministratorGrantsCognito": ["kms:CreateGrant"],
        "CognitoEncryptsCodes": ["kms:Encrypt"],
    }
    decrypt = statements["OnlyTheSenderDecrypts"]
    assert decrypt["Principal"] == ROOT_PRINCIPAL
    assert decrypt["Condition"] == {
        "ArnEquals": {"aws:PrincipalArn": {"Fn::GetAtt": ["SenderRole", "Arn"]}}
    }
    admin = statements["AccountAdministersTheKey"]
    assert admin["Principal"] == ROOT_PRINCIPAL
    assert _allows(admin, "kms:PutKeyPolicy") and _allows(admin, "kms:ScheduleKeyDeletion")
    cognito = statements["CognitoEncryptsCodes"]
    assert cognito["Principal"] == {"Service": "cognito-idp.amazonaws.com"}
    assert cognito["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}


@pytest.mark.parametrize(
    ("parameters", "principal"),
    [
        ({}, ROOT_PRINCIPAL),
        (
            {"PoolAdministratorArn": "arn:aws:iam::123456789012:role/deployer"},
            {"AWS": {"Ref": "PoolAdministratorArn"}},
        ),
    ],
)
def test_grants_may_only_be_created_for_cognito(
    parameters: dict[str, str], principal: dict[str, Any]
) -> None:
    grant = _key_statements(parameters)["PoolAdministratorGrantsCognito"]

    assert _actions(grant) == ["kms:CreateGrant"]
    assert grant["Principal"] == principal
    assert grant["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


def _references(value: Any) -> set[str]:
    """Every resource or parameter name a template fragment refers to."""
    if isinstance(value, dict):
        found: set[str] = set()
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                found.add(item)
            elif key == "Fn::GetAtt":
                found.add(item[0] if isinstance(item, list) else item.split(".")[0])
            elif key == "Fn::Sub":
                text = item if isinstance(item, str) else item[0]
                found |= {m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}", text)}
                if isinstance(item, list):
                    found |= _references(item[1])
            else:
                found |= _references(item)
        return found
    if isinstance(value, list):
        return set().union(*(_references(item) for item in value))
    return set()


def test_an_existing_key_is_used_everywhere_and_no_key_is_created() -> None:
    template = rendered({"ExistingKmsKeyArn": EXISTING_KEY})
    resources = template["Resources"]

    assert not [n for n, r in resources.items() if r["Type"].startswith("AWS::KMS::")]
    assert "SenderKey" not in _references(resources) | _references(template["Outputs"])
    env = resources["SenderFunction"]["Properties"]["Environment"]["Variables"]
    assert env["KMS_KEY_ARN"] == {"Ref": "ExistingKmsKeyArn"}
    assert resources["UserPool"]["Properties"]["LambdaConfig"]["KMSKeyID"] == {
        "Ref": "ExistingKmsKeyArn"
    }
    statements = resources["PoolAccessPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    [decrypt] = [s for s in statements if s["Action"] == "kms:Decrypt"]
    assert decrypt["Resource"] == {"Ref": "ExistingKmsKeyArn"}
    assert template["Outputs"]["KmsKeyArn"]["Value"] == {"Ref": "ExistingKmsKeyArn"}
    assert "KmsKeyAlias" not in template["Outputs"]
    # without the parameter, the stack makes its own
    created = rendered()["Resources"]
    assert created["SenderKey"]["Type"] == "AWS::KMS::Key"
    variables = created["SenderFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["KMS_KEY_ARN"] == {"Fn::GetAtt": ["SenderKey", "Arn"]}
    assert "SenderKey" in _references(created)


def test_the_timeout_covers_the_clients_retry_budget() -> None:
    """Derived from the clients' own configuration: changing their timeouts or attempts
    without the template fails here."""
    retries = BOTO_CONFIG.retries or {}
    # botocore rewrites max_attempts (retries) as total_max_attempts (attempts) in the config's
    # own dict the first time a client is made with it.
    attempts = int(retries.get("total_max_attempts") or int(retries["max_attempts"]) + 1)
    per_attempt = float(BOTO_CONFIG.connect_timeout) + float(BOTO_CONFIG.read_timeout)
    # standard mode: a random back-off of at most 2**n seconds before retry n, capped at 20
    backoff = sum(min(20, 2**n) for n in range(attempts - 1))
    calls = 2  # Decrypt + SendEmail, or AdminGetUser + SendEmail (no code in an ATO alert)
    budget = calls * (attempts * per_attempt + backoff)
    timeout = source()["Parameters"]["Timeout"]

    assert budget == 118, "update the arithmetic in the template's comment"
    assert timeout["MinValue"] >= budget + 10, "room for the cold start and rendering"
    assert timeout["Default"] >= budget + 30
    assert rendered()["Resources"]["SenderFunction"]["Properties"]["Timeout"] == {"Ref": "Timeout"}


def test_reserved_concurrency_is_a_parameter_and_zero_leaves_it_unreserved() -> None:
    assert source()["Parameters"]["ReservedConcurrency"]["Default"] == 0

    unreserved = rendered()["Resources"]["SenderFunction"]["Properties"]
    reserved = rendered({"ReservedConcurrency": "5"})["Resources"]["SenderFunction"]["Properties"]

    assert "ReservedConcurrentExecutions" not in unreserved
    assert reserved["ReservedConcurrentExecutions"] == {"Ref": "ReservedConcurrency"}


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


def test_failed_events_and_logs_are_kept_briefly_and_survive_the_stack() -> None:
    template = source()
    resources = template["Resources"]
    retention = template["Parameters"]["FailedEventsRetentionSeconds"]

    assert retention["Default"] == 4 * 86400
    assert retention["MaxValue"] == 14 * 86400
    assert resources["FailedEventsQueue"]["Properties"]["MessageRetentionPeriod"] == {
        "Ref": "FailedEventsRetentionSeconds"
    }
    for name in ("FailedEventsQueue", "SenderLogGroup", "SesEventsLogGroup"):
        assert resources[name]["DeletionPolicy"] == "Retain", name
        assert resources[name]["UpdateReplacePolicy"] == "Retain", name
    group = transformed()["Resources"]["SenderLogGroup"]["Properties"]
    assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def _alarms(parameters: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """Alarm properties by metric: 'Namespace/MetricName', or the query of a query alarm."""
    by_metric: dict[str, dict[str, Any]] = {}
    for alarm in resources_of(rendered(parameters), "AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        if "Metrics" in props:
            by_metric[props["Metrics"][0]["Expression"]["Fn::Sub"]] = props
        else:
            by_metric[f"{props['Namespace']}/{props['MetricName']}"] = props
    return by_metric


FUNCTION_DIMENSION = [{"Name": "FunctionName", "Value": {"Ref": "SenderFunction"}}]
QUEUE_DIMENSION = [
    {"Name": "QueueName", "Value": {"Fn::GetAtt": ["FailedEventsQueue", "QueueName"]}}
]
# a CloudWatch Metrics Insights query, not SQL sent to any database
FAILED_QUERY = f"SELECT SUM(EmailsFailed) FROM {NAMESPACE} WHERE function = '${{SenderFunction}}'"


@pytest.mark.parametrize(
    ("metric", "dimensions", "threshold"),
    [
        (FAILED_QUERY, None, 1),
        ("AWS/Lambda/Errors", FUNCTION_DIMENSION, 1),
        ("AWS/Lambda/Throttles", FUNCTION_DIMENSION, 1),
        ("AWS/Lambda/DestinationDeliveryFailures", FUNCTION_DIMENSION, 1),
        ("AWS/Lambda/AsyncEventsDropped", FUNCTION_DIMENSION, 1),
        ("AWS/SQS/ApproximateNumberOfMessagesVisible", QUEUE_DIMENSION, 1),
        ("AWS/SQS/ApproximateAgeOfOldestMessage", QUEUE_DIMENSION, 86400),
        ("AWS/SES/Reputation.BounceRate", None, 0.05),
        ("AWS/SES/Reputation.ComplaintRate", None, 0.001),
    ],
)
def test_every_way_an_email_can_be_lost_has_an_alarm(
    metric: str, dimensions: list[dict[str, Any]] | None, threshold: float
) -> None:
    alarm = _alarms()[metric]

    assert alarm.get("Dimensions") == dimensions
    assert alarm["Threshold"] == threshold
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["TreatMissingData"] == "notBreaching"
    assert alarm["EvaluationPeriods"] == 1
    assert "AlarmActions" not in alarm, "no topic given, no action"
    topic = "arn:aws:sns:eu-west-1:123456789012:alarms"
    assert _alarms({"AlarmTopicArn": topic})[metric]["AlarmActions"] == [{"Ref": "AlarmTopicArn"}]


def test_the_failed_emails_alarm_selects_the_dimension_the_sender_emits(
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = Config.from_env(
        {
            "KMS_KEY_ARN": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab",
            "EMAIL_FROM": "no-reply@example.com",
            "AWS_LAMBDA_FUNCTION_NAME": "stack-SenderFunction-1",  # as Lambda sets it
        }
    )

    count("EmailsFailed", function=config.function_name, trigger="SignUp", reason="ses_throttled")

    [document] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    [directive] = document["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == NAMESPACE
    assert directive["Dimensions"] == [["function", "trigger", "reason"]]
    assert document["function"] == "stack-SenderFunction-1"
    assert "WHERE function = " in FAILED_QUERY


SES_EVENTS = {
    "send",
    "delivery",
    "bounce",
    "complaint",
    "reject",
    "renderingFailure",
    "deliveryDelay",
}


def test_the_stack_creates_a_configuration_set_that_publishes_every_delivery_event() -> None:
    template = rendered()
    resources = template["Resources"]
    env = resources["SenderFunction"]["Properties"]["Environment"]["Variables"]
    assert env["SES_CONFIGURATION_SET"] == {"Ref": "EmailConfigurationSet"}
    assert resources["EmailConfigurationSet"]["Type"] == "AWS::SES::ConfigurationSet"

    destinations = {
        r["Properties"]["EventDestination"]["Name"]: r["Properties"]
        for r in resources_of(template, "AWS::SES::ConfigurationSetEventDestination").values()
    }
    assert set(destinations) == {"cloudwatch", "eventbridge"}
    for destination in destinations.values():
        assert destination["ConfigurationSetName"] == {"Ref": "EmailConfigurationSet"}
        assert set(destination["EventDestination"]["MatchingEventTypes"]) == SES_EVENTS
        assert destination["EventDestination"]["Enabled"] is True
    cloudwatch = destinations["cloudwatch"]["EventDestination"]["CloudWatchDestination"]
    # the message tags the sender sets on every email (sender/handler.py) are the dimensions
    assert {
        (d["DimensionName"], d["DimensionValueSource"])
        for d in cloudwatch["DimensionConfigurations"]
    } == {("trigger", "messageTag"), ("template", "messageTag"), ("locale", "messageTag")}

    rule = resources["SesEventsRule"]["Properties"]
    assert rule["EventPattern"]["source"] == ["aws.ses"]
    assert rule["EventPattern"]["detail"]["mail"]["tags"]["ses:configuration-set"] == [
        {"Ref": "EmailConfigurationSet"}
    ]
    assert rule["Targets"][0]["Arn"] == {"Fn::GetAtt": ["SesEventsLogGroup", "Arn"]}
    group = resources["SesEventsLogGroup"]["Properties"]
    assert group["LogGroupName"]["Fn::Sub"].startswith("/aws/events/")
    policy = json.loads(resources["SesEventsLogPolicy"]["Properties"]["PolicyDocument"]["Fn::Sub"])
    assert policy["Statement"][0]["Resource"] == "${SesEventsLogGroup.Arn}"
    [send] = [s for s in role_statements(template) if "ses:SendEmail" in s["Action"]]
    assert send["Resource"][1] == {
        "Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}"
        ":configuration-set/${EmailConfigurationSet}"
    }


def test_a_configuration_set_given_by_name_is_taken_as_it_is() -> None:
    template = rendered({"SesConfigurationSet": "transactional"})
    resources = template["Resources"]

    assert not [n for n, r in resources.items() if r["Type"].startswith("AWS::SES::")]
    assert "SesEventsRule" not in resources and "SesEventsLogGroup" not in resources
    env = resources["SenderFunction"]["Properties"]["Environment"]["Variables"]
    assert env["SES_CONFIGURATION_SET"] == {"Ref": "SesConfigurationSet"}
    assert template["Outputs"]["ConfigurationSetName"]["Value"] == {"Ref": "SesConfigurationSet"}
    assert "SesEventsLogGroupName" not in template["Outputs"]


def test_the_dashboard_shows_each_side_per_trigger() -> None:
    text, variables = rendered()["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    assert set(variables) == {"QueueName"}
    widgets = json.loads(re.sub(r"\$\{[^}]+\}", "X", text))["widgets"]
    metrics = [m for w in widgets for m in w["properties"]["metrics"]]
    queries = [m[0]["expression"] for m in metrics if isinstance(m[0], dict)]
    plain = {m[1] for m in metrics if isinstance(m[0], str)}

    for metric in ("EmailsSent", "EmailsFailed"):
        assert any(
            q.startswith(f"SELECT SUM({metric}) FROM {NAMESPACE} WHERE function = 'X' GROUP BY")
            for q in queries
        ), metric
    for metric in ("Delivery", "Bounce", "Complaint", "DeliveryDelay", "Reject"):
        assert any(
            q.startswith(f'SELECT SUM({metric}) FROM SCHEMA("AWS/SES"')
            and q.endswith("GROUP BY trigger")
            for q in queries
        ), metric
    assert {"Errors", "Throttles", "AsyncEventsDropped", "DestinationDeliveryFailures"} <= plain


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
        "DoctorCommand",
        "ReplayCommand",
        "ConfigurationSetName",
        "SesEventsLogGroupName",
        "DashboardName",
    } <= set(outputs)
    assert outputs["AttachCommand"]["Condition"] == "NotCreateUserPool"


def test_brands_with_their_own_sender_may_send_only_with_what_they_are_given() -> None:
    def sends(template: dict[str, Any]) -> list[dict[str, Any]]:
        return [s for s in role_statements(template) if "ses:SendEmail" in s["Action"]]

    assert len(sends(rendered())) == 1  # by default: the EmailFrom identity and the set only
    arns = [
        "arn:aws:ses:eu-west-1:123456789012:identity/northwind.example.com",
        "arn:aws:ses:eu-west-1:123456789012:configuration-set/northwind-emails",
    ]
    first, brands = sends(rendered({"BrandSesArns": ",".join(arns)}))
    assert first == sends(rendered())[0]
    assert brands["Effect"] == "Allow"
    assert brands["Action"] == ["ses:SendEmail", "ses:SendRawEmail"]
    assert brands["Resource"] == {"Ref": "BrandSesArns"}
