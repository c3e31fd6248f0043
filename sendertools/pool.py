"""Wiring a user pool that already exists to the sender, without resetting the rest of it.

``UpdateUserPool`` resets every setting it is not given (other triggers, MFA, password policy,
email configuration, tags). So: read the pool, keep every field the update accepts (the set is
taken from botocore's model of ``UpdateUserPool``, so read-only and newly added fields need no
hand-kept list), change only ``LambdaConfig.CustomEmailSender`` and ``LambdaConfig.KMSKeyID``,
update, read the pool again, and write the previous configuration back if anything else moved.
Everything that can be checked before the update (function, permission, key, settings the
installed SDK does not know) is checked first, so a refusal changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.model import ListShape, Shape, StructureShape

from sendertools.awscall import AwsError, call, call_if_found
from sendertools.lambdapolicy import add_permission_command, cognito_may_invoke

LAMBDA_VERSION = "V1_0"
# Change by themselves (every update, sign-ups, delivery problems), not because of the update.
VOLATILE_PATHS = (
    "LastModifiedDate",
    "EstimatedNumberOfUsers",
    "SmsConfigurationFailure",
    "EmailConfigurationFailure",
)
# DescribeUserPool still returns this deprecated alias of
# Policies.PasswordPolicy.TemporaryPasswordValidityDays; an update cannot send both, and the
# alias may or may not come back afterwards. Beside its replacement it carries nothing.
DEPRECATED_ALIAS = ("AdminCreateUserConfig", "UnusedAccountValidityDays")
BACKUP_FORMAT = "cognito-sender user pool backup 1"


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
    """What an attach, detach or restore will send, and what the pool must read back as."""

    user_pool_id: str
    before: dict[str, Any]
    target: dict[str, Any]
    request: dict[str, Any]
    warnings: tuple[str, ...] = field(default=())

    @property
    def changes(self) -> tuple[Change, ...]:
        """The settings the update changes."""
        return diff(normalised(self.before), normalised(self.target))

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
        admin.pop(DEPRECATED_ALIAS[1], None)
    if not request.get("LambdaConfig"):
        request.pop("LambdaConfig", None)
    request["UserPoolId"] = pool["Id"]
    return request


def _fit(value: Any, shape: Shape) -> Any:
    """``value`` reduced to what ``shape`` accepts, recursively."""
    if isinstance(shape, StructureShape) and isinstance(value, Mapping):
        return {k: _fit(v, shape.members[k]) for k, v in value.items() if k in shape.members}
    if isinstance(shape, ListShape) and isinstance(value, list):
        return [_fit(item, shape.member) for item in value]
    return value


def normalised(pool: Mapping[str, Any]) -> dict[str, Any]:
    """The pool as settings to compare: the deprecated alias is dropped beside its
    replacement, so its coming and going is not a change."""
    out = dict(pool)
    policy = out.get("Policies", {}).get("PasswordPolicy", {})
    admin = out.get(DEPRECATED_ALIAS[0])
    if "TemporaryPasswordValidityDays" in policy and isinstance(admin, Mapping):
        out[DEPRECATED_ALIAS[0]] = {k: v for k, v in admin.items() if k != DEPRECATED_ALIAS[1]}
    return out


def unknown_settings(raw: Any, parsed: Any, prefix: str = "") -> list[str]:
    """Dotted paths present in the raw response but dropped by botocore's parser: settings
    the installed SDK does not know, so an update through it would reset them."""
    if isinstance(raw, Mapping):
        found: list[str] = []
        known = parsed if isinstance(parsed, Mapping) else {}
        for key, value in raw.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if value is None:
                continue
            if key not in known:
                found.append(path)
            else:
                found.extend(unknown_settings(value, known[key], path))
        return found
    if isinstance(raw, list) and isinstance(parsed, list):
        return [
            p
            for index, (r, q) in enumerate(zip(raw, parsed, strict=False))
            for p in unknown_settings(r, q, f"{prefix}[{index}]")
        ]
    return []


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


def mismatches(target: Mapping[str, Any], actual: Mapping[str, Any]) -> tuple[Change, ...]:
    """How ``actual`` differs from what the pool should read back as (``old`` is wanted)."""
    return tuple(
        c
        for c in diff(normalised(target), normalised(actual))
        if not any(c.path == p or c.path.startswith(f"{p}.") for p in VOLATILE_PATHS)
    )


def write_backup(pool: Mapping[str, Any], path: Path) -> Path:
    """Save the pool as ``describe_user_pool`` returned it, for ``restore``; never overwrites."""
    document = {
        "format": BACKUP_FORMAT,
        "userPoolId": pool["Id"],
        "savedAt": datetime.now(UTC).isoformat(timespec="seconds"),
        "userPool": pool,
    }
    with path.open("x", encoding="utf-8") as out:
        json.dump(document, out, indent=2, sort_keys=True, default=str)
        out.write("\n")
    return path


def default_backup_path(user_pool_id: str, folder: Path = Path()) -> Path:
    """``cognito-pool-<id>-<UTC time>.json`` in ``folder``, numbered if it exists."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"cognito-pool-{user_pool_id}-{stamp}.json"
    number = 2
    while path.exists():
        path = folder / f"cognito-pool-{user_pool_id}-{stamp}-{number}.json"
        number += 1
    return path


