"""Render workers for the preview: a small pool of warm processes (``preview.renderworker``)
that render and check emails with a time limit, replaced when a job runs out of time.

``size`` workers stay warm. When every one is busy (a stuck render holds one for the whole
limit) a page's job starts an extra worker, up to ``burst`` more, rather than wait: another
email's page then costs a worker start (under a second), not the limit. Workers that ran out
of time are replaced only up to ``size``, and a worker finding more than ``size`` idle ends, so
the pool shrinks back by itself. Background jobs (the index's check of every email) never
start extras and never take the last idle worker: the page being looked at renders first.

``RenderPool.run`` blocks (call it from a thread); a result is cached per templates
generation, so the page and its frame, or a draft and its frame, render once. An outcome that
ran out of time is remembered only briefly: reloading the page a little later tries again.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from preview.findings import TIMEOUT_RULE, Finding
from preview.problems import Problem
from preview.renderworker import Failed, Job, Rendered

# How long a worker may stay silent after its own timer should have stopped the job.
GRACE_SECONDS = 1.0
SPAWN_TIMEOUT = 30.0
CACHE_ENTRIES = 64


class RenderPool:
    """Up to ``size`` worker processes rendering the templates in ``templates_dir``."""

    def __init__(
        self,
        templates_dir: Path,
        *,
        size: int = 2,
        burst: int = 2,
        limit: float = 5.0,
        check_module: str | None = None,
        generation: int = 0,
    ) -> None:
        if size < 1:
            raise ValueError(f"a render pool needs at least 1 worker, not {size}")
        if limit <= 0:
            raise ValueError(f"the render time limit must be positive, not {limit}")
        self.templates_dir = templates_dir
        self.size = size
        self.burst = burst
        self.limit = limit
        self.check_module = check_module
        self.generation = generation
        self._lock = threading.Condition()
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._closed = False
        self._cache: OrderedDict[tuple[Any, ...], tuple[float, Rendered | Failed]] = OrderedDict()

    def start(self) -> None:
        """Start every worker now (they warm up in the background)."""
        with self._lock:
            while not self._closed and len(self._all) < self.size:
                self._idle.append(self._spawn())

    def run(self, job: Job, *, cache: bool = True, background: bool = False) -> Rendered | Failed:
        """Run ``job`` in a worker (waiting for a free one), within the time limit."""
        key = _key(job) if cache else None
        if key is not None and (hit := self._cached(key)) is not None:
            return hit
        worker = self._acquire(background)
        if worker is None:
            with self._lock:
                why = "the preview is stopping" if self._closed else "every render worker is busy"
            return Failed(Problem(why), "render_unavailable", why)
        try:
            outcome = worker.call(job, job.limit + GRACE_SECONDS)
        except _Lost as lost:
            self._discard(worker)
            timed_out = lost.reason == "render_timeout"
            problem = Problem(str(lost), f"{job.kind}/" if timed_out else None)
            outcome = Failed(problem, lost.reason, str(lost), timed_out=timed_out)
        else:
            if isinstance(outcome, Failed) and outcome.timed_out:
                self._discard(worker)  # it exits by itself after reporting
            else:
                self._release(worker)
        if key is not None:
            self._remember(key, outcome)
        return outcome

    def stop(self) -> None:
        """Kill every worker (a job in progress ends with ``render_unavailable``)."""
        with self._lock:
            self._closed = True
            idle = list(self._idle)
            busy = [w for w in self._all if w not in idle]
            self._all.clear()
            self._idle.clear()
            self._lock.notify_all()
        for worker in idle:
            worker.kill()
        for worker in busy:
            # Its connection belongs to the thread waiting on it, which sees EOF and closes it.
            worker.kill(close=False)

    @property
    def pids(self) -> list[int]:
        """The worker processes' ids (for tests and diagnostics)."""
        with self._lock:
            return [w.process.pid for w in self._all]

    def _spawn(self) -> _Worker:
        worker = _Worker(self.templates_dir, self.generation, self.check_module)
        self._all.add(worker)
        return worker

    def _acquire(self, background: bool) -> _Worker | None:
        most = self.size if background else self.size + self.burst
        kept = 1 if background and self.size > 1 else 0
        # Every busy worker frees up within the limit plus a restart, so this wait is bounded.
        deadline = time.monotonic() + 2 * (self.limit + GRACE_SECONDS) + SPAWN_TIMEOUT
        with self._lock:
            while not self._closed:
                if len(self._idle) > kept:
                    return self._idle.pop()
                if len(self._all) < most:
                    return self._spawn()
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._lock.wait(left)
            return None

    def _release(self, worker: _Worker) -> None:
        with self._lock:
            surplus = len(self._idle) >= self.size
            if self._closed or worker not in self._all or surplus:
                self._all.discard(worker)
                worker.kill()
                return
            self._idle.append(worker)
            self._lock.notify_all()

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._all.discard(worker)
            if not self._closed and len(self._all) < self.size:
                # The replacement warms up now, not when the next page asks for it.
                self._idle.append(self._spawn())
                self._lock.notify_all()

    def _cached(self, key: tuple[Any, ...]) -> Rendered | Failed | None:
        with self._lock:
            entry = self._cache.get(key)
            if entry is None:
                return None
            expires, outcome = entry
            if expires < time.monotonic():
                del self._cache[key]
                return None
            self._cache.move_to_end(key)
            return outcome

    def _remember(self, key: tuple[Any, ...], outcome: Rendered | Failed) -> None:
        if isinstance(outcome, Failed) and outcome.reason in ("render_unavailable", "render_lost"):
            return
        slow = isinstance(outcome, Failed) and outcome.timed_out
        lifetime = max(10.0, 2 * self.limit) if slow else float("inf")
        with self._lock:
            self._cache[key] = (time.monotonic() + lifetime, outcome)
            while len(self._cache) > CACHE_ENTRIES:
                self._cache.popitem(last=False)


