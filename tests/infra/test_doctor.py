"""doctor: a live deployment read back check by check, against a real moto_server. One healthy
deployment; then each blocking problem and each warning seeded on its own."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from sendertools import localaws
from sendertools.cli import main
from sendertools.doctor import CHECKS, evaluate, policy_document, pool_region
from tests.infra.aws import TRUST, tiny_zip

pytestmark = pytest.mark.server

ACCOUNT = "123456789012"
DOMAIN = "example.com"
EMAIL_FROM = f"Example <no-reply@{DOMAIN}>"
CONFIGURATION_SET = "transactional"
FUNCTION = "email-sender"
ROLE = "email-sender-role"
SEND_ACTIONS = ["ses:SendEmail", "ses:SendRawEmail"]
# What moto 5.2.5 cannot answer (SES v2 GetAccount): the only warnings of a healthy run.
MOTO_CANNOT_CHECK = {"ses-sending", "ses-sandbox"}
ALL_CHECKS = [check for check, _method, _hand in CHECKS]
Hook = tuple[str, Callable[..., Any]]


@dataclass(frozen=True)
class Deployment:
    pool_id: str
    pool_arn: str
    function_arn: str
    key_arn: str
    queue_url: str


def put_policy(name: str, statement: dict[str, Any]) -> None:
    boto3.client("iam").put_role_policy(
        RoleName=ROLE,
        PolicyName=name,
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
    )


def decrypt_statement(key_arn: str, pool_id: str, action: str = "kms:Decrypt") -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Action": action,
        "Resource": key_arn,
        "Condition": {"StringEquals": {"kms:EncryptionContext:userpool-id": pool_id}},
    }


def deploy(
    *,
    sender: bool = True,
    kms_key_id: bool = True,
    function_key: str | None = None,
    decrypt_action: str = "kms:Decrypt",
    send_actions: tuple[str, ...] = tuple(SEND_ACTIONS),
    identity: bool = True,
    dkim: bool = True,
    configuration_set: bool = True,
    invoke_config: str = "retries",
    alarm: bool = True,
) -> Deployment:
    """The sender as infra/template.yaml deploys it, wired to a pool; each flag breaks one
    piece."""
    kms = boto3.client("kms")
    key_arn = kms.create_key(Description="sender")["KeyMetadata"]["Arn"]
    iam = boto3.client("iam")
    role_arn = iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"][
        "Arn"
    ]
    lam = boto3.client("lambda")
    function_arn = lam.create_function(
        FunctionName=FUNCTION,
        Runtime="python3.13",
        Role=role_arn,
        Handler="handler.handler",
        Code={"ZipFile": tiny_zip()},
        Environment={
            "Variables": {
                "KMS_KEY_ARN": function_key or key_arn,
                "EMAIL_FROM": EMAIL_FROM,
                "SES_CONFIGURATION_SET": CONFIGURATION_SET,
                "POWERTOOLS_METRICS_NAMESPACE": "CognitoEmailSender",
            }
        },
    )["FunctionArn"]
    lambda_config: dict[str, Any] = {}
    if sender:
        lambda_config["CustomEmailSender"] = {"LambdaArn": function_arn, "LambdaVersion": "V1_0"}
    if kms_key_id:
        lambda_config["KMSKeyID"] = key_arn
    pool = boto3.client("cognito-idp").create_user_pool(
        PoolName="doctor-pool", LambdaConfig=lambda_config
    )["UserPool"]
    lam.add_permission(
        FunctionName=FUNCTION,
        StatementId="cognito",
        Action="lambda:InvokeFunction",
        Principal="cognito-idp.amazonaws.com",
        SourceArn=pool["Arn"],
        SourceAccount=ACCOUNT,
    )
    put_policy("decrypt", decrypt_statement(key_arn, pool["Id"], decrypt_action))
    ses_arn = f"arn:aws:ses:{localaws.REGION}:{ACCOUNT}"
    put_policy(
        "send-email",
        {
            "Effect": "Allow",
            "Action": list(send_actions),
            "Resource": [
                f"{ses_arn}:identity/{DOMAIN}",
                f"{ses_arn}:configuration-set/{CONFIGURATION_SET}",
            ],
        },
    )
    sesv2 = boto3.client("sesv2")
    if identity:
        signing = {
            "DomainSigningSelector": "sender",
            "DomainSigningPrivateKey": base64.b64encode(b"k" * 64).decode("ascii"),
        }
        # moto marks DKIM verified only for a domain created with its own (BYODKIM) key.
        extra: dict[str, Any] = {"DkimSigningAttributes": signing} if dkim else {}
        sesv2.create_email_identity(EmailIdentity=DOMAIN, **extra)
    if configuration_set:
        sesv2.create_configuration_set(ConfigurationSetName=CONFIGURATION_SET)
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="failed-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    if invoke_config != "none":
        lam.put_function_event_invoke_config(
            FunctionName=FUNCTION,
            MaximumRetryAttempts=0 if invoke_config == "no-retries" else 2,
            MaximumEventAgeInSeconds=3600,
            DestinationConfig={"OnFailure": {"Destination": queue_arn}},
        )
    if alarm:
        boto3.client("cloudwatch").put_metric_alarm(
            AlarmName="sender-errors",
            Namespace="AWS/Lambda",
            MetricName="Errors",
            Dimensions=[{"Name": "FunctionName", "Value": FUNCTION}],
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
        )
    return Deployment(pool["Id"], pool["Arn"], function_arn, key_arn, queue_url)


@dataclass(frozen=True)
class Run:
    status: int
    findings: dict[str, dict[str, str]]
    stdout: str
    stderr: str

    def statuses(self) -> dict[str, str]:
        return {check: f["status"] for check, f in self.findings.items()}

    def detail(self, check: str) -> str:
        return self.findings[check]["detail"]

    def fix(self, check: str) -> str:
        return self.findings[check]["fix"]


@pytest.fixture
def doctor(
    moto_env: localaws.MotoServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Callable[..., Run]]:
    """Runs ``cognito-sender doctor --json`` in process; hooks are botocore event handlers
    registered on the session the verb creates."""

    def run(pool_id: str, *hooks: Hook, text: bool = False) -> Run:
        class Hooked(boto3.session.Session):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                for event, handler in hooks:
                    self.events.register(event, handler)

        monkeypatch.setattr(boto3.session, "Session", Hooked)
        capsys.readouterr()
        argv = ["doctor", "--user-pool-id", pool_id, *([] if text else ["--json"])]
        status = main(argv)
        out, err = capsys.readouterr()
        findings = {} if text else {f["check"]: f for f in json.loads(out)}
        return Run(status, findings, out, err)

    yield run


def failing(code: str, status: int = 403) -> Callable[..., Any]:
    """A ``before-call`` handler: the call fails with ``code`` without reaching the server."""

    def handler(**_kwargs: Any) -> tuple[Any, dict[str, Any]]:
        error = {"Code": code, "Message": f"injected {code}"}
        return SimpleNamespace(status_code=status), {
            "Error": error,
            "ResponseMetadata": {"HTTPStatusCode": status},
        }

    return handler


def without(*checks: str) -> dict[str, str]:
    """The healthy run's statuses with ``checks`` left out."""
    return {c: s for c, s in healthy_statuses().items() if c not in checks}


