"""Whether a function's resource policy lets Cognito invoke it for one user pool, and the
command that makes it so. Without that permission Cognito's invocations are refused before
the function runs: no log, no metric, no failed event, every email lost."""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase
from typing import Any

COGNITO_PRINCIPAL = "cognito-idp.amazonaws.com"
_ACTIONS = ("lambda:InvokeFunction", "lambda:*", "*")


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _is_cognito(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        return any(p in (COGNITO_PRINCIPAL, "*") for p in _listed(principal.get("Service")))
    return False


def _condition_values(condition: Mapping[str, Any], key: str) -> Iterable[tuple[str, str]]:
    """(operator, value) for every test of ``key`` in a policy condition block."""
    for operator, tests in condition.items():
        if not isinstance(tests, Mapping):
            continue
        for name, values in tests.items():
            if name.lower() == key.lower():
                for value in _listed(values):
                    yield operator, str(value)


def _matches(operator: str, pattern: str, actual: str) -> bool:
    base = operator.removeprefix("ForAnyValue:").removesuffix("IfExists")
    if base in ("ArnLike", "StringLike"):
        return fnmatchcase(actual, pattern)
    if base in ("ArnEquals", "StringEquals"):
        return actual == pattern
    if base == "StringEqualsIgnoreCase":
        return actual.lower() == pattern.lower()
    return False


def _covers(statement: Mapping[str, Any], pool_arn: str) -> bool:
    """The statement is about Cognito invoking the function for this pool."""
    if not _is_cognito(statement.get("Principal")):
        return False
    if not any(a in _ACTIONS for a in _listed(statement.get("Action"))):
        return False
    condition = statement.get("Condition") or {}
    account = pool_arn.split(":")[4] if pool_arn.count(":") >= 5 else ""
    for key, actual in (("AWS:SourceArn", pool_arn), ("AWS:SourceAccount", account)):
        tests = list(_condition_values(condition, key))
        if tests and not any(_matches(op, value, actual) for op, value in tests):
            return False
    return True


def cognito_may_invoke(policy: Mapping[str, Any] | str | None, pool_arn: str) -> bool:
    """Whether ``policy`` (a resource policy document, JSON or parsed) allows Cognito to invoke
    the function for ``pool_arn`` and denies nothing of it."""
    if policy is None:
        return False
    document = json.loads(policy) if isinstance(policy, str) else policy
    statements = [s for s in _listed(document.get("Statement", [])) if isinstance(s, Mapping)]
    covering = [s for s in statements if _covers(s, pool_arn)]
    if any(s.get("Effect") == "Deny" for s in covering):
        return False
    return any(s.get("Effect") == "Allow" for s in covering)


def add_permission_command(function_arn: str, pool_arn: str) -> str:
    """The AWS CLI command that lets this pool (and only it) invoke the function."""
    parts = pool_arn.split(":")
    region, account = parts[3], parts[4]
    pool_id = pool_arn.rsplit("/", 1)[-1]
    args = [
        "aws", "lambda", "add-permission",
        "--function-name", function_arn,
        "--statement-id", f"cognito-email-sender-{pool_id}",
        "--action", "lambda:InvokeFunction",
        "--principal", COGNITO_PRINCIPAL,
        "--source-arn", pool_arn,
        "--source-account", account,
        "--region", region,
    ]  # fmt: skip
    return shlex.join(args)
