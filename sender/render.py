"""Render an email kind in a locale: subject, preheader, HTML (MJML, CSS inlined) and text.

Every file of a kind lives in ``templates/<kind>/``: ``subject.txt``, ``preheader.txt``,
``body.mjml`` and ``body.txt``; bodies extend ``templates/layout/``. The preview, the CLI, the
check and the snapshots all call this module: there is one way an email is produced.

Rendering runs in two steps, always both. First a *skeleton* is rendered: the templates see
every per-recipient string of the model (names, code, links, alert details) as an opaque
token, and the result goes through Jinja, MJML and CSS inlining. Then the tokens are replaced
by the real values, HTML-escaped in the HTML part. A skeleton depends only on the kind, the
locale, the literal fields (brand, colours, ``lang``, ``dir``...) and which strings are empty,
so it is built once per such *shape* and cached: a warm render is a few string joins. The
rule this puts on templates: print a per-recipient value, or test whether it is set; never
compute with it (filters, slicing, comparisons), since the template only ever sees a token.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import css_inline
import jinja2
import mjml
from markupsafe import Markup, escape

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

# Model fields that are the same for every recipient: rendered into the skeleton as they are.
# Every other string of the model is per-recipient and reaches templates as a token.
LITERAL_FIELDS = frozenset({"kind", "lang", "dir", "brand", "colors", "alert.action"})
# ASCII letters and digits only: Jinja, MRML and css-inline pass it through untouched.
_TOKEN = re.compile(r"@@V(\d+)@@")
# Zero-width filler after the preheader, so inbox previews do not run on into the body text.
PREHEADER_FILLER = Markup("&#847;&zwnj;&nbsp;" * 60)  # noqa: S704 - a constant, no input


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


@dataclass(frozen=True)
class _Filler:
    """A rendered part split at its tokens: literal, index, literal, index, ..., literal."""

    pieces: tuple[str, ...]
    slots: tuple[int, ...]

    @classmethod
    def of(cls, rendered: str) -> _Filler:
        split = _TOKEN.split(rendered)
        return cls(tuple(split[0::2]), tuple(int(i) for i in split[1::2]))

    def fill(self, values: list[str]) -> str:
        out = [self.pieces[0]]
        for slot, piece in zip(self.slots, self.pieces[1:], strict=True):
            out.append(values[slot])
            out.append(piece)
        return "".join(out)


@dataclass(frozen=True)
class _Skeleton:
    subject: _Filler
    preheader: _Filler
    html: _Filler
    text: _Filler
    # Keeps the literal objects keyed by id() alive, so their ids cannot be reused.
    literals: tuple[Any, ...]


class Renderer:
    """Compiled templates of one templates folder; build once per process."""

    def __init__(self, templates_dir: Path, catalogs: Catalogs) -> None:
        self.templates_dir = templates_dir
        self.catalogs = catalogs
        self._envs: dict[str, jinja2.Environment] = {}
        self._skeletons: dict[tuple[Any, ...], _Skeleton] = {}

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
        values: list[str] = []
        shape: list[Any] = []
        literals: list[Any] = []
        tokenized = _tokenize(model, "", values, shape, literals)
        key = (kind, locale.code, *shape)
        skeleton = self._skeletons.get(key)
        if skeleton is None:
            skeleton = self._skeleton(kind, locale, tokenized, tuple(literals))
            self._skeletons[key] = skeleton
        escaped = [str(escape(v)) for v in values]
        return RenderedEmail(
            kind,
            locale.code,
            one_line(skeleton.subject.fill(values)),
            one_line(skeleton.preheader.fill(values)),
            skeleton.html.fill(escaped),
            skeleton.text.fill(values),
        )

    def _skeleton(
        self,
        kind: EmailKind,
        locale: LocaleInfo,
        model: Mapping[str, Any],
        literals: tuple[Any, ...],
    ) -> _Skeleton:
        env = self.environment(locale.code)
        subject = one_line(self._render(env, f"{kind.value}/subject.txt", model))
        preheader = one_line(self._render(env, f"{kind.value}/preheader.txt", model))
        context = {**model, "subject": subject, "preheader": preheader}
        source = self._render(env, f"{kind.value}/body.mjml", context)
        html = mjml_to_html(source, where=f"{kind.value}/body.mjml")
        text = self._render(env, f"{kind.value}/body.txt", context).strip() + "\n"
        parts = {"subject.txt": subject, "preheader.txt": preheader}
        parts |= {"body.mjml": html, "body.txt": text}
        for name, rendered in parts.items():
            if rendered.count("@@") != 2 * len(_TOKEN.findall(rendered)):
                raise RenderError(
                    f"{kind.value}/{name}: a template transforms a per-recipient value "
                    "(filter, slice or comparison); print it or test it, nothing else",
                    reason="template_error",
                )
        return _Skeleton(
            _Filler.of(subject), _Filler.of(preheader), _Filler.of(html), _Filler.of(text), literals
        )

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


def _tokenize(
    value: Any, path: str, values: list[str], shape: list[Any], literals: list[Any]
) -> Any:
    """The model with per-recipient strings swapped for tokens; ``shape`` keys the skeleton."""
    if path in LITERAL_FIELDS:
        if isinstance(value, str | int | float | bool | None):
            shape.append(value)
        else:
            shape.append(id(value))
            literals.append(value)
        return value
    if isinstance(value, Mapping):
        shape.append(len(value))
        return {
            k: _tokenize(v, f"{path}.{k}" if path else k, values, shape, literals)
            for k, v in value.items()
        }
    if isinstance(value, str):
        if not value:
            shape.append(False)
            return value
        shape.append(True)
        values.append(value)
        return f"@@V{len(values) - 1}@@"
    if isinstance(value, int | float | bool | None):
        shape.append(value)
        return value
    raise RenderError(
        f"model field {path!r} is a {type(value).__name__}; templates take strings, numbers, "
        "booleans, None and mappings of those",
        reason="template_error",
    )


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


def _environment(templates_dir: Path, translations: gettext.NullTranslations) -> jinja2.Environment:
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


def kinds_in(templates_dir: Path) -> list[EmailKind]:
    """The email kinds that have a folder with every part."""
    return [k for k in EmailKind if all((templates_dir / k.value / p).is_file() for p in PARTS)]
