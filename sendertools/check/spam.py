"""The spam score of every brand's emails. The batch (``sendertools.spamscore.SpamBatch``) knows
an email by kind, locale and sample; the check scores each sample once per brand, so the brand
travels in the sample's slot (``<brand>/<sample>``: neither name holds a ``/``) and is taken out
again for the findings and the report."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sendertools.check.finding import Finding

if TYPE_CHECKING:
    from sendertools.spamscore import SpamBatch

_SEP = "/"


def queue(spam: SpamBatch, kind: str, locale: str, sample: str, brand: str, raw: bytes) -> None:
    """Queue one brand's email for its score."""
    spam.add(kind, locale, f"{brand}{_SEP}{sample}", raw)


def spam_findings(spam: SpamBatch) -> list[Finding]:
    """The batch's findings, each with its sample and brand apart."""
    found = []
    for finding in spam.findings():
        if finding.sample is not None:
            sample, brand = _apart(finding.sample)
            finding = replace(finding, sample=sample, brand=brand)
        found.append(finding)
    return found


def spam_report(spam: SpamBatch) -> dict[str, Any]:
    """The batch's report (``check --json``), each email's sample and brand apart."""
    report = spam.report()
    emails = []
    for email in report.get("emails", []):
        sample, brand = _apart(str(email["sample"]))
        where = {"kind": email["kind"], "locale": email["locale"], "sample": sample}
        emails.append(
            {**where, "brand": brand, **{k: v for k, v in email.items() if k not in where}}
        )
    return {**report, "emails": emails} if "emails" in report else report


def _apart(queued: str) -> tuple[str, str | None]:
    """``(sample, brand)`` of a sample's name as queued."""
    brand, sep, sample = queued.partition(_SEP)
    return (sample, brand) if sep else (queued, None)
