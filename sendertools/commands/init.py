"""Create a templates folder of your own from the default emails: the brand file (and its
brands/), the layout, every email kind with its samples, the catalogs of every shipped locale
(.po, compiled to .mo), a babel.cfg and a README.md saying what each file is and what to run.

DIR must be new or empty. The folder passes ``cognito-sender check`` as created; edit it,
preview it, check it and package it with ``--templates DIR`` (or set it once: TEMPLATES_DIR,
or ``templates = "DIR"`` under ``[tool.cognito-sender]`` in ./pyproject.toml).
"""

from __future__ import annotations

import argparse
import shlex
import shutil
from pathlib import Path
from typing import NamedTuple

from sender.event import EMAIL_KIND, EmailKind
from sendertools.commands import (
    CONFIG_FILE,
    CONFIG_KEY,
    CONFIG_TABLE,
    ENV_VAR,
    PACKAGED_TEMPLATES,
    TemplatesError,
    compile_catalogs,
    compile_command,
    default_templates,
    failed,
)

# Never copied from the defaults: build products and editors' and tools' scratch files.
_SKIPPED = ("*.mo", "*.mo.partial", "__pycache__", ".*")
# Babel's extraction mapping for the folder's templates (the checkout's babel.cfg).
BABEL_CFG = """\
# Where translatable strings live: every template, HTML and text alike.
[jinja2: **.mjml]
extensions = jinja2.ext.i18n
trim_blocks = true
lstrip_blocks = true

[jinja2: **.txt]
extensions = jinja2.ext.i18n
trim_blocks = true
lstrip_blocks = true
"""
GITIGNORE = """\
# Compiled catalogs: made from the .po files (see README.md), never committed.
*.mo
"""


class InitError(Exception):
    """The folder cannot be created as asked; the message names it."""


class Created(NamedTuple):
    """What ``create`` wrote."""

    path: Path
    kinds: list[str]
    samples: int
    locales: list[str]
    brands: list[str]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The verb's options."""
    parser.add_argument("dir", type=Path, help="the folder to create (new, or empty)")


def run(args: argparse.Namespace) -> int:
    """Create the folder and print what to run next."""
    try:
        created = create(args.dir)
    except InitError as err:
        return failed("init", err)
    print(summary(created))
    print()
    print(next_steps(args.dir))
    return 0


