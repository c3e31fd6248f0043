"""The template engines: Jinja2 environments per locale, MJML to HTML, CSS inlining.

In the Lambda only ``sender.render`` uses this module, and only when it must render a skeleton
that neither its memory nor its prebuilt store holds: a Lambda whose emails all have prebuilt
shapes never imports Jinja2, MJML or css-inline (~30 ms of a cold start). The tools (the check)
also use it directly.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import css_inline
import jinja2
import mjml
from markupsafe import Markup

from sender.errors import RenderError, not_utf8
from sender.values import Token

# MJML has no escaping of its own: anything that becomes HTML must be autoescaped by Jinja.
_HTML_SUFFIXES = (".mjml", ".html")
TEMPLATE_SUFFIXES = (*_HTML_SUFFIXES, ".txt")

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
    except RecursionError as err:
        where = _innermost_template(err, templates_dir)
        rendering = "" if where and where.startswith(f"{name}:") else f" rendering {name}"
        raise RenderError(
            f"{where or name}: RecursionError{rendering}: a macro, include or block calls "
            "itself without end, or templates nest too deeply",
            reason="template_error",
        ) from err


def _innermost_template(err: BaseException, templates_dir: Path) -> str | None:
    """``file:line`` of the deepest template frame of a traceback (Jinja maps its frames to
    template files and lines), relative to the templates folder."""
    root = os.path.normpath(templates_dir) + os.sep
    found = None
    tb = err.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.startswith(root):
            found = f"{filename[len(root) :]}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found


def undecodable_templates(templates_dir: Path) -> Iterator[tuple[str, str]]:
    """``(file, why)`` for every template file that is not UTF-8, the file relative to the
    folder: the tools that read every file at once (message extraction) stop at the first."""
    for path in sorted(templates_dir.rglob("*")):
        if path.suffix in TEMPLATE_SUFFIXES and path.is_file():
            rel = path.relative_to(templates_dir).as_posix()
            try:
                path.read_bytes().decode("utf-8")
            except UnicodeDecodeError as err:
                yield rel, not_utf8(rel, err)


class _Loader(jinja2.FileSystemLoader):
    """Templates as UTF-8; a file that is not is named with its bad byte and offset (Jinja
    lets the bare ``UnicodeDecodeError`` through, which names no file)."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        try:
            return super().get_source(environment, template)
        except UnicodeDecodeError as err:
            raise RenderError(not_utf8(template, err), reason="template_error") from err


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


def environment(templates_dir: Path, translations: gettext.NullTranslations) -> jinja2.Environment:
    """A strict, autoescaping environment with a locale's catalog installed."""
    env = jinja2.Environment(
        loader=_Loader(str(templates_dir)),
        autoescape=_autoescape,  # noqa: S701 - on for .mjml/.html, off for text parts
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,
        finalize=_finalize,
    )
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    env.globals["preheader_filler"] = PREHEADER_FILLER
    return env


@jinja2.pass_eval_context
def _finalize(eval_ctx: jinja2.nodes.EvalContext, value: Any) -> Any:
    # What {{ ... }} prints: a skeleton's token as its text; where the output is HTML, escape()
    # prints it through its __html__, marked.
    if isinstance(value, Token) and not eval_ctx.autoescape:
        return value.token
    return value


def _autoescape(name: str | None) -> bool:
    return name is not None and name.endswith(_HTML_SUFFIXES)
