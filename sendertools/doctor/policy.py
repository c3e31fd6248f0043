"""IAM policy documents read statically: whether identity-policy statements allow one action on
one resource, decided only where every condition can be evaluated exactly."""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import Any, Literal, NamedTuple
from urllib.parse import unquote

Decision = Literal["allowed", "uncertain", "not allowed", "denied"]
_RANK: dict[Decision, int] = {"allowed": 0, "uncertain": 1, "not allowed": 2, "denied": 3}


class Access(NamedTuple):
    """Whether a role may do one action on one resource, and how that was decided."""

    decision: Decision
    why: str


def rank(access: Access) -> int:
    """How far ``access`` is from allowed: 0 (allowed) to 3 (denied)."""
    return _RANK[access.decision]


def listed(value: Any) -> list[Any]:
    """A JSON value that is one item or a list of them, as a list (None is none)."""
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def policy_document(raw: object) -> dict[str, Any]:
    """A policy document as IAM (or moto) returns it: a dict, JSON, URL-encoded JSON, or the
    ``repr`` of a Python dict (moto, for roles created by CloudFormation)."""
    if isinstance(raw, Mapping):
        return dict(raw)
    text = str(raw)
    for candidate in dict.fromkeys((text, unquote(text))):
        for parse in (json.loads, ast.literal_eval):
            try:
                value = parse(candidate)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                continue
            if isinstance(value, dict):
                return value
    raise ValueError(f"not a policy document: {text[:80]!r}")


def _condition_holds(condition: Mapping[str, Any], context: Mapping[str, str]) -> bool | None:
    """True or False when every test is one this module evaluates exactly (StringEquals or
    StringLike on a key in ``context``); None when some test cannot be evaluated."""
    results: list[bool | None] = []
    for operator, tests in condition.items():
        if not isinstance(tests, Mapping):
            return None
        for key, values in tests.items():
            actual = context.get(str(key).lower())
            if operator not in ("StringEquals", "StringLike") or actual is None:
                results.append(None)
                continue
            patterns = [str(v) for v in listed(values)]
            if operator == "StringEquals":
                results.append(actual in patterns)
            else:
                results.append(any(fnmatchcase(actual, p) for p in patterns))
    if False in results:
        return False
    return None if None in results else True


def _names(statement: Mapping[str, Any], key: str, value: str, *, fold: bool) -> bool:
    """Whether ``Action``/``Resource`` (or its ``Not`` form) of a statement covers ``value``."""

    def covers(patterns: Any) -> bool:
        wanted = value.lower() if fold else value
        return any(
            fnmatchcase(wanted, str(p).lower() if fold else str(p)) for p in listed(patterns)
        )

    if key in statement:
        return covers(statement[key])
    if f"Not{key}" in statement:
        return not covers(statement[f"Not{key}"])
    return False


def evaluate(
    statements: list[tuple[str, Mapping[str, Any]]],
    action: str,
    resource: str,
    context: Mapping[str, str],
) -> Access:
    """Identity-policy statements (``(policy name, statement)``) read for one action on one
    resource. Only exactly evaluable conditions count as met; any other makes it uncertain."""
    context = {k.lower(): v for k, v in context.items()}
    allowed: list[str] = []
    maybe: list[str] = []
    refused: list[str] = []
    denied: list[str] = []
    for name, statement in statements:
        if not (
            _names(statement, "Action", action, fold=True)
            and _names(statement, "Resource", resource, fold=False)
        ):
            continue
        condition = statement.get("Condition")
        holds = _condition_holds(condition, context) if isinstance(condition, Mapping) else True
        if condition and not isinstance(condition, Mapping):
            holds = None
        label = f"{name}: {json.dumps(condition, sort_keys=True)}" if condition else name
        if statement.get("Effect") == "Deny":
            if holds:
                denied.append(name)
            elif holds is None:
                maybe.append(f"a Deny in {label}")
        elif statement.get("Effect") == "Allow":
            if holds:
                allowed.append(name)
            elif holds is None:
                maybe.append(f"an Allow in {label}")
            else:
                refused.append(label)
    if denied:
        return Access("denied", f"denied by {', '.join(denied)}")
    if allowed and not maybe:
        return Access("allowed", f"allowed by {', '.join(allowed)}")
    if allowed or maybe:
        return Access("uncertain", f"depends on conditions not evaluated: {'; '.join(maybe)}")
    if refused:
        return Access("not allowed", f"allowed only under other conditions ({'; '.join(refused)})")
    return Access("not allowed", "no Allow statement matches")
