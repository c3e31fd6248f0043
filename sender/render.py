"""Render an email kind in a locale: subject, preheader, HTML (MJML, CSS inlined) and text.

Every file of a kind lives in ``templates/<kind>/``: ``subject.txt``, ``preheader.txt``,
``body.mjml`` and ``body.txt``; bodies extend ``templates/layout/``. The preview, the CLI, the
check and the snapshots all call this module: there is one way an email is produced.

Templates are ordinary Jinja: any filter, slice or comparison on any value. Most templates
only print a per-recipient value (names, code, links, alert details) or test whether it is
set, and for those a fast path renders the email's *skeleton* once per *shape* (kind,
locale, the literal fields such as brand and colours, which strings are empty): the templates
see every per-recipient value as a stand-in that prints as a token and refuses everything
else, and a warm email is a few string joins. A template that computes with a value (say
``{{ code[:3] }}``) makes the stand-in refuse; that shape is then simply rendered in full, for
every email, at the cost of Jinja, MJML and CSS inlining each time (~1 ms). Either way the
email is the same. A renderer may also be given a store of skeletons rendered ahead of time
(``sender.skeletons``), looked up before rendering one.

Two rules are applied here rather than left to each template. Translations are text: a
catalog's string is HTML-escaped where an HTML template prints it, so no ``msgstr`` can add
markup (``TextCatalog``). And every per-recipient value an HTML template prints as text is
wrapped in ``<span dir="auto">``, so a left-to-right name inside right-to-left text (or the
reverse) keeps its punctuation in place (``isolate_values``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from markupsafe import escape

from sender.errors import RenderError
from sender.event import EmailKind
from sender.i18n import Catalogs, LocaleInfo
from sender.skeletons import TOKEN, Filler, Skeleton, SkeletonStore
from sender.values import CLOSE, OPEN, Token, Transformed, Value, as_text, html_escaped, unmarked

if TYPE_CHECKING:
    import gettext

    import jinja2

PARTS = ("subject.txt", "preheader.txt", "body.mjml", "body.txt")

# Model fields that are the same for every recipient: rendered into the skeleton as they are.
# Every other string of the model is per-recipient and reaches templates as a token.
LITERAL_FIELDS = frozenset({"kind", "lang", "dir", "brand", "colors", "alert.action"})
# ASCII letters and digits only: Jinja, MRML and css-inline pass it through untouched. Mixed
# case, so that a case-changing filter applied to the markup of a value cannot keep it whole.
_TOKEN = TOKEN
_MARKED = re.compile(f"{OPEN}(.*?){CLOSE}", re.S)
# Where a token is not text content: a comment (Outlook's conditional ones included), an
# element whose content is raw text, or a tag with its attributes (quoted values may hold '>').
_NOT_TEXT = re.compile(
    r"<!--.*?-->"
    r"|<(title|style|script|textarea)\b[^>]*>.*?</\1\s*>"
    r"""|<[A-Za-z/!?][^"'>]*(?:(?:"[^"]*"|'[^']*')[^"'>]*)*>""",
    re.S | re.I,
)
# dir="auto" on a span rather than <bdi>: Outlook's Word engine and several webmail
# sanitisers drop or ignore <bdi>, every client keeps the dir attribute of a span.
_ISOLATED = r'<span dir="auto">\1</span>'


class RenderedEmail(NamedTuple):
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
    """Templates of one templates folder, rendered once per shape; build once per process."""

    def __init__(
        self, templates_dir: Path, catalogs: Catalogs, store: SkeletonStore | None = None
    ) -> None:
        self.templates_dir = templates_dir
        self.catalogs = catalogs
        self.store = store
        self._envs: dict[str, jinja2.Environment] = {}
        self._skeletons: dict[tuple[Any, ...], Skeleton] = {}
        # Shapes whose templates compute with a value: always rendered in full.
        self._full: set[tuple[Any, ...]] = set()

    def environment(self, locale: str) -> jinja2.Environment:
        """The Jinja environment of a locale, with its catalog installed (cached)."""
        env = self._envs.get(locale)
        if env is None:
            from sender import templating  # only when a skeleton is rendered

            catalog = TextCatalog(self.catalogs.translations(locale))
            env = templating.environment(
                self.templates_dir, cast("gettext.NullTranslations", catalog)
            )
            self._envs[locale] = env
        return env

    def render(
        self, kind: EmailKind, locale: LocaleInfo, model: Mapping[str, Any]
    ) -> RenderedEmail:
        """Render all parts of ``kind``; a failure raises ``RenderError`` naming file and line."""
        values: list[str] = []
        shape: list[Any] = []
        tokenized = _tokenize(model, "", values, shape, self._fingerprint)
        key = (kind, locale.code, *shape)
        skeleton = self._skeletons.get(key)
        if skeleton is None and self.store is not None:
            skeleton = self.store.get(kind.value, locale.code, store_key(key))
        if skeleton is None and key not in self._full:
            try:
                skeleton = self._skeleton(kind, locale, tokenized)
            except Exception:
                # The templates compute with a value (or fail): render this shape in full,
                # which gives the email or the error as it really is.
                email = self.render_full(kind, locale, model)
                self._full.add(key)
                return email
        if skeleton is None:
            return self.render_full(kind, locale, model)
        self._skeletons[key] = skeleton
        return RenderedEmail(
            kind,
            locale.code,
            one_line(skeleton.subject.fill(values)),
            one_line(skeleton.preheader.fill(values)),
            skeleton.html.fill([html_escaped(v) for v in values]),
            skeleton.text.fill(values),
        )

    def render_full(
        self, kind: EmailKind, locale: LocaleInfo, model: Mapping[str, Any]
    ) -> RenderedEmail:
        """Render all parts of ``kind`` with the real values, no skeleton involved."""
        subject, preheader, html, text = self._parts(kind, locale, _values(model, ""))
        return RenderedEmail(kind, locale.code, subject, preheader, isolate_values(html), text)

    def rendered_shapes(self) -> Iterator[tuple[str, str, str, Skeleton]]:
        """Every skeleton this renderer holds, with its kind, locale and store key (for
        building a store)."""
        for key, skeleton in self._skeletons.items():
            yield key[0].value, key[1], store_key(key), skeleton

    def _skeleton(self, kind: EmailKind, locale: LocaleInfo, model: Mapping[str, Any]) -> Skeleton:
        parts = self._parts(kind, locale, model)
        for name, rendered in zip(PARTS, parts, strict=True):
            if rendered.count("@@") != 2 * len(_TOKEN.findall(rendered)):
                raise Transformed(f"{kind.value}/{name}")
        subject, preheader, html, text = parts
        return Skeleton(
            Filler.of(subject),
            Filler.of(preheader),
            Filler.of(isolate_values(html)),
            Filler.of(text),
        )

    def _parts(
        self, kind: EmailKind, locale: LocaleInfo, model: Mapping[str, Any]
    ) -> tuple[str, str, str, str]:
        """Subject, preheader, HTML (marks around printed values kept) and text."""
        from sender.templating import mjml_to_html  # see environment()

        # Text parts carry no marks (only an HTML escape inside a text template makes one).
        subject = one_line(unmarked(self._render(locale, f"{kind.value}/subject.txt", model)))
        preheader = one_line(unmarked(self._render(locale, f"{kind.value}/preheader.txt", model)))
        context = {**model, "subject": subject, "preheader": preheader}
        source = self._render(locale, f"{kind.value}/body.mjml", context)
        html = mjml_to_html(source, where=f"{kind.value}/body.mjml")
        text = unmarked(self._render(locale, f"{kind.value}/body.txt", context)).strip() + "\n"
        return subject, preheader, html, text

    def _render(self, locale: LocaleInfo, name: str, model: Mapping[str, Any]) -> str:
        from sender.templating import render_template  # see environment()

        return render_template(self.environment(locale.code), self.templates_dir, name, model)

    @staticmethod
    def _fingerprint(value: Any) -> str:
        """A digest of a literal mapping's content: equal brands share skeletons, also across
        processes (a stored skeleton is keyed by it)."""
        canonical = json.dumps(value, sort_keys=True, ensure_ascii=False, default=_plain)
        return hashlib.sha256(canonical.encode()).hexdigest()[:24]


def isolate_values(html: str) -> str:
    """Every marked value in the HTML's text content wrapped in ``<span dir="auto">``: a value
    takes the direction of its first strong character and cannot reorder the text around it
    (in Arabic, "J.R." would otherwise show as ".J.R"). Values in attributes, comments and
    raw text elements (``<title>``) just lose their marks."""
    out: list[str] = []
    at = 0
    for found in _NOT_TEXT.finditer(html):
        out.append(_MARKED.sub(_ISOLATED, html[at : found.start()]))
        out.append(unmarked(found.group(0)))
        at = found.end()
    out.append(_MARKED.sub(_ISOLATED, html[at:]))
    return unmarked("".join(out))


class _Text(str):
    """A translated string: plain text, escaped when it meets HTML. Jinja's i18n extension
    marks a translation safe in an autoescaped template (``Markup(gettext(...))``, which
    escapes only the ``%(name)s`` values); ``Markup`` takes ``__html__`` first, so the
    catalog's own text is escaped too. ``%`` formatting gives a plain ``str`` again, as a
    text template wants."""

    __slots__ = ()

    def __html__(self) -> str:
        return str(escape(str(self)))

    def __mod__(self, values: Any) -> str:
        # A text template's translation with %(name)s placeholders, during a skeleton render:
        # tokens go in as their text (an HTML template's goes through Markup and __html__).
        if isinstance(values, Mapping):
            values = {key: as_text(value) for key, value in values.items()}
        return str.__mod__(self, values)


class TextCatalog:
    """A locale's catalog whose strings are text, never markup (see ``_Text``): what Jinja's
    ``install_gettext_translations`` calls, and nothing else."""

    def __init__(self, catalog: gettext.NullTranslations) -> None:
        self._catalog = catalog

    def gettext(self, message: str) -> str:
        return _Text(self._catalog.gettext(message))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return _Text(self._catalog.ngettext(singular, plural, n))

    def pgettext(self, context: str, message: str) -> str:
        return _Text(self._catalog.pgettext(context, message))

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        return _Text(self._catalog.npgettext(context, singular, plural, n))


def store_key(key: tuple[Any, ...]) -> str:
    """A shape key as text: the same in every process, for the prebuilt store."""
    kind, locale, *shape = key
    return json.dumps([kind.value, locale, *shape], ensure_ascii=False, separators=(",", ":"))


def _plain(value: Any) -> Any:
    return dict(value) if isinstance(value, Mapping) else repr(value)


def _tokenize(
    value: Any,
    path: str,
    values: list[str],
    shape: list[Any],
    fingerprint: Callable[[Any], str],
) -> Any:
    """The model with per-recipient strings swapped for tokens; ``shape`` keys the skeleton."""
    if path in LITERAL_FIELDS:
        if isinstance(value, str | int | float | bool | None):
            shape.append(value)
        else:
            shape.append(fingerprint(value))
        return value
    if isinstance(value, Mapping):
        shape.append(len(value))
        return {
            k: _tokenize(v, f"{path}.{k}" if path else k, values, shape, fingerprint)
            for k, v in value.items()
        }
    if isinstance(value, str):
        if not value:
            shape.append(False)
            return value
        shape.append(True)
        values.append(value)
        return Token(f"@@v{len(values) - 1}Z@@")
    if isinstance(value, int | float | bool | None):
        shape.append(value)
        return value
    raise RenderError(
        f"model field {path!r} is a {type(value).__name__}; templates take strings, numbers, "
        "booleans, None and mappings of those",
        reason="template_error",
    )


def _values(value: Any, path: str) -> Any:
    """The model with its per-recipient strings as ``Value``, for a full render."""
    if path in LITERAL_FIELDS:
        return value
    if isinstance(value, Mapping):
        return {k: _values(v, f"{path}.{k}" if path else k) for k, v in value.items()}
    return Value(value) if isinstance(value, str) and value else value


def one_line(value: str) -> str:
    """Collapse a rendered subject or preheader to one line: no CR/LF can reach a header."""
    return " ".join(value.split())


def kinds_in(templates_dir: Path) -> list[EmailKind]:
    """The email kinds that have a folder with every part."""
    return [k for k in EmailKind if all((templates_dir / k.value / p).is_file() for p in PARTS)]
