"""The template, SAM-transformed locally, created on moto_server's CloudFormation; then the
existing pool wired with ``attach`` using the stack's outputs.

moto 5.2.5's CloudFormation cannot create AWS::Cognito::UserPool, AWS::Lambda::EventInvokeConfig
or AWS::CloudWatch::Alarm (it skips them with a warning, and a Fn::GetAtt on the skipped pool
fails the stack). So this deploys the existing-pool variant, where every pool reference is a
parameter; the new-pool variant, the asynchronous invocation settings and the alarms are
covered by the parse tests in test_template.py.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from sendertools import localaws
from sendertools.cli import main
from tests.infra.aws import ACCOUNT, create_function, existing_pool, tiny_zip
from tests.infra.template import transformed

pytestmark = pytest.mark.server
BUCKET = "sender-artifacts"
ROOT_KEY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ],
}


@dataclass(frozen=True)
class Deployed:
    pool_id: str
    pool_arn: str
    other_trigger: str
    outputs: dict[str, str]
    stack: dict[str, Any]


@pytest.fixture
def deployed(moto_env: localaws.MotoServer) -> Iterator[Deployed]:
    s3 = boto3.client("s3")
    s3.create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": localaws.REGION}
    )
    s3.put_object(Bucket=BUCKET, Key="lambda.zip", Body=tiny_zip())
    pool = existing_pool(with_permission=False)
    parameters = {
        "UserPoolId": pool.pool_id,
        "EmailFrom": "Example <no-reply@example.com>",
        "SesIdentity": "example.com",
        "SesConfigurationSet": "transactional",
        "LogRetentionDays": "14",
    }
    template = transformed(parameters, bucket=BUCKET)
    cfn = boto3.client("cloudformation")
    cfn.create_stack(
        StackName="cognito-sender",
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_IAM"],
    )
    stack = cfn.describe_stacks(StackName="cognito-sender")["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    # moto keeps a CloudFormation KeyPolicy as a dict and then fails DescribeKey and
    # GetKeyPolicy on it (TypeError, HTTP 500); store a JSON document as AWS would hold. The
    # template's key policy itself is checked by the parse tests.
    boto3.client("kms").put_key_policy(
        KeyId=outputs["KmsKeyArn"], PolicyName="default", Policy=json.dumps(ROOT_KEY_POLICY)
    )
    yield Deployed(pool.pool_id, pool.pool_arn, pool.other_trigger, outputs, stack)
    moto_env.reset()


def test_the_stack_is_created_with_every_output(deployed: Deployed) -> None:
    assert deployed.stack["StackStatus"] == "CREATE_COMPLETE"
    assert deployed.outputs["UserPoolId"] == deployed.pool_id
    assert deployed.outputs["UserPoolArn"] == deployed.pool_arn
    assert deployed.outputs["KmsKeyArn"].startswith(f"arn:aws:kms:{localaws.REGION}:{ACCOUNT}:key/")
    assert deployed.outputs["AttachCommand"].startswith(
        f"cognito-sender attach --user-pool-id {deployed.pool_id} "
    )


def test_the_function_is_configured_for_the_key_and_sender(deployed: Deployed) -> None:
    function = boto3.client("lambda").get_function(FunctionName=deployed.outputs["FunctionArn"])
    config = function["Configuration"]

    assert config["Handler"] == "sender.handler.lambda_handler"
    assert config["Runtime"] == "python3.13"
    assert config["Architectures"] == ["x86_64"]
    assert config["Environment"]["Variables"] == {
        "KMS_KEY_ARN": deployed.outputs["KmsKeyArn"],
        "EMAIL_FROM": "Example <no-reply@example.com>",
        "SES_CONFIGURATION_SET": "transactional",
        "DEFAULT_LOCALE": "en",
        "POWERTOOLS_SERVICE_NAME": "cognito-email-sender",
        "POWERTOOLS_METRICS_NAMESPACE": "CognitoEmailSender",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }


def test_only_the_pool_may_invoke_the_function(deployed: Deployed) -> None:
    policy = json.loads(
        boto3.client("lambda").get_policy(FunctionName=deployed.outputs["FunctionArn"])["Policy"]
    )
    [statement] = policy["Statement"]

    assert statement["Principal"] == {"Service": "cognito-idp.amazonaws.com"}
    assert statement["Action"] == "lambda:InvokeFunction"
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == deployed.pool_arn
    assert statement["Condition"]["StringEquals"]["AWS:SourceAccount"] == ACCOUNT


def test_the_role_is_scoped_to_this_pool_identity_and_queue(deployed: Deployed) -> None:
    iam = boto3.client("iam")
    function = boto3.client("lambda").get_function(FunctionName=deployed.outputs["FunctionArn"])
    role = function["Configuration"]["Role"].rsplit("/", 1)[1]
    documents = [
        _document(iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"])
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]
    ]
    statements = [s for doc in documents for s in doc["Statement"]]
    by_action = {
        action: s
        for s in statements
        for action in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    }

    assert by_action["kms:Decrypt"]["Resource"] == deployed.outputs["KmsKeyArn"]
    assert by_action["kms:Decrypt"]["Condition"]["StringEquals"] == {
        "kms:EncryptionContext:userpool-id": deployed.pool_id
    }
    assert by_action["cognito-idp:AdminGetUser"]["Resource"] == deployed.pool_arn
    assert sorted(by_action["ses:SendEmail"]["Resource"]) == [
        f"arn:aws:ses:{localaws.REGION}:{ACCOUNT}:configuration-set/transactional",
        f"arn:aws:ses:{localaws.REGION}:{ACCOUNT}:identity/example.com",
    ]
    assert by_action["sqs:SendMessage"]["Resource"] == deployed.outputs["FailedEventsQueueArn"]


def test_the_queue_is_encrypted_and_the_logs_expire(deployed: Deployed) -> None:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=deployed.outputs["FailedEventsQueueUrl"], AttributeNames=["All"]
    )["Attributes"]
    assert attributes["SqsManagedSseEnabled"] == "true"
    [group] = boto3.client("logs").describe_log_groups(
        logGroupNamePrefix=deployed.outputs["LogGroupName"]
    )["logGroups"]
    assert group["retentionInDays"] == 14


def test_attach_with_the_outputs_sets_the_pools_trigger_configuration(
    deployed: Deployed,
) -> None:
    outputs = deployed.outputs

    status = main(
        [
            "attach",
            *("--user-pool-id", outputs["UserPoolId"]),
            *("--function-arn", outputs["FunctionArn"]),
            *("--kms-key-arn", outputs["KmsKeyArn"]),
        ]
    )

    assert status == 0
    pool = boto3.client("cognito-idp").describe_user_pool(UserPoolId=deployed.pool_id)
    assert pool["UserPool"]["LambdaConfig"] == {
        "PreSignUp": deployed.other_trigger,
        "PostConfirmation": deployed.other_trigger,
        "CustomEmailSender": {"LambdaArn": outputs["FunctionArn"], "LambdaVersion": "V1_0"},
        "KMSKeyID": outputs["KmsKeyArn"],
    }


def test_attach_to_a_function_of_another_stack_is_refused_until_cognito_may_invoke_it(
    deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    key = deployed.outputs["KmsKeyArn"]
    stranger = create_function("not-from-the-stack", {"KMS_KEY_ARN": key})
    before = boto3.client("cognito-idp").describe_user_pool(UserPoolId=deployed.pool_id)["UserPool"]
    args = [
        "attach",
        *("--user-pool-id", deployed.pool_id),
        *("--function-arn", "not-from-the-stack"),
        *("--kms-key-arn", key),
    ]

    assert main(args) == 1
    after = boto3.client("cognito-idp").describe_user_pool(UserPoolId=deployed.pool_id)["UserPool"]
    assert after == before
    err = capsys.readouterr().err
    assert "does not let cognito-idp.amazonaws.com invoke it" in err
    assert f"aws lambda add-permission --function-name {stranger} " in err

    assert main([*args, "--force"]) == 0
    assert "does not let cognito-idp.amazonaws.com invoke it" in capsys.readouterr().err


def _document(value: str | dict[str, Any]) -> dict[str, Any]:
    """A policy document, whether returned parsed, as JSON, or (moto, for inline policies of
    a CloudFormation role) as the repr of a Python dict."""
    if not isinstance(value, str):
        return value
    try:
        document: dict[str, Any] = json.loads(value)
    except ValueError:
        document = ast.literal_eval(value)
    return document


def test_from_the_stack_to_a_verified_wired_pool(
    deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's order: deploy, attach --dry-run, attach, doctor."""
    outputs = deployed.outputs
    sesv2 = boto3.client("sesv2")
    sesv2.create_email_identity(EmailIdentity="example.com")
    sesv2.create_configuration_set(ConfigurationSetName="transactional")
    attach = outputs["AttachCommand"].split()[1:]
    assert main([*attach, "--dry-run"]) == 0
    assert main(attach) == 0
    capsys.readouterr()

    status = main([*outputs["DoctorCommand"].split()[1:], "--json"])

    findings = {f["check"]: f for f in json.loads(capsys.readouterr().out)}
    assert status == 0, [f for f in findings.values() if f["status"] == "blocking"]
    assert {c for c, f in findings.items() if f["status"] == "ok"} >= {
        "custom-email-sender",
        "kms-key-id",
        "function",
        "invoke-permission",
        "function-key",
        "key-state",
        "role-decrypt",
        "role-send",
        "ses-identity",
        "configuration-set",
    }
