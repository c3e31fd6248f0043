"""The SAM template, parsed and transformed locally with the SAM translator."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

TEMPLATE = Path(__file__).resolve().parents[2] / "infra" / "template.yaml"
REQUIRED = {"EmailFrom": "Example <no-reply@example.com>", "SesIdentity": "example.com"}


@cache
def _source() -> dict[str, Any]:
    parsed: dict[str, Any] = yaml_parse(TEMPLATE.read_text(encoding="utf-8"))
    return parsed


def source() -> dict[str, Any]:
    """The template as written (intrinsics as dicts: {'Ref': ...}, {'Fn::GetAtt': [...]})."""
    return copy.deepcopy(_source())


class _NoManagedPolicies:
    """The template names no managed policies, so the translator needs no IAM look-up."""

    def load(self) -> dict[str, str]:
        return {}


def transformed(
    parameters: dict[str, str] | None = None, *, bucket: str = "code", key: str = "lambda.zip"
) -> dict[str, Any]:
    """Plain CloudFormation, as 'sam deploy' would submit it with the package uploaded to S3."""
    template = source()
    template["Resources"]["SenderFunction"]["Properties"]["CodeUri"] = {
        "Bucket": bucket,
        "Key": key,
    }
    result: dict[str, Any] = transform(
        template, {**REQUIRED, **(parameters or {})}, _NoManagedPolicies()
    )
    return result


def role_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    """Every statement that grants the function's role something: inline and attached."""
    resources = template["Resources"]
    statements: list[dict[str, Any]] = []
    for policy in resources["SenderRole"]["Properties"].get("Policies", []):
        statements += policy["PolicyDocument"]["Statement"]
    for resource in resources.values():
        if (
            resource["Type"] == "AWS::IAM::Policy"
            and {"Ref": "SenderRole"} in resource["Properties"]["Roles"]
        ):
            statements += resource["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _resolve(value: Any, conditions: dict[str, bool], parameters: dict[str, str]) -> Any:
    """Fn::If chosen and AWS::NoValue dropped, as CloudFormation does for these parameters."""
    if isinstance(value, dict):
        if set(value) == {"Fn::If"}:
            name, yes, no = value["Fn::If"]
            return _resolve(yes if conditions[name] else no, conditions, parameters)
        out = {}
        for key, item in value.items():
            resolved = _resolve(item, conditions, parameters)
            if resolved != {"Ref": "AWS::NoValue"}:
                out[key] = resolved
        return out
    if isinstance(value, list):
        items = [_resolve(item, conditions, parameters) for item in value]
        return [item for item in items if item != {"Ref": "AWS::NoValue"}]
    return value


def _condition(expr: Any, conditions: dict[str, Any], parameters: dict[str, str]) -> Any:
    if isinstance(expr, dict):
        [(fn, args)] = expr.items()
        if fn == "Ref":
            return parameters[args]
        if fn == "Condition":
            return _condition(conditions[args], conditions, parameters)
        if fn == "Fn::Equals":
            left, right = (_condition(a, conditions, parameters) for a in args)
            return str(left) == str(right)
        if fn == "Fn::Not":
            return not _condition(args[0], conditions, parameters)
        if fn == "Fn::And":
            return all(_condition(a, conditions, parameters) for a in args)
        if fn == "Fn::Or":
            return any(_condition(a, conditions, parameters) for a in args)
        if fn == "Fn::Join":
            delimiter, items = args
            items = _condition(items, conditions, parameters)
            # A CommaDelimitedList parameter is given here as its text.
            parts = items.split(",") if isinstance(items, str) else items
            return delimiter.join(str(_condition(i, conditions, parameters)) for i in parts)
        raise ValueError(f"condition function {fn!r} is not evaluated here")
    return expr


def rendered(parameters: dict[str, str] | None = None) -> dict[str, Any]:
    """The transformed template with its conditions evaluated for ``parameters``: resources
    and outputs of false conditions dropped, every Fn::If resolved."""
    template = transformed(parameters)
    given = {**REQUIRED, **(parameters or {})}
    values = {
        name: given.get(name, spec.get("Default", ""))
        for name, spec in template.get("Parameters", {}).items()
    }
    raw = template.get("Conditions", {})
    conditions = {name: bool(_condition(expr, raw, values)) for name, expr in raw.items()}
    for section in ("Resources", "Outputs"):
        template[section] = {
            name: _resolve(item, conditions, values)
            for name, item in template[section].items()
            if conditions.get(item.get("Condition", ""), True)
        }
    return template