def healthy_statuses() -> dict[str, str]:
    return {check: "warning" if check in MOTO_CANNOT_CHECK else "ok" for check in ALL_CHECKS}


def test_a_healthy_deployment_has_nothing_blocking(doctor: Callable[..., Run]) -> None:
    deployment = deploy()

    run = doctor(deployment.pool_id)

    assert run.status == 0
    assert list(run.findings) == ALL_CHECKS
    assert run.statuses() == healthy_statuses()
    for check in MOTO_CANNOT_CHECK:
        assert run.detail(check).startswith("could not check: sesv2 GetAccount"), check
        assert "not implemented" in run.detail(check)
        assert "get-account" in run.fix(check)
    # moto has no policy simulator: the role is read statically, and says so.
    assert "allowed by inline policy decrypt" in run.detail("role-decrypt")
    assert "read statically" in run.detail("role-decrypt")
    assert "key policy" in run.detail("role-decrypt")
    assert "allowed by inline policy send-email" in run.detail("role-send")
    assert f"SES identity {DOMAIN} is verified" in run.detail("ses-identity")
    assert all(run.fix(c) == "" for c, s in run.statuses().items() if s == "ok")
    assert run.stderr == ""


def test_json_findings_have_exactly_the_four_keys(doctor: Callable[..., Run]) -> None:
    run = doctor(deploy().pool_id)

    records = json.loads(run.stdout)
    assert isinstance(records, list) and len(records) == len(ALL_CHECKS)
    for record in records:
        assert set(record) == {"check", "status", "detail", "fix"}
        assert record["status"] in ("ok", "warning", "blocking")
        assert all(isinstance(v, str) for v in record.values())


