"""``cognito-sender init`` and the templates folder every verb finds: ``--templates``, else
``TEMPLATES_DIR``, else ``[tool.cognito-sender]`` in ./pyproject.toml, else ./templates, else
the templates shipped with the tools."""

from __future__ import annotations

import os
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from sender.event import EmailKind
from sendertools import cli
from sendertools.commands import (
    PACKAGED_TEMPLATES,
    compile_catalogs,
    default_templates,
    stale_catalogs,
)
from sendertools.commands.init import BABEL_CFG, create, next_steps

REPO = Path(__file__).resolve().parents[1]
SHIPPED_LOCALES = sorted(p.parent.parent.name for p in PACKAGED_TEMPLATES.glob("locales/*/*/*.po"))


@pytest.fixture(scope="module")
def emails(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder made by ``cognito-sender init`` as a user runs it."""
    cwd = tmp_path_factory.mktemp("repo")
    result = subprocess.run(
        [sys.executable, "-m", "sendertools.cli", "init", "emails"],
        cwd=cwd,
        env={k: v for k, v in os.environ.items() if k != "TEMPLATES_DIR"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "created emails/" in result.stdout
    # The next commands, with the folder (not the default one) named.
    assert "cognito-sender check --templates emails" in result.stdout
    assert "cognito-sender package --templates emails" in result.stdout
    assert 'templates = "emails"' in result.stdout
    return cwd / "emails"


def test_init_writes_every_part_of_a_templates_folder(emails: Path) -> None:
    assert (emails / "brand.toml").read_bytes() == (PACKAGED_TEMPLATES / "brand.toml").read_bytes()
    for overlay in PACKAGED_TEMPLATES.glob("brands/*.toml"):
        assert (emails / "brands" / overlay.name).read_bytes() == overlay.read_bytes()
    assert (emails / "layout" / "base.mjml").is_file()
    for kind in EmailKind:
        for part in ("subject.txt", "preheader.txt", "body.mjml", "body.txt"):
            assert (emails / kind / part).is_file(), f"{kind}/{part}"
        shipped = sorted(p.name for p in (PACKAGED_TEMPLATES / kind / "samples").glob("*.json"))
        assert sorted(p.name for p in (emails / kind / "samples").glob("*.json")) == shipped
    assert SHIPPED_LOCALES and "de" in SHIPPED_LOCALES
    for locale in SHIPPED_LOCALES:
        po = emails / "locales" / locale / "LC_MESSAGES" / "messages.po"
        assert po.read_bytes() == (PACKAGED_TEMPLATES / po.relative_to(emails)).read_bytes()
        assert po.with_suffix(".mo").stat().st_mtime >= po.stat().st_mtime
    assert stale_catalogs(emails) == []
    assert (emails / "locales" / "messages.pot").is_file()
    assert (emails / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*.mo"
    # The extraction mapping is the checkout's own.
    assert (emails / "babel.cfg").read_text(encoding="utf-8") == BABEL_CFG
    assert (REPO / "babel.cfg").read_text(encoding="utf-8") == BABEL_CFG
    readme = (emails / "README.md").read_text(encoding="utf-8")
    for named in ("brand.toml", "brands/", "layout/", "samples/", "messages.po", "babel.cfg"):
        assert named in readme
    for command in ("preview", "check", "render", "package"):
        assert f"cognito-sender {command} " in readme
    assert "pybabel compile --use-fuzzy -d emails/locales -D messages" in readme


def test_the_new_folder_passes_the_check(emails: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check", "--templates", str(emails), "--no-spam-score"]) == 0
    assert "0 error(s), " in capsys.readouterr().out


def test_the_new_folder_renders_its_own_edits(tmp_path: Path) -> None:
    folder = tmp_path / "emails"
    create(folder)
    brand = folder / "brand.toml"
    text = brand.read_text(encoding="utf-8")
    assert 'product_name = "Example"' in text
    brand.write_text(text.replace('product_name = "Example"', 'product_name = "Acme"'), "utf-8")
    out = tmp_path / "signup.eml"
    argv = ["render", "confirm_signup", "--templates", str(folder), "--locale", "de"]
    assert cli.main([*argv, "--part", "eml", "--out", str(out)]) == 0
    message = message_from_bytes(out.read_bytes(), policy=policy.default)
    assert "Acme" in str(message["Subject"])


def test_init_refuses_a_folder_that_is_not_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "emails"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine\n")
    assert cli.main(["init", str(folder)]) == 1
    err = capsys.readouterr().err
    assert f"{folder} is not empty (it has notes.txt)" in err
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]

    (tmp_path / "file").write_text("x")
    assert cli.main(["init", str(tmp_path / "file")]) == 1
    assert "is not a folder" in capsys.readouterr().err


def test_init_fills_an_empty_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "emails"
    folder.mkdir()
    assert cli.main(["init", str(folder)]) == 0
    assert (folder / "brand.toml").is_file()
    assert f"created {folder}/" in capsys.readouterr().out


def test_next_steps_leave_out_templates_when_the_folder_is_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TEMPLATES_DIR", raising=False)
    (tmp_path / "templates").mkdir()
    steps = next_steps(Path("templates"), cwd=tmp_path)
    assert "cognito-sender check  " in steps and "--templates" not in steps
    assert "--templates emails" in next_steps(Path("emails"), cwd=tmp_path)


# The default templates folder, one rule at a time, each over the ones after it.


@pytest.fixture
def everywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A current folder where every source names a folder of its own: --flag/, env/,
    configured/ (pyproject.toml) and templates/."""
    for name in ("flag", "env", "configured", "templates"):
        (tmp_path / name).mkdir()
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "app"\n\n[tool.cognito-sender]\ntemplates = "configured"\n'
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TEMPLATES_DIR", "env")
    return tmp_path


def templates_of(*argv: str) -> Path:
    args = cli.build_parser().parse_args(["export", "site", *argv])
    folder: Path = args.templates
    return folder


def test_the_flag_comes_first(everywhere: Path) -> None:
    assert templates_of("--templates", "flag") == Path("flag")


def test_then_the_environment_variable(everywhere: Path) -> None:
    assert templates_of() == everywhere / "env"
    assert default_templates().source == "TEMPLATES_DIR=env"


def test_then_the_pyproject_setting(everywhere: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEMPLATES_DIR")
    assert templates_of() == everywhere / "configured"


def test_then_a_templates_folder_here(everywhere: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEMPLATES_DIR")
    # A pyproject.toml without the table is not a setting.
    (everywhere / "pyproject.toml").write_text('[project]\nname = "app"\n')
    assert templates_of() == everywhere / "templates"


def test_then_the_shipped_templates(everywhere: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEMPLATES_DIR")
    (everywhere / "pyproject.toml").unlink()
    (everywhere / "templates").rmdir()
    assert default_templates().path == PACKAGED_TEMPLATES
    args = cli.build_parser().parse_args(["preview"])
    assert args.templates == PACKAGED_TEMPLATES
    # A checkout's shipped templates are its own templates/.
    assert PACKAGED_TEMPLATES == REPO / "templates"


@pytest.mark.parametrize(
    ("argv", "env", "said"),
    [
        (
            ["--templates", "nope"],
            None,
            "nope is not a folder (the templates folder, from --templates)",
        ),
        ([], "gone", "gone is not a folder (the templates folder, from TEMPLATES_DIR=gone)"),
        ([], None, "from templates = 'configured' in [tool.cognito-sender] of pyproject.toml"),
    ],
    ids=["flag", "environment", "pyproject"],
)
def test_a_missing_folder_is_named_with_where_it_came_from(
    everywhere: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    env: str | None,
    said: str,
) -> None:
    (everywhere / "configured").rmdir()
    if env is None:
        monkeypatch.delenv("TEMPLATES_DIR")
    else:
        monkeypatch.setenv("TEMPLATES_DIR", env)
    with pytest.raises(SystemExit) as stopped:
        cli.main(["check", *argv])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert said in err
    assert "cognito-sender init DIR" in err


def test_a_bad_setting_names_the_file(everywhere: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.environ.pop("TEMPLATES_DIR")
    (everywhere / "pyproject.toml").write_text("[tool.cognito-sender]\ntemplates = 3\n")
    with pytest.raises(SystemExit):
        templates_of()
    assert "pyproject.toml: [tool.cognito-sender] needs templates = " in capsys.readouterr().err
    (everywhere / "pyproject.toml").write_text("[tool.cognito-sender\n")
    with pytest.raises(SystemExit):
        templates_of()
    assert "pyproject.toml: cannot read it" in capsys.readouterr().err


def test_a_catalog_newer_than_its_compiled_one_is_named_with_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "emails"
    create(folder)
    po = folder / "locales" / "de" / "LC_MESSAGES" / "messages.po"
    later = po.with_suffix(".mo").stat().st_mtime + 5
    os.utime(po, (later, later))
    assert stale_catalogs(folder) == [po]

    with pytest.raises(SystemExit) as stopped:
        cli.main(["render", "confirm_signup", "--templates", str(folder)])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert str(po) in err
    assert f"pybabel compile --use-fuzzy -d {folder}/locales -D messages" in err
    # The preview compiles stale catalogs itself, and package compiles them into the bundle.
    assert cli.build_parser().parse_args(["preview", "--templates", str(folder)]).templates
    assert cli.build_parser().parse_args(["package", "--templates", str(folder)]).templates

    compile_catalogs(folder)
    assert stale_catalogs(folder) == []
    assert po.with_suffix(".mo").stat().st_mtime >= later


@pytest.mark.parametrize(
    "argv",
    [
        ["preview"],
        ["check"],
        ["render", "confirm_signup"],
        ["export", "site"],
        ["simulate", "--trigger", "SignUp", "--email", "ada@example.com"],
        ["package"],
    ],
    ids=lambda argv: argv[0],
)
def test_every_verb_that_reads_templates_takes_the_folder(
    everywhere: Path, argv: list[str]
) -> None:
    parser = cli.build_parser()
    assert parser.parse_args([*argv, "--templates", "flag"]).templates == Path("flag")
    assert parser.parse_args(argv).templates == everywhere / "env"
