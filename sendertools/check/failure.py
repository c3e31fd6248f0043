"""An email that does not render reaches no rule: it is one finding, named after why."""

from __future__ import annotations

import re

from sender.errors import RenderError, SenderError
from sender.event import EmailKind
from sendertools.check.finding import Finding

# What rendering a sample may raise; anything else is a bug in the check, not in a template.
RENDER_FAILURES = (SenderError, KeyError, ValueError)
# RenderError.reason -> rule id; any other failure is "render_error".
RENDER_RULES = {
    "template_syntax": "template_syntax",
    "template_undefined": "undefined_variable",
    "template_missing": "template_missing",
    "mjml_error": "mjml_error",
    "css_error": "mjml_error",
}
_FILE_IN_MESSAGE = re.compile(r"^([\w./-]+\.(?:mjml|txt|html))[:\s]")


def render_failure(
    err: Exception, kind: EmailKind, locale: str, sample: str, brand: str | None = None
) -> Finding:
    """The error finding for an email that raised ``err`` instead of rendering, naming the
    template file when the error names one, the kind's folder otherwise."""
    rule, file = "render_error", kind.value
    if isinstance(err, RenderError):
        rule = RENDER_RULES.get(err.reason, rule)
        match = _FILE_IN_MESSAGE.match(str(err))
        file = match.group(1) if match else file
    return Finding("error", rule, file, str(err), kind.value, locale, sample, brand)