def create(target: Path, source: Path = PACKAGED_TEMPLATES) -> Created:
    """Copy the templates folder ``source`` to ``target`` (new or empty), compile its
    catalogs and write the folder's babel.cfg, .gitignore and README.md."""
    if target.exists() and not target.is_dir():
        raise InitError(f"{target} exists and is not a folder")
    if target.is_dir():
        found = sorted(p.name for p in target.iterdir())
        if found:
            shown = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
            raise InitError(
                f"{target} is not empty (it has {shown}); init writes only into a new or empty "
                "folder, and changes nothing else"
            )
    if not (source / "brand.toml").is_file():
        raise InitError(f"{source} holds no default templates (no brand.toml): reinstall")
    existed = target.is_dir()
    try:
        skipped = shutil.ignore_patterns(*_SKIPPED)
        shutil.copytree(source, target, ignore=skipped, dirs_exist_ok=True)
        compile_catalogs(target)
        (target / "babel.cfg").write_text(BABEL_CFG, encoding="utf-8")
        (target / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
        (target / "README.md").write_text(readme(target), encoding="utf-8")
    except (OSError, TemplatesError) as err:
        _remove(target, keep_folder=existed)
        raise InitError(f"{target}: {err}") from err
    kinds = [k.value for k in EmailKind if (target / k.value).is_dir()]
    return Created(
        path=target,
        kinds=kinds,
        samples=sum(len(list((target / k / "samples").glob("*.json"))) for k in kinds),
        locales=sorted(p.parent.parent.name for p in target.glob("locales/*/LC_MESSAGES/*.po")),
        brands=sorted(p.stem for p in target.glob("brands/*.toml")),
    )


def _remove(target: Path, *, keep_folder: bool) -> None:
    if not keep_folder:
        shutil.rmtree(target, ignore_errors=True)
        return
    for child in target.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def summary(created: Created) -> str:
    """One paragraph: what is in the new folder."""
    brands = f", brands/ ({', '.join(created.brands)})" if created.brands else ""
    return (
        f"created {created.path}/: brand.toml{brands}, layout/, {len(created.kinds)} email "
        f"kinds with {created.samples} samples, catalogs of {', '.join(created.locales)} "
        "(compiled), babel.cfg, README.md"
    )


def next_steps(target: Path, cwd: Path | None = None) -> str:
    """The commands to run next, with ``--templates`` only when ``target`` is not already
    the folder the tools use by default."""
    try:
        implied = default_templates(cwd).path == (cwd or Path.cwd()).joinpath(target).resolve()
    except TemplatesError:
        implied = False
    option = "" if implied else f" --templates {shlex.quote(str(target))}"
    commands = [
        (f"cognito-sender check{option}", "every email against the rules"),
        (f"cognito-sender preview{option}", "every email, live, at http://127.0.0.1:8025/"),
        (f"cognito-sender render confirm_signup --locale de{option}", "one email's HTML"),
        (f"cognito-sender package{option}", "the Lambda zip, build/lambda.zip"),
    ]
    width = max(len(command) for command, _ in commands)
    lines = ["next:", *(f"  {c.ljust(width)}  # {why}" for c, why in commands)]
    if not implied:
        lines += [
            f"to make {target} the default and drop --templates: export {ENV_VAR}={target}, "
            f"or in ./{CONFIG_FILE}:",
            f"  [tool.{CONFIG_TABLE}]",
            f'  {CONFIG_KEY} = "{target.as_posix()}"',
        ]
    return "\n".join(lines)


def readme(target: Path) -> str:
    """The new folder's README.md."""
    option = f"--templates {shlex.quote(target.as_posix())}"
    kinds = "\n".join(
        f"| `{kind.value}/` | "
        + ", ".join(f"`{t.value}`" for t, k in EMAIL_KIND.items() if k is kind)
        + " |"
        for kind in EmailKind
    )
    return README.format(
        option=option,
        kinds=kinds,
        env=ENV_VAR,
        config=CONFIG_FILE,
        table=CONFIG_TABLE,
        key=CONFIG_KEY,
        dir=target.as_posix(),
        compile=compile_command(Path(target.as_posix())),
    )


README = """\
# Email templates

The emails the Cognito custom email sender sends, made by `cognito-sender init`. The commands
below render every email exactly as the Lambda does.

- `brand.toml`: product name, colours, logo, addresses, the origins links may point at, link
  templates and code validity; `[brand_by_client]` and `[brand_by_pool]` choose a brand per
  app client or user pool.
- `brands/<name>.toml`: a further brand, its keys merged over `brand.toml`, with its own From
  address and SES configuration set.
- `layout/`: what every email shares: `base.mjml` (the HTML, in MJML), `macros.mjml`,
  `base.txt` and `common.txt` (the plain text).
- `<kind>/subject.txt`, `preheader.txt`, `body.mjml`, `body.txt`: one email's subject, inbox
  preview line, HTML body and plain-text body, all Jinja.
- `<kind>/samples/*.json`: named scenarios of that email (an event's fields and a code) that
  the preview, the check and `render` show; never deployed.
- `locales/<ll>/LC_MESSAGES/messages.po`: one language's translations (gettext);
  `locales/messages.pot` is the template they are updated from.
- `locales/<ll>/LC_MESSAGES/messages.mo`: the compiled catalogs the emails read, made from
  the `.po` files and not committed (`.gitignore`).
- `babel.cfg`: where `pybabel extract` finds the strings to translate.

The email kinds, and the Cognito trigger sources that send them:

| folder | trigger sources |
|---|---|
{kinds}

## Work on it

    cognito-sender preview {option}
    cognito-sender check {option}
    cognito-sender render confirm_signup --locale de --part html {option}
    cognito-sender export site {option}

`preview` serves every email in every locale at http://127.0.0.1:8025/ and reloads as you
edit; `check` holds every kind x locale x sample against the rules (exit 1 on an error: run
it in CI); `render` prints one email (`--part html`, `text` or `eml`); `export` writes a
static site of every email for review.

Set the folder once instead of passing `{option}`: `export {env}={dir}`, or in `./{config}`:

    [tool.{table}]
    {key} = "{dir}"

## Translations

After editing a `.po` file, compile the catalogs (the preview does it by itself; the other
commands stop and say so when a `.mo` is missing or older than its `.po`):

    {compile}

After adding a string to a template, extract the strings and merge them into every catalog:

    pybabel extract -F {dir}/babel.cfg --no-location --sort-output \\
        -o {dir}/locales/messages.pot {dir}
    pybabel update --no-fuzzy-matching -i {dir}/locales/messages.pot -d {dir}/locales -D messages

A new language: `pybabel init -i {dir}/locales/messages.pot -d {dir}/locales -D messages -l
pt_BR`, then translate its `.po`.

## Deploy

    cognito-sender package {option}

writes `build/lambda.zip`: the sender, its dependencies for Lambda, and this folder with its
catalogs compiled (samples left out). Deploy it as the user pool's CustomEmailSender
function, with `KMS_KEY_ARN` and `EMAIL_FROM` set.
"""
