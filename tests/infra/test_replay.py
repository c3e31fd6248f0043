"""replay: the Cognito events kept by the on-failure destination go back to the function."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from sendertools.commands.replay import original_event, replay

FUNCTION = "arn:aws:lambda:eu-west-1:123456789012:function:sender"


def failure_record(trigger: str, n: int) -> str:
    """What Lambda's on-failure destination puts on the queue."""
    return json.dumps(
        {
            "version": "1.0",
            "timestamp": "2026-11-27T10:00:00.000Z",
            "requestContext": {
                "requestId": f"req-{n}",
                "functionArn": f"{FUNCTION}:$LATEST",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": 3,
            },
            "requestPayload": {
                "version": "1",
                "triggerSource": trigger,
                "userPoolId": "eu-west-1_EXAMPLE",
                "userName": f"user-{n}",
                "request": {"type": "customEmailSenderRequestV1", "code": "AYADeJ..."},
            },
            "responseContext": {"statusCode": 200, "functionError": "Unhandled"},
            "responsePayload": {"errorMessage": "SES throttled", "errorType": "SesError"},
        }
    )


class RecordingLambda:
    def __init__(self) -> None:
        self.invocations: list[dict[str, Any]] = []

    def invoke(self, **kwargs: Any) -> dict[str, Any]:
        self.invocations.append(kwargs)
        return {"StatusCode": 202}


@pytest.fixture
def queue() -> Iterator[tuple[Any, str]]:
    with mock_aws():
        sqs = boto3.client("sqs")
        url = sqs.create_queue(QueueName="failed-events")["QueueUrl"]
        yield sqs, url


def visible(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def test_every_failed_event_is_invoked_again_and_removed(queue: tuple[Any, str]) -> None:
    sqs, url = queue
    for n in range(13):
        sqs.send_message(QueueUrl=url, MessageBody=failure_record("CustomEmailSender_SignUp", n))
    fake = RecordingLambda()

    assert replay(sqs, fake, queue_url=url, function_arn=FUNCTION, limit=100) == (13, 0)

    assert len(fake.invocations) == 13
    assert {c["InvocationType"] for c in fake.invocations} == {"Event"}
    assert {c["FunctionName"] for c in fake.invocations} == {FUNCTION}
    users = {json.loads(c["Payload"])["userName"] for c in fake.invocations}
    assert users == {f"user-{n}" for n in range(13)}
    assert visible(sqs, url) == 0


def test_dry_run_and_foreign_messages_stay_on_the_queue(queue: tuple[Any, str]) -> None:
    sqs, url = queue
    sqs.send_message(QueueUrl=url, MessageBody=failure_record("CustomEmailSender_SignUp", 1))
    sqs.send_message(QueueUrl=url, MessageBody="not json")
    fake = RecordingLambda()

    assert replay(sqs, fake, queue_url=url, function_arn=FUNCTION, limit=10, dry_run=True) == (
        1,
        1,
    )

    assert fake.invocations == []
    assert visible(sqs, url) == 2


def test_the_limit_bounds_a_run(queue: tuple[Any, str]) -> None:
    sqs, url = queue
    for n in range(5):
        sqs.send_message(QueueUrl=url, MessageBody=failure_record("CustomEmailSender_SignUp", n))
    fake = RecordingLambda()

    assert replay(sqs, fake, queue_url=url, function_arn=FUNCTION, limit=3) == (3, 0)
    assert len(fake.invocations) == 3
    assert visible(sqs, url) == 2


def test_only_records_carrying_a_cognito_event_are_replayed() -> None:
    assert original_event(failure_record("CustomEmailSender_ForgotPassword", 1)) is not None
    assert original_event(json.dumps({"requestPayload": {"no": "trigger"}})) is None
    assert original_event("[]") is None