def read_backup(path: Path) -> dict[str, Any]:
    """The pool saved in a backup file; ``PoolError`` names what is wrong with the file."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise PoolError(f"cannot read backup {str(path)!r}: {err}") from err
    if not isinstance(document, dict):
        document = {}
    pool = document.get("userPool")
    if document.get("format") != BACKUP_FORMAT or not isinstance(pool, dict) or "Id" not in pool:
        raise PoolError(
            f"{str(path)!r} is not a user pool backup (expected format {BACKUP_FORMAT!r} "
            "with a userPool object, as attach, detach and restore write)"
        )
    return pool


@dataclass(frozen=True)
class SenderFunction:
    """The function to attach, as ``GetFunction`` describes it."""

    arn: str
    environment: dict[str, str]


class PoolEditor:
    """Plans and applies attach, detach and restore with the given boto3 clients."""

    def __init__(self, cognito: Any, lambda_client: Any, kms: Any) -> None:
        self.cognito = cognito
        self.lambda_client = lambda_client
        self.kms = kms
        self._raw: dict[str, Any] = {}
        service = cognito.meta.service_model.service_id.hyphenize()
        cognito.meta.events.register(
            f"before-parse.{service}.DescribeUserPool", self._keep_raw, unique_id="pool-raw"
        )

    def _keep_raw(self, response_dict: Mapping[str, Any], **_: Any) -> None:
        try:
            self._raw = json.loads(response_dict.get("body") or b"{}").get("UserPool") or {}
        except (ValueError, AttributeError):
            self._raw = {}

    def describe(self, user_pool_id: str) -> dict[str, Any]:
        """The pool as ``describe_user_pool`` returns it; refuses a missing pool."""
        try:
            response = call(
                self.cognito, "describe_user_pool", user_pool_id, UserPoolId=user_pool_id
            )
        except AwsError as err:
            if err.code in ("ResourceNotFoundException", "InvalidParameterException"):
                raise PoolError(f"user pool {user_pool_id!r} does not exist ({err.code})") from err
            raise
        pool: dict[str, Any] = response["UserPool"]
        return pool

    def read(self, user_pool_id: str) -> dict[str, Any]:
        """The pool, refused when it holds a setting the installed SDK cannot carry."""
        self._raw = {}
        pool = self.describe(user_pool_id)
        unknown = unknown_settings(self._raw, pool)
        if unknown:
            import botocore

            raise PoolError(
                f"user pool {user_pool_id} has settings that botocore {botocore.__version__} "
                f"does not know: {', '.join(sorted(unknown))}; an update through it would reset "
                "them. Upgrade boto3/botocore and run again; the pool was not changed"
            )
        return pool

    def plan_attach(
        self, user_pool_id: str, function: str, key_arn: str, *, force: bool = False
    ) -> Plan:
        """Check the pool, function, permission and key; the update that sets the sender."""
        pool = self.read(user_pool_id)
        sender = self.function(function)
        self._check_key(key_arn)
        configured = sender.environment.get("KMS_KEY_ARN")
        if configured != key_arn:
            raise PoolError(
                f"function {sender.arn} decrypts with KMS_KEY_ARN={configured!r}, not {key_arn}: "
                "every code would fail to decrypt. Attach with the function's key, or deploy "
                "the function with this key; the pool was not changed"
            )
        lambda_config = with_sender(pool.get("LambdaConfig", {}), sender.arn, key_arn)
        warnings: tuple[str, ...] = ()
        if not self.cognito_may_invoke(sender.arn, pool["Arn"]):
            problem = (
                f"the resource policy of {sender.arn} does not let cognito-idp.amazonaws.com "
                f"invoke it for {pool['Arn']}: Cognito's invocations would be refused and every "
                "email lost, with no log and no alarm"
            )
            fix = add_permission_command(sender.arn, pool["Arn"])
            if not force:
                raise PoolError(
                    f"{problem}. Fix it with:\n  {fix}\n(or --force to attach anyway); "
                    "the pool was not changed"
                )
            warnings = (f"{problem}; fix it with: {fix}",)
        return self._plan(pool, {**pool, "LambdaConfig": lambda_config}, warnings)

    def plan_detach(self, user_pool_id: str) -> Plan:
        """The update that removes only the custom email sender."""
        pool = self.read(user_pool_id)
        lambda_config = pool.get("LambdaConfig", {})
        if "CustomEmailSender" not in lambda_config:
            raise PoolError(f"user pool {user_pool_id!r} has no CustomEmailSender to detach")
        return self._plan(pool, {**pool, "LambdaConfig": without_sender(lambda_config)})

    def plan_restore(self, saved: Mapping[str, Any]) -> Plan:
        """The update that puts a saved configuration back."""
        pool = self.read(str(saved["Id"]))
        updatable = set(self._update_shape().members) | {"Name"}
        target = {k: v for k, v in pool.items() if k not in updatable}
        target.update({k: v for k, v in saved.items() if k in updatable})
        return self._plan(pool, target)

    def apply(self, plan: Plan) -> dict[str, Any]:
        """Update and read back; if anything but the plan's changes moved, write the previous
        configuration back and raise ``PoolError`` saying what happened."""
        call(self.cognito, "update_user_pool", plan.user_pool_id, **plan.request)
        after = self.describe(plan.user_pool_id)
        wrong = mismatches(plan.target, after)
        if not wrong:
            return after
        lines = "\n  ".join(f"{c.path}: wanted {c.old!r}, the pool has {c.new!r}" for c in wrong)
        message = (
            f"user pool {plan.user_pool_id} changed in ways that were not intended:\n  {lines}"
        )
        try:
            previous = update_request(plan.before, self._update_shape())
            call(self.cognito, "update_user_pool", plan.user_pool_id, **previous)
            left = mismatches(plan.before, self.describe(plan.user_pool_id))
        except AwsError as err:
            raise PoolError(
                f"{message}\nwriting the previous configuration back failed: {err}"
            ) from err
        if left:
            raise PoolError(
                f"{message}\nthe previous configuration was written back, but it still differs:"
                "\n  " + "\n  ".join(f"{c.path}: was {c.old!r}, now {c.new!r}" for c in left)
            )
        raise PoolError(f"{message}\nthe previous configuration was written back and verified")

    def function(self, function: str) -> SenderFunction:
        """The function by name, partial or full ARN; refuses one that does not exist."""
        try:
            response = call(self.lambda_client, "get_function", function, FunctionName=function)
        except AwsError as err:
            if err.code in ("ResourceNotFoundException", "InvalidParameterValueException"):
                raise PoolError(f"function {function!r} does not exist ({err.code})") from err
            raise
        config = response["Configuration"]
        variables = (config.get("Environment") or {}).get("Variables") or {}
        return SenderFunction(str(config["FunctionArn"]), dict(variables))

    def cognito_may_invoke(self, function_arn: str, pool_arn: str) -> bool:
        """Whether the function's resource policy lets Cognito invoke it for this pool."""
        response = call_if_found(
            self.lambda_client,
            "get_policy",
            function_arn,
            missing="ResourceNotFoundException",
            FunctionName=function_arn,
        )
        return cognito_may_invoke((response or {}).get("Policy"), pool_arn)

    def _plan(
        self, pool: dict[str, Any], target: dict[str, Any], warnings: tuple[str, ...] = ()
    ) -> Plan:
        request = update_request(target, self._update_shape())
        return Plan(pool["Id"], pool, target, request, warnings)

    def _update_shape(self) -> StructureShape:
        shape: StructureShape = self.cognito.meta.service_model.operation_model(
            "UpdateUserPool"
        ).input_shape
        return shape

    def _check_key(self, key_arn: str) -> None:
        try:
            meta = call(self.kms, "describe_key", key_arn, KeyId=key_arn)["KeyMetadata"]
        except AwsError as err:
            if err.code in ("NotFoundException", "InvalidArnException"):
                raise PoolError(f"KMS key {key_arn!r} does not exist ({err.code})") from err
            raise
        if meta.get("Arn") != key_arn:
            raise PoolError(
                f"{key_arn!r} is not a key ARN; pass the key's ARN {meta.get('Arn')} "
                "(Cognito and the Encryption SDK need the ARN, not an alias or a key id)"
            )
        spec = meta.get("KeySpec", "SYMMETRIC_DEFAULT")
        usage = meta.get("KeyUsage", "ENCRYPT_DECRYPT")
        if spec != "SYMMETRIC_DEFAULT" or usage != "ENCRYPT_DECRYPT":
            raise PoolError(
                f"KMS key {key_arn} is {spec} for {usage}; Cognito needs a symmetric "
                "encryption key (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT)"
            )
        if meta.get("KeyState", "Enabled") != "Enabled":
            raise PoolError(f"KMS key {key_arn} is {meta.get('KeyState')}, not Enabled")
