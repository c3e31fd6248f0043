"""Hypothesis over the whole handler: whatever the event holds, it either sends exactly one
well-formed email or raises one of the documented SenderError classes; nothing else, and never
a secret in the output.

Bounded and reproducible: a fixed, database-less, derandomized profile keeps the run well
under two minutes in CI and the same on every machine.
"""

from __future__ import annotations

import base64
import copy
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as note_outcome
from hypothesis import strategies as st

from sender import handler
from sender.errors import (
    ConfigError,
    DecryptError,
    EventError,
    RecipientError,
    RenderError,
    SenderError,
    SendError,
)
from sender.event import Trigger
from sendertools.cognito import LambdaContext
from tests.conftest import LocalAws, parse_mime, parts, shown

DOCUMENTED = (EventError, DecryptError, RecipientError, RenderError, SendError, ConfigError)
CODE = "861204"
PASSWORD = "Xy7<&>pQ"

PROFILE = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# --- what the fuzzing draws from -------------------------------------------------------------

JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
RTL = st.sampled_from(["مرحبا بك", "שלום עולם", "\u202eevil\u202c", "\u200f\u200e", "ادا لوفليس"])
EMOJI = st.sampled_from(["👩🏽‍💻", "🏳️‍🌈", "🔥" * 50, "👍🏿👍🏻", "\U0001f600"])
CONTROL = st.text(st.characters(categories=["Cc", "Cf", "Zl", "Zp"]), min_size=1, max_size=8)
CRLF = st.sampled_from(["\r\n", "\n", "\r", "\r\nBcc: victim@evil.example\r\n", "\x00", "\x1b[31m"])
HUGE = st.sampled_from(["A" * 10_000, "é" * 10_000, "😀" * 10_000, "a\r\n" * 3_000])
WILD = st.text(max_size=60) | st.text(st.characters(codec="utf-8"), max_size=60)
ATTRIBUTE_TEXT = st.lists(
    st.one_of(WILD, RTL, EMOJI, CONTROL, CRLF, HUGE, st.just("<b>&amp;</b>")), max_size=4
).map("".join)
ATTRIBUTE_NAMES = st.sampled_from(
    [
        "name",
        "given_name",
        "family_name",
        "locale",
        "IP_ADDRESS",
        "CITY",
        "COUNTRY",
        "DEVICE_NAME",
        "LOGIN_TIME",
        "ACCOUNT_TAKE_OVER_ACTION",
        "ONE_CLICK_LINK_VALID",
        "ONE_CLICK_LINK_INVALID",
    ]
)
TRIGGERS = st.sampled_from(list(Trigger))


# --- the shared property ---------------------------------------------------------------------


class Invoker:
    """Invoke the handler and check the property; remembers how many messages SES holds."""

    def __init__(
        self,
        aws: LocalAws,
        capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture,
        codes: dict[Trigger, str],
    ) -> None:
        self.aws = aws
        self.capsys = capsys
        self.caplog = caplog
        self.codes = codes
        self.seen = len(aws.sent_source())

    def make_event(self, trigger: Trigger, attributes: dict[str, Any]) -> dict[str, Any]:
        base = self.aws.event(trigger, None, attributes=attributes)
        if trigger is not Trigger.ACCOUNT_TAKE_OVER:
            base["request"]["code"] = self.codes[trigger]
        return base

    def check(self, event: Any) -> bytes | None:
        """Run once; the raw message if one was sent, ``None`` if a SenderError was raised."""
        self.capsys.readouterr()
        self.caplog.clear()
        error: BaseException | None = None
        try:
            handler.lambda_handler(event, LambdaContext())
        except Exception as err:
            error = err
        out = self.capsys.readouterr()
        raw_sent = self.aws.sent_source()[self.seen :]
        self.seen += len(raw_sent)
        captured = "\n".join([out.out, out.err, self.caplog.text, *_texts(error)])
        for secret in (CODE, PASSWORD):
            assert secret not in captured, "a secret leaked"
        lines = [json.loads(x) for x in out.out.splitlines() if x.startswith("{")]
        errors = [x for x in lines if x.get("level") == "ERROR"]
        if error is not None:
            assert isinstance(error, DOCUMENTED), f"undocumented {type(error).__name__}: {error}"
            assert raw_sent == [], "a failed invocation sent something"
            assert [x["reason"] for x in errors] == [error.reason]
            assert re.fullmatch(r"[a-z0-9_]+", error.reason)
            note_outcome(f"refused: {error.reason}")
            return None
        assert errors == []
        assert len(raw_sent) == 1, f"{len(raw_sent)} messages for one invocation"
        note_outcome("sent")
        raw = raw_sent[0]
        return raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)


def _texts(err: BaseException | None) -> list[str]:
    out: list[str] = []
    while err is not None and len(out) < 30:
        out += [str(err), repr(err)]
        err = err.__cause__ or err.__context__
    return out


def assert_well_formed(raw: bytes, *, recipient: str, secret: str | None) -> None:
    """7-bit, lines of at most 998 octets, multipart/alternative with both parts."""
    assert max(raw) < 128, "the message is not 7-bit clean"
    for line in raw.split(b"\r\n"):
        assert len(line) <= 998, f"a line of {len(line)} octets"
        assert b"\r" not in line and b"\n" not in line, "a bare CR or LF"
    msg = parse_mime(raw)
    assert msg.get_content_type() == "multipart/alternative"
    # One To, the user's address (with their name when they have one).
    assert len(msg.get_all("To") or []) == 1
    assert [a.addr_spec for a in msg["To"].addresses] == [recipient]
    assert msg.get_all("Bcc") is None and msg.get_all("Cc") is None
    for header in ("From", "Subject", "Date", "Message-ID"):
        assert len(msg.get_all(header) or []) == 1, f"{header} must appear once"
    text, html = parts(msg)
    if secret is not None:
        assert secret in text
        # Escaped once for HTML: the reader sees the secret, whole even when shown in groups.
        assert secret in shown(html)


