"""``cognito-sender check`` on a templates folder whose own files are broken in ways Jinja,
Babel and the TOML reader do not name: each ends as a finding naming the file, exit status 1,
never a traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from sender.config import DEFAULT_TEMPLATES_DIR
from sendertools import cli

RECURSIVE = "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}\n"


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    root = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATES_DIR, root)  # copy2 keeps the .mo newer than the .po
    return root


def _check(templates: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    status = cli.main(["check", "--templates", str(templates), "--json"])
    out, err = capsys.readouterr()
    assert status == 1
    assert err == "", "no traceback, no stray output"
    report = json.loads(out)
    findings: list[dict[str, Any]] = report["findings"]
    assert report["errors"] >= 1
    return findings


def test_template_not_utf8_is_an_encoding_finding(
    templates: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = templates / "confirm_signup" / "body.txt"
    source = body.read_bytes()
    body.write_bytes(source + b"\xff\xfe")
    [finding] = _check(templates, capsys)
    assert finding["severity"] == "error"
    assert finding["rule"] == "encoding"
    assert finding["file"] == "confirm_signup/body.txt"
    assert f"byte ff at offset {len(source)}" in finding["message"]


def test_recursive_macro_is_a_render_finding_naming_the_template(
    templates: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (templates / "sign_in_code" / "subject.txt").write_text(RECURSIVE, encoding="utf-8")
    findings = [f for f in _check(templates, capsys) if f["rule"] != "untranslated"]
    assert findings, "the recursion is reported"
    for finding in findings:
        assert finding["kind"] == "sign_in_code"
        assert finding["rule"] == "render_error"
        assert finding["file"] == "sign_in_code/subject.txt"
        assert "RecursionError" in finding["message"]


def test_recursive_macro_in_the_layout_names_the_layout_file(
    templates: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    macros = templates / "layout" / "macros.mjml"
    macros.write_text(
        macros.read_text(encoding="utf-8") + "{% macro loop() %}{{ loop() }}{% endmacro %}\n",
        encoding="utf-8",
    )
    body = templates / "verify_email" / "body.mjml"
    source = body.read_text(encoding="utf-8")
    assert "{% block content %}" in source
    body.write_text(
        source.replace("{% block content %}", "{% block content %}{{ ui.loop() }}", 1),
        encoding="utf-8",
    )
    findings = [f for f in _check(templates, capsys) if f["rule"] != "untranslated"]
    assert {f["file"] for f in findings} == {"layout/macros.mjml"}
    assert all("rendering verify_email/body.mjml" in f["message"] for f in findings)


def test_locale_folder_not_a_language_tag_is_a_setup_finding(
    templates: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(templates / "locales" / "de", templates / "locales" / "xx_bad!")
    [finding] = _check(templates, capsys)
    assert finding["rule"] == "setup"
    assert "'xx_bad!' is not a locale folder name" in finding["message"]


def test_brand_file_not_utf8_is_a_setup_finding(
    templates: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    brand = templates / "brand.toml"
    brand.write_bytes(b"# \x80\n" + brand.read_bytes())
    [finding] = _check(templates, capsys)
    assert finding["rule"] == "setup"
    assert "brand.toml: not UTF-8: byte 80 at offset 2" in finding["message"]