def findings_of(outcome: Rendered | Failed) -> list[Finding]:
    """A check job's findings; a failure becomes one finding that says why."""
    if isinstance(outcome, Rendered):
        value = outcome.value
        assert isinstance(value, list)
        return value
    rule = TIMEOUT_RULE if outcome.timed_out else "check_failed"
    return [Finding("error", rule, outcome.problem.file or "", outcome.problem.message)]


def _key(job: Job) -> tuple[Any, ...]:
    data = json.dumps(job.data, sort_keys=True, ensure_ascii=False, default=str)
    where = (job.op, job.generation, job.kind, job.name, job.path, job.locale)
    return (*where, job.brand, job.sender, job.recipient, data)


class _Lost(Exception):
    """The worker stopped answering; the message says how."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class _Worker:
    """One ``python -m preview.renderworker`` process and the connection to it."""

    def __init__(self, templates_dir: Path, generation: int, check_module: str | None) -> None:
        ours, theirs = socket.socketpair()
        with ours, theirs:
            command = [sys.executable, "-m", "preview.renderworker"]
            command += ["--templates", str(templates_dir), "--fd", str(theirs.fileno())]
            command += ["--parent", str(os.getpid()), "--generation", str(generation)]
            command += ["--check-module", check_module or ""]
            self.process = subprocess.Popen(
                command, pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL
            )
            self.conn = Connection(ours.detach())
        self.ready = False

    def call(self, job: Job, timeout: float) -> Rendered | Failed:
        """Send ``job`` and wait for the reply; ``_Lost`` when none comes in time."""
        if not self.ready:
            self._expect("ready", SPAWN_TIMEOUT, job)
            self.ready = True
        try:
            self.conn.send(job)
        except OSError as err:
            raise _Lost(self._gone(f"could not take the job: {err}"), "render_lost") from err
        reply = self._expect("reply", timeout, job)
        assert isinstance(reply, Rendered | Failed)
        return reply

    def _expect(self, what: str, timeout: float, job: Job) -> Any:
        try:
            if not self.conn.poll(timeout):
                if what == "ready":
                    raise _Lost(
                        f"the render worker did not start within {timeout:g} s",
                        "render_unavailable",
                    )
                raise _Lost(
                    f"render took longer than {job.limit:g} s and did not stop: the render "
                    f"worker was killed ({job.kind}, {job.locale}, sample {job.name})",
                    "render_timeout",
                )
            return self.conn.recv()
        except (EOFError, OSError, ValueError) as err:
            raise _Lost(self._gone("stopped"), "render_lost") from err

    def _gone(self, how: str) -> str:
        try:
            status = self.process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            return f"the render worker {how}"
        return f"the render worker {how} (exit status {status})"

    def kill(self, *, close: bool = True) -> None:
        """End the process (only this one, by its handle) and close the connection."""
        if self.process.poll() is None:
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):  # SIGKILL is not refused
            self.process.wait(timeout=5)
        if close:
            self.conn.close()
