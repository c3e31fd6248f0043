"""Templates are ordinary Jinja: filters, slices and comparisons on per-recipient values give
the right email in every locale, whether a shape is served from its skeleton or in full."""

from __future__ import annotations

import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from sender.config import DEFAULT_TEMPLATES_DIR
from sender.event import EmailKind
from sender.i18n import LocaleInfo
from sender.model import build_model
from sender.render import RenderedEmail, Renderer
from sendertools.samples import Sample, Workbench, sample_from_data
from tests.conftest import parse_mime, parts

WB = Workbench(DEFAULT_TEMPLATES_DIR)
LOCALES = list(WB.catalogs.locales)


def _model(wb: Workbench, sample: Sample, locale: str) -> dict[str, object]:
    event = sample.event()
    return build_model(event, sample.secret(), "ada@example.com", wb.brand, LocaleInfo(locale))


class _Dom(HTMLParser):
    """An HTML document as the events a parser sees: tags with their attributes (entities
    decoded), text, comments. Two serialisations of one document give the same events."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.events: list[tuple[Any, ...]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.events.append(("start", tag, tuple(attrs)))

    def handle_endtag(self, tag: str) -> None:
        self.events.append(("end", tag))

    def handle_data(self, data: str) -> None:
        if self.events and self.events[-1][0] == "data":
            data = self.events.pop()[1] + data
        self.events.append(("data", data))

    def handle_comment(self, data: str) -> None:
        self.events.append(("comment", data))


def _same_email(a: RenderedEmail, b: RenderedEmail) -> bool:
    """Equal parts, the HTML compared as parsed (the serialiser may write an entity for a
    quote where the skeleton writes another)."""
    plain = ("kind", "locale", "subject", "preheader", "text")
    return all(getattr(a, f) == getattr(b, f) for f in plain) and (
        _Dom(a.html).events == _Dom(b.html).events
    )


def test_every_shipped_email_is_the_same_from_its_skeleton_and_in_full() -> None:
    renderer = Renderer(DEFAULT_TEMPLATES_DIR, WB.catalogs)
    for kind, samples in WB.samples.items():
        for sample in samples.values():
            for locale in LOCALES:
                model = _model(WB, sample, locale)
                info = LocaleInfo(locale)
                skeletal = renderer.render(kind, info, model)
                assert _same_email(skeletal, renderer.render_full(kind, info, model)), (
                    kind,
                    sample.name,
                    locale,
                )


@pytest.fixture
def computing_templates(tmp_path: Path) -> Path:
    """The shipped templates, with confirm_signup computing with its per-recipient values in
    every part: filters, slices, comparisons, a length test."""
    root = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATES_DIR, root, ignore=shutil.ignore_patterns("*.pot"))
    kind = root / "confirm_signup"
    (kind / "subject.txt").write_text(
        "Code {{ code[:3] }}-{{ code[3:] }} for {{ user.name|upper }}\n"
    )
    body = (kind / "body.mjml").read_text()
    (kind / "body.mjml").write_text(
        body.replace(
            "{% block content %}",
            "{% block content %}\n<mj-text>"
            "<b>{{ code[:3] }}</b> <b>{{ code[3:] }}</b> {{ user.name|title }}"
            '{% if user.name == "Ada" %} (first){% endif %}'
            "{% if code|length == 6 %} six{% endif %} "
            "{{ _('Hello %(name)s,', name=user.name|lower) }}"
            "</mj-text>",
        )
    )
    text = (kind / "body.txt").read_text()
    (kind / "body.txt").write_text(
        text.replace(
            "{% block content %}",
            "{% block content %}\n[{{ code|join(' ') }}] {{ user.name|reverse }}"
            '{% if user.name == "Ada" %} (first){% endif %}',
        )
    )
    return root


def _with_name(wb: Workbench, name: str, code: str) -> Sample:
    base = wb.sample(EmailKind.CONFIRM_SIGNUP, "default")
    data = {
        **base.data,
        "code": code,
        "userAttributes": {**base.data["userAttributes"], "given_name": name, "name": name},
    }
    return sample_from_data(EmailKind.CONFIRM_SIGNUP, base.path, data)


@pytest.mark.parametrize("locale", LOCALES)
def test_filters_slices_and_comparisons_on_recipient_values_give_the_right_email(
    computing_templates: Path, locale: str
) -> None:
    wb = Workbench(computing_templates)
    # Two emails of one shape, then the first again: each shows its own values.
    for name, code in (("ada", "482913"), ("Zoë Ng", "135790"), ("ada", "482913")):
        composed = wb.compose(_with_name(wb, name, code), locale)
        message = parse_mime(composed.message.as_bytes())
        text, html = parts(message)
        email = composed.email
        assert email.subject == f"Code {code[:3]}-{code[3:]} for {name.upper()}"
        assert f"<b>{code[:3]}</b> <b>{code[3:]}</b> {name.title()}" in html.replace("\n", "")
        assert " six" in html
        assert name.lower() in html
        assert f"[{' '.join(code)}] {name[::-1]}" in text
        assert ("(first)" in text) is (name == "Ada")
        model = _model(wb, _with_name(wb, name, code), locale)
        full = wb.renderer.render_full(EmailKind.CONFIRM_SIGNUP, LocaleInfo(locale), model)
        assert _same_email(email, full)


def test_the_sign_in_code_shows_the_code_in_two_groups_and_keeps_it_whole_in_text() -> None:
    sample = WB.sample(EmailKind.SIGN_IN_CODE, "default")
    code = str(sample.data["code"])
    half = (len(code) + 1) // 2
    for locale in LOCALES:
        email = WB.compose(sample, locale).email
        grouped = (
            f'<span>{code[:half]}</span><span style="margin-left: 0.5em;">{code[half:]}</span>'
        )
        assert grouped in email.html, locale
        assert code not in email.html.replace(grouped, ""), locale
        assert f"    {code}\n" in email.text, locale
