"""The template check's findings, when ``sender.checks`` is installed.

The preview does not check anything itself: it shows what the project's check reports.
Expected from ``sender.checks``::

    check_email(workbench: Workbench, kind: EmailKind, locale: str, sample: str) -> list[Finding]

which looks the sample up by name in the workbench, renders it through ``Workbench.compose``
and returns findings with ``severity`` (``"error"`` or ``"warning"``), ``rule`` (a stable id),
``file`` (relative to the templates folder) and ``message``. When the module or the function
is missing, the preview shows no badges and says the check is unavailable.
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sender.samples import Sample, Workbench

CheckEmail = Callable[..., Sequence[Any]]


@dataclass(frozen=True)
class Finding:
    """One problem the check reported for one email."""

    severity: str
    rule: str
    file: str
    message: str


def load_check() -> CheckEmail | None:
    """The check's per-email function, or ``None`` when this install has none."""
    try:
        module = importlib.import_module("sender.checks")
    except ImportError:
        return None
    check = getattr(module, "check_email", None)
    return check if callable(check) else None


def run_check(
    check: CheckEmail, workbench: Workbench, sample: Sample, locale: str
) -> list[Finding]:
    """The check's findings for one email (an unsaved draft included), in the preview's shape."""
    bench = _with_sample(workbench, sample)
    try:
        found = check(bench, sample.kind, locale, sample.name)
    except Exception as err:  # the check failing is itself worth showing, not a crash
        return [
            Finding("error", "check_failed", "", f"the check raised {type(err).__name__}: {err}")
        ]
    return [_adapt(item) for item in found]


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
