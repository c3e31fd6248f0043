"""The template check's findings, when ``sender.checks`` is installed.

The preview does not check anything itself: it shows what the project's check reports.
Expected from ``sender.checks``::

    check_email(workbench: Workbench, sample: Sample, locale: str) -> Sequence[Finding]

with each finding having ``severity`` (``"error"`` or ``"warning"``, a str or StrEnum),
``rule`` (a short id) and ``message`` (a sentence naming the file or value). When the module
or the function is missing the preview shows no badges and says the check is unavailable.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sender.samples import Sample, Workbench

CheckEmail = Callable[[Workbench, Sample, str], Sequence[Any]]


@dataclass(frozen=True)
class Finding:
    """One problem the check reported for one email."""

    severity: str
    rule: str
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
    """The check's findings for one email, in the preview's shape."""
    try:
        found = check(workbench, sample, locale)
    except Exception as err:  # the check failing is itself worth showing, not a crash
        return [Finding("error", "check_failed", f"the check raised {type(err).__name__}: {err}")]
    return [_adapt(item) for item in found]


def _adapt(item: Any) -> Finding:
    severity = getattr(item, "severity", "warning")
    return Finding(
        severity=str(getattr(severity, "value", severity)).lower(),
        rule=str(getattr(item, "rule", "")),
        message=str(getattr(item, "message", item)),
    )
