"""Load run: many invocations of the real handler in one process against a real moto_server.

    .venv/bin/python bench/load.py --count 10000

Codes are encrypted exactly as Cognito does (a pool per trigger source, made before the clock
starts); every invocation has its own recipient address, the marker that accounts for its
email. The run reports:

- accounting: every invocation's email captured by moto_server exactly once, with its code and
  the expected language (read back through ``/moto-api/data.json`` at the end);
- memory: resident set growth from the end of the warm-up to the end (budget: under 5 MB);
- latency: handler p50/p99 and the share of it spent outside AWS calls, the AWS calls being
  timed with botocore's own event hooks on every client the handler uses.

Exit status 1 when an email is missing or duplicated, or memory grows past the budget.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import statistics
import sys
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from sender import handler
from sender.app import build_app
from sender.config import Config
from sender.event import Trigger
from sendertools import localaws

MEMORY_BUDGET_MB = 5.0
# (how the locale is given, the value, the catalog the email must be in)
LOCALES = [
    ("attribute", "en", "en"),
    ("attribute", "de", "de"),
    ("attribute", "de-DE", "de"),
    ("metadata", "de", "de"),
    ("metadata", "tlh", "en"),  # no catalog: falls back to the default
    (None, None, "en"),
]


@dataclass
class AwsClock:
    """Time spent inside botocore calls, measured with the clients' own event hooks."""

    total: float = 0.0
    calls: Counter[str] = field(default_factory=Counter)
    _started: float = 0.0

    def attach(self, client: Any) -> None:
        events = client.meta.events
        events.register("before-parameter-build", self._start)
        events.register("after-call", self._stop)
        events.register("after-call-error", self._stop)

    def _start(self, **_kwargs: Any) -> None:
        self._started = time.perf_counter()

    def _stop(self, event_name: str = "", **_kwargs: Any) -> None:
        self.total += time.perf_counter() - self._started
        self.calls[".".join(event_name.split(".")[1:])] += 1


class LineCounter(io.TextIOBase):
    """Stands in for stdout: counts the handler's log lines without keeping them."""

    def __init__(self) -> None:
        self.sent = 0
        self.failed = 0
        self.failures: Counter[str] = Counter()

    def write(self, text: str) -> int:
        if '"message":"email sent"' in text:
            self.sent += 1
        elif '"message":"email not sent"' in text:
            self.failed += 1
            self.failures[json.loads(text).get("reason", "?")] += 1
        return len(text)


