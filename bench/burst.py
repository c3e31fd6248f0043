"""Burst run: the real handler at several concurrencies against a real moto_server, with SES
throttling every send above a fixed rate, so the sender's own retries run.

    .venv/bin/python bench/burst.py --count 200 --rate 10 --concurrency 1,2,5,10,20

A burst of N events waits at once (a wave of sign-ups); C worker threads take them one at a
time, as C concurrent Lambda execution environments would (reserved concurrency C). A token
bucket (R tokens a second, at most R stored) stands for SES's maximum send rate: a
``SendEmail`` attempt that finds it empty is answered, in a botocore ``before-send`` hook, with
the error SES v2 sends (HTTP 429 ``TooManyRequestsException``), so botocore's standard retry
mode backs off and tries again for real. Every attempt first waits ``--ses-latency-ms``, an
assumed SES round trip on top of moto_server's own (which is far faster than SES).

Each setting is accounted for on its own:

- every invocation sent (on its first SES attempt or after retries) or raised a ``SenderError``
  with a reason (what Lambda's asynchronous retries, then the failure destination, receive);
- the handler's log lines agree with that, reason by reason;
- every sent invocation's email was captured by moto_server exactly once (each invocation has
  its own recipient) and carries its code; no failed invocation's email was captured.

Exit status 1 when anything is not accounted for.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.compat import HTTPHeaders

from sender import handler
from sender.app import App, build_app
from sender.config import Config
from sender.errors import SenderError
from sender.event import Trigger
from sendertools import localaws
from sendertools.cognito import CognitoPool
from sendertools.localaws import MotoServer

CODED = [t for t in Trigger if t is not Trigger.ACCOUNT_TAKE_OVER]
CODES_PER_TRIGGER = 3
# botocore standard mode, max_attempts 3 retries (sender/app.py BOTO_CONFIG).
SES_ATTEMPTS_PER_INVOCATION = 4


class TokenBucket:
    """SES's maximum send rate: ``rate`` sends a second, bursts of up to ``capacity``."""

    def __init__(self, rate: float, capacity: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self._tokens = capacity
        self._at = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False


class _Body:
    """The raw stream botocore reads a response body from."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_kwargs: Any) -> Iterator[bytes]:
        yield self._data


def throttled(request: AWSPreparedRequest) -> AWSResponse:
    """SES v2's answer above the send rate: REST-JSON puts the code in ``x-amzn-ErrorType``."""
    headers = HTTPHeaders()
    headers["x-amzn-RequestId"] = str(uuid.uuid4())
    headers["Content-Type"] = "application/json"
    headers["x-amzn-ErrorType"] = (
        "TooManyRequestsException:http://internal.amazon.com/coral/com.amazonaws/"
    )
    body = json.dumps({"message": "Maximum sending rate exceeded."}).encode()
    return AWSResponse(request.url, 429, headers, _Body(body))


@dataclass
class SesGate:
    """A worker's ``before-send`` hook on ``SendEmail``: lets an attempt through to moto_server
    while the shared bucket has a token, answers it as throttled otherwise."""

    bucket: TokenBucket
    latency: float
    attempts: int = 0  # of the invocation running on this worker
    throttled: int = 0

    def __call__(self, request: AWSPreparedRequest, **_kwargs: Any) -> AWSResponse | None:
        self.attempts += 1
        if self.latency:
            time.sleep(self.latency)
        if self.bucket.take():
            return None
        self.throttled += 1
        return throttled(request)


class LogSink(io.TextIOBase):
    """Stands in for stdout: counts the handler's outcome lines, from any thread."""

    def __init__(self) -> None:
        self.sent = 0
        self.failures: Counter[str] = Counter()
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        # logging writes a record and its newline in one call, so a line is never split.
        if '"message":"email sent"' in text:
            with self._lock:
                self.sent += 1
        elif '"message":"email not sent"' in text:
            reason = str(json.loads(text).get("reason"))
            with self._lock:
                self.failures[reason] += 1
        return len(text)


@dataclass
class Planned:
    event: dict[str, Any]
    recipient: str
    code: str


@dataclass
class Result:
    index: int
    sent: bool
    reason: str | None  # a failure's SenderError reason; None for another exception
    error: str | None
    ses_attempts: int
    seconds: float


@dataclass
class Setting:
    """One concurrency's figures and the verdict of its accounting."""

    concurrency: int
    invoked: int = 0
    sent_first: int = 0
    sent_after_retry: int = 0
    failed: int = 0
    failures_by_reason: dict[str, int] = field(default_factory=dict)
    failures_without_reason: int = 0
    ses_attempts: int = 0
    throttled_responses: int = 0
    duration_ms_p50: float = 0.0
    duration_ms_p99: float = 0.0
    wall_seconds: float = 0.0
    sent_per_second: float = 0.0
    logged_sent: int = 0
    logged_failures_by_reason: dict[str, int] = field(default_factory=dict)
    captured: int = 0
    missing: int = 0
    duplicated: int = 0
    captured_for_failed: int = 0
    unexpected: int = 0
    content_errors: int = 0
    workers_stuck: int = 0
    accounting_ok: bool = False
    problems: list[str] = field(default_factory=list)
    first_attempt_seconds: list[float] = field(default_factory=list, repr=False)

    @property
    def sent(self) -> int:
        return self.sent_first + self.sent_after_retry


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def code_for(trigger: Trigger, n: int) -> str:
    """A realistic plaintext: six digits, or a temporary password with characters to escape."""
    if trigger is Trigger.ADMIN_CREATE_USER:
        return f"Tmp{n:04d}&<Pw>!"
    return f"{(n * 7919 + 104729) % 10**6:06d}"


def encrypt_pool(pool: CognitoPool) -> dict[Trigger, list[tuple[str, str | None]]]:
    """(plaintext, Cognito-style ciphertext) pairs per coded trigger, made before any clock."""
    return {
        trigger: [
            (plain, pool.seal(trigger, plain))
            for plain in (code_for(trigger, n) for n in range(CODES_PER_TRIGGER))
        ]
        for trigger in CODED
    }


def plan(
    count: int, prefix: str, pool: CognitoPool, codes: dict[Trigger, list[tuple[str, str | None]]]
) -> list[Planned]:
    planned = []
    for i in range(count):
        trigger = CODED[i % len(CODED)]
        plain, sealed = codes[trigger][(i // len(CODED)) % CODES_PER_TRIGGER]
        recipient = f"{prefix}{i:06d}@example.com"
        event = pool.event(
            trigger,
            plain,
            attributes={"email": recipient, "name": f"User {i}"},
            sealed=sealed,
        )
        planned.append(Planned(event, recipient, plain))
    return planned


class Feed:
    """The burst's events, handed out once each to whichever worker asks first."""

    def __init__(self, planned: Sequence[Planned]) -> None:
        self._items = iter(enumerate(planned))
        self._lock = threading.Lock()

    def next(self) -> tuple[int, Planned] | None:
        with self._lock:
            return next(self._items, None)


# Each worker thread gets the App its own execution environment would have. A Lambda
# environment runs one invocation at a time, and so does each worker: what matters to this
# benchmark is per environment, such as botocore's standard-mode retry quota (one per client;
# shared, every worker would drain it together) and the connection pool. One shared App is not
# meant for threads either: the Cognito client is made on first use from the botocore session,
# and sessions are not thread-safe (clients are). With one App each, threads are safe: the rest
# is per-call or caches idempotently, and logging locks its handler. Threads rather than
# processes, so that all share one bucket without IPC.


def work(app: App, gate: SesGate, feed: Feed, results: list[Result]) -> None:
    while (item := feed.next()) is not None:
        index, planned = item
        gate.attempts = 0
        reason: str | None = None
        error: str | None = None
        started = time.perf_counter()
        try:
            handler.handle(app, planned.event)
        except Exception as err:  # the outcome under test: recorded, the burst goes on
            reason = err.reason if isinstance(err, SenderError) else None
            error = f"{type(err).__name__}: {err}"
            sent = False
        else:
            sent = True
        elapsed = time.perf_counter() - started
        results.append(Result(index, sent, reason, error, gate.attempts, elapsed))


def run_setting(
    concurrency: int,
    planned: list[Planned],
    *,
    rate: float,
    latency: float,
    server: MotoServer,
    config: Config,
    prefix: str,
) -> Setting:
    figures = Setting(concurrency)
    bucket = TokenBucket(rate, capacity=max(1.0, rate))
    # Built here, one after the other: creating clients from sessions is not thread-safe.
    apps = [build_app(config, session=server.session()) for _ in range(concurrency)]
    gates = [SesGate(bucket, latency) for _ in apps]
    for app, gate in zip(apps, gates, strict=True):
        client = app.ses._client
        event = f"before-send.{client.meta.service_model.service_id.hyphenize()}.SendEmail"
        # botocore-stubs type every hook as returning None; before-send's may answer instead.
        client.meta.events.register_first(event, gate)  # type: ignore[arg-type]

    feed = Feed(planned)
    results: list[Result] = []
    sink = LogSink()
    workers = [
        threading.Thread(target=work, args=(app, gate, feed, results), daemon=True)
        for app, gate in zip(apps, gates, strict=True)
    ]
    # A safety net only: a throttled invocation gives up after ~7 s of back-off at most, and the
    # bucket lets R through a second, so a healthy setting ends well inside this.
    per_invocation = SES_ATTEMPTS_PER_INVOCATION * (latency + 0.5) + 8.0
    deadline_s = 60.0 + 3.0 * len(planned) / rate + per_invocation * len(planned) / concurrency
    real_stdout = sys.stdout
    sys.stdout = sink
    started = time.perf_counter()
    try:
        for worker in workers:
            worker.start()
        deadline = time.monotonic() + deadline_s
        for worker in workers:
            worker.join(timeout=max(0.0, deadline - time.monotonic()))
    finally:
        wall = time.perf_counter() - started
        sys.stdout = real_stdout
    figures.workers_stuck = sum(w.is_alive() for w in workers)
    done = list(results)

    figures.invoked = len(done)
    failures: Counter[str] = Counter()
    for r in done:
        if r.sent and r.ses_attempts == 1:
            figures.sent_first += 1
            figures.first_attempt_seconds.append(r.seconds)
        elif r.sent:
            figures.sent_after_retry += 1
        else:
            figures.failed += 1
            if r.reason:
                failures[r.reason] += 1
            else:
                figures.failures_without_reason += 1
                figures.problems.append(f"invocation {r.index} failed without a reason: {r.error}")
    figures.failures_by_reason = dict(sorted(failures.items()))
    figures.ses_attempts = sum(r.ses_attempts for r in done)
    figures.throttled_responses = sum(g.throttled for g in gates)
    seconds = [r.seconds for r in done]
    figures.duration_ms_p50 = round(percentile(seconds, 0.50) * 1e3, 1)
    figures.duration_ms_p99 = round(percentile(seconds, 0.99) * 1e3, 1)
    figures.wall_seconds = round(wall, 2)
    figures.sent_per_second = round(figures.sent / wall, 2) if wall else 0.0
    figures.logged_sent = sink.sent
    figures.logged_failures_by_reason = dict(sorted(sink.failures.items()))

    account(figures, planned, done, server, prefix)
    return figures


def account(
    figures: Setting, planned: list[Planned], done: list[Result], server: MotoServer, prefix: str
) -> None:
    """Match every email moto_server captured to its invocation; record every discrepancy."""
    problems = figures.problems
    outcome = {r.index: r for r in done}
    by_recipient = {p.recipient: i for i, p in enumerate(planned)}
    seen: Counter[str] = Counter()
    for message in server.sent_messages():
        msg = message_from_bytes(str(message["raw_data"]).encode("utf-8"), policy=policy.default)
        # The address only: To also carries the user's name when they have one.
        to = ", ".join(a.addr_spec for a in msg["To"].addresses)
        if not to.startswith(prefix):
            continue  # another setting's
        figures.captured += 1
        seen[to] += 1
        index = by_recipient.get(to)
        if index is None:
            figures.unexpected += 1
            problems.append(f"captured for no invocation: {to}")
            continue
        text_part = msg.get_body(preferencelist=("plain",))
        text = text_part.get_content() if text_part is not None else ""
        if planned[index].code not in text:
            figures.content_errors += 1
            problems.append(f"{to}: its code is not in the text part")
    for index, p in enumerate(planned):
        result = outcome.get(index)
        if result is None:
            problems.append(f"invocation {index} never finished")
        elif result.sent and seen[p.recipient] == 0:
            figures.missing += 1
            problems.append(f"invocation {index} sent, but its email was not captured")
        elif not result.sent and seen[p.recipient] > 0:
            figures.captured_for_failed += 1
            problems.append(f"invocation {index} failed, yet its email was captured")
    figures.duplicated = sum(1 for n in seen.values() if n > 1)
    if figures.duplicated:
        problems.append(f"{figures.duplicated} recipients received more than one email")
    if figures.sent + figures.failed != len(planned):
        problems.append(f"{figures.sent} sent + {figures.failed} failed != {len(planned)} events")
    if figures.logged_sent != figures.sent:
        problems.append(f"{figures.logged_sent} 'email sent' lines for {figures.sent} sent")
    if figures.logged_failures_by_reason != figures.failures_by_reason:
        problems.append(
            f"'email not sent' lines {figures.logged_failures_by_reason} differ from the "
            f"failures raised {figures.failures_by_reason}"
        )
    if figures.workers_stuck:
        problems.append(f"{figures.workers_stuck} workers still running at the deadline")
    figures.accounting_ok = not problems


def table(settings: list[Setting]) -> str:
    head = (
        f"{'concurrency':>11} {'invoked':>7} {'sent 1st':>8} {'sent retry':>10} {'failed':>6}"
        f" {'SES attempts':>12} {'throttled':>9} {'p50 ms':>8} {'p99 ms':>8} {'wall s':>7}"
        f" {'sent/s':>6}  accounting"
    )
    lines = [head, "-" * len(head)]
    for s in settings:
        reasons = ", ".join(f"{k} {v}" for k, v in s.failures_by_reason.items())
        verdict = "ok" if s.accounting_ok else "FAIL"
        lines.append(
            f"{s.concurrency:>11} {s.invoked:>7} {s.sent_first:>8} {s.sent_after_retry:>10}"
            f" {s.failed:>6} {s.ses_attempts:>12} {s.throttled_responses:>9}"
            f" {s.duration_ms_p50:>8.1f} {s.duration_ms_p99:>8.1f} {s.wall_seconds:>7.1f}"
            f" {s.sent_per_second:>6.1f}  {verdict}" + (f"  ({reasons})" if reasons else "")
        )
    return "\n".join(lines)


def recommend(settings: list[Setting], rate: float) -> tuple[str, dict[str, Any]]:
    """The highest clean concurrency and the rule of thumb, from the measured figures."""
    ordered = sorted(settings, key=lambda s: s.concurrency)
    # The highest concurrency up to which every setting stayed clean, not just any clean one.
    highest_clean: Setting | None = None
    for s in ordered:
        if s.failed:
            break
        highest_clean = s
    first_failing = next((s.concurrency for s in ordered if s.failed), None)
    first_throttled = next((s.concurrency for s in ordered if s.throttled_responses), None)
    # The invocation time without throttling: sends that needed one attempt, at the lowest
    # concurrency that had any (the least CPU contention between the worker threads).
    base = next((s for s in ordered if s.first_attempt_seconds), None)
    typical = percentile(base.first_attempt_seconds, 0.5) if base else 0.0
    product = rate * typical
    # Concurrency C sends C / typical a second at most: up to this many never outrun SES.
    unthrottled = math.floor(product)
    headroom = highest_clean.concurrency / product if highest_clean and product else None
    summary = {
        "concurrencies_without_failures": [s.concurrency for s in ordered if not s.failed],
        "highest_concurrency_without_failures": highest_clean and highest_clean.concurrency,
        "first_concurrency_with_failures": first_failing,
        "first_concurrency_throttled": first_throttled,
        "typical_invocation_seconds": round(typical, 4),
        "rate_times_invocation_seconds": round(product, 2),
        "concurrency_that_cannot_outrun_ses": unthrottled,
        "clean_concurrency_over_rate_times_seconds": headroom and round(headroom, 1),
    }
    if highest_clean is None:
        verdict = f"at {rate:g} SES sends/s even concurrency {ordered[0].concurrency} had failures"
    else:
        verdict = (
            f"at {rate:g} SES sends/s the highest concurrency with 0 failures was "
            f"{highest_clean.concurrency}"
        )
        verdict += f" ({first_failing} failed some)" if first_failing else " (the highest tried)"
    rule = (
        f"rule of thumb: reserved concurrency ~ SES rate x invocation time = {rate:g}/s x "
        f"{typical:.3f} s = {product:.2f}"
    )
    if unthrottled < 1:
        rule += (
            f"; even one environment sends up to {1 / typical:.1f}/s, above the rate, so SES "
            f"throttles at any concurrency and the retries (in the invocation, then Lambda's) "
            f"carry the burst"
            if typical
            else ""
        )
    else:
        rule += f"; up to {unthrottled} cannot outrun SES"
    if first_throttled is not None:
        rule += f" (throttling began at concurrency {first_throttled})"
    if highest_clean is not None and highest_clean.throttled_responses and headroom:
        rule += (
            f"; the in-invocation retries absorbed the throttling up to "
            f"{highest_clean.concurrency}, {headroom:.1f}x the rate x time figure, at the price "
            f"of longer invocations (p99 {highest_clean.duration_ms_p99:.0f} ms)"
        )
    return f"recommendation: {verdict}; {rule}.", summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="invocations per setting (200)")
    parser.add_argument("--rate", type=float, default=10.0, help="SES sends/s allowed (10)")
    parser.add_argument(
        "--concurrency", default="1,2,5,10,20", help="worker counts to try (1,2,5,10,20)"
    )
    parser.add_argument(
        "--ses-latency-ms",
        type=float,
        default=80.0,
        help="assumed SES round trip added to every SendEmail attempt (80; 0: moto's own)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    concurrencies = sorted({int(c) for c in args.concurrency.split(",") if c.strip()})
    if args.count < 1 or args.rate <= 0 or not concurrencies or min(concurrencies) < 1:
        parser.error("--count, --rate and every --concurrency must be positive")
    latency = args.ses_latency_ms / 1e3

    settings: list[Setting] = []
    with localaws.moto_server() as server:
        stack = localaws.provision(session=server.session())
        config = Config.from_env({"KMS_KEY_ARN": stack.key_arn, "EMAIL_FROM": stack.email_from})
        pool = stack.pool(server.session())
        print(f"moto_server on {server.endpoint}; encrypting codes...", file=sys.stderr)
        codes = encrypt_pool(pool)
        for concurrency in concurrencies:
            prefix = f"burst-c{concurrency:03d}-"
            print(
                f"concurrency {concurrency}: {args.count} invocations at {args.rate:g}/s...",
                file=sys.stderr,
            )
            settings.append(
                run_setting(
                    concurrency,
                    plan(args.count, prefix, pool, codes),
                    rate=args.rate,
                    latency=latency,
                    server=server,
                    config=config,
                    prefix=prefix,
                )
            )

    line, summary = recommend(settings, args.rate)
    ok = all(s.accounting_ok for s in settings)
    print(
        f"burst of {args.count} per setting, SES limited to {args.rate:g} sends/s (bursts of "
        f"{max(1.0, args.rate):g}), {args.ses_latency_ms:g} ms added per SES attempt, botocore "
        f"standard retries ({SES_ATTEMPTS_PER_INVOCATION} attempts)"
    )
    print(table(settings))
    print(line)
    for s in settings:
        for problem in s.problems[:10]:
            print(f"concurrency {s.concurrency}: {problem}", file=sys.stderr)
    if not ok:
        print("FAIL: not every invocation is accounted for", file=sys.stderr)
    if args.json:
        figures = {
            "count": args.count,
            "rate_per_second": args.rate,
            "bucket_capacity": max(1.0, args.rate),
            "ses_latency_ms": args.ses_latency_ms,
            "ses_attempts_per_invocation": SES_ATTEMPTS_PER_INVOCATION,
            "model": "one thread per concurrent execution environment, each with its own App",
            "settings": [
                {k: v for k, v in asdict(s).items() if k != "first_attempt_seconds"}
                | {"sent": s.sent}
                for s in settings
            ],
            **summary,
            "accounting_ok": ok,
        }
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
