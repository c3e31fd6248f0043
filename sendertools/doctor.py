"""Reading a live deployment and saying what stops (or threatens) Cognito's emails.

Every check reads only: the pool, the function and its resource policy, the key, the role's
policies (or IAM's policy simulator), SES, the asynchronous invocation settings, the failure
queue and CloudWatch. Each ends as a ``Finding``: ``ok``, ``warning`` or ``blocking`` (an email
cannot be sent), with the fix. A check that cannot run (an earlier one failed, a call is
refused or not implemented) is a ``warning`` whose detail starts with ``could not check: ``;
nothing is skipped silently and nothing is reported ok that was not seen to be ok.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, TypeVar, cast
from urllib.parse import unquote

from botocore.config import Config
from botocore.exceptions import BotoCoreError

from sendertools.awscall import AwsError, call, call_if_found
from sendertools.lambdapolicy import add_permission_command, cognito_may_invoke

if TYPE_CHECKING:
    from boto3.session import Session

Status = Literal["ok", "warning", "blocking"]
OK: Status = "ok"
WARNING: Status = "warning"
BLOCKING: Status = "blocking"
COULD_NOT_CHECK = "could not check: "

# sender.observability.NAMESPACE, not imported from there: that module loads Powertools.
DEFAULT_NAMESPACE = "CognitoEmailSender"
FAILED_METRIC = "EmailsFailed"
CONTEXT_KEY = "kms:EncryptionContext:userpool-id"
WINDOW = timedelta(hours=24)
# A diagnosis should answer in seconds, also when an endpoint is down or a call unimplemented.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=5,
    read_timeout=20,
    user_agent_extra="cognito-sender-doctor",
)
_DENIED_CODES = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation")
_IAM_PREFIX = {"sesv2": "ses"}
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")
_T = TypeVar("_T")


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
    """What a check method found; the runner names the check."""

    status: Status
    detail: str
    fix: str = ""


class Access(NamedTuple):
    """Whether a role may do one action on one resource, and how that was decided."""

    decision: Literal["allowed", "uncertain", "not allowed", "denied"]
    why: str


class _Skip(Exception):
    """A check cannot run because what it reads is missing; ``after`` is the check to fix."""

    def __init__(self, reason: str, after: str) -> None:
        super().__init__(reason)
        self.after = after


def pool_region(user_pool_id: str) -> str | None:
    """The region a pool id starts with (``eu-west-1_AbC`` -> ``eu-west-1``), if it has one."""
    prefix = user_pool_id.partition("_")[0]
    return prefix if _REGION.fullmatch(prefix) else None


def exit_status(findings: list[Finding]) -> int:
    """0 when nothing is blocking, else 1."""
    return 1 if any(f.status == BLOCKING for f in findings) else 0


def _ok(detail: str) -> Verdict:
    return Verdict(OK, detail)


def _warning(detail: str, fix: str) -> Verdict:
    return Verdict(WARNING, detail, fix)


def _blocking(detail: str, fix: str) -> Verdict:
    return Verdict(BLOCKING, detail, fix)


def _explain(err: AwsError) -> str:
    """The error on one line, without the body of an HTML error page."""
    lowered = err.message.lower()
    if "<html" in lowered or "<!doctype" in lowered:
        return (
            f"{err.operation} on {err.resource} failed: {err.code}: the endpoint answered with "
            "a web page, not an AWS response (the call is probably not implemented there)"
        )
    return str(err)


def _iam_action(operation: str) -> str:
    service, _, name = operation.partition(" ")
    return f"{_IAM_PREFIX.get(service, service)}:{name}"


def _arn_part(arn: str, index: int, default: str = "") -> str:
    parts = arn.split(":")
    return parts[index] if arn.startswith("arn:") and len(parts) > index else default


def _function_name(function_arn: str) -> str:
    """The name in ``arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`` (or a name)."""
    return _arn_part(function_arn, 6, function_arn)


def _role_name(role_arn: str) -> str:
    """The name in ``arn:aws:iam::ACCOUNT:role/PATH/NAME``."""
    return role_arn.rsplit("/", 1)[-1]


def _listed(value: Any) -> list[Any]:
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
            patterns = [str(v) for v in _listed(values)]
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
        if fold:
            return any(fnmatchcase(value.lower(), str(p).lower()) for p in _listed(patterns))
        return any(fnmatchcase(value, str(p)) for p in _listed(patterns))

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


_RANK = {"allowed": 0, "uncertain": 1, "not allowed": 2, "denied": 3}


class Doctor:
    """The checks of one user pool's custom email sender, with clients from one session."""

    def __init__(self, session: Session, user_pool_id: str) -> None:
        self.session = session
        self.user_pool_id = user_pool_id
        self.region = session.region_name or pool_region(user_pool_id) or ""
        self._clients: dict[tuple[str, str], Any] = {}
        self._memo: dict[str, tuple[bool, Any]] = {}
        self._simulate_failure: AwsError | None = None

    # -- plumbing -------------------------------------------------------------------------

    def _client(self, service: str, region: str | None = None) -> Any:
        key = (service, region or self.region)
        if key not in self._clients:
            # The session's overloads want a literal service name; the services vary here.
            make: Callable[..., Any] = self.session.client
            try:
                self._clients[key] = make(service, region_name=key[1] or None, config=CLIENT_CONFIG)
            except BotoCoreError as err:
                reason = type(err).__name__
                raise AwsError(
                    f"{service} client", key[1] or "no region", reason, str(err)
                ) from err
        return self._clients[key]

    def _once(self, key: str, compute: Callable[[], _T]) -> _T:
        """``compute()``'s value, or its failure, computed once for every check that reads it."""
        if key not in self._memo:
            try:
                self._memo[key] = (True, compute())
            except (AwsError, _Skip, ValueError) as err:
                self._memo[key] = (False, err)
        done, value = self._memo[key]
        if not done:
            raise value
        return cast(_T, value)

    def _pages(
        self, client: Any, method: str, resource: str, items: str, token: str, **kwargs: Any
    ) -> Iterator[Any]:
        """Every item of a paginated list call (``token`` names the request's page marker)."""
        while True:
            page = call(client, method, resource, **kwargs)
            yield from page.get(items, [])
            marker = page.get(token)
            if not marker or page.get("IsTruncated") is False:
                return
            kwargs[token] = marker

    # -- what the checks read -------------------------------------------------------------

    def _pool(self) -> dict[str, Any]:
        def read() -> dict[str, Any]:
            response = call(
                self._client("cognito-idp"),
                "describe_user_pool",
                f"user pool {self.user_pool_id}",
                UserPoolId=self.user_pool_id,
            )
            return dict(response["UserPool"])

        return self._once("pool", read)

    def _lambda_config(self) -> dict[str, Any]:
        return dict(self._pool().get("LambdaConfig") or {})

    def _sender_arn(self) -> str:
        arn = (self._lambda_config().get("CustomEmailSender") or {}).get("LambdaArn")
        if not arn:
            raise _Skip("the pool has no custom email sender", "custom-email-sender")
        return str(arn)

    def _key_id(self) -> str:
        key = self._lambda_config().get("KMSKeyID")
        if not key:
            raise _Skip("the pool has no KMSKeyID", "kms-key-id")
        return str(key)

    def _pool_arn(self) -> str:
        arn = self._pool().get("Arn")
        if not arn:
            raise _Skip("describe_user_pool returned no Arn for the pool", "user-pool")
        return str(arn)

    def _function_region(self) -> str:
        try:
            return _arn_part(self._sender_arn(), 3, self.region) or self.region
        except _Skip:
            return self.region

    def _lambda(self) -> Any:
        return self._client("lambda", self._function_region())

    def _function_or_none(self) -> dict[str, Any] | None:
        """The function's configuration, or None when it does not exist."""

        def read() -> dict[str, Any] | None:
            arn = self._sender_arn()
            return call_if_found(
                self._lambda(),
                "get_function_configuration",
                f"function {arn}",
                missing="ResourceNotFoundException",
                FunctionName=arn,
            )

        return self._once("function", read)

    def _function(self) -> dict[str, Any]:
        config = self._function_or_none()
        if config is None:
            raise _Skip(f"the function {self._sender_arn()} does not exist", "function")
        return config

    def _environment(self) -> dict[str, str]:
        variables = (self._function().get("Environment") or {}).get("Variables") or {}
        return {str(k): str(v) for k, v in variables.items()}

    def _namespace(self) -> str:
        return self._environment().get("POWERTOOLS_METRICS_NAMESPACE") or DEFAULT_NAMESPACE

    def _sender_address(self) -> str:
        """EMAIL_FROM's address; _Skip when it is missing or not an address."""
        value = self._environment().get("EMAIL_FROM", "")
        address = parseaddr(value)[1]
        if "@" not in address:
            raise _Skip(f"EMAIL_FROM {value!r} is not an email address", "ses-identity")
        return address

    def _ses(self) -> Any:
        return self._client("sesv2", self._function_region())

    def _identity(self, name: str) -> dict[str, Any] | None:
        """The SES v2 identity ``name``, or None when there is none."""

        def read() -> dict[str, Any] | None:
            return call_if_found(
                self._ses(),
                "get_email_identity",
                f"SES identity {name}",
                missing="NotFoundException",
                EmailIdentity=name,
            )

        return self._once(f"identity:{name}", read)

    def _account(self) -> dict[str, Any]:
        return self._once("account", lambda: call(self._ses(), "get_account", "the SES account"))

    def _invoke_config(self) -> dict[str, Any] | None:
        """The function's asynchronous invocation settings, or None when it has none."""

        def read() -> dict[str, Any] | None:
            arn = self._sender_arn()
            self._function()
            return call_if_found(
                self._lambda(),
                "get_function_event_invoke_config",
                f"function {arn}",
                missing="ResourceNotFoundException",
                FunctionName=arn,
            )

        return self._once("invoke-config", read)

    def _failure_destination(self) -> str | None:
        config = self._invoke_config() or {}
        destination = ((config.get("DestinationConfig") or {}).get("OnFailure") or {}).get(
            "Destination"
        )
        dead_letter = (self._function().get("DeadLetterConfig") or {}).get("TargetArn")
        return str(destination or dead_letter) if destination or dead_letter else None

    # -- the role -------------------------------------------------------------------------

    def _role_arn(self) -> str:
        role = self._function().get("Role")
        if not role:
            raise _Skip("the function has no execution role", "function")
        return str(role)

    def _role_statements(self, role_arn: str) -> list[tuple[str, Mapping[str, Any]]]:
        """Every statement of the role's inline and attached policies, with the policy name."""

        def read() -> list[tuple[str, Mapping[str, Any]]]:
            iam = self._client("iam")
            role = _role_name(role_arn)
            resource = f"role {role}"
            documents: list[tuple[str, object]] = []
            for name in self._pages(
                iam, "list_role_policies", resource, "PolicyNames", "Marker", RoleName=role
            ):
                got = call(iam, "get_role_policy", resource, RoleName=role, PolicyName=name)
                documents.append((f"inline policy {name}", got["PolicyDocument"]))
            for attached in self._pages(
                iam, "list_attached_role_policies", resource, "AttachedPolicies", "Marker",
                RoleName=role,
            ):  # fmt: skip
                arn = attached["PolicyArn"]
                policy = call(iam, "get_policy", f"policy {arn}", PolicyArn=arn)["Policy"]
                version = call(
                    iam,
                    "get_policy_version",
                    f"policy {arn}",
                    PolicyArn=arn,
                    VersionId=policy["DefaultVersionId"],
                )
                documents.append((f"policy {arn}", version["PolicyVersion"]["Document"]))
            statements: list[tuple[str, Mapping[str, Any]]] = []
            for name, raw in documents:
                try:
                    document = policy_document(raw)
                except ValueError as err:
                    raise ValueError(f"the role's {name} could not be read: {err}") from err
                for statement in _listed(document.get("Statement")):
                    if isinstance(statement, Mapping):
                        statements.append((name, statement))
            return statements

        return self._once(f"statements:{role_arn}", read)

    def _simulate(
        self, role_arn: str, action: str, resource: str, context: Mapping[str, str]
    ) -> Access:
        entries = [
            {"ContextKeyName": k, "ContextKeyValues": [v], "ContextKeyType": "string"}
            for k, v in context.items()
        ]
        response = call(
            self._client("iam"),
            "simulate_principal_policy",
            f"role {role_arn}",
            PolicySourceArn=role_arn,
            ActionNames=[action],
            ResourceArns=[resource],
            ContextEntries=entries,
        )
        results = response.get("EvaluationResults") or [{}]
        decision = str(results[0].get("EvalDecision", ""))
        missing = _listed(results[0].get("MissingContextValues"))
        if decision == "allowed":
            return Access("allowed", "the simulator allows it")
        if decision == "explicitDeny":
            return Access("denied", "an explicit Deny applies")
        if missing:
            return Access(
                "uncertain",
                f"the simulation needs context it was not given ({', '.join(map(str, missing))})",
            )
        return Access("not allowed", f"the simulator says {decision or 'nothing'}")

    def _access(
        self, role_arn: str, action: str, resource: str, context: Mapping[str, str]
    ) -> Access:
        """Simulated by IAM when it can be, else read from the role's policies."""
        if self._simulate_failure is None:
            try:
                return self._simulate(role_arn, action, resource, context)
            except AwsError as err:
                self._simulate_failure = err
        return evaluate(self._role_statements(role_arn), action, resource, context)

    def _how(self, resource_policy: str) -> str:
        """How the role checks decided, and what they leave out."""
        failure = self._simulate_failure
        if failure is None:
            left_out = f"; {resource_policy} is not part of it" if resource_policy else ""
            return f"IAM policy simulation{left_out}"
        left_out = "permissions boundaries and SCPs"
        left_out = f"{resource_policy}, {left_out}" if resource_policy else left_out
        return (
            f"read statically from the role's policies, {failure.operation} failed: "
            f"{failure.code}; {left_out} are not part of this check"
        )

    def _ses_arn(self, kind: str, name: str) -> str:
        arn = self._sender_arn()
        partition, account = _arn_part(arn, 1, "aws"), _arn_part(arn, 4)
        return f"arn:{partition}:ses:{self._function_region()}:{account}:{kind}/{name}"

    # -- the checks -----------------------------------------------------------------------

    def check_user_pool(self) -> Verdict:
        pool = self._pool()
        return _ok(f"{self.user_pool_id} ({pool.get('Name', 'no name')}) in {self.region}")

    def _attach_command(self) -> str:
        """``cognito-sender attach`` with what the pool already names, placeholders for the rest."""
        config = self._lambda_config()
        function = (config.get("CustomEmailSender") or {}).get("LambdaArn") or "FUNCTION_ARN"
        key = config.get("KMSKeyID") or "KEY_ARN"
        return (
            f"cognito-sender attach --user-pool-id {self.user_pool_id} "
            f"--function-arn {function} --kms-key-arn {key}"
        )

    def check_custom_email_sender(self) -> Verdict:
        sender = self._lambda_config().get("CustomEmailSender") or {}
        attach = self._attach_command()
        if not sender.get("LambdaArn"):
            return _blocking(
                "the pool has no LambdaConfig.CustomEmailSender: Cognito sends its own emails, "
                "not this function's",
                attach,
            )
        version = sender.get("LambdaVersion")
        if version != "V1_0":
            return _blocking(f"CustomEmailSender.LambdaVersion is {version!r}, not 'V1_0'", attach)
        return _ok(f"CustomEmailSender is {sender['LambdaArn']} (V1_0)")

    def check_kms_key_id(self) -> Verdict:
        key = self._lambda_config().get("KMSKeyID")
        attach = self._attach_command()
        if not key:
            return _blocking(
                "the pool has no LambdaConfig.KMSKeyID: Cognito cannot encrypt the codes it "
                "hands to the sender",
                attach,
            )
        if _arn_part(key, 2) != "kms" or ":key/" not in key:
            return _blocking(
                f"KMSKeyID {key!r} is not a key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)", attach
            )
        return _ok(f"KMSKeyID is {key}")

    def check_function(self) -> Verdict:
        arn = self._sender_arn()
        config = self._function_or_none()
        if config is None:
            return _blocking(
                f"the function {arn} does not exist: every email is lost",
                "deploy the sender (infra/README.md), or point the pool at the deployed "
                f"function: {self._attach_command().replace(arn, 'FUNCTION_ARN')}",
            )
        state = config.get("State", "unknown")
        detail = (
            f"{config.get('FunctionName', arn)}: {config.get('Runtime', 'no runtime')}, {state}"
        )
        if state == "Failed":
            return _blocking(
                f"{detail} ({config.get('StateReason', 'no reason given')})",
                "redeploy the function; its state reason says what failed",
            )
        return _ok(f"{detail}, role {config.get('Role', 'none')}")

    def check_invoke_permission(self) -> Verdict:
        arn, pool_arn = self._sender_arn(), self._pool_arn()
        self._function()
        fix = add_permission_command(arn, pool_arn)
        try:
            policy = call(self._lambda(), "get_policy", f"function {arn}", FunctionName=arn)
        except AwsError as err:
            if err.code != "ResourceNotFoundException":
                raise
            return _blocking(
                f"the function {arn} has no resource policy: Cognito's invocations are refused "
                "before it runs (no log, no metric, every email lost)",
                fix,
            )
        if not cognito_may_invoke(policy.get("Policy"), pool_arn):
            return _blocking(
                f"the function's resource policy does not let cognito-idp.amazonaws.com invoke "
                f"it for {pool_arn}: every email is lost before the function runs",
                fix,
            )
        return _ok(f"cognito-idp.amazonaws.com may invoke the function for {pool_arn}")

    def check_function_key(self) -> Verdict:
        key = self._key_id()
        configured = self._environment().get("KMS_KEY_ARN")
        if configured == key:
            return _ok(f"the function's KMS_KEY_ARN is the pool's KMSKeyID {key}")
        return _blocking(
            f"the function decrypts with KMS_KEY_ARN={configured!r} but Cognito encrypts with "
            f"KMSKeyID {key}: every code fails to decrypt",
            f"redeploy the function with KMS_KEY_ARN={key}, or attach the pool to the "
            f"function's key: cognito-sender attach --user-pool-id {self.user_pool_id} "
            f"--function-arn {self._sender_arn()} --kms-key-arn {configured or 'KEY_ARN'}",
        )

    def check_key_state(self) -> Verdict:
        key = self._key_id()
        kms = self._client("kms", _arn_part(key, 3, self.region) or self.region)
        try:
            meta = call(kms, "describe_key", f"key {key}", KeyId=key)["KeyMetadata"]
        except AwsError as err:
            if err.code != "NotFoundException":
                raise
            return _blocking(
                f"the key {key} does not exist",
                "create a symmetric encryption key and attach it with cognito-sender attach",
            )
        state = meta.get("KeyState")
        spec = meta.get("KeySpec") or meta.get("CustomerMasterKeySpec")
        # A SYMMETRIC_DEFAULT key is always ENCRYPT_DECRYPT (moto omits KeyUsage).
        usage = meta.get("KeyUsage") or ("ENCRYPT_DECRYPT" if spec == "SYMMETRIC_DEFAULT" else None)
        if spec != "SYMMETRIC_DEFAULT" or usage != "ENCRYPT_DECRYPT":
            return _blocking(
                f"the key {key} is {spec}/{usage}; Cognito needs SYMMETRIC_DEFAULT/ENCRYPT_DECRYPT",
                "create a symmetric encryption key and attach it with cognito-sender attach",
            )
        if state == "Enabled":
            return _ok(f"{key} is enabled, symmetric, for encryption")
        fixes = {
            "Disabled": shlex.join(["aws", "kms", "enable-key", "--key-id", key]),
            "PendingDeletion": shlex.join(["aws", "kms", "cancel-key-deletion", "--key-id", key])
            + " && "
            + shlex.join(["aws", "kms", "enable-key", "--key-id", key]),
            "PendingImport": "import the key material (aws kms import-key-material)",
            "Unavailable": "reconnect the key's custom key store",
        }
        return _blocking(
            f"the key {key} is {state}: no code can be encrypted or decrypted",
            fixes.get(str(state), "wait until the key is Enabled, or attach an enabled key"),
        )

    def check_role_decrypt(self) -> Verdict:
        key, role = self._key_id(), self._role_arn()
        access = self._access(role, "kms:Decrypt", key, {CONTEXT_KEY: self.user_pool_id})
        statement = {
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": key,
            "Condition": {"StringEquals": {CONTEXT_KEY: self.user_pool_id}},
        }
        fix = _put_role_policy(role, "cognito-sender-decrypt", statement)
        what = f"role {_role_name(role)} kms:Decrypt on the key for userpool-id {self.user_pool_id}"
        return self._verdict(access, what, fix, self._how("the key policy"))

    def check_role_send(self) -> Verdict:
        role, address = self._role_arn(), self._sender_address()
        domain = address.rpartition("@")[2]
        identities = [self._ses_arn("identity", address), self._ses_arn("identity", domain)]
        checks = [self._access(role, "ses:SendEmail", arn, {}) for arn in identities]
        worst = min(checks, key=lambda a: _RANK[a.decision])
        resources = [identities[1]]
        named = [f"identity/{domain} (or identity/{address})"]
        configuration_set = self._environment().get("SES_CONFIGURATION_SET")
        if configuration_set:
            arn = self._ses_arn("configuration-set", configuration_set)
            resources.append(arn)
            named.append(f"configuration-set/{configuration_set}")
            on_set = self._access(role, "ses:SendEmail", arn, {})
            if _RANK[on_set.decision] > _RANK[worst.decision]:
                worst = on_set
        statement = {
            "Effect": "Allow",
            "Action": ["ses:SendEmail", "ses:SendRawEmail"],
            "Resource": resources,
        }
        fix = _put_role_policy(role, "cognito-sender-send", statement)
        what = f"role {_role_name(role)} ses:SendEmail on {' and '.join(named)}"
        return self._verdict(worst, what, fix, self._how(""))

    def _verdict(self, access: Access, what: str, fix: str, how: str) -> Verdict:
        if access.decision == "allowed":
            return _ok(f"{what}: {access.why} ({how})")
        if access.decision == "uncertain":
            return _warning(
                f"{what}: {access.why} ({how})",
                f"check that the conditions hold for the function, or use: {fix}",
            )
        return _blocking(f"{what}: {access.decision}, {access.why} ({how})", fix)

    def check_ses_identity(self) -> Verdict:
        value = self._environment().get("EMAIL_FROM", "")
        address = parseaddr(value)[1]
        if "@" not in address:
            return _blocking(
                f"the function's EMAIL_FROM {value!r} is not an email address",
                "redeploy the function with EMAIL_FROM, e.g. 'Example <no-reply@example.com>'",
            )
        domain = address.rpartition("@")[2]
        seen: list[str] = []
        for name in (address, domain):
            identity = self._identity(name)
            if identity is None:
                continue
            status = identity.get("VerificationStatus")
            if identity.get("VerifiedForSendingStatus") or status == "SUCCESS":
                return _ok(f"{address} may send: SES identity {name} is verified")
            seen.append(f"{name} is {status or 'not verified'}")
        region = self._function_region()
        if seen:
            return _blocking(
                f"EMAIL_FROM {address} is not verified for sending in {region}: {'; '.join(seen)}",
                f"publish the DNS records of {domain} shown by: aws sesv2 get-email-identity "
                f"--email-identity {domain} --region {region} (or click the link SES mailed "
                f"to {address})",
            )
        return _blocking(
            f"neither {address} nor {domain} is an SES identity in {region}: SES refuses "
            "every message from EMAIL_FROM",
            f"aws sesv2 create-email-identity --email-identity {domain} --region {region}, "
            "then publish the DKIM records it returns",
        )

    def check_configuration_set(self) -> Verdict:
        name = self._environment().get("SES_CONFIGURATION_SET")
        if not name:
            return _ok("the function sends without a configuration set (SES_CONFIGURATION_SET)")
        try:
            call(
                self._ses(),
                "get_configuration_set",
                f"configuration set {name}",
                ConfigurationSetName=name,
            )
        except AwsError as err:
            if err.code != "NotFoundException":
                raise
            return _blocking(
                f"the configuration set {name!r} (SES_CONFIGURATION_SET) does not exist in "
                f"{self._function_region()}: SES refuses every message",
                f"aws sesv2 create-configuration-set --configuration-set-name {name} "
                f"--region {self._function_region()}, or redeploy without SES_CONFIGURATION_SET",
            )
        return _ok(f"the configuration set {name} exists")

    def check_ses_sending(self) -> Verdict:
        account = self._account()
        enforcement = account.get("EnforcementStatus", "unknown")
        if account.get("SendingEnabled") is False:
            if enforcement == "SHUTDOWN":
                fix = "AWS shut sending down: answer the case in the SES console's Reputation page"
            else:
                fix = "aws sesv2 put-account-sending-attributes --sending-enabled"
            return _blocking(
                f"SES sending is disabled for the account in {self._function_region()} "
                f"(enforcement status {enforcement})",
                fix,
            )
        if enforcement == "PROBATION":
            return _warning(
                "the SES account is under review (PROBATION): bounces or complaints are too high "
                "and sending may be paused",
                "see the SES console's Reputation page and bring the rates down",
            )
        return _ok(f"SES sending is enabled (enforcement status {enforcement})")

    def check_ses_sandbox(self) -> Verdict:
        account = self._account()
        quota = account.get("SendQuota") or {}
        if account.get("ProductionAccessEnabled") is True:
            return _ok(
                f"production access: {quota.get('Max24HourSend', '?')} messages per 24 h, "
                f"{quota.get('MaxSendRate', '?')} per second"
            )
        return _warning(
            f"the SES account is in the sandbox in {self._function_region()}: only verified "
            "recipient addresses receive mail, at most 200 messages per 24 hours and 1 per "
            "second; every other user gets no email",
            "request production access: SES console > Account dashboard > Request production "
            "access (or aws sesv2 put-account-details --production-access-enabled ...)",
        )

    def check_dkim(self) -> Verdict:
        address = self._sender_address()
        domain = address.rpartition("@")[2]
        identity = self._identity(domain)
        if identity is None:
            if self._identity(address) is None:
                raise _Skip(f"neither {address} nor {domain} is an SES identity", "ses-identity")
            return _warning(
                f"{domain} is not an SES identity: messages from {address} are not DKIM-signed "
                "for the domain, and more of them land in spam",
                f"aws sesv2 create-email-identity --email-identity {domain}, then publish the "
                "DKIM records it returns",
            )
        dkim = identity.get("DkimAttributes") or {}
        status = dkim.get("Status", "NOT_STARTED")
        if status == "SUCCESS" and dkim.get("SigningEnabled", True):
            return _ok(f"DKIM is verified and signing for {domain}")
        if status == "SUCCESS":
            return _warning(
                f"DKIM is verified for {domain} but signing is off",
                f"aws sesv2 put-email-identity-dkim-attributes --email-identity {domain} "
                "--signing-enabled",
            )
        return _warning(
            f"DKIM for {domain} is {status}: messages are not DKIM-signed, and more of them "
            "land in spam",
            f"publish the CNAME records listed by: aws sesv2 get-email-identity --email-identity "
            f"{domain} --query DkimAttributes.Tokens (TOKEN._domainkey.{domain} -> "
            "TOKEN.dkim.amazonses.com)",
        )

    def check_async_failure_handling(self) -> Verdict:
        arn = self._sender_arn()
        config = self._invoke_config()
        destination = self._failure_destination()
        queue = "arn:aws:sqs:REGION:ACCOUNT:QUEUE" if destination is None else destination
        fix = shlex.join(
            [
                "aws", "lambda", "put-function-event-invoke-config",
                "--function-name", arn,
                "--maximum-retry-attempts", "2",
                "--destination-config",
                json.dumps({"OnFailure": {"Destination": queue}}, separators=(",", ":")),
            ]
        )  # fmt: skip
        retries = 2 if config is None else config.get("MaximumRetryAttempts", 2)
        problems = []
        if retries == 0:
            problems.append(
                "MaximumRetryAttempts is 0: one throttle or transient SES/KMS error loses the email"
            )
        if destination is None:
            problems.append(
                "no on-failure destination (nor dead-letter queue): an event that still fails "
                "after its retries is dropped, with nothing to replay"
            )
        if problems:
            return _warning("; ".join(problems), fix)
        age = (config or {}).get("MaximumEventAgeInSeconds", 21600)
        return _ok(f"{retries} retries within {age} s, then to {destination}")

    def check_failure_queue(self) -> Verdict:
        destination = self._failure_destination()
        if destination is None:
            raise _Skip("the function has no on-failure destination", "async-failure-handling")
        if _arn_part(destination, 2) != "sqs":
            raise _Skip(
                f"the on-failure destination {destination} is not an SQS queue",
                "async-failure-handling",
            )
        sqs = self._client("sqs", _arn_part(destination, 3) or self.region)
        name, account = _arn_part(destination, 5), _arn_part(destination, 4)
        url = call(
            sqs,
            "get_queue_url",
            f"queue {destination}",
            QueueName=name,
            QueueOwnerAWSAccountId=account,
        )["QueueUrl"]
        attributes = call(
            sqs,
            "get_queue_attributes",
            f"queue {url}",
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        ).get("Attributes", {})
        waiting = int(attributes.get("ApproximateNumberOfMessages", 0))
        in_flight = int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0))
        if waiting + in_flight == 0:
            return _ok(f"no failed events wait in {url}")
        return _warning(
            f"{waiting + in_flight} failed event(s) wait in {url} ({in_flight} being received): "
            "those emails were never sent",
            f"fix their cause (recent-failures, the 'email not sent' log lines), then: "
            f"cognito-sender replay --queue-url {url} --function-arn {self._sender_arn()}",
        )

    def check_alarms(self) -> Verdict:
        name, namespace = _function_name(self._sender_arn()), self._namespace()
        cloudwatch = self._client("cloudwatch", self._function_region())
        found: list[str] = []
        for alarm in self._pages(
            cloudwatch, "describe_alarms", "CloudWatch alarms", "MetricAlarms", "NextToken"
        ):
            if _watches(alarm, name, namespace):
                found.append(str(alarm.get("AlarmName")))
        if found:
            return _ok(f"alarm(s) on the function: {', '.join(sorted(found))}")
        command = [
            "aws", "cloudwatch", "put-metric-alarm",
            "--alarm-name", f"{name}-errors",
            "--namespace", "AWS/Lambda", "--metric-name", "Errors",
            "--dimensions", f"Name=FunctionName,Value={name}",
            "--statistic", "Sum", "--period", "300", "--evaluation-periods", "1",
            "--threshold", "1", "--comparison-operator", "GreaterThanOrEqualToThreshold",
            "--treat-missing-data", "notBreaching", "--alarm-actions", "SNS_TOPIC_ARN",
        ]  # fmt: skip
        return _warning(
            f"no CloudWatch alarm watches the function {name} (Errors) or {namespace} "
            f"{FAILED_METRIC}: failures go unnoticed",
            f"deploy infra/template.yaml's alarms, or: {shlex.join(command)}",
        )

    def check_recent_failures(self) -> Verdict:
        name, namespace = _function_name(self._sender_arn()), self._namespace()
        cloudwatch = self._client("cloudwatch", self._function_region())
        # To the end of the current minute: a datapoint from this very second counts too.
        end = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)

        def total(metric_namespace: str, metric: str, dimensions: list[dict[str, str]]) -> int:
            datapoints = call(
                cloudwatch,
                "get_metric_statistics",
                f"metric {metric_namespace} {metric}",
                Namespace=metric_namespace,
                MetricName=metric,
                Dimensions=dimensions,
                StartTime=end - WINDOW,
                EndTime=end,
                Period=int(WINDOW.total_seconds()),
                Statistics=["Sum"],
            ).get("Datapoints", [])
            return int(sum(point.get("Sum", 0) for point in datapoints))

        by_reason: dict[str, int] = {}
        seen: set[tuple[tuple[str, str], ...]] = set()
        for metric in self._pages(
            cloudwatch, "list_metrics", f"metrics {namespace} {FAILED_METRIC}", "Metrics",
            "NextToken", Namespace=namespace, MetricName=FAILED_METRIC,
        ):  # fmt: skip
            dimensions = [
                {"Name": str(d["Name"]), "Value": str(d["Value"])} for d in metric["Dimensions"]
            ]
            identity = tuple(sorted((d["Name"], d["Value"]) for d in dimensions))
            # Series of another function sharing the namespace (its `function` dimension) are
            # not this sender's; series from before that dimension existed cannot be told apart.
            if identity in seen or dict(identity).get("function", name) != name:
                continue
            seen.add(identity)
            count = total(namespace, FAILED_METRIC, dimensions)
            if count:
                reason = dict(identity).get("reason", "no reason")
                by_reason[reason] = by_reason.get(reason, 0) + count
        errors = total("AWS/Lambda", "Errors", [{"Name": "FunctionName", "Value": name}])
        if not by_reason and not errors:
            return _ok(f"no {FAILED_METRIC} and no Lambda Errors in the last 24 h")
        failed = sum(by_reason.values())
        reasons = ", ".join(f"{r} {n}" for r, n in sorted(by_reason.items(), key=lambda i: -i[1]))
        return _warning(
            f"in the last 24 h: {failed} {FAILED_METRIC}"
            + (f" ({reasons})" if reasons else "")
            + f", {errors} Lambda Errors of {name}",
            "read the function's 'email not sent' log lines (reason, permanent) and fix the "
            "cause; then replay the failed events: cognito-sender replay --queue-url URL "
            f"--function-arn {self._sender_arn()}",
        )

    # -- running --------------------------------------------------------------------------

    def run(self) -> list[Finding]:
        """Every check, in order. A pool that cannot be read is the only finding."""
        try:
            self._pool()
        except AwsError as err:
            return [Finding("user-pool", BLOCKING, _explain(err), self._pool_fix(err))]
        findings: list[Finding] = []
        for check, method, by_hand in CHECKS:
            try:
                verdict = getattr(self, method)()
            except _Skip as skip:
                verdict = _warning(
                    f"{COULD_NOT_CHECK}{skip}", f"fix {skip.after} first, then run doctor again"
                )
            except AwsError as err:
                verdict = _warning(f"{COULD_NOT_CHECK}{_explain(err)}", _access_fix(err, by_hand))
            except ValueError as err:
                verdict = _warning(f"{COULD_NOT_CHECK}{err}", f"check by hand: {by_hand}")
            findings.append(Finding(check, *verdict))
        return findings

    def _pool_fix(self, err: AwsError) -> str:
        if err.code == "ResourceNotFoundException":
            return (
                f"check --user-pool-id and --region: there is no pool {self.user_pool_id} in "
                f"{self.region} for these credentials"
            )
        if any(code in err.code for code in _DENIED_CODES):
            return _access_fix(err, "")
        return (
            "check the credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID), the region (--region) and "
            "the endpoint (AWS_ENDPOINT_URL), then run again"
        )


