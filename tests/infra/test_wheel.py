"""The project as a user installs it: ``python -m build`` makes the sdist and, from it, the
wheel; the wheel goes into a fresh virtual environment (its dependencies from the package
index, the one install of this module), and there, in a folder with no checkout, no
PYTHONPATH and no TEMPLATES_DIR, a user's session runs: ``init``, ``check``, ``render`` and
``package`` of a templates folder of their own.

The build runs in this environment (``--no-isolation``: the dev extra has setuptools, Babel
and build), so only the install and ``package`` (the Lambda's wheels) reach the index."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import venv
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from sendertools.commands import package

pytestmark = [pytest.mark.wheel, pytest.mark.timeout(900)]

TARGET = f"{sys.version_info.major}.{sys.version_info.minor}"
ROOT = package.ROOT
SHIPPED_LOCALES = sorted(p.parent.parent.name for p in ROOT.glob("templates/locales/*/*/*.po"))


@dataclass(frozen=True)
class Built:
    sdist: Path
    wheel: Path


@dataclass(frozen=True)
class Installed:
    """A virtual environment with only the wheel (and its dependencies) installed."""

    root: Path
    home: Path  # an empty folder to run in

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    def env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "TEMPLATES_DIR")
        }
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        return env

    def run(self, *argv: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
        """``cognito-sender *argv`` as the user types it, in ``home``."""
        return subprocess.run(
            [str(self.bin / "cognito-sender"), *argv],
            cwd=self.home,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    if not (ROOT / "pyproject.toml").is_file() or not (ROOT / "build_hooks").is_dir():
        pytest.skip("not a checkout: nothing to build")
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    [sdist] = out.glob("*.tar.gz")
    [wheel] = out.glob("*.whl")
    return Built(sdist, wheel)


@pytest.fixture(scope="module")
def installed(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True, clear=True).create(root)
    there = Installed(root, tmp_path_factory.mktemp("home"))
    result = subprocess.run(
        [str(there.bin / "python"), "-m", "pip", "install", "--quiet", str(built.wheel)],
        env=there.env(),
        cwd=there.home,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return there


def test_the_wheel_holds_the_runtime_tools_preview_and_default_templates(built: Built) -> None:
    with zipfile.ZipFile(built.wheel) as zf:
        names = zf.namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"sender", "sendertools", "preview"}
    assert {"sender/handler.py", "sendertools/cli.py", "sendertools/commands/init.py"} <= set(names)
    assert {"preview/pages/index.html", "preview/static/preview.js"} <= set(names)
    data = "sendertools/data/"
    assert f"{data}pyproject.toml" in names
    assert f"{data}locks/lambda-x86_64-py{package.DEFAULT_PYTHON}.txt" in names
    shipped = {n.removeprefix(f"{data}templates/") for n in names if n.startswith(data)}
    in_checkout = {
        p.relative_to(ROOT / "templates").as_posix()
        for p in (ROOT / "templates").rglob("*")
        if p.is_file() and p.suffix != ".mo" and "__pycache__" not in p.parts
    }
    assert in_checkout <= shipped  # brands/, samples/ and the .pot included
    assert any(n.startswith("brands/") for n in in_checkout)
    for locale in SHIPPED_LOCALES:
        catalog = f"{data}templates/locales/{locale}/LC_MESSAGES/messages"
        # pip writes files in archive order and keeps no times: the .mo after its .po.
        assert names.index(f"{catalog}.mo") > names.index(f"{catalog}.po")
    assert not any("__pycache__" in n or n.startswith("tests/") for n in names)


def test_the_sdist_holds_what_the_wheel_is_built_from(built: Built) -> None:
    with tarfile.open(built.sdist) as tf:
        names = {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}
    assert {"pyproject.toml", "build_hooks/backend.py", "templates/brand.toml"} <= names
    assert f"locks/lambda-x86_64-py{package.DEFAULT_PYTHON}.txt" in names
    assert "templates/locales/de/LC_MESSAGES/messages.po" in names
    assert not any(n.endswith(".mo") or "__pycache__" in n for n in names)


def test_installed_it_works_without_a_checkout(installed: Installed) -> None:
    where = subprocess.run(
        [
            str(installed.bin / "python"),
            "-c",
            "import sender, sendertools, preview; "
            "print(sender.__file__, sendertools.__file__, preview.__file__)",
        ],
        cwd=installed.home,
        env=installed.env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    assert all(Path(f).is_relative_to(installed.root) for f in where), where

    # Without a folder of one's own, the verbs use the templates the wheel shipped.
    checked = installed.run("check", "--no-spam-score")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "sendertools/data/templates" in checked.stdout

    made = installed.run("init", "emails")
    assert made.returncode == 0, made.stderr
    assert "cognito-sender check --templates emails" in made.stdout
    emails = installed.home / "emails"
    assert (emails / "brand.toml").is_file() and (emails / "README.md").is_file()
    for locale in SHIPPED_LOCALES:
        assert (emails / "locales" / locale / "LC_MESSAGES" / "messages.mo").is_file()

    checked = installed.run("check", "--templates", "emails", "--no-spam-score")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "0 error(s)" in checked.stdout

    # The user's own edit shows, and ships.
    brand = emails / "brand.toml"
    text = brand.read_text(encoding="utf-8").replace(
        'product_name = "Example"', 'product_name = "Acme Rockets"'
    )
    brand.write_text(text, encoding="utf-8")
    rendered = installed.run(
        "render", "confirm_signup", "--templates", "emails", "--locale", "de", "--out", "de.html"
    )
    assert rendered.returncode == 0, rendered.stderr
    html = (installed.home / "de.html").read_text(encoding="utf-8")
    assert 'lang="de"' in html and "Acme Rockets" in html

    # The folder's catalogs need not be compiled: package compiles them into the bundle.
    for mo in emails.glob("locales/*/LC_MESSAGES/*.mo"):
        mo.unlink()
    locked = package.lock_path(ROOT, "x86_64", TARGET).is_file()
    argv = ["package", "--templates", "emails", "--python", TARGET, "--out", "lambda.zip"]
    packaged = installed.run(*argv, *([] if locked else ["--no-lock"]), timeout=600)
    assert packaged.returncode == 0, packaged.stderr[-4000:]
    with zipfile.ZipFile(installed.home / "lambda.zip") as zf:
        names = zf.namelist()
        assert "Acme Rockets" in zf.read("templates/brand.toml").decode()
    tops = {n.split("/")[0] for n in names}
    assert not tops & {"sendertools", "preview"}, sorted(tops)
    assert "sender/handler.py" in names
    for locale in SHIPPED_LOCALES:
        catalog = f"templates/locales/{locale}/LC_MESSAGES/messages"
        assert {f"{catalog}.po", f"{catalog}.mo"} <= set(names)
    for overlay in emails.glob("brands/*.toml"):
        assert f"templates/brands/{overlay.name}" in names
    assert not any("/samples/" in n or n.endswith(".pot") for n in names)
    assert not {"templates/README.md", "templates/babel.cfg", "templates/.gitignore"} & set(names)
    assert "sender/data/skeletons/confirm_signup.de.json" in names
