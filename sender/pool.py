"""Wiring a user pool that already exists to the sender, without resetting the rest of it.

``UpdateUserPool`` resets every setting it is not given (other triggers, MFA, password policy,
email configuration, tags). So: read the pool, keep every field the update accepts (the set is
taken from botocore's model of ``UpdateUserPool``, so read-only and newly added fields need no
hand-kept list), change only ``LambdaConfig.CustomEmailSender`` and ``LambdaConfig.KMSKeyID``,
update, read the pool again and fail if anything else moved.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError
from botocore.model import ListShape, Shape, StructureShape

COGNITO_PRINCIPAL = "cognito-idp.amazonaws.com"
LAMBDA_VERSION = "V1_0"
# Keys the verbs mean to change; every other path of the pool must come back identical.
INTENDED_PATHS = ("LambdaConfig.CustomEmailSender", "LambdaConfig.KMSKeyID")
# Change with every update, by design.
VOLATILE_PATHS = ("LastModifiedDate",)


class PoolError(Exception):
    """The pool, function or key is not what the verb needs; nothing was changed, or the
    change went wrong (the message says which)."""


@dataclass(frozen=True)
class Change:
    """One setting that differs, by dotted path."""

    path: str
    old: Any
    new: Any

    def __str__(self) -> str:
        if self.old is None:
            return f"+ {self.path}: {self.new!r}"
        if self.new is None:
            return f"- {self.path}: {self.old!r}"
        return f"~ {self.path}: {self.old!r} -> {self.new!r}"


@dataclass(frozen=True)
class Plan:
    """What an attach or detach will send, and what it changes."""

    user_pool_id: str
    before: dict[str, Any]
    request: dict[str, Any]
    changes: tuple[Change, ...]
    warnings: tuple[str, ...] = field(default=())

    @property
    def kept(self) -> int:
        """How many settings the update sends back unchanged."""
        changed = {c.path for c in self.changes}
        return sum(1 for path in flatten(self.request) if path not in changed)


def update_request(pool: Mapping[str, Any], input_shape: StructureShape) -> dict[str, Any]:
    """The ``update_user_pool`` arguments that reproduce ``pool`` as it is."""
    request = _fit(pool, input_shape)
    assert isinstance(request, dict)
    if "PoolName" in input_shape.members and "Name" in pool:
        request["PoolName"] = pool["Name"]
    admin = request.get("AdminCreateUserConfig")
    password_policy = request.get("Policies", {}).get("PasswordPolicy", {})
    # The deprecated field conflicts with its replacement when both are sent.
    if isinstance(admin, dict) and "TemporaryPasswordValidityDays" in password_policy:
        admin.pop("UnusedAccountValidityDays", None)
    request["UserPoolId"] = pool["Id"]
    return request


def _fit(value: Any, shape: Shape) -> Any:
    """``value`` reduced to what ``shape`` accepts, recursively."""
    if isinstance(shape, StructureShape) and isinstance(value, Mapping):
        return {k: _fit(v, shape.members[k]) for k, v in value.items() if k in shape.members}
    if isinstance(shape, ListShape) and isinstance(value, list):
        return [_fit(item, shape.member) for item in value]
    return value


def with_sender(
    lambda_config: Mapping[str, Any], function_arn: str, key_arn: str
) -> dict[str, Any]:
    """The pool's trigger configuration with the custom email sender set."""
    current_key = lambda_config.get("KMSKeyID")
    if lambda_config.get("CustomSMSSender") and current_key and current_key != key_arn:
        raise PoolError(
            f"the pool's CustomSMSSender uses KMSKeyID {current_key}; a pool has one key for "
            f"both custom senders, so attaching with {key_arn} would break SMS: "
            f"pass --kms-key-arn {current_key} (and let the sender decrypt with it)"
        )
    merged = dict(lambda_config)
    merged["CustomEmailSender"] = {"LambdaArn": function_arn, "LambdaVersion": LAMBDA_VERSION}
    merged["KMSKeyID"] = key_arn
    return merged


def without_sender(lambda_config: Mapping[str, Any]) -> dict[str, Any]:
    """The trigger configuration without the custom email sender (the key stays while the
    custom SMS sender still uses it)."""
    remaining = {k: v for k, v in lambda_config.items() if k != "CustomEmailSender"}
    if not remaining.get("CustomSMSSender"):
        remaining.pop("KMSKeyID", None)
    return remaining


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Leaf values by dotted path (list items by index)."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and value and all(isinstance(i, Mapping | list) for i in value):
        out = {}
        for index, item in enumerate(value):
            out.update(flatten(item, f"{prefix}[{index}]"))
        return out
    return {prefix: value}


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[Change, ...]:
    """Every leaf that differs between two settings trees."""
    old, new = flatten(before), flatten(after)
    return tuple(
        Change(path, old.get(path), new.get(path))
        for path in sorted(old.keys() | new.keys())
        if old.get(path) != new.get(path)
    )


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == p or path.startswith((f"{p}.", f"{p}[")) for p in prefixes)


