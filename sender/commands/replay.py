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
    """Receive, invoke asynchronously, delete; bounded by ``--max``."""
    import boto3

    session = boto3.session.Session(region_name=args.region)
    sqs = session.client("sqs")
    lambda_client = session.client("lambda")
    replayed = skipped = 0
    seen: set[str] = set()
    while replayed + skipped < args.max:
        batch = min(10, args.max - replayed - skipped)
        messages = sqs.receive_message(
            QueueUrl=args.queue_url,
            MaxNumberOfMessages=batch,
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
                print(
                    f"skipped {message['MessageId']}: not a Lambda failure record", file=sys.stderr
                )
                continue
            print(
                f"{'would replay' if args.dry_run else 'replay'} {message['MessageId']}: "
                f"{event['triggerSource']} for pool {event.get('userPoolId')}"
            )
            if args.dry_run:
                sqs.change_message_visibility(
                    QueueUrl=args.queue_url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=0,
                )
                replayed += 1
                continue
            lambda_client.invoke(
                FunctionName=args.function_arn,
                InvocationType="Event",
                Payload=json.dumps(event).encode("utf-8"),
            )
            sqs.delete_message(QueueUrl=args.queue_url, ReceiptHandle=message["ReceiptHandle"])
            replayed += 1
    print(f"{replayed} event(s) {'listed' if args.dry_run else 'replayed'}, {skipped} skipped")
    return 0
