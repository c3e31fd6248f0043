"""A check's outcome: ``ok``, ``warning`` or ``blocking`` (an email cannot be sent), with the
fix; and ``Skip``, for a check that cannot run because what it reads is missing."""

from __future__ import annotations

from typing import Literal, NamedTuple

Status = Literal["ok", "warning", "blocking"]
OK: Status = "ok"
WARNING: Status = "warning"
BLOCKING: Status = "blocking"
COULD_NOT_CHECK = "could not check: "


class Finding(NamedTuple):
    """One check's outcome; ``fix`` is empty when there is nothing to do."""

    check: str
    status: Status
    detail: str
    fix: str = ""

    def as_dict(self) -> dict[str, str]:
        """The JSON form."""
        return {"check": self.check, "status": self.status, "detail": self.detail, "fix": self.fix}


class Verdict(NamedTuple):
    """What a check found; the runner names the check."""

    status: Status
    detail: str
    fix: str = ""


class Skip(Exception):
    """A check cannot run because what it reads is missing; ``after`` is the check to fix."""

    def __init__(self, reason: str, after: str) -> None:
        super().__init__(reason)
        self.after = after


def ok(detail: str) -> Verdict:
    """Nothing to fix."""
    return Verdict(OK, detail)


def warning(detail: str, fix: str) -> Verdict:
    """Emails are sent, but some are at risk, or something could not be checked."""
    return Verdict(WARNING, detail, fix)


def blocking(detail: str, fix: str) -> Verdict:
    """An email cannot be sent until ``fix`` is done."""
    return Verdict(BLOCKING, detail, fix)


def exit_status(findings: list[Finding]) -> int:
    """0 when nothing is blocking, else 1."""
    return 1 if any(f.status == BLOCKING for f in findings) else 0
