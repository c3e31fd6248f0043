"""Whether the function's role may do one action on one resource: IAM's policy simulator while
it answers, else the role's own policies read statically, and what each way leaves out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sendertools.awscall import AwsError, call
from sendertools.doctor.names import role_name
from sendertools.doctor.policy import Access, evaluate, listed, policy_document
from sendertools.doctor.reader import Reader, pages


class RoleAccess:
    """Role decisions for one run: once the simulator fails, every later one is read
    statically, and ``how`` says so."""

    def __init__(self, aws: Reader) -> None:
        self.aws = aws
        self.simulate_failure: AwsError | None = None

    def of(self, role_arn: str, action: str, resource: str, context: Mapping[str, str]) -> Access:
        """Simulated by IAM when it can be, else read from the role's policies."""
        if self.simulate_failure is None:
            try:
                return self._simulate(role_arn, action, resource, context)
            except AwsError as err:
                self.simulate_failure = err
        return evaluate(self._statements(role_arn), action, resource, context)

    def how(self, resource_policy: str) -> str:
        """How the role checks decided, and what they leave out."""
        failure = self.simulate_failure
        if failure is None:
            left_out = f"; {resource_policy} is not part of it" if resource_policy else ""
            return f"IAM policy simulation{left_out}"
        left_out = "permissions boundaries and SCPs"
        left_out = f"{resource_policy}, {left_out}" if resource_policy else left_out
        return (
            f"read statically from the role's policies, {failure.operation} failed: "
            f"{failure.code}; {left_out} are not part of this check"
        )

    def _simulate(
        self, role_arn: str, action: str, resource: str, context: Mapping[str, str]
    ) -> Access:
        entries = [
            {"ContextKeyName": k, "ContextKeyValues": [v], "ContextKeyType": "string"}
            for k, v in context.items()
        ]
        response = call(
            self.aws.client("iam"),
            "simulate_principal_policy",
            f"role {role_arn}",
            PolicySourceArn=role_arn,
            ActionNames=[action],
            ResourceArns=[resource],
            ContextEntries=entries,
        )
        results = response.get("EvaluationResults") or [{}]
        decision = str(results[0].get("EvalDecision", ""))
        missing = listed(results[0].get("MissingContextValues"))
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

    def _statements(self, role_arn: str) -> list[tuple[str, Mapping[str, Any]]]:
        """Every statement of the role's inline and attached policies, with the policy name."""

        def read() -> list[tuple[str, Mapping[str, Any]]]:
            statements: list[tuple[str, Mapping[str, Any]]] = []
            for name, raw in self._documents(role_name(role_arn)):
                try:
                    document = policy_document(raw)
                except ValueError as err:
                    raise ValueError(f"the role's {name} could not be read: {err}") from err
                for statement in listed(document.get("Statement")):
                    if isinstance(statement, Mapping):
                        statements.append((name, statement))
            return statements

        return self.aws.once(f"statements:{role_arn}", read)

    def _documents(self, role: str) -> list[tuple[str, object]]:
        """The role's policy documents as IAM returns them, inline ones first."""
        iam = self.aws.client("iam")
        resource = f"role {role}"
        documents: list[tuple[str, object]] = []
        for name in pages(
            iam, "list_role_policies", resource, "PolicyNames", "Marker", RoleName=role
        ):
            got = call(iam, "get_role_policy", resource, RoleName=role, PolicyName=name)
            documents.append((f"inline policy {name}", got["PolicyDocument"]))
        for attached in pages(
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
        return documents