def _put_role_policy(role_arn: str, name: str, statement: Mapping[str, Any]) -> str:
    """The AWS CLI command that adds ``statement`` to the role as an inline policy."""
    document = json.dumps(
        {"Version": "2012-10-17", "Statement": [statement]}, separators=(",", ":")
    )
    return shlex.join(
        [
            "aws", "iam", "put-role-policy",
            "--role-name", _role_name(role_arn),
            "--policy-name", name,
            "--policy-document", document,
        ]
    )  # fmt: skip


def _access_fix(err: AwsError, by_hand: str) -> str:
    if any(code in err.code for code in _DENIED_CODES):
        hand = f", or check by hand: {by_hand}" if by_hand else ""
        return f"allow {_iam_action(err.operation)} to the credentials running the doctor{hand}"
    return f"check by hand: {by_hand}" if by_hand else "run the doctor again"


def _watches(alarm: Mapping[str, Any], function_name: str, namespace: str) -> bool:
    """Whether a metric alarm watches the function (any metric with its FunctionName or
    Resource dimension) or the sender's failure metric (directly or in a query)."""
    metrics: list[Mapping[str, Any]] = [alarm]
    expressions: list[str] = []
    for query in _listed(alarm.get("Metrics")):
        metrics.append((query.get("MetricStat") or {}).get("Metric") or {})
        if query.get("Expression"):
            expressions.append(str(query["Expression"]))
    for metric in metrics:
        for dimension in _listed(metric.get("Dimensions")):
            value = str(dimension.get("Value", ""))
            if dimension.get("Name") in ("FunctionName", "Resource") and (
                value == function_name or value.startswith(f"{function_name}:")
            ):
                return True
        if metric.get("MetricName") == FAILED_METRIC and metric.get("Namespace") == namespace:
            return True
    for expression in expressions:
        query, _, where = expression.partition(" WHERE ")
        # A query filtered on another function's series watches another deployment.
        this_function = "function" not in where or f"'{function_name}'" in where
        if FAILED_METRIC in query and namespace in query and this_function:
            return True
    return False