def test_text_report_one_line_per_check_fix_indented_and_summary(
    doctor: Callable[..., Run],
) -> None:
    deployment = deploy()
    boto3.client("lambda").remove_permission(FunctionName=FUNCTION, StatementId="cognito")

    run = doctor(deployment.pool_id, text=True)

    assert run.status == 1
    lines = run.stdout.splitlines()
    line = next(i for i, text in enumerate(lines) if "invoke-permission" in text)
    assert lines[line].split()[:2] == ["blocking", "invoke-permission"]
    assert lines[line + 1].startswith(" " * 10 + "fix: aws lambda add-permission")
    assert deployment.pool_arn in lines[line + 1]
    for check in ALL_CHECKS:
        assert sum(1 for text in lines if text.split()[1:2] == [check]) == 1, check
    assert lines[-1].startswith(f"{len(ALL_CHECKS)} checks: 15 ok, 2 warning(s), 1 blocking")
    assert "Traceback" not in run.stdout + run.stderr


FUNCTION_DEPENDENTS = (
    "invoke-permission",
    "function-key",
    "role-decrypt",
    "role-send",
    "ses-identity",
    "configuration-set",
    "dkim",
    "async-failure-handling",
    "failure-queue",
    "alarms",
    "recent-failures",
)


def _delete_function(_d: Deployment) -> None:
    boto3.client("lambda").delete_function(FunctionName=FUNCTION)


def _remove_permission(_d: Deployment) -> None:
    boto3.client("lambda").remove_permission(FunctionName=FUNCTION, StatementId="cognito")


def _permit_another_pool(d: Deployment) -> None:
    _remove_permission(d)
    boto3.client("lambda").add_permission(
        FunctionName=FUNCTION,
        StatementId="cognito-other",
        Action="lambda:InvokeFunction",
        Principal="cognito-idp.amazonaws.com",
        SourceArn=d.pool_arn.rsplit("/", 1)[0] + "/eu-west-1_other",
        SourceAccount=ACCOUNT,
    )


def _disable_key(d: Deployment) -> None:
    # moto's DisableKey and ScheduleKeyDeletion fail (HTTP 500) when given the key ARN.
    boto3.client("kms").disable_key(KeyId=d.key_arn.rsplit("/", 1)[1])


def _schedule_deletion(d: Deployment) -> None:
    boto3.client("kms").schedule_key_deletion(
        KeyId=d.key_arn.rsplit("/", 1)[1], PendingWindowInDays=7
    )


def _other_key() -> str:
    return str(boto3.client("kms").create_key(Description="other")["KeyMetadata"]["Arn"])


def _unverified(parsed: dict[str, Any], **_kwargs: Any) -> None:
    """An ``after-call`` handler: SES reports the identity as still pending."""
    parsed["VerificationStatus"] = "PENDING"
    parsed["VerifiedForSendingStatus"] = False


@dataclass(frozen=True)
class Seed:
    """One blocking problem: how to make it, which check blocks, which can then not run."""

    options: dict[str, Any]
    blocking: str
    dependents: tuple[str, ...] = ()
    after: Callable[[Deployment], None] | None = None
    hooks: tuple[Hook, ...] = ()
    says: str = ""


