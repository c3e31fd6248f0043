"""Rules on the code and the temporary password: the reason the email is sent, so both parts
must carry them."""

from __future__ import annotations

from collections.abc import Iterator

from markupsafe import escape

from sendertools.check.context import EmailContext
from sendertools.check.finding import Finding

SECRETS = ("code", "temporary_password")


def text_missing_code(ctx: EmailContext) -> Iterator[Finding]:
    """An error for a secret the HTML part shows and the text part does not."""
    for key in SECRETS:
        code = ctx.model.get(key)
        if code and str(escape(code)) in ctx.email.html and code not in ctx.email.text:
            message = f"the {key.replace('_', ' ')} is in the HTML part only"
            yield ctx.finding("error", "text_missing_code", f"{ctx.folder}/body.txt", message)


def code_missing(ctx: EmailContext) -> Iterator[Finding]:
    """An error for a secret that neither part shows."""
    for key in SECRETS:
        code = ctx.model.get(key)
        if code and str(escape(code)) not in ctx.email.html and code not in ctx.email.text:
            message = f"the {key.replace('_', ' ')} is in neither part"
            yield ctx.finding("error", "code_missing", ctx.folder, message)