def rss_mb() -> float:
    """The resident set size of this process, in MB (Linux)."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def code_for(trigger: Trigger, n: int) -> str:
    """A realistic plaintext: six digits, or a temporary password with characters to escape."""
    if trigger is Trigger.ADMIN_CREATE_USER:
        return f"Tmp{n:04d}&<Pw>!"
    return f"{(n * 7919 + 104729) % 10**6:06d}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="invocations (default 10000)")
    parser.add_argument("--pool", type=int, default=24, help="encrypted codes per trigger")
    parser.add_argument("--warmup", type=int, default=500, help="invocations before measuring")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    warmup = min(args.warmup, max(args.count // 5, 1))

    with localaws.moto_server() as server:
        stack = localaws.provision(session=server.session())
        config = Config.from_env({"KMS_KEY_ARN": stack.key_arn, "EMAIL_FROM": stack.email_from})
        cognito = stack.pool(server.session())

        print(f"moto_server on {server.endpoint}; encrypting codes...", file=sys.stderr)
        coded = [t for t in Trigger if t is not Trigger.ACCOUNT_TAKE_OVER]
        pool = {
            trigger: [
                (plain, cognito.seal(trigger, plain))
                for plain in (code_for(trigger, n) for n in range(args.pool))
            ]
            for trigger in coded
        }

        triggers = list(Trigger)
        plan: list[tuple[dict[str, Any], str, str | None, str]] = []
        for i in range(args.count):
            trigger = triggers[i % len(triggers)]
            where, value, expected_locale = LOCALES[(i // len(triggers)) % len(LOCALES)]
            recipient = f"load-{i:06d}@example.com"
            attributes: dict[str, str | None] = {"email": recipient, "name": f"User {i}"}
            metadata = {"locale": value} if where == "metadata" and value else None
            if where == "attribute" and value:
                attributes["locale"] = value
            plain: str | None = None
            sealed: str | None = None
            if trigger is Trigger.ACCOUNT_TAKE_OVER:
                attributes.update(
                    {
                        "IP_ADDRESS": "203.0.113.9",
                        "ACCOUNT_TAKE_OVER_ACTION": "BLOCK",
                        "LOGIN_TIME": "Friday, March 19, 2021 02:25 PM UTC",
                        "ONE_CLICK_LINK_VALID": "https://example.com/valid",
                        "ONE_CLICK_LINK_INVALID": "https://example.com/invalid",
                        "CITY": None,
                        "DEVICE_NAME": "Firefox 120, Linux",
                    }
                )
            else:
                plain, sealed = pool[trigger][i % args.pool]
            event = cognito.event(
                trigger, plain, attributes=attributes, metadata=metadata, sealed=sealed
            )
            plan.append((event, recipient, plain, expected_locale))

        app = build_app(config, session=server.session())
        clock = AwsClock()
        clock.attach(app.ses._client)
        clock.attach(app.recipients.client())
        for kms in app.decryptor.kms_clients():
            clock.attach(kms)
        sink = LineCounter()
        latencies: list[float] = []
        aws_times: list[float] = []
        real_stdout = sys.stdout
        rss_start = rss_after_warmup = 0.0
        print(f"invoking the handler {args.count} times...", file=sys.stderr)
        started = time.perf_counter()
        for i, (event, _recipient, _plain, _locale) in enumerate(plan):
            if i == warmup:
                gc.collect()
                rss_after_warmup = rss_mb()
            if i == 0:
                rss_start = rss_mb()
            aws_before = clock.total
            sys.stdout = sink
            t0 = time.perf_counter()
            try:
                handler.handle(app, event)
            except Exception as err:  # counted by the sink; the run goes on
                sys.stdout = real_stdout
                print(f"invocation {i}: {type(err).__name__}: {err}", file=sys.stderr)
            finally:
                elapsed = time.perf_counter() - t0
                sys.stdout = real_stdout
            if i >= 1:  # the first one compiles templates: a cold start, measured elsewhere
                latencies.append(elapsed)
                aws_times.append(clock.total - aws_before)
            if (i + 1) % 1000 == 0:
                done = time.perf_counter() - started
                print(f"  {i + 1} invocations, {done:.0f} s", file=sys.stderr)
        wall = time.perf_counter() - started
        gc.collect()
        rss_end = rss_mb()

        print("reading every captured email back from moto_server...", file=sys.stderr)
        with urllib.request.urlopen(f"{server.endpoint}/moto-api/data.json", timeout=600) as resp:
            data = json.load(resp)
        raw_messages = [m["raw_data"] for m in data["ses"].get("RawMessage", [])]

    by_recipient: Counter[str] = Counter()
    wrong: list[str] = []
    expected = {recipient: (plain, loc) for _e, recipient, plain, loc in plan}
    for raw in raw_messages:
        msg = message_from_bytes(raw.encode("utf-8"), policy=policy.default)
        # The address only: To also carries the user's name when they have one.
        to = ", ".join(a.addr_spec for a in msg["To"].addresses)
        by_recipient[to] += 1
        if to not in expected:
            wrong.append(f"unexpected recipient {to}")
            continue
        plain, loc = expected[to]
        text_part = msg.get_body(preferencelist=("plain",))
        text = text_part.get_content() if text_part is not None else ""
        if plain is not None and plain not in text:
            wrong.append(f"{to}: its code is not in the text part")
        if msg["Content-Language"] != loc:
            wrong.append(f"{to}: language {msg['Content-Language']}, expected {loc}")
    missing = [r for r in expected if by_recipient[r] == 0]
    duplicated = [r for r, n in by_recipient.items() if n > 1]

    outside = [t - a for t, a in zip(latencies, aws_times, strict=True)]
    growth = rss_end - rss_after_warmup
    figures = {
        "invocations": args.count,
        "emails_captured": len(raw_messages),
        "missing": len(missing),
        "duplicated": len(duplicated),
        "content_errors": len(wrong),
        "logged_sent": sink.sent,
        "logged_failed": sink.failed,
        "failures_by_reason": dict(sink.failures),
        "wall_seconds": round(wall, 1),
        "invocations_per_second": round(args.count / wall, 1),
        "handler_ms_p50": round(percentile(latencies, 0.50) * 1e3, 2),
        "handler_ms_p99": round(percentile(latencies, 0.99) * 1e3, 2),
        "outside_aws_ms_p50": round(percentile(outside, 0.50) * 1e3, 2),
        "outside_aws_ms_p99": round(percentile(outside, 0.99) * 1e3, 2),
        "share_outside_aws": round(sum(outside) / sum(latencies), 3),
        "aws_calls": dict(clock.calls),
        "rss_mb_first_invocation": round(rss_start, 1),
        "rss_mb_after_warmup": round(rss_after_warmup, 1),
        "rss_mb_end": round(rss_end, 1),
        "rss_growth_mb_after_warmup": round(growth, 2),
        "memory_budget_mb": MEMORY_BUDGET_MB,
        "warmup_invocations": warmup,
        "mean_handler_ms": round(statistics.fmean(latencies) * 1e3, 2),
    }
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    for line in (missing[:5], duplicated[:5], wrong[:5]):
        if line:
            print(line, file=sys.stderr)
    ok = not missing and not duplicated and not wrong and len(raw_messages) == args.count
    if not ok:
        print("FAIL: not every email is accounted for exactly once", file=sys.stderr)
    if growth >= MEMORY_BUDGET_MB:
        print(f"FAIL: memory grew {growth:.2f} MB after warm-up", file=sys.stderr)
    return 0 if ok and growth < MEMORY_BUDGET_MB else 1


if __name__ == "__main__":
    raise SystemExit(main())