BLOCKING_SEEDS = {
    "no custom sender": Seed(
        {"sender": False},
        "custom-email-sender",
        ("function", *FUNCTION_DEPENDENTS),
        says="no LambdaConfig.CustomEmailSender",
    ),
    "no KMSKeyID": Seed(
        {"kms_key_id": False},
        "kms-key-id",
        ("function-key", "key-state", "role-decrypt"),
        says="no LambdaConfig.KMSKeyID",
    ),
    "function deleted": Seed(
        {}, "function", FUNCTION_DEPENDENTS, after=_delete_function, says="does not exist"
    ),
    "permission removed": Seed(
        {}, "invoke-permission", after=_remove_permission, says="has no resource policy"
    ),
    "permission for another pool": Seed(
        {},
        "invoke-permission",
        after=_permit_another_pool,
        says="does not let cognito-idp.amazonaws.com invoke it for",
    ),
    "KMS_KEY_ARN differs": Seed(
        {"function_key": "other"}, "function-key", says="every code fails to decrypt"
    ),
    "key disabled": Seed({}, "key-state", after=_disable_key, says="is Disabled"),
    "key pending deletion": Seed(
        {}, "key-state", after=_schedule_deletion, says="is PendingDeletion"
    ),
    "role without kms:Decrypt": Seed(
        {"decrypt_action": "kms:Encrypt"}, "role-decrypt", says="no Allow statement matches"
    ),
    "role without ses:SendEmail": Seed(
        {"send_actions": ("ses:GetAccount",)}, "role-send", says="no Allow statement matches"
    ),
    "identity not created": Seed(
        {"identity": False}, "ses-identity", ("dkim",), says="is an SES identity"
    ),
    "identity not verified": Seed(
        {},
        "ses-identity",
        hooks=(("after-call.sesv2.GetEmailIdentity", _unverified),),
        says="not verified for sending",
    ),
    "configuration set missing": Seed(
        {"configuration_set": False}, "configuration-set", says="does not exist"
    ),
}


@pytest.mark.parametrize("seed", BLOCKING_SEEDS.values(), ids=list(BLOCKING_SEEDS))
def test_each_blocking_problem_blocks_its_check_only(
    doctor: Callable[..., Run], seed: Seed
) -> None:
    options = dict(seed.options)
    if options.get("function_key") == "other":
        options["function_key"] = _other_key()
    deployment = deploy(**options)
    if seed.after:
        seed.after(deployment)

    run = doctor(deployment.pool_id, *seed.hooks)

    assert run.status == 1
    assert run.findings[seed.blocking]["status"] == "blocking"
    assert seed.says in run.detail(seed.blocking)
    assert run.fix(seed.blocking)
    for check in seed.dependents:
        assert run.findings[check]["status"] == "warning", check
        assert run.detail(check).startswith("could not check: "), check
        assert "first" in run.fix(check)
    assert {
        c: s for c, s in run.statuses().items() if c not in {seed.blocking, *seed.dependents}
    } == without(seed.blocking, *seed.dependents)
    assert "Traceback" not in run.stdout + run.stderr


def test_fixes_name_the_values_to_use(doctor: Callable[..., Run]) -> None:
    other = _other_key()
    deployment = deploy(function_key=other, decrypt_action="kms:Encrypt")
    _remove_permission(deployment)

    run = doctor(deployment.pool_id)

    assert run.fix("invoke-permission").startswith("aws lambda add-permission")
    assert f"--source-arn {deployment.pool_arn}" in run.fix("invoke-permission")
    assert f"KMS_KEY_ARN={deployment.key_arn}" in run.fix("function-key")
    assert f"--kms-key-arn {other}" in run.fix("function-key")
    assert other in run.detail("function-key") and deployment.key_arn in run.detail("function-key")
    fix = run.fix("role-decrypt")
    assert fix.startswith("aws iam put-role-policy --role-name email-sender-role")
    document = json.loads(fix.split("--policy-document ", 1)[1].strip("'"))
    statement = document["Statement"][0]
    assert statement["Action"] == "kms:Decrypt"
    assert statement["Resource"] == deployment.key_arn
    assert statement["Condition"]["StringEquals"] == {
        "kms:EncryptionContext:userpool-id": deployment.pool_id
    }


def test_the_attach_fix_fills_in_what_the_pool_already_names(doctor: Callable[..., Run]) -> None:
    deployment = deploy(sender=False)

    run = doctor(deployment.pool_id)

    assert run.fix("custom-email-sender") == (
        f"cognito-sender attach --user-pool-id {deployment.pool_id} "
        f"--function-arn FUNCTION_ARN --kms-key-arn {deployment.key_arn}"
    )


