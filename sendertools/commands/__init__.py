"""The CLI's verbs, one module each, and what they share: the templates folder a verb works on
(``--templates`` and the default a user sets once), the project's own files (a checkout's, or
a wheel's copies of them), the catalogs compiled from a folder's ``.po`` files, and error
output.

The templates folder of a verb, first found wins:

1. ``--templates DIR``;
2. the ``TEMPLATES_DIR`` environment variable (the name the Lambda reads it under);
3. ``templates = "DIR"`` in the ``[tool.cognito-sender]`` table of the current folder's
   ``pyproject.toml`` (relative to that folder);
4. ``./templates``, when the current folder has one;
5. the templates shipped with the tools (:data:`PACKAGED_TEMPLATES`).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tomllib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Literal, NamedTuple

ENV_VAR = "TEMPLATES_DIR"
CONFIG_FILE = "pyproject.toml"
CONFIG_TABLE = "cognito-sender"
CONFIG_KEY = "templates"
LOCAL_TEMPLATES = "templates"
CATALOGS = "locales/*/LC_MESSAGES/*.po"

_PACKAGE = Path(__file__).resolve().parents[1]
# Installed from a wheel, the build put copies of the checkout's pyproject.toml, locks/ and
# templates/ (catalogs compiled) here (build_hooks/backend.py); a checkout never has it.
_WHEEL_DATA = _PACKAGE / "data"


def project_root() -> Path:
    """Where the project's own ``pyproject.toml``, ``locks/`` and ``templates/`` are: the root
    of a checkout, or ``sendertools/data/`` of an installed wheel."""
    return _WHEEL_DATA if _WHEEL_DATA.is_dir() else _PACKAGE.parent


def is_checkout() -> bool:
    """Whether the tools run from a checkout of the project (not from an installed wheel)."""
    return project_root() != _WHEEL_DATA


PACKAGED_TEMPLATES = project_root() / "templates"
"""The default templates: a checkout's ``templates/``, or the wheel's copy of them."""

# What a verb needs of its folder, checked when the command line is read:
# "compiled": a folder whose catalogs are compiled and not older than their .po (the renderer
#   reads the .mo files); "sources": a folder (the verb compiles the catalogs itself);
#   "nothing": the verb reports a missing folder and compiles stale catalogs itself.
Needs = Literal["compiled", "sources", "nothing"]


class TemplatesError(Exception):
    """The templates folder cannot be used as asked; the message names it and what to do."""


class TemplatesChoice(NamedTuple):
    """A templates folder and where the choice came from (for messages)."""

    path: Path
    source: str


class _Default(str):
    """argparse's default of ``--templates``: replaced by the resolved folder after parsing."""

    __slots__ = ()


def add_templates_option(parser: argparse.ArgumentParser, *, needs: Needs = "compiled") -> None:
    """``--templates DIR``: the templates folder a verb works on, with its default resolved
    (see the module's docstring) and checked as the verb ``needs`` when the command line is
    read, so a missing folder or a stale catalog stops the verb with a message naming it."""
    parser.add_argument(
        "--templates",
        type=_templates_type(needs),
        # A str default goes through ``type`` after parsing: the default is resolved then.
        default=_Default(""),
        metavar="DIR",
        help=f"templates folder (default: ${ENV_VAR}, else '{CONFIG_KEY}' of "
        f"[tool.{CONFIG_TABLE}] in ./{CONFIG_FILE}, else ./{LOCAL_TEMPLATES} if there is one, "
        "else the templates shipped with cognito-sender)",
    )


def _templates_type(needs: Needs) -> Callable[[str], Path]:
    def templates(value: str) -> Path:
        try:
            if isinstance(value, _Default):
                choice = default_templates()
            else:
                choice = TemplatesChoice(Path(value), "--templates")
            return checked_templates(choice, needs)
        except TemplatesError as err:
            raise argparse.ArgumentTypeError(str(err)) from err

    return templates