@pytest.fixture
def invoker(
    local_aws: LocalAws, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> Iterator[Invoker]:
    # Encrypting is the slow part: one realistic ciphertext per trigger, made once.
    codes = {
        t: local_aws.encrypt(PASSWORD if t is Trigger.ADMIN_CREATE_USER else CODE)
        for t in Trigger
        if t is not Trigger.ACCOUNT_TAKE_OVER
    }
    with caplog.at_level(logging.INFO):
        yield Invoker(local_aws, capsys, caplog, codes)


def _secret(trigger: Trigger) -> str | None:
    if trigger is Trigger.ACCOUNT_TAKE_OVER:
        return None
    return PASSWORD if trigger is Trigger.ADMIN_CREATE_USER else CODE


# --- the properties ---------------------------------------------------------------------------


@PROFILE
@given(trigger=TRIGGERS, values=st.dictionaries(ATTRIBUTE_NAMES, ATTRIBUTE_TEXT, max_size=6))
def test_any_attribute_values_send_one_clean_email_or_fail_documented(
    invoker: Invoker, trigger: Trigger, values: dict[str, str]
) -> None:
    attributes = {"email": "ada@example.com", **values}
    raw = invoker.check(invoker.make_event(trigger, attributes))
    if raw is not None:
        assert_well_formed(raw, recipient="ada@example.com", secret=_secret(trigger))


@PROFILE
@given(
    trigger=TRIGGERS,
    metadata=st.dictionaries(
        st.sampled_from(["locale", "email", "to", "link", "html", "subject"])
        | st.text(max_size=10),
        ATTRIBUTE_TEXT,
        max_size=6,
    ),
)
def test_any_client_metadata_cannot_redirect_or_break_the_email(
    invoker: Invoker, trigger: Trigger, metadata: dict[str, str]
) -> None:
    event = invoker.make_event(trigger, {"email": "ada@example.com", "name": "Ada"})
    event["request"]["clientMetadata"] = metadata
    raw = invoker.check(event)
    assert raw is not None, "client metadata alone must never stop an email"
    assert_well_formed(raw, recipient="ada@example.com", secret=_secret(trigger))


PATHS = [
    (),
    ("triggerSource",),
    ("userPoolId",),
    ("userName",),
    ("region",),
    ("callerContext",),
    ("callerContext", "clientId"),
    ("request",),
    ("request", "code"),
    ("request", "type"),
    ("request", "userAttributes"),
    ("request", "userAttributes", "email"),
    ("request", "clientMetadata"),
]


def _mutate(event: dict[str, Any], path: tuple[str, ...], action: str, value: Any) -> Any:
    if not path:
        return value
    if not isinstance(event, dict):
        return event
    target = event
    for key in path[:-1]:
        if not isinstance(target, dict) or not isinstance(target.get(key), dict):
            return event
        target = target[key]
    if action == "delete":
        target.pop(path[-1], None)
    else:
        target[path[-1]] = value
    return event


@PROFILE
@given(
    trigger=TRIGGERS,
    mutations=st.lists(
        st.tuples(st.sampled_from(PATHS), st.sampled_from(["delete", "set"]), JSON_VALUES),
        min_size=1,
        max_size=4,
    ),
)
def test_any_malformed_event_is_refused_or_sent_never_crashes(
    invoker: Invoker, trigger: Trigger, mutations: list[tuple[tuple[str, ...], str, Any]]
) -> None:
    event: Any = invoker.make_event(trigger, {"email": "ada@example.com"})
    for path, action, value in mutations:
        event = _mutate(copy.deepcopy(event), path, action, value)
    raw = invoker.check(event)
    if raw is not None:
        assert_well_formed(raw, recipient="ada@example.com", secret=None)


@PROFILE
@given(
    trigger=TRIGGERS,
    size=st.sampled_from([1_000, 5_000]),
    where=st.sampled_from(["userAttributes", "clientMetadata"]),
    value=st.sampled_from(["x", "é" * 100, "<b>" * 10, None]),
)
def test_huge_maps_are_handled(
    invoker: Invoker, trigger: Trigger, size: int, where: str, value: str | None
) -> None:
    event = invoker.make_event(trigger, {"email": "ada@example.com"})
    extra = {f"custom:k{i}": value for i in range(size)}
    current = event["request"].get(where) or {}
    event["request"][where] = {**extra, **current}
    raw = invoker.check(event)
    if raw is not None:
        assert_well_formed(raw, recipient="ada@example.com", secret=_secret(trigger))


@PROFILE
@given(blob=st.binary(max_size=600) | st.text(max_size=200))
def test_any_code_bytes_are_refused_as_documented(invoker: Invoker, blob: bytes | str) -> None:
    event = invoker.make_event(Trigger.SIGN_UP, {"email": "ada@example.com"})
    code = blob if isinstance(blob, str) else base64.b64encode(blob).decode()
    event["request"]["code"] = code
    assert invoker.check(event) is None, "a code that is not Cognito's must not be sent"


def test_documented_classes_are_the_whole_hierarchy() -> None:
    # If a stage grows a new error class, the fuzzing's allow-list must grow with it.
    assert set(SenderError.__subclasses__()) == set(DOCUMENTED)
