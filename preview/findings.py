"""The template check's findings, when ``sendertools.checks`` is installed.

The preview does not check anything itself: it shows what the project's check reports.
Expected from ``sendertools.checks``::

    check_email(workbench: Workbench, kind: EmailKind, locale: str, sample: str,
                *, untranslated=None) -> list[Finding]
    missing_translations(workbench: Workbench) -> ...   # optional, passed as ``untranslated``

``check_email`` looks the sample up by name in the workbench, renders it through
``Workbench.compose`` and returns findings with ``severity`` (``"error"`` or ``"warning"``),
``rule`` (a stable id), ``file`` (relative to the templates folder) and ``message``. When the
module or the function is missing, the preview shows no badges and says the check is
unavailable.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from sender.event import EmailKind
from sendertools.samples import Sample, Workbench

Key = tuple[str, str, str]  # kind, sample, locale


@dataclass(frozen=True)
class Finding:
    """One problem the check reported for one email."""

    severity: str
    rule: str
    file: str
    message: str


class Check:
    """``sendertools.checks`` as the preview calls it."""

    def __init__(self, module: ModuleType) -> None:
        self._check_email: Callable[..., Any] = module.check_email
        missing = getattr(module, "missing_translations", None)
        takes = "untranslated" in inspect.signature(self._check_email).parameters
        self._missing: Callable[[Workbench], Any] | None = missing if takes else None
        # One workbench generation's translation report, computed once (it reads every file).
        self._lock = threading.Lock()
        self._memo: tuple[object, Any] | None = None

    def email(self, workbench: Workbench, sample: Sample, locale: str) -> list[Finding]:
        """The findings of one email (an unsaved draft included)."""
        bench = _with_sample(workbench, sample)
        kwargs = {}
        try:
            if self._missing is not None:
                kwargs["untranslated"] = self._untranslated(workbench)
            found = self._check_email(bench, sample.kind, locale, sample.name, **kwargs)
        except Exception as err:  # the check failing is itself worth showing, not a crash
            return [
                Finding(
                    "error", "check_failed", "", f"the check raised {type(err).__name__}: {err}"
                )
            ]
        return [_adapt(item) for item in found]

    def _untranslated(self, workbench: Workbench) -> Any:
        assert self._missing is not None
        with self._lock:
            if self._memo is None or self._memo[0] is not workbench.catalogs:
                self._memo = (workbench.catalogs, self._missing(workbench))
            return self._memo[1]


CHECK_MODULE = "sendertools.checks"
TIMEOUT_RULE = "render_timeout"


def load_check(name: str = CHECK_MODULE) -> Check | None:
    """The check, or ``None`` when this install has none."""
    try:
        module = importlib.import_module(name)
    except ImportError:
        return None
    return Check(module) if callable(getattr(module, "check_email", None)) else None


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
                        found[(kind.value, name, locale)] = [slow]
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


def _adapt(item: Any) -> Finding:
    severity = getattr(item, "severity", "warning")
    return Finding(
        severity=str(getattr(severity, "value", severity)).lower(),
        rule=str(getattr(item, "rule", "")),
        file=str(getattr(item, "file", "") or ""),
        message=str(getattr(item, "message", item)),
    )
