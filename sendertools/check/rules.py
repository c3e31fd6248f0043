"""The rules, in the order their findings are listed. A rule is a function of one context
that yields a ``Finding`` for every way the context breaks it; adding a rule is writing one
such function and listing it here."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sendertools.check.brands import color_missing, contrast
from sendertools.check.catalogs import (
    catalog_markup,
    untranslated_in_catalogs,
    untranslated_in_email,
)
from sendertools.check.codes import code_missing, text_missing_code
from sendertools.check.context import EmailContext, FolderContext
from sendertools.check.finding import Finding
from sendertools.check.folder import kind_incomplete, no_samples
from sendertools.check.links import http_link, link_origin, text_missing_link
from sendertools.check.output import img_alt, lang, leftover, preheader, subject_length
from sendertools.check.wire import mime_line, mime_size

EmailRule = Callable[[EmailContext], Iterable[Finding]]
FolderRule = Callable[[FolderContext], Iterable[Finding]]

# Once per templates folder (``check_all``).
FOLDER_RULES: tuple[FolderRule, ...] = (
    kind_incomplete,
    no_samples,
    untranslated_in_catalogs,
    catalog_markup,
    color_missing,
    contrast,
)

# Once per rendered email (brand × kind × locale × sample).
EMAIL_RULES: tuple[EmailRule, ...] = (
    mime_size,
    mime_line,
    leftover,
    lang,
    img_alt,
    http_link,
    link_origin,
    text_missing_link,
    text_missing_code,
    code_missing,
    subject_length,
    preheader,
    untranslated_in_email,
)

# Over a whole folder an untranslated string is reported once, by ``untranslated_in_catalogs``,
# not once for every email that uses it.
EMAIL_RULES_IN_FOLDER: tuple[EmailRule, ...] = tuple(
    rule for rule in EMAIL_RULES if rule is not untranslated_in_email
)
