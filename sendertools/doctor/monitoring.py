"""CloudWatch's checks: an alarm watches the function, and nothing failed in the last 24 hours."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sendertools.awscall import call
from sendertools.doctor.checks import check
from sendertools.doctor.finding import Verdict, ok, warning
from sendertools.doctor.fixes import replay_command
from sendertools.doctor.names import function_name
from sendertools.doctor.policy import listed
from sendertools.doctor.reader import pages

if TYPE_CHECKING:
    from sendertools.doctor.deployment import Deployment

FAILED_METRIC = "EmailsFailed"
WINDOW = timedelta(hours=24)


def _watched(d: Deployment) -> tuple[str, str, Any]:
    """The function's name, its metrics' namespace, and CloudWatch in its region."""
    name, namespace = function_name(d.sender_arn()), d.namespace()
    return name, namespace, d.aws.client("cloudwatch", d.function_region())


@check("alarms", "aws cloudwatch describe-alarms")
def check_alarms(d: Deployment) -> Verdict:
    name, namespace, cloudwatch = _watched(d)
    found: list[str] = []
    for alarm in pages(
        cloudwatch, "describe_alarms", "CloudWatch alarms", "MetricAlarms", "NextToken"
    ):
        if _watches(alarm, name, namespace):
            found.append(str(alarm.get("AlarmName")))
    if found:
        return ok(f"alarm(s) on the function: {', '.join(sorted(found))}")
    command = [
        "aws", "cloudwatch", "put-metric-alarm",
        "--alarm-name", f"{name}-errors",
        "--namespace", "AWS/Lambda", "--metric-name", "Errors",
        "--dimensions", f"Name=FunctionName,Value={name}",
        "--statistic", "Sum", "--period", "300", "--evaluation-periods", "1",
        "--threshold", "1", "--comparison-operator", "GreaterThanOrEqualToThreshold",
        "--treat-missing-data", "notBreaching", "--alarm-actions", "SNS_TOPIC_ARN",
    ]  # fmt: skip
    return warning(
        f"no CloudWatch alarm watches the function {name} (Errors) or {namespace} "
        f"{FAILED_METRIC}: failures go unnoticed",
        f"deploy infra/template.yaml's alarms, or: {shlex.join(command)}",
    )


def _watches(alarm: Mapping[str, Any], function_name: str, namespace: str) -> bool:
    """Whether a metric alarm watches the function (any metric with its FunctionName or
    Resource dimension) or the sender's failure metric (directly or in a query)."""
    metrics: list[Mapping[str, Any]] = [alarm]
    expressions: list[str] = []
    for query in listed(alarm.get("Metrics")):
        metrics.append((query.get("MetricStat") or {}).get("Metric") or {})
        if query.get("Expression"):
            expressions.append(str(query["Expression"]))
    for metric in metrics:
        for dimension in listed(metric.get("Dimensions")):
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


@check("recent-failures", "the function's metrics in CloudWatch")
def check_recent_failures(d: Deployment) -> Verdict:
    name, namespace, cloudwatch = _watched(d)
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
    for metric in pages(
        cloudwatch, "list_metrics", f"metrics {namespace} {FAILED_METRIC}", "Metrics",
        "NextToken", Namespace=namespace, MetricName=FAILED_METRIC,
    ):  # fmt: skip
        dimensions = [
            {"Name": str(dim["Name"]), "Value": str(dim["Value"])} for dim in metric["Dimensions"]
        ]
        identity = tuple(sorted((dim["Name"], dim["Value"]) for dim in dimensions))
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
        return ok(f"no {FAILED_METRIC} and no Lambda Errors in the last 24 h")
    failed = sum(by_reason.values())
    reasons = ", ".join(f"{r} {n}" for r, n in sorted(by_reason.items(), key=lambda i: -i[1]))
    return warning(
        f"in the last 24 h: {failed} {FAILED_METRIC}"
        + (f" ({reasons})" if reasons else "")
        + f", {errors} Lambda Errors of {name}",
        "read the function's 'email not sent' log lines (reason, permanent) and fix the "
        "cause; then replay the failed events: " + replay_command("URL", d.sender_arn()),
    )
