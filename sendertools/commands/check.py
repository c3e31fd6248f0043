"""Check every brand × email kind × locale × sample: render errors, leftovers, size, links, alt
text, lang, translations, subject length and spam score, and every brand's colours (set, and
readable at WCAG AA contrast); exits non-zero on any error."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from sendertools.commands import add_templates_option

if TYPE_CHECKING:
    from sendertools.check import Finding

SKIPPED = "spam score: not checked (--no-spam-score)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The verb's options."""
    add_templates_option(parser)
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.add_argument(
        "--no-spam-score",
        action="store_true",
        help="skip SpamAssassin's score (it costs ~0.1 s of CPU per email not scored before)",
    )


def run(args: argparse.Namespace) -> int:
    """Run every rule; print a table (or JSON); 1 if any error was found."""
    from sendertools.check import check_all, has_errors
    from sendertools.check.spam import spam_report
    from sendertools.spamscore import SpamBatch

    spam = None if args.no_spam_score else SpamBatch()
    findings = check_all(args.templates, spam=spam)
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    if args.json:
        json.dump(
            {
                "errors": errors,
                "warnings": warnings,
                "findings": [f.to_dict() for f in findings],
                "spam_score": spam_report(spam) if spam else {"checked": False, "reason": SKIPPED},
            },
            sys.stdout,
            ensure_ascii=False,
            indent=2,
        )
        print()
    else:
        print(table(findings))
        if spam is None:
            print(SKIPPED)
        elif spam.scores:  # otherwise a finding already says why there is no score
            print(spam.summary())
        print(f"{errors} error(s), {warnings} warning(s) in {args.templates}")
    return 1 if has_errors(findings) else 0


def table(findings: list[Finding]) -> str:
    """The findings as an aligned, human-readable table."""
    if not findings:
        return "every email passes every rule"
    rows = [("SEVERITY", "RULE", "FILE", "EMAIL", "BRAND", "REASON")]
    for f in findings:
        email = "/".join(x for x in (f.kind, f.locale, f.sample) if x) or "-"
        rows.append((f.severity, f.rule, f.file, email, f.brand or "-", f.message))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:5])) + "  " + row[5]
        for row in rows
    )
