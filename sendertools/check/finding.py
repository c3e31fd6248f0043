"""A finding: one broken rule, where it was found and why."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """One broken rule: its severity (``error`` fails the check, ``warning`` does not), a
    stable ``rule`` id, the file to look at (relative to the templates folder), why, the email
    it was found in when it belongs to one, and the brand it was found in when it belongs to
    one (an email's brand, or the brand whose settings break a rule)."""

    severity: Severity
    rule: str
    file: str
    message: str
    kind: str | None = None
    locale: str | None = None
    sample: str | None = None
    brand: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return asdict(self)


def has_errors(findings: Iterable[Finding]) -> bool:
    """Whether any finding fails the check."""
    return any(f.severity == "error" for f in findings)
