"""The template engines: Jinja2 environments per locale, MJML to HTML, CSS inlining.

Only ``sender.render`` uses this module, and only when it must render a skeleton that neither
its memory nor its prebuilt store holds: a Lambda whose emails all have prebuilt shapes never
imports Jinja2, MJML or css-inline (~30 ms of a cold start).
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import css_inline
import jinja2
import mjml
from markupsafe import Markup

from sender.errors import RenderError

# MJML has no escaping of its own: anything that becomes HTML must be autoescaped by Jinja.
_HTML_SUFFIXES = (".mjml", ".html")

# keep_at_rules keeps the dark-mode and mobile @media rules; nothing is ever fetched.
INLINER = css_inline.CSSInliner(
    keep_at_rules=True, keep_style_tags=False, load_remote_stylesheets=False
)

# Zero-width filler after the preheader, so inbox previews do not run on into the body text.
PREHEADER_FILLER = Markup("&#847;&zwnj;&nbsp;" * 60)  # noqa: S704 - a constant, no input


def render_template(
    env: jinja2.Environment, templates_dir: Path, name: str, model: Mapping[str, Any]
) -> str:
    """Render one template file; a failure raises ``RenderError`` naming file and line."""
    try:
        return env.get_template(name).render(model)
    except jinja2.TemplateNotFound as err:
        raise RenderError(
            f"template {err.name!r} not found in {templates_dir}", reason="template_missing"
        ) from err
    except jinja2.TemplateSyntaxError as err:
        raise RenderError(
            f"{err.name or name}:{err.lineno}: {err.message}", reason="template_syntax"
        ) from err
    except jinja2.UndefinedError as err:
        raise RenderError(f"{name}: {err.message}", reason="template_undefined") from err
    except (TypeError, ValueError, LookupError, AttributeError) as err:
        raise RenderError(f"{name}: {type(err).__name__}: {err}", reason="template_error") from err


def mjml_to_html(source: str, *, where: str = "MJML") -> str:
    """Compile MJML to HTML and inline its CSS, keeping ``@media`` rules."""
    try:
        html = mjml.mjml2html(source, disable_comments=True)
    except ValueError as err:
        raise RenderError(f"{where}: MJML error: {err}", reason="mjml_error") from err
    try:
        return str(INLINER.inline(html))
    except ValueError as err:
        raise RenderError(f"{where}: CSS inlining failed: {err}", reason="css_error") from err


class _SharedBytecode(jinja2.BytecodeCache):
    """Compiled templates shared by every locale's environment in the process: a template is
    compiled once, not once per locale. Keys include the source's checksum, so an edited
    template is compiled again."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_BYTECODE = _SharedBytecode()


def environment(templates_dir: Path, translations: gettext.NullTranslations) -> jinja2.Environment:
    """A strict, autoescaping environment with a locale's catalog installed."""
    env = jinja2.Environment(
        bytecode_cache=_BYTECODE,
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        autoescape=_autoescape,  # noqa: S701 - on for .mjml/.html, off for text parts
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,
    )
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    env.globals["preheader_filler"] = PREHEADER_FILLER
    return env


def _autoescape(name: str | None) -> bool:
    return name is not None and name.endswith(_HTML_SUFFIXES)
