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