# (check id, method, what to look at by hand when the check cannot run), in report order.
CHECKS: tuple[tuple[str, str, str], ...] = (
    ("user-pool", "check_user_pool", "the pool in the Cognito console"),
    ("custom-email-sender", "check_custom_email_sender", "aws cognito-idp describe-user-pool"),
    ("kms-key-id", "check_kms_key_id", "aws cognito-idp describe-user-pool"),
    ("function", "check_function", "aws lambda get-function-configuration"),
    ("invoke-permission", "check_invoke_permission", "aws lambda get-policy"),
    ("function-key", "check_function_key", "the function's KMS_KEY_ARN"),
    ("key-state", "check_key_state", "aws kms describe-key"),
    ("role-decrypt", "check_role_decrypt", "the function role's policies and the key policy"),
    ("role-send", "check_role_send", "the function role's policies"),
    ("ses-identity", "check_ses_identity", "aws sesv2 get-email-identity"),
    ("configuration-set", "check_configuration_set", "aws sesv2 get-configuration-set"),
    ("ses-sending", "check_ses_sending", "aws sesv2 get-account (SendingEnabled)"),
    ("ses-sandbox", "check_ses_sandbox", "aws sesv2 get-account (ProductionAccessEnabled)"),
    ("dkim", "check_dkim", "aws sesv2 get-email-identity (DkimAttributes)"),
    (
        "async-failure-handling",
        "check_async_failure_handling",
        "aws lambda get-function-event-invoke-config",
    ),
    ("failure-queue", "check_failure_queue", "aws sqs get-queue-attributes"),
    ("alarms", "check_alarms", "aws cloudwatch describe-alarms"),
    ("recent-failures", "check_recent_failures", "the function's metrics in CloudWatch"),
)