def failed_emails_alarm(where: str) -> None:
    """An alarm on a Metrics Insights query of the sender's failures, as the template makes."""
    boto3.client("cloudwatch").put_metric_alarm(
        AlarmName="emails-failed",
        Metrics=[
            {
                "Id": "failed",
                "Expression": f"SELECT SUM(EmailsFailed) FROM CognitoEmailSender {where}".strip(),
                "Period": 300,
                "ReturnData": True,
            }
        ],
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )


@pytest.mark.parametrize(
    ("where", "status"),
    [
        ("", "ok"),
        (f"WHERE function = '{FUNCTION}'", "ok"),
        ("WHERE function = 'staging-email-sender'", "warning"),
    ],
)
def test_an_alarm_on_the_failure_metric_counts(
    doctor: Callable[..., Run], where: str, status: str
) -> None:
    deployment = deploy(alarm=False)
    failed_emails_alarm(where)

    run = doctor(deployment.pool_id)

    assert run.findings["alarms"]["status"] == status
    if status == "ok":
        assert run.detail("alarms") == "alarm(s) on the function: emails-failed"


def _queued_failure(d: Deployment) -> None:
    boto3.client("sqs").send_message(QueueUrl=d.queue_url, MessageBody='{"requestPayload": {}}')


def failed_emails(count: int, reason: str, function: str = FUNCTION) -> None:
    """EmailsFailed datapoints as the sender emits them."""
    dimensions = [
        {"Name": "function", "Value": function},
        {"Name": "trigger", "Value": "SignUp"},
        {"Name": "reason", "Value": reason},
    ]
    datapoint = {
        "MetricName": "EmailsFailed",
        "Dimensions": dimensions,
        "Value": 1,
        "Unit": "Count",
        "Timestamp": datetime.now(UTC),
    }
    boto3.client("cloudwatch").put_metric_data(
        Namespace="CognitoEmailSender", MetricData=[datapoint] * count
    )


def _failed_emails(_d: Deployment) -> None:
    failed_emails(3, "ses_throttled")


def test_recent_failures_by_reason_and_only_this_functions(doctor: Callable[..., Run]) -> None:
    deployment = deploy()
    failed_emails(2, "kms_key_disabled")
    failed_emails(1, "ses_throttled")
    failed_emails(5, "ses_throttled", function="staging-email-sender")

    run = doctor(deployment.pool_id)

    assert run.findings["recent-failures"]["status"] == "warning"
    assert run.detail("recent-failures").startswith(
        "in the last 24 h: 3 EmailsFailed (kms_key_disabled 2, ses_throttled 1)"
    )
    assert deployment.function_arn in run.fix("recent-failures")


WARNING_SEEDS = {
    "no event invoke config": (
        {"invoke_config": "none"},
        None,
        "async-failure-handling",
        ("failure-queue",),
        "no on-failure destination",
    ),
    "no retries": ({"invoke_config": "no-retries"}, None, "async-failure-handling", (), "is 0"),
    "a failed event in the queue": ({}, _queued_failure, "failure-queue", (), "1 failed event"),
    "no alarms": ({"alarm": False}, None, "alarms", (), "no CloudWatch alarm"),
    "DKIM not verified": ({"dkim": False}, None, "dkim", (), "NOT_STARTED"),
    "recent failures": (
        {},
        _failed_emails,
        "recent-failures",
        (),
        "3 EmailsFailed (ses_throttled 3)",
    ),
}


@pytest.mark.parametrize(
    ("options", "after", "check", "dependents", "says"),
    WARNING_SEEDS.values(),
    ids=list(WARNING_SEEDS),
)
def test_each_warning_is_a_warning_and_exit_0(
    doctor: Callable[..., Run],
    options: dict[str, Any],
    after: Callable[[Deployment], None] | None,
    check: str,
    dependents: tuple[str, ...],
    says: str,
) -> None:
    deployment = deploy(**options)
    if after:
        after(deployment)

    run = doctor(deployment.pool_id)

    assert run.status == 0
    assert run.findings[check]["status"] == "warning"
    assert says in run.detail(check)
    assert not run.detail(check).startswith("could not check")
    assert run.fix(check)
    for dependent in dependents:
        assert run.detail(dependent).startswith("could not check: "), dependent
    assert {c: s for c, s in run.statuses().items() if c not in {check, *dependents}} == without(
        check, *dependents
    )


