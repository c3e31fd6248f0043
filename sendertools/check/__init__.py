"""The template check: every brand × email kind × locale × sample, rendered through the real
pipeline (MIME included), held against the rules an email must meet before it ships, and every
brand's settings held against the rules its emails rely on.

Two entry points, both returning a list of ``Finding``:

- ``check_email(workbench, kind, locale, sample, brand=None)``: one email (in the brand the
  Lambda would choose for the sample unless ``brand`` names one), for the preview's badges;
- ``check_all(templates_dir)``: everything, for ``cognito-sender check`` and CI.

Each rule is a small function listed in ``rules.py``: ``FOLDER_RULES`` read the templates
folder once (``FolderContext``: its brands, samples and catalogs), ``EMAIL_RULES`` read one
rendered email (``EmailContext``: the email, its brand, its encoded bytes, its parsed HTML and
its model, each computed once). An email that does not render is one finding
(``failure.py``) and meets no rule. A templates folder whose brands or locales do not load is
one ``setup`` finding, naming the file at fault.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from sender.errors import SenderError
from sender.event import EmailKind
from sender.render import kinds_in
from sender.templating import undecodable_templates
from sendertools.check.context import (
    EmailContext,
    FolderContext,
    Untranslated,
    missing_translations,
)
from sendertools.check.failure import RENDER_FAILURES, render_failure
from sendertools.check.finding import Finding, Severity, has_errors
from sendertools.check.rules import EMAIL_RULES, EMAIL_RULES_IN_FOLDER, FOLDER_RULES, EmailRule
from sendertools.check.spam import queue, spam_findings
from sendertools.check.wire import CLIP_BYTES
from sendertools.samples import Workbench

if TYPE_CHECKING:
    from sendertools.spamscore import SpamBatch

__all__ = [
    "CLIP_BYTES",
    "EMAIL_RULES",
    "FOLDER_RULES",
    "Finding",
    "Severity",
    "Untranslated",
    "check_all",
    "check_email",
    "has_errors",
    "missing_translations",
]


def check_all(templates_dir: Path, *, spam: SpamBatch | None = None) -> list[Finding]:
    """Every rule over every brand × kind × locale × sample of a templates folder; with
    ``spam``, every email's spam score too (``sendertools.spamscore``: one batch, scored at the
    end)."""
    try:
        wb = Workbench(templates_dir)
    except SenderError as err:
        return [setup_failure(err, templates_dir)]
    # Every other rule reads these files, and message extraction fails without naming one.
    unreadable = [
        Finding("error", "encoding", f, why) for f, why in undecodable_templates(templates_dir)
    ]
    if unreadable:
        return unreadable
    folder = FolderContext.of(wb)
    findings = [f for rule in FOLDER_RULES for f in rule(folder)]
    for brand in wb.brands:
        for kind in kinds_in(templates_dir):
            for name in wb.samples.get(kind, {}):
                for locale in wb.catalogs.locales:
                    findings += _check(
                        wb,
                        kind,
                        locale,
                        name,
                        brand,
                        folder.untranslated,
                        spam,
                        EMAIL_RULES_IN_FOLDER,
                    )
    if spam is not None:
        findings += spam_findings(spam)
    return findings


def check_email(
    wb: Workbench,
    kind: EmailKind,
    locale: str,
    sample: str,
    *,
    untranslated: Untranslated | None = None,
    spam: SpamBatch | None = None,
    brand: str | None = None,
) -> list[Finding]:
    """Every rule over one email, in ``brand`` (by default the brand the Lambda would choose
    for the sample); a render failure is one finding, not an exception. Pass
    ``untranslated`` (``missing_translations(wb)``) to share it between emails; with
    ``spam``, the encoded message is queued there for its spam score."""
    return _check(wb, kind, locale, sample, brand, untranslated, spam, EMAIL_RULES)


# "<templates>/brands/x.toml: ..." or "<templates>/locales/de/LC_MESSAGES/messages.mo is ..."
_FILE_NAMED = re.compile(r"^([^\s:]+)")
_OVERLAY = re.compile(r"^brands/([^/]+)\.toml$")


def setup_failure(err: SenderError, templates_dir: Path) -> Finding:
    """The one finding of a templates folder that does not load, naming the file its error
    names (relative to the folder) when it names one, and the brand when that file is an
    overlay's."""
    message, file = str(err), "brand.toml or locales"
    prefix = f"{templates_dir}/"
    if message.startswith(prefix):
        message = message[len(prefix) :]
        named = _FILE_NAMED.match(message)
        file = named.group(1) if named else file
    overlay = _OVERLAY.match(file)
    return Finding("error", "setup", file, message, brand=overlay.group(1) if overlay else None)


def _check(
    wb: Workbench,
    kind: EmailKind,
    locale: str,
    sample: str,
    brand: str | None,
    untranslated: Untranslated | None,
    spam: SpamBatch | None,
    rules: Iterable[EmailRule],
) -> list[Finding]:
    try:
        brand = brand or wb.brand_of(wb.sample(kind, sample))
        ctx = EmailContext.render(wb, kind, locale, sample, untranslated, brand)
    except RENDER_FAILURES as err:
        return [render_failure(err, kind, locale, sample, brand)]
    if spam is not None:
        queue(spam, kind.value, locale, sample, ctx.brand, ctx.raw)
    return [f for rule in rules for f in rule(ctx)]