def default_templates(
    cwd: Path | None = None, environ: Mapping[str, str] | None = None
) -> TemplatesChoice:
    """The templates folder a verb uses without ``--templates`` (an absolute path)."""
    cwd = Path.cwd() if cwd is None else cwd
    env = os.environ if environ is None else environ
    value = env.get(ENV_VAR, "").strip()
    if value:
        return TemplatesChoice((cwd / value).resolve(), f"{ENV_VAR}={value}")
    configured = configured_templates(cwd / CONFIG_FILE)
    if configured is not None:
        source = f"{CONFIG_KEY} = {configured!r} in [tool.{CONFIG_TABLE}] of {CONFIG_FILE}"
        return TemplatesChoice((cwd / configured).resolve(), source)
    local = cwd / LOCAL_TEMPLATES
    if local.is_dir():
        return TemplatesChoice(local.resolve(), f"./{LOCAL_TEMPLATES}")
    return TemplatesChoice(PACKAGED_TEMPLATES, "the templates shipped with cognito-sender")


def configured_templates(pyproject: Path) -> str | None:
    """``templates`` of ``[tool.cognito-sender]`` in ``pyproject`` (None when not set)."""
    if not pyproject.is_file():
        return None
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise TemplatesError(
            f"{pyproject}: cannot read it for [tool.{CONFIG_TABLE}]: {err}"
        ) from err
    table = data.get("tool", {}).get(CONFIG_TABLE)
    if table is None:
        return None
    value = table.get(CONFIG_KEY) if isinstance(table, dict) else None
    if not isinstance(value, str) or not value.strip():
        raise TemplatesError(
            f'{pyproject}: [tool.{CONFIG_TABLE}] needs {CONFIG_KEY} = "DIR", the templates '
            f"folder relative to {pyproject.name}'s folder; found {table!r}"
        )
    return value.strip()


def checked_templates(choice: TemplatesChoice, needs: Needs) -> Path:
    """``choice``'s folder, refused (``TemplatesError``) when it is not what the verb needs."""
    path = choice.path
    if needs == "nothing":
        return path
    if not path.is_dir():
        raise TemplatesError(
            f"{path} is not a folder (the templates folder, from {choice.source}); "
            "'cognito-sender init DIR' creates one"
        )
    if needs == "compiled":
        stale = stale_catalogs(path)
        if stale:
            listed = ", ".join(str(po) for po in stale)
            raise TemplatesError(
                f"{listed}: the compiled catalog (.mo) is missing or older than the .po, and "
                f"the emails read the .mo: compile the catalogs with '{compile_command(path)}'"
            )
    return path


def stale_catalogs(templates_dir: Path) -> list[Path]:
    """Every ``.po`` of a templates folder whose ``.mo`` is missing or older."""
    stale = []
    for po in sorted(templates_dir.glob(CATALOGS)):
        mo = po.with_suffix(".mo")
        if not mo.is_file() or mo.stat().st_mtime < po.stat().st_mtime:
            stale.append(po)
    return stale


def compile_command(templates_dir: Path) -> str:
    """The command that compiles a templates folder's catalogs (Babel is installed with the
    tools)."""
    locales = shlex.quote(str(templates_dir / "locales"))
    return f"pybabel compile --use-fuzzy -d {locales} -D messages"


def compile_catalogs(templates_dir: Path, only: Iterable[Path] | None = None) -> list[Path]:
    """Compile every catalog of a templates folder (or the ``.po`` files ``only`` names) to the
    ``.mo`` beside it, as ``pybabel compile --use-fuzzy`` does, each ``.mo`` not older than its
    ``.po``; returns the ``.mo`` files. ``TemplatesError`` names a ``.po`` that cannot be read."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(templates_dir.glob(CATALOGS) if only is None else only):
        try:
            with po.open("rb") as fh:
                catalog = read_po(fh, locale=po.parent.parent.name, abort_invalid=True)
        except Exception as err:  # Babel raises several unrelated types for bad input.
            raise TemplatesError(f"{po}: not a readable catalog: {err}") from err
        mo = po.with_suffix(".mo")
        partial = mo.with_suffix(".mo.partial")
        with partial.open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=True)
        partial.replace(mo)
        stamp = max(mo.stat().st_mtime, po.stat().st_mtime)
        os.utime(mo, (stamp, stamp))
        written.append(mo)
    return written


def failed(verb: str, error: object) -> int:
    """Say on stderr why ``verb`` stopped; the exit status of a failure."""
    print(f"cognito-sender {verb}: {error}", file=sys.stderr)
    return 1