def test_the_failure_queue_warning_gives_the_replay_command(doctor: Callable[..., Run]) -> None:
    deployment = deploy()
    _queued_failure(deployment)

    run = doctor(deployment.pool_id)

    assert run.fix("failure-queue").endswith(
        f"cognito-sender replay --queue-url {deployment.queue_url} "
        f"--function-arn {deployment.function_arn}"
    )


def test_access_denied_is_could_not_check_not_a_crash(doctor: Callable[..., Run]) -> None:
    deployment = deploy()

    run = doctor(
        deployment.pool_id,
        ("before-call.lambda.GetPolicy", failing("AccessDeniedException")),
        ("before-call.kms.DescribeKey", failing("AccessDeniedException", 400)),
    )

    assert run.status == 0
    for check, action in (
        ("invoke-permission", "lambda:GetPolicy"),
        ("key-state", "kms:DescribeKey"),
    ):
        assert run.findings[check]["status"] == "warning"
        assert run.detail(check).startswith("could not check: ")
        assert "AccessDeniedException" in run.detail(check)
        assert action in run.fix(check)
    assert run.statuses() == {
        **healthy_statuses(),
        "invoke-permission": "warning",
        "key-state": "warning",
    }


def test_an_unreachable_service_is_could_not_check(
    doctor: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    deployment = deploy()
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDWATCH", f"http://127.0.0.1:{localaws.free_port()}")

    run = doctor(deployment.pool_id)

    assert run.status == 0
    for check in ("alarms", "recent-failures"):
        assert run.detail(check).startswith("could not check: cloudwatch "), check
        assert "EndpointConnectionError" in run.detail(check)
    assert run.statuses() == {
        **healthy_statuses(),
        "alarms": "warning",
        "recent-failures": "warning",
    }


def test_an_unreadable_function_makes_its_dependents_could_not_check(
    doctor: Callable[..., Run],
) -> None:
    deployment = deploy()

    run = doctor(
        deployment.pool_id,
        ("before-call.lambda.GetFunctionConfiguration", failing("AccessDeniedException")),
    )

    assert run.status == 0
    assert run.detail("function").startswith("could not check: lambda GetFunctionConfiguration")
    for check in ("function", *FUNCTION_DEPENDENTS):
        assert run.findings[check]["status"] == "warning", check
        assert run.detail(check).startswith("could not check: "), check


def test_a_missing_pool_is_one_blocking_line(doctor: Callable[..., Run]) -> None:
    run = doctor(f"{localaws.REGION}_doesnotexist")

    assert run.status == 1
    assert list(run.findings) == ["user-pool"]
    finding = run.findings["user-pool"]
    assert finding["status"] == "blocking"
    assert "ResourceNotFoundException" in finding["detail"]
    assert f"{localaws.REGION}_doesnotexist" in finding["detail"]
    assert "--user-pool-id" in finding["fix"]


def test_an_unreachable_endpoint_is_one_blocking_line(
    doctor: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{localaws.free_port()}")

    run = doctor(f"{localaws.REGION}_anything", text=True)

    assert run.status == 1
    lines = run.stdout.splitlines()
    assert lines[0].split()[:2] == ["blocking", "user-pool"]
    assert "EndpointConnectionError" in lines[0]
    assert "AWS_ENDPOINT_URL" in lines[1]
    assert lines[-1].startswith("1 checks: 0 ok, 0 warning(s), 1 blocking")
    assert "Traceback" not in run.stdout + run.stderr


def _kms_only(**condition: Any) -> Callable[[Deployment], dict[str, Any]]:
    def statement(d: Deployment) -> dict[str, Any]:
        return {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": d.key_arn, **condition}

    return statement


DECRYPT_POLICIES: dict[str, tuple[Callable[[Deployment], Any], str, str]] = {
    "for another pool only": (
        _kms_only(
            Condition={"StringEquals": {"kms:EncryptionContext:userpool-id": "eu-west-1_other"}}
        ),
        "blocking",
        "allowed only under other conditions",
    ),
    "for any pool of the region (StringLike)": (
        _kms_only(Condition={"StringLike": {"kms:EncryptionContext:userpool-id": "eu-west-1_*"}}),
        "ok",
        "allowed by inline policy decrypt",
    ),
    "on any key, by wildcards": (
        lambda d: {"Effect": "Allow", "Action": "kms:Decr*", "Resource": "arn:aws:kms:*"},
        "ok",
        "allowed by inline policy decrypt",
    ),
    "under a condition the doctor cannot evaluate": (
        _kms_only(Condition={"StringEquals": {"kms:ViaService": "ses.eu-west-1.amazonaws.com"}}),
        "warning",
        "depends on conditions not evaluated",
    ),
    "allowed but denied too": (
        lambda d: [
            _kms_only()(d),
            {"Effect": "Deny", "Action": "kms:*", "Resource": "*"},
        ],
        "blocking",
        "denied by inline policy decrypt",
    ),
    "allowed, with a conditional deny": (
        lambda d: [
            _kms_only()(d),
            {
                "Effect": "Deny",
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
        "warning",
        "a Deny in inline policy decrypt",
    ),
}


@pytest.mark.parametrize(
    ("statements", "status", "says"), DECRYPT_POLICIES.values(), ids=list(DECRYPT_POLICIES)
)
def test_role_decrypt_read_statically(
    doctor: Callable[..., Run],
    statements: Callable[[Deployment], Any],
    status: str,
    says: str,
) -> None:
    deployment = deploy()
    boto3.client("iam").put_role_policy(
        RoleName=ROLE,
        PolicyName="decrypt",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements(deployment)}),
    )

    run = doctor(deployment.pool_id)

    assert run.findings["role-decrypt"]["status"] == status
    assert says in run.detail("role-decrypt")
    assert run.status == (1 if status == "blocking" else 0)
    assert run.statuses() == {**healthy_statuses(), "role-decrypt": status}


def test_an_attached_managed_policy_counts(doctor: Callable[..., Run]) -> None:
    deployment = deploy()
    iam = boto3.client("iam")
    iam.delete_role_policy(RoleName=ROLE, PolicyName="decrypt")
    policy_arn = iam.create_policy(
        PolicyName="kms-everything",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}],
            }
        ),
    )["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=ROLE, PolicyArn=policy_arn)

    run = doctor(deployment.pool_id)

    assert run.findings["role-decrypt"]["status"] == "ok"
    assert f"allowed by policy {policy_arn}" in run.detail("role-decrypt")
    iam.detach_role_policy(RoleName=ROLE, PolicyArn=policy_arn)

    assert doctor(deployment.pool_id).findings["role-decrypt"]["status"] == "blocking"


def test_role_send_needs_the_configuration_set_too(doctor: Callable[..., Run]) -> None:
    deployment = deploy()
    put_policy(
        "send-email",
        {
            "Effect": "Allow",
            "Action": "ses:SendEmail",
            "Resource": f"arn:aws:ses:{localaws.REGION}:{ACCOUNT}:identity/no-reply@{DOMAIN}",
        },
    )

    run = doctor(deployment.pool_id)

    assert run.findings["role-send"]["status"] == "blocking"
    assert "configuration-set/transactional" in run.detail("role-send")
    assert f"configuration-set/{CONFIGURATION_SET}" in run.fix("role-send")


def test_role_send_under_an_ses_condition_is_a_warning(doctor: Callable[..., Run]) -> None:
    deployment = deploy()
    put_policy(
        "send-email",
        {
            "Effect": "Allow",
            "Action": "ses:*",
            "Resource": "*",
            "Condition": {"StringEquals": {"ses:FromAddress": f"no-reply@{DOMAIN}"}},
        },
    )

    run = doctor(deployment.pool_id)

    assert run.findings["role-send"]["status"] == "warning"
    assert "ses:FromAddress" in run.detail("role-send")
    assert run.status == 0


def simulator(
    decisions: dict[str, str], seen: list[dict[str, Any]]
) -> Callable[..., tuple[Any, dict[str, Any]]]:
    """A ``before-call`` handler standing in for IAM's policy simulator (moto has none)."""

    def handler(params: dict[str, Any], **_kwargs: Any) -> tuple[Any, dict[str, Any]]:
        body = params["body"]
        seen.append(body)
        action = body["ActionNames.member.1"]
        result = {"EvalActionName": action, "EvalDecision": decisions[action]}
        return SimpleNamespace(status_code=200), {"EvaluationResults": [result]}

    return handler


def test_the_policy_simulator_is_used_when_available(doctor: Callable[..., Run]) -> None:
    deployment = deploy()
    seen: list[dict[str, Any]] = []
    hook = simulator({"kms:Decrypt": "implicitDeny", "ses:SendEmail": "allowed"}, seen)

    run = doctor(deployment.pool_id, ("before-call.iam.SimulatePrincipalPolicy", hook))

    # The role's policies allow both; the simulator's answer is what counts.
    assert run.findings["role-decrypt"]["status"] == "blocking"
    assert "IAM policy simulation" in run.detail("role-decrypt")
    assert "read statically" not in run.detail("role-decrypt")
    assert run.findings["role-send"]["status"] == "ok"
    assert "IAM policy simulation" in run.detail("role-send")
    decrypt = next(b for b in seen if b["ActionNames.member.1"] == "kms:Decrypt")
    assert decrypt["PolicySourceArn"] == f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"
    assert decrypt["ResourceArns.member.1"] == deployment.key_arn
    assert decrypt["ContextEntries.member.1.ContextKeyName"] == (
        "kms:EncryptionContext:userpool-id"
    )
    assert decrypt["ContextEntries.member.1.ContextKeyValues.member.1"] == deployment.pool_id
    sent_on = {
        b["ResourceArns.member.1"] for b in seen if b["ActionNames.member.1"] != "kms:Decrypt"
    }
    ses = f"arn:aws:ses:{localaws.REGION}:{ACCOUNT}"
    assert f"{ses}:configuration-set/{CONFIGURATION_SET}" in sent_on
    assert f"{ses}:identity/{DOMAIN}" in sent_on


def test_an_address_identity_without_its_domain_sends_but_warns_on_dkim(
    doctor: Callable[..., Run],
) -> None:
    deployment = deploy(identity=False)
    boto3.client("sesv2").create_email_identity(EmailIdentity=f"no-reply@{DOMAIN}")

    run = doctor(deployment.pool_id)

    assert run.findings["ses-identity"]["status"] == "ok"
    assert f"SES identity no-reply@{DOMAIN} is verified" in run.detail("ses-identity")
    assert run.findings["dkim"]["status"] == "warning"
    assert not run.detail("dkim").startswith("could not check")
    assert f"{DOMAIN} is not an SES identity" in run.detail("dkim")


DOCUMENT = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]}


