"""Render an email kind in a locale: subject, preheader, HTML (MJML, CSS inlined) and text.

Every file of a kind lives in ``templates/<kind>/``: ``subject.txt``, ``preheader.txt``,
``body.mjml`` and ``body.txt``; bodies extend ``templates/layout/``. The preview, the CLI, the
check and the snapshots all call this module: there is one way an email is produced.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import css_inline
import jinja2
import mjml

from sender.errors import RenderError
from sender.event import EmailKind
from sender.i18n import Catalogs, LocaleInfo

PARTS = ("subject.txt", "preheader.txt", "body.mjml", "body.txt")
# MJML has no escaping of its own: anything that becomes HTML must be autoescaped by Jinja.
_HTML_SUFFIXES = (".mjml", ".html")

# keep_at_rules keeps the dark-mode and mobile @media rules; nothing is ever fetched.
_INLINER = css_inline.CSSInliner(
    keep_at_rules=True, keep_style_tags=False, load_remote_stylesheets=False
)


@dataclass(frozen=True)
class RenderedEmail:
    """One rendered email, ready for MIME."""

    kind: EmailKind
    locale: str
    subject: str
    preheader: str
    html: str
    text: str

    def __repr__(self) -> str:
        # The bodies hold the code: never let them reach a log through a repr.
        return f"RenderedEmail(kind={self.kind.value!r}, locale={self.locale!r})"


class Renderer:
    """Compiled templates of one templates folder; build once per process."""

    def __init__(self, templates_dir: Path, catalogs: Catalogs) -> None:
        self.templates_dir = templates_dir
        self.catalogs = catalogs
        self._envs: dict[str, jinja2.Environment] = {}

    def environment(self, locale: str) -> jinja2.Environment:
        """The Jinja environment of a locale, with its catalog installed (cached)."""
        env = self._envs.get(locale)
        if env is None:
            env = _environment(self.templates_dir, self.catalogs.translations(locale))
            self._envs[locale] = env
        return env

    def render(
        self, kind: EmailKind, locale: LocaleInfo, model: Mapping[str, Any]
    ) -> RenderedEmail:
        """Render all parts of ``kind``; a failure raises ``RenderError`` naming file and line."""
        env = self.environment(locale.code)
        subject = one_line(self._render(env, f"{kind.value}/subject.txt", model))
        preheader = one_line(self._render(env, f"{kind.value}/preheader.txt", model))
        context = {**model, "subject": subject, "preheader": preheader}
        source = self._render(env, f"{kind.value}/body.mjml", context)
        html = mjml_to_html(source, where=f"{kind.value}/body.mjml")
        text = self._render(env, f"{kind.value}/body.txt", context).strip() + "\n"
        return RenderedEmail(kind, locale.code, subject, preheader, html, text)

    def _render(self, env: jinja2.Environment, name: str, model: Mapping[str, Any]) -> str:
        try:
            return env.get_template(name).render(model)
        except jinja2.TemplateNotFound as err:
            raise RenderError(
                f"template {err.name!r} not found in {self.templates_dir}",
                reason="template_missing",
            ) from err
        except jinja2.TemplateSyntaxError as err:
            raise RenderError(
                f"{err.name or name}:{err.lineno}: {err.message}", reason="template_syntax"
            ) from err
        except jinja2.UndefinedError as err:
            raise RenderError(f"{name}: {err.message}", reason="template_undefined") from err
        except (TypeError, ValueError, LookupError, AttributeError) as err:
            raise RenderError(
                f"{name}: {type(err).__name__}: {err}", reason="template_error"
            ) from err


def mjml_to_html(source: str, *, where: str = "MJML") -> str:
    """Compile MJML to HTML and inline its CSS, keeping ``@media`` rules."""
    try:
        html = mjml.mjml2html(source, disable_comments=True)
    except ValueError as err:
        raise RenderError(f"{where}: MJML error: {err}", reason="mjml_error") from err
    try:
        return str(_INLINER.inline(html))
    except ValueError as err:
        raise RenderError(f"{where}: CSS inlining failed: {err}", reason="css_error") from err


def one_line(value: str) -> str:
    """Collapse a rendered subject or preheader to one line: no CR/LF can reach a header."""
    return " ".join(value.split())


def _environment(templates_dir: Path, translations: gettext.NullTranslations) -> jinja2.Environment:
    env = jinja2.Environment(
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
    return env


def _autoescape(name: str | None) -> bool:
    return name is not None and name.endswith(_HTML_SUFFIXES)


def kinds_in(templates_dir: Path) -> list[EmailKind]:
    """The email kinds that have a folder with every part."""
    return [k for k in EmailKind if all((templates_dir / k.value / p).is_file() for p in PARTS)]
