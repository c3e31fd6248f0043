"""Re-invoke the sender with the events kept in its failed-event queue (Lambda's on-failure
destination), deleting each message once the new asynchronous invocation is accepted."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The verb's options."""
    parser.add_argument("--queue-url", required=True, help="the stack's FailedEventsQueueUrl")
    parser.add_argument("--function-arn", required=True, help="the sender function's ARN")
    parser.add_argument(
        "--max", type=int, default=100, help="replay at most this many events (default 100)"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="list the events without invoking or deleting"
    )
    parser.add_argument("--region", help="AWS region (default: the usual boto3 resolution)")


def original_event(body: str) -> dict[str, Any] | None:
    """The Cognito event inside an on-failure destination record, or ``None``."""
    try:
        record = json.loads(body)
    except ValueError:
        return None
    payload = record.get("requestPayload") if isinstance(record, dict) else None
    return payload if isinstance(payload, dict) and "triggerSource" in payload else None


def run(args: argparse.Namespace) -> int:
    """Replay with clients from the usual boto3 configuration."""
    import boto3

    session = boto3.session.Session(region_name=args.region)
    replayed, skipped = replay(
        session.client("sqs"),
        session.client("lambda"),
        queue_url=args.queue_url,
        function_arn=args.function_arn,
        limit=args.max,
        dry_run=args.dry_run,
    )
    print(f"{replayed} event(s) {'listed' if args.dry_run else 'replayed'}, {skipped} skipped")
    return 0


def replay(
    sqs: Any,
    lambda_client: Any,
    *,
    queue_url: str,
    function_arn: str,
    limit: int,
    dry_run: bool = False,
) -> tuple[int, int]:
    """Receive, invoke asynchronously, delete; at most ``limit`` messages. Messages that are
    not replayed (dry run, not a failure record) are made visible again at the end."""
    replayed = skipped = 0
    seen: set[str] = set()
    release: list[str] = []
    while replayed + skipped < limit:
        messages = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=min(10, limit - replayed - skipped),
            VisibilityTimeout=300,
            WaitTimeSeconds=0,
        ).get("Messages", [])
        fresh = [m for m in messages if m["MessageId"] not in seen]
        if not fresh:
            break
        for message in fresh:
            seen.add(message["MessageId"])
            event = original_event(message["Body"])
            if event is None:
                skipped += 1
                release.append(message["ReceiptHandle"])
                print(
                    f"skipped {message['MessageId']}: not a Lambda failure record", file=sys.stderr
                )
                continue
            print(
                f"{'would replay' if dry_run else 'replay'} {message['MessageId']}: "
                f"{event['triggerSource']} for pool {event.get('userPoolId')}"
            )
            replayed += 1
            if dry_run:
                release.append(message["ReceiptHandle"])
                continue
            lambda_client.invoke(
                FunctionName=function_arn,
                InvocationType="Event",
                Payload=json.dumps(event).encode("utf-8"),
            )
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    for handle in release:
        sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=handle, VisibilityTimeout=0)
    return replayed, skipped
