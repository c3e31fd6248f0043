"""Send one email end to end on a local AWS: moto_server, KMS, Cognito-style encryption, the
real handler, SES; the captured message is written to the outbox folder."""

from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path

from sender.event import Trigger
from sendertools.cognito import CLIENT_ID
from sendertools.commands import add_templates_option, failed
from sendertools.outbox import DEFAULT_OUTBOX


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The verb's options."""
    parser.add_argument(
        "--trigger",
        required=True,
        help="trigger source, full (CustomEmailSender_SignUp) or short (SignUp)",
    )
    parser.add_argument("--email", required=True, help="the recipient's email attribute")
    parser.add_argument("--locale", help="the user's 'locale' attribute, e.g. de or de-DE")
    parser.add_argument("--name", default="Ada Lovelace", help="the user's 'name' attribute")
    parser.add_argument("--code", help="the plaintext code (default: random 6 digits)")
    parser.add_argument(
        "--client-id",
        default=CLIENT_ID,
        help="the app client the event comes from; it chooses the brand ([brand_by_client])",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUTBOX, help=f"outbox folder (default {DEFAULT_OUTBOX})"
    )
    add_templates_option(parser)


def parse_trigger(value: str) -> Trigger:
    """A trigger from its full or short name; ``ValueError`` lists the valid ones."""
    for trigger in Trigger:
        if value in (trigger.value, trigger.short):
            return trigger
    raise ValueError(f"unknown trigger {value!r}; use one of {', '.join(t.short for t in Trigger)}")


def run(args: argparse.Namespace) -> int:
    """Start moto_server, provision, encrypt, invoke, capture."""
    try:
        trigger = parse_trigger(args.trigger)
    except ValueError as err:
        print(f"cognito-sender simulate: {err}", file=sys.stderr)
        return 2
    from sender.errors import SenderError
    from sendertools import localaws
    from sendertools.localsend import LocalPipeline
    from sendertools.outbox import Outbox

    code = args.code or (
        f"Tmp{secrets.token_hex(3)}&<1"
        if trigger is Trigger.ADMIN_CREATE_USER
        else f"{secrets.randbelow(10**6):06d}"
    )
    attributes: dict[str, str | None] = {"email": args.email, "name": args.name}
    if args.locale:
        attributes["locale"] = args.locale
    if trigger is Trigger.ACCOUNT_TAKE_OVER:
        attributes.update(SAMPLE_ATO)
    with localaws.moto_server() as server:
        try:
            pipeline = LocalPipeline(server, templates_dir=args.templates)
            sent = pipeline.send(
                trigger, code=code, user_attributes=attributes, client_id=args.client_id
            )
        except SenderError as err:
            return failed("simulate", f"not sent ({err.reason}): {err}")
    outbox = Outbox(args.out)
    paths = [outbox.save(raw, label=trigger.short).eml for raw in sent]
    for path in paths:
        print(f"wrote {path} and {path.with_suffix('.html')}")
    print(f"outbox: {args.out.resolve()}")
    return 0 if paths else 1


SAMPLE_ATO = {
    "EVENT_ID": "a6e5c3f4-0000-4000-8000-000000000000",
    "USER_NAME": "ada",
    "IP_ADDRESS": "203.0.113.7",
    "ACCOUNT_TAKE_OVER_ACTION": "BLOCK",
    "ONE_CLICK_LINK_VALID": "https://example.auth.eu-west-1.amazoncognito.com/feedback?valid=true",
    "ONE_CLICK_LINK_INVALID": "https://example.auth.eu-west-1.amazoncognito.com/feedback?valid=false",
    "LOGIN_TIME": "Friday, March 19, 2021 02:25 PM UTC",
    "FEEDBACK_TOKEN": "token",
    "CITY": "Lisbon",
    "COUNTRY": "Portugal",
    "DEVICE_NAME": "Firefox 120, Linux",
}
