"""Read a live deployment (read-only) and report, check by check, what stops or threatens
Cognito's emails, with the fix for each problem; exit 1 when something is blocking.

Each line is ok, warning or blocking (an email cannot be sent). A check that could not run is a
warning saying "could not check:" and why: an earlier check failed, or a call was refused or is
not implemented by the endpoint. Reads real AWS, or a moto_server named by AWS_ENDPOINT_URL.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sendertools.doctor import Finding


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The verb's options."""
    parser.add_argument("--user-pool-id", required=True, help="e.g. eu-west-1_AbCdEf123")
    parser.add_argument(
        "--region", help="AWS region (default: the pool id's, else the usual boto3 resolution)"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help='print a JSON list of {"check", "status", "detail", "fix"} objects',
    )


def run(args: argparse.Namespace) -> int:
    """Run every check with clients from the usual boto3 configuration; print; exit status."""
    import boto3

    from sendertools.doctor import Doctor, exit_status, pool_region

    session = boto3.session.Session(region_name=args.region or pool_region(args.user_pool_id))
    findings = Doctor(session, args.user_pool_id).run()
    if args.json:
        print(json.dumps([f.as_dict() for f in findings], indent=2))
    else:
        print(report(findings))
    return exit_status(findings)


def report(findings: list[Finding]) -> str:
    """One line per check (status, check, detail), an indented fix line under each problem,
    and a summary line."""
    width = max(len(f.check) for f in findings) + 2
    lines: list[str] = []
    for finding in findings:
        lines.append(f"{finding.status:<10}{finding.check:<{width}}{finding.detail}")
        if finding.fix and finding.status != "ok":
            lines.append(f"{'':<10}fix: {finding.fix}")
    counts = {s: sum(1 for f in findings if f.status == s) for s in ("ok", "warning", "blocking")}
    verdict = (
        "emails cannot be sent until the blocking problems are fixed"
        if counts["blocking"]
        else "nothing blocks sending"
    )
    lines.append(
        f"{len(findings)} checks: {counts['ok']} ok, {counts['warning']} warning(s), "
        f"{counts['blocking']} blocking; {verdict}"
    )
    return "\n".join(lines)
