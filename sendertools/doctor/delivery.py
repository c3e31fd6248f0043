"""The checks of what happens to an event the function fails on: it is retried, then kept in a
failure queue, and no failed event is waiting there unsent."""

from __future__ import annotations

import json
import shlex
from typing import TYPE_CHECKING

from sendertools.awscall import call
from sendertools.doctor.checks import check
from sendertools.doctor.finding import Skip, Verdict, ok, warning
from sendertools.doctor.fixes import replay_command
from sendertools.doctor.names import arn_part

if TYPE_CHECKING:
    from sendertools.doctor.deployment import Deployment


@check("async-failure-handling", "aws lambda get-function-event-invoke-config")
def check_async_failure_handling(d: Deployment) -> Verdict:
    arn = d.sender_arn()
    config = d.invoke_config()
    destination = d.failure_destination()
    queue = "arn:aws:sqs:REGION:ACCOUNT:QUEUE" if destination is None else destination
    fix = shlex.join(
        [
            "aws", "lambda", "put-function-event-invoke-config",
            "--function-name", arn,
            "--maximum-retry-attempts", "2",
            "--destination-config",
            json.dumps({"OnFailure": {"Destination": queue}}, separators=(",", ":")),
        ]
    )  # fmt: skip
    retries = 2 if config is None else config.get("MaximumRetryAttempts", 2)
    problems = []
    if retries == 0:
        problems.append(
            "MaximumRetryAttempts is 0: one throttle or transient SES/KMS error loses the email"
        )
    if destination is None:
        problems.append(
            "no on-failure destination (nor dead-letter queue): an event that still fails "
            "after its retries is dropped, with nothing to replay"
        )
    if problems:
        return warning("; ".join(problems), fix)
    age = (config or {}).get("MaximumEventAgeInSeconds", 21600)
    return ok(f"{retries} retries within {age} s, then to {destination}")


@check("failure-queue", "aws sqs get-queue-attributes")
def check_failure_queue(d: Deployment) -> Verdict:
    destination = d.failure_destination()
    if destination is None:
        raise Skip("the function has no on-failure destination", "async-failure-handling")
    if arn_part(destination, 2) != "sqs":
        raise Skip(
            f"the on-failure destination {destination} is not an SQS queue",
            "async-failure-handling",
        )
    sqs = d.aws.client("sqs", arn_part(destination, 3) or d.region)
    name, account = arn_part(destination, 5), arn_part(destination, 4)
    url = call(
        sqs,
        "get_queue_url",
        f"queue {destination}",
        QueueName=name,
        QueueOwnerAWSAccountId=account,
    )["QueueUrl"]
    attributes = call(
        sqs,
        "get_queue_attributes",
        f"queue {url}",
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    ).get("Attributes", {})
    waiting = int(attributes.get("ApproximateNumberOfMessages", 0))
    in_flight = int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0))
    if waiting + in_flight == 0:
        return ok(f"no failed events wait in {url}")
    return warning(
        f"{waiting + in_flight} failed event(s) wait in {url} ({in_flight} being received): "
        "those emails were never sent",
        "fix their cause (recent-failures, the 'email not sent' log lines), then: "
        + replay_command(url, d.sender_arn()),
    )
