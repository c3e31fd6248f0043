"""The project's build backend: setuptools', plus what the tools read from a checkout, put
into the wheel for an installation that has none.

A checkout's tools read the project's ``pyproject.toml`` (the Lambda's runtime dependencies),
``locks/`` (the bundle's pinned closure) and ``templates/`` (the default emails, which
``cognito-sender init`` copies and every verb falls back on). The wheel carries copies of
them under ``sendertools/data/`` (``sendertools.commands.project_root`` finds them), the
templates with their catalogs compiled: an installed copy has no ``make`` to compile them.

pip writes a wheel's files in the order of the archive and keeps no file times, so each
``.mo`` is moved after every ``.po``: written later, it is not older than its ``.po``, as
the renderer requires of a compiled catalog.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path
from typing import Any

from setuptools import build_meta as _setuptools

# The PEP 517 and PEP 660 hooks this backend leaves as they are.
from setuptools.build_meta import *  # noqa: F403
from setuptools.command.build_py import build_py as _build_py

ROOT = Path(__file__).resolve().parent.parent
DATA = ("sendertools", "data")
_NOT_COPIED = ("*.mo", "*.mo.partial", "__pycache__", ".*")


class BuildPy(_build_py):
    """setuptools' ``build_py``, then the project's files into ``sendertools/data/``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install is a checkout: it reads the files where they are
        data = Path(self.build_lib).joinpath(*DATA)
        shutil.rmtree(data, ignore_errors=True)
        copy_project_files(ROOT, data)


def copy_project_files(root: Path, data: Path) -> None:
    """``root``'s pyproject.toml, locks/ and templates/ (catalogs compiled) into ``data``."""
    data.mkdir(parents=True)
    shutil.copy2(root / "pyproject.toml", data / "pyproject.toml")
    shutil.copytree(root / "locks", data / "locks", ignore=shutil.ignore_patterns(*_NOT_COPIED))
    templates = data / "templates"
    shutil.copytree(root / "templates", templates, ignore=shutil.ignore_patterns(*_NOT_COPIED))
    compile_catalogs(templates)


def compile_catalogs(templates: Path) -> None:
    """Every catalog's .mo from its .po, as ``pybabel compile --use-fuzzy`` makes it."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in sorted(templates.glob("locales/*/LC_MESSAGES/*.po")):
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=po.parent.parent.name, abort_invalid=True)
        with po.with_suffix(".mo").open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=True)


def build_wheel(
    wheel_directory: str,
    config_settings: dict[str, Any] | None = None,
    metadata_directory: str | None = None,
) -> str:
    """setuptools' wheel, its compiled catalogs moved after the files they are made from."""
    name: str = _setuptools.build_wheel(wheel_directory, config_settings, metadata_directory)
    catalogs_last(Path(wheel_directory) / name)
    return name


def catalogs_last(wheel: Path) -> None:
    """Rewrite ``wheel`` with its ``.mo`` entries after every other file (the .dist-info
    folder stays last); the files themselves, and so RECORD, are unchanged."""
    with zipfile.ZipFile(wheel) as source:
        infos = source.infolist()
        ordered = sorted(
            infos, key=lambda i: (".dist-info/" in i.filename, i.filename.endswith(".mo"))
        )
        if ordered == infos:
            return
        partial = wheel.with_name(wheel.name + ".partial")
        with zipfile.ZipFile(partial, "w") as target:
            for info in ordered:
                target.writestr(info, source.read(info))
    os.replace(partial, wheel)
