"""A check: its id in the report, the function that decides it, and what to look at by hand
when it cannot run. ``check`` makes one of the function it decorates."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, TypeAlias

from sendertools.doctor.deployment import Deployment
from sendertools.doctor.finding import Verdict

Decide: TypeAlias = Callable[[Deployment], Verdict]


class Check(NamedTuple):
    """One line of the report."""

    name: str
    decide: Decide
    by_hand: str


def check(name: str, by_hand: str) -> Callable[[Decide], Check]:
    """The check ``name`` decided by the decorated function."""

    def make(decide: Decide) -> Check:
        return Check(name, decide, by_hand)

    return make
