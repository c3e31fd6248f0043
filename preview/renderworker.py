"""The render worker: a process of its own that renders emails and runs the check for the
preview (``python -m preview.renderworker``, started and owned by ``preview.rendering``).

A template can loop for ever (``{% for i in range(10**12) %}``) and a Python thread cannot be
stopped, so every render the preview makes happens here. The worker stays warm between jobs
(modules imported, the Workbench and its rendered skeletons kept per templates generation);
its own timer interrupts a job after the time limit and reports the template file and line
it was in, then the worker exits so its memory goes with it and a fresh one takes its place.
The preview kills it outright if even that report does not come. The worker also ends when
the preview process is gone, however it ended.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from preview.findings import Check, Finding, load_check
from preview.message import MessageView, from_composed
from preview.problems import Problem, describe, located
from sender.event import EmailKind
from sendertools.parentwatch import exit_with_parent
from sendertools.samples import Sample, Workbench


@dataclass(frozen=True)
class Job:
    """One email to render (``compose``) or check (``check``), with its sample inline;
    ``brand`` names the brand to compose in (``None``: the one the Lambda would choose)."""

    op: str
    generation: int
    kind: str
    name: str
    path: str
    data: Mapping[str, Any] = field(repr=False)
    locale: str
    sender: str | None = None
    recipient: str | None = None
    limit: float = 5.0
    brand: str | None = None

    def sample(self) -> Sample:
        """The sample, with the recipient replaced when the job names one."""
        data = dict(self.data)
        if self.recipient is not None:
            attributes = dict(data.get("userAttributes") or {})
            data["userAttributes"] = {**attributes, "email": self.recipient}
        return Sample(EmailKind(self.kind), self.name, Path(self.path), data)


@dataclass(frozen=True)
class Rendered:
    """A job's result: a ``MessageView`` (compose) or a list of ``Finding`` (check)."""

    value: MessageView | list[Finding]


@dataclass(frozen=True)
class Failed:
    """A job that did not produce its result, and why."""

    problem: Problem
    reason: str
    text: str
    timed_out: bool = False


class TimeLimit(BaseException):
    """The job's time is up (a BaseException: nothing in a render may swallow it)."""


class _Worker:
    def __init__(self, templates_dir: Path, check_module: str | None) -> None:
        self.templates_dir = templates_dir
        self.check: Check | None = load_check(check_module) if check_module else None
        self.generation = -1
        self.workbench: Workbench | None = None

    def bench(self, generation: int) -> Workbench:
        if generation != self.generation or self.workbench is None:
            self.workbench = None
            self.workbench = Workbench(self.templates_dir)
            self.generation = generation
        return self.workbench

    def run(self, job: Job) -> Rendered | Failed:
        try:
            try:
                signal.setitimer(signal.ITIMER_REAL, job.limit)
                return self._run(job)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        except TimeLimit as stop:
            where = _template_frame(stop.__traceback__)
            message = f"render took longer than {job.limit:g} s"
            if where is None:
                message += f" ({job.kind}, {job.locale}, sample {job.name})"
                problem = Problem(message, f"{job.kind}/")
            else:
                problem = located(message, where[0], where[1], self.templates_dir)
            return Failed(problem, "render_timeout", f"{problem.where}: {message}", timed_out=True)

    def _run(self, job: Job) -> Rendered | Failed:
        try:
            workbench = self.bench(job.generation)
            sample = job.sample()
            if job.op == "compose":
                composed = workbench.compose(sample, job.locale, brand=job.brand, sender=job.sender)
                return Rendered(from_composed(composed))
            if job.op == "check":
                if self.check is None:
                    return Rendered([])
                return Rendered(self.check.email(workbench, sample, job.locale))
            raise ValueError(f"unknown job {job.op!r}; have compose, check")
        except Exception as err:  # reported to the page, the worker keeps serving
            problem = describe(err, self.templates_dir)
            reason = str(getattr(err, "reason", type(err).__name__))
            return Failed(problem, reason, str(err))


def _template_frame(tb: TracebackType | None) -> tuple[str, int] | None:
    """The innermost template file and line a traceback passes through."""
    found: tuple[str, int] | None = None
    for frame, lineno in traceback.walk_tb(tb):
        template = frame.f_globals.get("__jinja_template__")
        if template is not None and template.filename:
            found = (template.filename, template.get_corresponding_lineno(lineno))
    return found


def _time_up(_signum: int, _frame: FrameType | None) -> None:
    raise TimeLimit


def main(argv: list[str]) -> None:
    """Serve jobs over the connection on ``--fd`` until it closes."""
    parser = argparse.ArgumentParser(prog="python -m preview.renderworker")
    parser.add_argument("--templates", type=Path, required=True)
    parser.add_argument("--parent", type=int, required=True)
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--generation", type=int, default=0)
    parser.add_argument("--check-module", default="")
    args = parser.parse_args(argv)
    exit_with_parent(args.parent)
    # The preview stops its workers itself: Ctrl-C in its terminal is the preview's.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGALRM, _time_up)
    conn = Connection(args.fd)
    worker = _Worker(args.templates, args.check_module or None)
    # Warm up now so the first page is not a cold render; a failure is reported by that job.
    with contextlib.suppress(Exception):
        worker.bench(args.generation)
    conn.send(("ready", os.getpid()))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        reply = worker.run(job)
        conn.send(reply)
        if isinstance(reply, Failed) and reply.timed_out:
            # Interrupted anywhere: its caches may be half-built. A fresh worker replaces it.
            conn.close()
            os._exit(0)


if __name__ == "__main__":
    # By its package name, so what the worker sends unpickles in the preview as
    # preview.renderworker's classes, not __main__'s.
    from preview import renderworker

    renderworker.main(sys.argv[1:])