class PoolEditor:
    """Plans and applies attach/detach with the given boto3 clients."""

    def __init__(self, cognito: Any, lambda_client: Any, kms: Any) -> None:
        self.cognito = cognito
        self.lambda_client = lambda_client
        self.kms = kms

    def describe(self, user_pool_id: str) -> dict[str, Any]:
        """The pool as ``describe_user_pool`` returns it; refuses a missing pool."""
        try:
            pool: dict[str, Any] = self.cognito.describe_user_pool(UserPoolId=user_pool_id)[
                "UserPool"
            ]
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "")
            if code in ("ResourceNotFoundException", "InvalidParameterException"):
                raise PoolError(f"user pool {user_pool_id!r} does not exist ({code})") from err
            raise
        return pool

    def plan_attach(self, user_pool_id: str, function_arn: str, key_arn: str) -> Plan:
        """Check the pool, function and key; the update that sets the custom email sender."""
        pool = self.describe(user_pool_id)
        self._check_function(function_arn)
        self._check_key(key_arn)
        lambda_config = with_sender(pool.get("LambdaConfig", {}), function_arn, key_arn)
        warnings = self._permission_warnings(function_arn, pool)
        return self._plan(pool, lambda_config, warnings)

    def plan_detach(self, user_pool_id: str) -> Plan:
        """The update that removes only the custom email sender."""
        pool = self.describe(user_pool_id)
        lambda_config = pool.get("LambdaConfig", {})
        if "CustomEmailSender" not in lambda_config:
            raise PoolError(f"user pool {user_pool_id!r} has no CustomEmailSender to detach")
        return self._plan(pool, without_sender(lambda_config), ())

    def apply(self, plan: Plan) -> dict[str, Any]:
        """Update, read back, and fail unless exactly the intended keys changed."""
        self.cognito.update_user_pool(**plan.request)
        after = self.describe(plan.user_pool_id)
        unexpected = [
            c
            for c in diff(plan.before, after)
            if not _under(c.path, INTENDED_PATHS + VOLATILE_PATHS)
        ]
        wanted = plan.request.get("LambdaConfig", {})
        got = after.get("LambdaConfig", {})
        missed = [c for c in diff(wanted, got) if _under(f"LambdaConfig.{c.path}", INTENDED_PATHS)]
        if unexpected or missed:
            lines = [str(c) for c in unexpected] + [
                f"LambdaConfig.{c.path}: wanted {c.old!r}, pool has {c.new!r}" for c in missed
            ]
            raise PoolError(
                f"user pool {plan.user_pool_id} changed in ways that were not intended:\n  "
                + "\n  ".join(lines)
            )
        return after

    def _plan(
        self, pool: dict[str, Any], lambda_config: dict[str, Any], warnings: tuple[str, ...]
    ) -> Plan:
        shape = self.cognito.meta.service_model.operation_model("UpdateUserPool").input_shape
        request = update_request(pool, shape)
        if lambda_config:
            request["LambdaConfig"] = lambda_config
        else:
            request.pop("LambdaConfig", None)
        changes = tuple(
            Change(f"LambdaConfig.{c.path}", c.old, c.new)
            for c in diff(pool.get("LambdaConfig", {}), lambda_config)
        )
        return Plan(pool["Id"], pool, request, changes, warnings)

    def _check_function(self, function_arn: str) -> None:
        try:
            self.lambda_client.get_function(FunctionName=function_arn)
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "")
            if code in ("ResourceNotFoundException", "InvalidParameterValueException"):
                raise PoolError(f"function {function_arn!r} does not exist ({code})") from err
            raise

    def _check_key(self, key_arn: str) -> None:
        try:
            meta = self.kms.describe_key(KeyId=key_arn)["KeyMetadata"]
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "")
            if code in ("NotFoundException", "InvalidArnException"):
                raise PoolError(f"KMS key {key_arn!r} does not exist ({code})") from err
            raise
        if meta.get("Arn") != key_arn:
            raise PoolError(
                f"{key_arn!r} is not a key ARN; pass the key's ARN {meta.get('Arn')} "
                "(Cognito and the Encryption SDK need the ARN, not an alias or a key id)"
            )
        spec = meta.get("KeySpec", "SYMMETRIC_DEFAULT")
        if spec != "SYMMETRIC_DEFAULT" or meta.get("KeyUsage", "ENCRYPT_DECRYPT") != (
            "ENCRYPT_DECRYPT"
        ):
            raise PoolError(f"KMS key {key_arn} is {spec}; Cognito needs a symmetric key")
        if meta.get("KeyState", "Enabled") != "Enabled":
            raise PoolError(f"KMS key {key_arn} is {meta.get('KeyState')}, not Enabled")

    def _permission_warnings(self, function_arn: str, pool: Mapping[str, Any]) -> tuple[str, ...]:
        pool_arn = pool.get("Arn", "")
        try:
            policy = json.loads(self.lambda_client.get_policy(FunctionName=function_arn)["Policy"])
        except ClientError:
            policy = {"Statement": []}
        for statement in policy.get("Statement", []):
            principal = statement.get("Principal", {})
            service = principal.get("Service") if isinstance(principal, Mapping) else principal
            source = json.dumps(statement.get("Condition", {}))
            if service == COGNITO_PRINCIPAL and pool_arn in source:
                return ()
        return (
            f"the function's resource policy does not let {COGNITO_PRINCIPAL} invoke it for "
            f"{pool_arn}: every email will fail until it does (deploy the stack with "
            f"UserPoolId={pool.get('Id')}, or 'aws lambda add-permission' with --source-arn)",
        )
