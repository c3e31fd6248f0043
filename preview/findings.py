"""The template check's findings, as the preview shows them: badges on the index and a list on
each email's page.

The preview does not check anything itself: it runs ``sendertools.check.check_email`` (in a
render worker, under the time limit) and shows its ``Finding``s. Two findings are the
preview's own, in the same shape: ``check_failed`` when the check raised, and
``render_timeout`` (``TIMEOUT_RULE``) when an email took longer than the preview allows.
"""

from __future__ import annotations

import copy
import importlib
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Protocol

from sender.event import EmailKind
from sendertools.check import Finding, Untranslated, check_email, missing_translations
from sendertools.samples import Sample, Workbench

__all__ = ["CHECK_MODULE", "TIMEOUT_RULE", "Check", "Finding", "IndexFindings", "load_check"]

Key = tuple[str, str, str]  # kind, sample, locale

CHECK_MODULE = "sendertools.check"
TIMEOUT_RULE = "render_timeout"


class CheckEmail(Protocol):
    """``sendertools.check.check_email``'s signature."""

    def __call__(
        self,
        wb: Workbench,
        kind: EmailKind,
        locale: str,
        sample: str,
        *,
        untranslated: Untranslated | None = None,
    ) -> list[Finding]: ...


class Check:
    """The check as the preview runs it: one email at a time, drafts included."""

    def __init__(self, check: CheckEmail = check_email) -> None:
        self._check = check
        # One workbench generation's translation report, computed once (it reads every file).
        self._lock = threading.Lock()
        self._memo: tuple[object, Untranslated] | None = None

    def email(self, workbench: Workbench, sample: Sample, locale: str) -> list[Finding]:
        """The findings of one email (an unsaved draft included)."""
        bench = _with_sample(workbench, sample)
        try:
            untranslated = self._untranslated(workbench)
            return self._check(bench, sample.kind, locale, sample.name, untranslated=untranslated)
        except Exception as err:  # the check failing is itself worth showing, not a crash
            message = f"the check raised {type(err).__name__}: {err}"
            where = (sample.kind.value, locale, sample.name)
            return [Finding("error", "check_failed", "", message, *where)]

    def _untranslated(self, workbench: Workbench) -> Untranslated:
        with self._lock:
            if self._memo is None or self._memo[0] is not workbench.catalogs:
                self._memo = (workbench.catalogs, missing_translations(workbench))
            return self._memo[1]


def load_check(name: str = CHECK_MODULE) -> Check | None:
    """The check the render workers run: the project's (``CHECK_MODULE``), a module with the
    same ``check_email`` (the tests' stand-in, ``tests/preview/standin_check.py``), or none
    when ``name`` is empty (the preview then shows no badges)."""
    if not name:
        return None
    if name == CHECK_MODULE:
        return Check()
    return Check(importlib.import_module(name).check_email)


class IndexFindings:
    """Every email's findings for the index badges, computed in the background per
    workbench generation (hundreds of renders take seconds, the index must not wait).

    ``check_one(sample, locale, generation)`` runs one email's check (in a render worker, with
    the time limit). Once an email of a kind runs out of time, the kind's other emails are
    not rendered again in that generation: each would cost the whole limit. A run starts
    ``delay`` seconds after a change: the pages that reload on it render first, and a burst of
    saves makes one run.
    """

    def __init__(
        self,
        check_one: Callable[[Sample, str, int], list[Finding]],
        on_done: Callable[[], None],
        *,
        delay: float = 0.0,
    ) -> None:
        self._check_one = check_one
        self._on_done = on_done
        self._delay = delay
        self._lock = threading.Lock()
        self._generation = -1
        self._done: dict[Key, list[Finding]] | None = None

    def start(self, workbench: Workbench | None, generation: int) -> None:
        """Forget older results and check every email of ``workbench`` in a thread."""
        with self._lock:
            self._generation, self._done = generation, None
        if workbench is not None:
            thread = threading.Thread(
                target=self._run, args=(workbench, generation), name="check", daemon=True
            )
            thread.start()

    def results(self, generation: int) -> dict[Key, list[Finding]] | None:
        """The findings of ``generation``, or ``None`` while they are being computed."""
        with self._lock:
            return self._done if self._generation == generation else None

    def _run(self, workbench: Workbench, generation: int) -> None:
        time.sleep(self._delay)
        found: dict[Key, list[Finding]] = {}
        for kind in EmailKind:
            slow: Finding | None = None
            for name, sample in workbench.samples.get(kind, {}).items():
                for locale in workbench.catalogs.locales:
                    if self._generation != generation:
                        return  # the templates changed again: a newer run takes over
                    if slow is not None:
                        found[(kind.value, name, locale)] = [
                            replace(slow, locale=locale, sample=name)
                        ]
                        continue
                    result = self._check_one(sample, locale, generation)
                    found[(kind.value, name, locale)] = result
                    timed_out = [f for f in result if f.rule == TIMEOUT_RULE]
                    if timed_out:
                        first = timed_out[0]
                        slow = Finding(
                            "error",
                            TIMEOUT_RULE,
                            first.file,
                            f"not checked: {kind.value} {name} {locale} already took too long "
                            f"({first.message})",
                            kind.value,
                        )
        with self._lock:
            if self._generation != generation:
                return
            self._done = found
        self._on_done()


def _with_sample(workbench: Workbench, sample: Sample) -> Workbench:
    """The workbench, or a shallow copy of it whose sample of that name is ``sample``."""
    if workbench.samples.get(sample.kind, {}).get(sample.name) is sample:
        return workbench
    bench = copy.copy(workbench)
    bench.samples = {
        **workbench.samples,
        sample.kind: {**workbench.samples.get(sample.kind, {}), sample.name: sample},
    }
    return bench