@pytest.mark.parametrize(
    "raw",
    [
        DOCUMENT,
        json.dumps(DOCUMENT),
        "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow"
        "%22%2C%22Action%22%3A%22s3%3A%2A%22%7D%5D%7D",
        repr(DOCUMENT),
    ],
    ids=["dict", "json", "url-encoded json", "python repr (moto, CloudFormation roles)"],
)
def test_policy_documents_in_every_form_iam_returns(raw: object) -> None:
    assert policy_document(raw) == DOCUMENT


def test_an_unreadable_policy_document_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="not a policy document: 'nonsense"):
        policy_document("nonsense{")


def test_not_action_and_not_resource() -> None:
    statements = [
        ("p", {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
        ("q", {"Effect": "Deny", "Action": "kms:Decrypt", "NotResource": "arn:aws:kms:*:*:key/a"}),
    ]

    assert evaluate(statements, "kms:Decrypt", "arn:aws:kms:r:1:key/a", {}).decision == "allowed"
    assert evaluate(statements, "kms:Decrypt", "arn:aws:kms:r:1:key/b", {}).decision == "denied"
    assert evaluate(statements, "iam:GetRole", "*", {}).decision == "not allowed"


def test_the_region_comes_from_the_pool_id() -> None:
    assert pool_region("eu-west-1_AbCdEf123") == "eu-west-1"
    assert pool_region("us-gov-west-1_AbC") == "us-gov-west-1"
    assert pool_region("AbCdEf123") is None
    assert pool_region("nowhere_AbC") is None
