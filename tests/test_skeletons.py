"""The prebuilt skeletons: the store gives exactly what rendering gives, a store made from other
templates (or damaged) is ignored, and a cold Lambda whose email has a prebuilt shape never
imports Jinja2, MJML or css-inline."""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from sender import skeletons
from sender.config import DEFAULT_TEMPLATES_DIR
from sender.event import EmailKind, Trigger
from sender.i18n import LocaleInfo
from sender.model import build_model
from sender.render import RenderedEmail, Renderer
from sender.skeletons import Skeleton, SkeletonStore, stamped_files
from sendertools.prebuild import build_skeletons
from sendertools.samples import FALLBACK_RECIPIENT, Sample, Workbench
from tests.conftest import LocalAws, python_report

WB = Workbench(DEFAULT_TEMPLATES_DIR)


class StoreOnly(Renderer):
    """A renderer that records every skeleton it renders instead of reading it from its store."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.rendered: set[EmailKind] = set()

    def _skeleton(self, kind: EmailKind, *args: Any) -> Skeleton:
        self.rendered.add(kind)
        return super()._skeleton(kind, *args)


class CountingStore(SkeletonStore):
    def __init__(self, directory: Path, templates_dir: Path) -> None:
        super().__init__(directory, templates_dir)
        self.hits: list[str] = []
        self.misses: list[str] = []

    def get(self, kind: str, locale: str, key: str) -> Skeleton | None:
        found = super().get(kind, locale, key)
        (self.hits if found is not None else self.misses).append(f"{kind}.{locale}")
        return found


def render(
    renderer: Renderer, wb: Workbench, sample: Sample, locale: str, brand: str = "base"
) -> RenderedEmail:
    event = sample.event()
    info = LocaleInfo(locale)
    recipient = event.user_attributes.get("email", FALLBACK_RECIPIENT)
    model = build_model(event, sample.secret(), recipient, wb.brand_named(brand), info)
    return renderer.render(event.kind, info, model)


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("skeletons")
    assert build_skeletons(DEFAULT_TEMPLATES_DIR, out) > len(EmailKind) * len(WB.catalogs.locales)
    return out


@pytest.fixture
def templates_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATES_DIR, copy)  # copy2 keeps each .mo newer than its .po
    return copy


def test_every_sample_in_every_locale_comes_from_the_store_exactly_as_rendered(
    store_dir: Path,
) -> None:
    stored = StoreOnly(
        DEFAULT_TEMPLATES_DIR, WB.catalogs, SkeletonStore(store_dir, DEFAULT_TEMPLATES_DIR)
    )
    count = 0
    for brand in WB.brands:
        for samples in WB.samples.values():
            for sample in samples.values():
                for locale in WB.catalogs.locales:
                    assert render(stored, WB, sample, locale, brand) == render(
                        WB.renderer, WB, sample, locale, brand
                    ), (brand, sample.path.name, locale)
                    count += 1
    emails = sum(len(s) for s in WB.samples.values()) * len(WB.catalogs.locales)
    assert count == emails * len(WB.brands)
    # Every brand's shapes came from the store, but the sign-in code's: its templates compute
    # with the code (two groups), so it is rendered in full and never stored.
    assert stored.rendered == {EmailKind.SIGN_IN_CODE}


def test_a_shape_the_store_lacks_is_rendered(store_dir: Path) -> None:
    store = CountingStore(store_dir, DEFAULT_TEMPLATES_DIR)
    renderer = Renderer(DEFAULT_TEMPLATES_DIR, WB.catalogs, store)
    sample = WB.sample(EmailKind.SIGN_IN_CODE, "default")
    event = sample.event()
    info = LocaleInfo("fr")
    model = build_model(event, sample.secret(), "ada@example.com", WB.brand, info)
    # Another brand colour: a literal field, so another shape than any sample's.
    other = {**model, "colors": {**model["colors"], "primary": "#123456"}}
    email = renderer.render(event.kind, info, other)
    assert store.misses == ["sign_in_code.fr"] and store.hits == []
    assert email == WB.renderer.render(event.kind, info, other)
    assert "#123456" in email.html


def test_a_store_made_from_other_templates_is_ignored_for_what_changed(
    templates_copy: Path, tmp_path: Path
) -> None:
    out = tmp_path / "store"
    build_skeletons(templates_copy, out)
    subject = templates_copy / "confirm_signup" / "subject.txt"
    subject.write_text(subject.read_text(encoding="utf-8").strip() + " (edited)\n")
    wb = Workbench(templates_copy)
    store = CountingStore(out, templates_copy)
    renderer = Renderer(templates_copy, wb.catalogs, store)

    edited = render(renderer, wb, wb.sample(EmailKind.CONFIRM_SIGNUP, "default"), "en")
    assert edited.subject.endswith("(edited)")
    assert store.misses == ["confirm_signup.en"]
    # The other kinds' stamps do not cover confirm_signup/: their skeletons still count.
    untouched = render(renderer, wb, wb.sample(EmailKind.RESET_PASSWORD, "default"), "en")
    assert store.hits == ["reset_password.en"]
    assert untouched == render(
        wb.renderer, wb, wb.sample(EmailKind.RESET_PASSWORD, "default"), "en"
    )


def test_the_stamp_covers_the_kind_the_layout_the_brand_and_the_locales_catalog() -> None:
    files = stamped_files(DEFAULT_TEMPLATES_DIR, "confirm_signup", "de")
    assert {"brand.toml", "confirm_signup/body.mjml", "confirm_signup/subject.txt"} <= set(files)
    assert "locales/de/LC_MESSAGES/messages.mo" in files
    assert any(f.startswith("layout/") for f in files)
    assert not any(f.startswith(("reset_password/", "locales/fr/")) for f in files)
    assert not any("/samples/" in f or f.endswith(".pot") for f in files)


def test_damaged_store_files_are_ignored_and_named(
    store_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    damaged = tmp_path / "store"
    shutil.copytree(store_dir, damaged)
    skeletons.store_file(damaged, "verify_email", "en").write_text("{not json")
    path = skeletons.store_file(damaged, "invitation", "de")
    data = json.loads(path.read_text(encoding="utf-8"))
    for entry in data["skeletons"].values():
        entry["html"][1].append(0)  # one slot more than the pieces allow
    path.write_text(json.dumps(data), encoding="utf-8")
    store = CountingStore(damaged, DEFAULT_TEMPLATES_DIR)
    renderer = Renderer(DEFAULT_TEMPLATES_DIR, WB.catalogs, store)
    with caplog.at_level(logging.INFO, logger="sender.skeletons"):
        for kind, locale in ((EmailKind.VERIFY_EMAIL, "en"), (EmailKind.INVITATION, "de")):
            sample = WB.sample(kind, "default")
            assert render(renderer, WB, sample, locale) == render(WB.renderer, WB, sample, locale)
    assert store.hits == []
    messages = [r.getMessage() for r in caplog.records]
    assert any("verify_email.en.json" in m for m in messages), messages
    assert any("invitation/de" in m and "mismatched" in m for m in messages), messages


COLD = """
import io, json, sys
event = json.loads(sys.argv[1])
import sender.handler as h
from types import SimpleNamespace
context = SimpleNamespace(function_name="f", memory_limit_in_mb=128, aws_request_id="r",
    invoked_function_arn="arn:aws:lambda:eu-west-1:123456789012:function:f")
out, sys.stdout = sys.stdout, io.StringIO()
h.lambda_handler(event, context)
logs, sys.stdout = sys.stdout.getvalue(), out
print(json.dumps({
    "loaded": sorted(m for m in ("jinja2", "mjml", "css_inline") if m in sys.modules),
    "sent": '"email sent"' in logs,
}))
"""


def test_a_cold_lambda_sends_a_prebuilt_shape_without_the_template_engines(
    remote_aws: LocalAws,
) -> None:
    assert (skeletons.DEFAULT_DIR / "confirm_signup.de.json").is_file(), (
        "no prebuilt skeletons: 'make setup' writes them"
    )
    event = remote_aws.event(Trigger.SIGN_UP, "482913", metadata={"locale": "de"})
    report = python_report("-c", COLD, json.dumps(event), env=dict(os.environ))
    assert report == {"loaded": [], "sent": True}
    (message,) = remote_aws.sent()
    assert message["Content-Language"] == "de"
    assert "482913" in message.get_body(preferencelist=("html",)).get_content()
