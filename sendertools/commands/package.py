"""Build the Lambda zip: the runtime dependencies as wheels for the target platform, sender/,
a templates folder with its catalogs compiled, and .pyc files compiled by the target Python.

The templates are ``--templates DIR`` (or its default, as every verb finds it): the folder is
copied without its samples, its extraction template (.pot) and the README.md and babel.cfg
``init`` writes, and its catalogs are compiled from the .po files into the bundle, so the
folder itself needs no .mo files; the prebuilt skeletons are rendered from the same files.

The runtime dependencies are the exact wheels of a committed lock, one per target
(``locks/lambda-<arch>-py<version>.txt``: every distribution of the closure, its version and
the sha256 of its wheel), installed with pip's ``--require-hashes --no-deps``; with the
skeletons rendered by the bundle's own libraries and fixed zip entries, two builds of the same
commit are the same bytes. ``--update-lock`` resolves the closure again and rewrites the lock
(``make lock``): pip resolves it for the target's platform tags, running on an interpreter of
the target version so that markers such as ``python_version`` are evaluated for it.

The .pyc files are compiled by an interpreter of the target version (bytecode and its magic
number differ between versions; a .pyc from another version is ignored at import), with
unchecked-hash invalidation: the deployed code never changes, so Python loads them without
comparing source timestamps (which zip tools and Lambda's extraction do not keep reliably).
Without such an interpreter the build stops, unless ``--no-pyc`` asks for a source-only bundle.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import sender
import sendertools
from sender.i18n import SOURCE_LOCALE
from sendertools.commands import (
    TemplatesError,
    add_templates_option,
    compile_catalogs,
    failed,
    is_checkout,
    project_root,
)
from sendertools.prebuild import build_skeletons, write_trimmed

# A checkout's root, or the wheel's copies of its pyproject.toml, locks/ and templates/.
ROOT = project_root()
SENDER = Path(sender.__file__).resolve().parent
DEFAULT_OUT = Path("build/lambda.zip")
DEFAULT_ARCH = "x86_64"
DEFAULT_PYTHON = "3.13"  # the template's runtime
ARCHITECTURES = {"x86_64": "x86_64", "arm64": "aarch64"}
# Lambda's Python 3.12+ runtimes run on Amazon Linux 2023 (glibc 2.34).
GLIBC_TAGS = ("manylinux2014", "manylinux_2_17", "manylinux_2_28", "manylinux_2_34")
# Fixed entry time: the same inputs give the same zip.
ZIP_TIME = (2020, 1, 1, 0, 0, 0)
_DROP_DIST_INFO = frozenset({"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"})
# What renders a skeleton: the bundle must hold the versions that prebuilt them.
RENDERING_DISTRIBUTIONS = ("jinja2", "markupsafe", "mjml-python", "css-inline")
_VERSION = re.compile(r"^3\.\d{1,2}$")
_BOTOCORE_VERSION = re.compile(r"""^__version__ = ['"]([^'"]+)['"]""", re.M)
_LOCK_DEPENDENCIES = "# dependencies: "
# Run by the target interpreter inside the staged bundle (-S -E: nothing but stdlib and bundle),
# with the tools package found after the bundle (it renders the samples; it is not shipped).
_RENDER_SKELETONS = (
    "import sys; from pathlib import Path; sys.path.append(sys.argv[3]); "
    "from sendertools.prebuild import build_skeletons; "
    "build_skeletons(Path(sys.argv[1]), Path(sys.argv[2]))"
)
_TOOLS_ROOT = str(Path(sendertools.__file__).resolve().parent.parent)
# Files of a templates folder the Lambda never reads: left out of the bundle.
_NOT_SHIPPED = ("samples", "*.pot")
_NOT_TEMPLATES = ("*.mo", "*.mo.partial", "__pycache__", ".*")
_FOLDER_DOCS = frozenset({"README.md", "babel.cfg"})  # written by init, at the folder's top


class PackageError(Exception):
    """The bundle cannot be built as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Bundle:
    """What was built."""

    path: Path
    files: int
    zipped_bytes: int
    unzipped_bytes: int
    pyc: bool
    lock: Path | None = None


@dataclass(frozen=True)
class Pin:
    """One distribution of a lock: the wheel pip must install, known by its sha256."""

    name: str
    version: str
    wheel: str
    sha256: str

    def line(self) -> str:
        """Its line in the lock (pip's requirements format)."""
        return f"{self.name}=={self.version} --hash=sha256:{self.sha256}  # {self.wheel}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The verb's options."""
    add_templates_option(parser, needs="sources")
    parser.add_argument("--arch", choices=sorted(ARCHITECTURES), default=DEFAULT_ARCH)
    parser.add_argument(
        "--python",
        default=DEFAULT_PYTHON,
        help=f"target Python, e.g. 3.13 (default {DEFAULT_PYTHON})",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"default {DEFAULT_OUT}")
    parser.add_argument(
        "--interpreter", type=Path, help="a Python of the target version to compile .pyc with"
    )
    parser.add_argument(
        "--no-pyc", action="store_true", help="ship sources only (slower cold start)"
    )
    parser.add_argument(
        "--update-lock",
        action="store_true",
        help="resolve the runtime closure for the target again, rewrite its lock "
        "(locks/lambda-ARCH-pyVERSION.txt) and stop (make lock)",
    )
    parser.add_argument(
        "--no-lock",
        action="store_true",
        help="resolve the closure afresh instead of installing the lock (not reproducible)",
    )


def run(args: argparse.Namespace) -> int:
    """Build and report the sizes, or (--update-lock) rewrite the lock."""
    try:
        if args.update_lock:
            if not is_checkout():
                raise PackageError(
                    "--update-lock rewrites the project's committed lock (locks/): run it in a "
                    "checkout of cognito-email-sender; an installed copy builds from the locks "
                    "it shipped with, or with --no-lock"
                )
            path, pins = update_lock(
                arch=args.arch, python=args.python, interpreter=args.interpreter
            )
            target = f"{args.arch} / CPython {args.python}"
            print(f"wrote {_shown(path)}: {len(pins)} distributions for {target}")
            return 0
        bundle = build(
            arch=args.arch,
            python=args.python,
            out=args.out,
            interpreter=args.interpreter,
            pyc=not args.no_pyc,
            locked=not args.no_lock,
            templates=args.templates,
        )
    except PackageError as err:
        return failed("package", err)
    print(
        f"wrote {bundle.path}: {bundle.files} files, {_mb(bundle.zipped_bytes)} zipped, "
        f"{_mb(bundle.unzipped_bytes)} unzipped, "
        f"{'with' if bundle.pyc else 'WITHOUT'} .pyc, "
        + (f"dependencies from {_shown(bundle.lock)}" if bundle.lock else "UNLOCKED dependencies")
    )
    return 0


def build(
    *,
    arch: str,
    python: str,
    out: Path,
    interpreter: Path | None = None,
    pyc: bool = True,
    locked: bool = True,
    root: Path = ROOT,
    templates: Path | None = None,
) -> Bundle:
    """Build the zip at ``out`` for ``arch`` (x86_64 | arm64) and Python ``python``, its
    dependencies from the target's lock (or, ``locked=False``, resolved afresh), with the
    templates folder ``templates`` (default: the project's)."""
    _check_target(arch, python)
    compiler = None
    if pyc:
        compiler = interpreter or find_interpreter(python)
        if compiler is None:
            raise PackageError(
                f"no Python {python} interpreter found to compile .pyc files for the python"
                f"{python} runtime (a .pyc from another version is ignored there): install "
                f"Python {python}, pass --interpreter PATH, or --no-pyc for a source-only bundle"
            )
        _check_version(compiler, python)
    requirements = runtime_dependencies(root)
    lock = None
    if locked:
        lock = checked_lock(root, requirements, arch=arch, python=python, resolver=compiler)
    templates = root / "templates" if templates is None else templates
    if not templates.is_dir():
        raise PackageError(f"{templates} is not a templates folder")
    with tempfile.TemporaryDirectory(prefix="lambda-bundle-") as tmp:
        stage = Path(tmp) / "bundle"
        stage.mkdir()
        compiled = compiled_templates(templates, Path(tmp) / "templates")
        if lock is not None:
            install_locked(lock, stage, arch=arch, python=python)
        else:
            install_dependencies(requirements, stage, arch=arch, python=python)
        prune(stage)
        keep_cldr_locales(stage, locales_of(compiled))
        copy_sources(compiled, stage)
        trim_botocore_data(stage)
        prebuild_skeletons(compiled, stage, interpreter=compiler)
        if compiler is not None:
            compile_pyc(compiler, stage)
        out.parent.mkdir(parents=True, exist_ok=True)
        files, unzipped = write_zip(stage, out)
    return Bundle(out, files, out.stat().st_size, unzipped, compiler is not None, lock)


def runtime_dependencies(root: Path) -> list[str]:
    """``[project].dependencies`` of pyproject.toml: the Lambda's runtime closure, nothing else."""
    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    return list(data["project"]["dependencies"])


def platform_tags(arch: str) -> list[str]:
    """pip ``--platform`` values for the runtime's glibc and CPU."""
    machine = ARCHITECTURES[arch]
    return [f"{tag}_{machine}" for tag in GLIBC_TAGS]


def target_options(arch: str, python: str) -> list[str]:
    """pip options that pick wheels for the Lambda's platform and Python, not this machine's."""
    options = ["--only-binary=:all:"]
    for tag in platform_tags(arch):
        options += ["--platform", tag]
    return [*options, "--python-version", python, "--implementation", "cp"]


def lock_path(root: Path, arch: str, python: str) -> Path:
    """The committed lock of one target."""
    return root / "locks" / f"lambda-{arch}-py{python}.txt"


def lock_command(arch: str, python: str) -> str:
    """The command that rewrites the lock of one target."""
    variables = "" if arch == DEFAULT_ARCH else f" ARCH={arch}"
    variables += "" if python == DEFAULT_PYTHON else f" LAMBDA_PYTHON={python}"
    return f"make lock{variables}"


def update_lock(
    *, arch: str, python: str, interpreter: Path | None = None, root: Path = ROOT
) -> tuple[Path, list[Pin]]:
    """Resolve the runtime closure for the target and write its lock; returns (path, pins)."""
    _check_target(arch, python)
    resolver = interpreter or find_interpreter(python)
    if resolver is None:
        raise PackageError(
            f"no Python {python} interpreter found to resolve the lock with (pip evaluates "
            f"markers such as python_version for the interpreter it runs on): install Python "
            f"{python} or pass --interpreter PATH"
        )
    _check_version(resolver, python)
    requirements = runtime_dependencies(root)
    pins = resolve(requirements, arch=arch, python=python, interpreter=resolver)
    path = lock_path(root, arch, python)
    write_lock(path, pins, requirements, arch=arch, python=python)
    return path, pins


def resolve(
    requirements: list[str], *, arch: str, python: str, interpreter: Path | None
) -> list[Pin]:
    """The closure of ``requirements`` for the target, as pip would install it there: a dry
    run with the target's platform options, read from pip's installation report."""
    with tempfile.TemporaryDirectory(prefix="lambda-lock-") as tmp:
        report = Path(tmp) / "report.json"
        command = [str(interpreter or sys.executable), "-m", "pip", "install", "--quiet"]
        command += ["--disable-pip-version-check", "--dry-run", "--ignore-installed"]
        command += ["--report", str(report), *target_options(arch, python), *requirements]
        _pip(command, arch=arch, python=python)
        data = json.loads(report.read_text(encoding="utf-8"))
    return sorted((pin_of(item) for item in data["install"]), key=lambda pin: pin.name)


def pin_of(item: dict[str, Any]) -> Pin:
    """A :class:`Pin` from one ``install`` entry of pip's installation report."""
    info = item["download_info"]
    wheel = unquote(info["url"].rsplit("/", 1)[-1])
    archive = info.get("archive_info") or {}
    sha256 = (archive.get("hashes") or {}).get("sha256")
    if sha256 is None and str(archive.get("hash", "")).startswith("sha256="):
        sha256 = archive["hash"].removeprefix("sha256=")
    if not sha256:
        raise PackageError(f"{info['url']}: the package index gave no sha256, cannot lock it")
    name = re.sub(r"[-_.]+", "-", item["metadata"]["name"]).lower()
    return Pin(name, item["metadata"]["version"], wheel, sha256)


def write_lock(
    path: Path, pins: list[Pin], requirements: list[str], *, arch: str, python: str
) -> None:
    """The lock file: a header naming the target and inputs, then one pinned wheel a line."""
    header = [
        f"# The Lambda bundle's runtime closure for {arch} / CPython {python}, resolved with",
        f"# pip {' '.join(target_options(arch, python))}.",
        "# `cognito-sender package` installs exactly these wheels (pip --require-hashes "
        "--no-deps).",
        f"# Written by `{lock_command(arch, python)}` from pyproject.toml's "
        "[project].dependencies; do not edit.",
        _LOCK_DEPENDENCIES + json.dumps(sorted(requirements)),
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text("\n".join([*header, *(pin.line() for pin in pins)]) + "\n", "utf-8")
    os.replace(partial, path)


def locked_dependencies(lock: Path) -> list[str] | None:
    """The ``[project].dependencies`` a lock was resolved from, as its header records them."""
    for line in lock.read_text(encoding="utf-8").splitlines():
        if line.startswith(_LOCK_DEPENDENCIES):
            found = json.loads(line.removeprefix(_LOCK_DEPENDENCIES))
            return [str(requirement) for requirement in found]
    return None


def checked_lock(
    root: Path, requirements: list[str], *, arch: str, python: str, resolver: Path | None
) -> Path:
    """The target's lock, refused when missing or resolved from other dependencies."""
    lock = lock_path(root, arch, python)
    fix = f"run '{lock_command(arch, python)}' (or pass --no-lock for an unpinned build)"
    if root == ROOT and not is_checkout():
        shipped = sorted(p.stem.removeprefix("lambda-") for p in (root / "locks").glob("*.txt"))
        fix = f"this installation has locks for {', '.join(shipped) or 'no target'}; build "
        fix += "for one of them, or pass --no-lock for an unpinned build"
    if not lock.is_file():
        # Resolving first names a dependency that has no wheel for the target (arm64's
        # css-inline), which a new lock could not fix.
        resolve(requirements, arch=arch, python=python, interpreter=resolver)
        raise PackageError(f"no lock {_shown(lock, root)} for {arch} / CPython {python}: {fix}")
    locked = locked_dependencies(lock)
    if locked != sorted(requirements):
        raise PackageError(
            f"{_shown(lock, root)} was resolved from the dependencies {locked}, but "
            f"pyproject.toml now has {sorted(requirements)}: {fix}"
        )
    return lock


def install_locked(lock: Path, target: Path, *, arch: str, python: str) -> None:
    """Exactly the lock's wheels, each checked against its sha256."""
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    command += ["--no-compile", "--target", str(target), *target_options(arch, python)]
    command += ["--no-deps", "--require-hashes", "-r", str(lock)]
    _pip(command, arch=arch, python=python, lock=lock)


def install_dependencies(requirements: list[str], target: Path, *, arch: str, python: str) -> None:
    """Wheels only, for the target platform and Python; no source builds for the host."""
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    command += ["--no-compile", "--target", str(target), *target_options(arch, python)]
    _pip([*command, *requirements], arch=arch, python=python)


def _pip(command: list[str], *, arch: str, python: str, lock: Path | None = None) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode == 0:
        return
    missing = re.findall(r"No matching distribution found for (\S+)", result.stderr)
    if missing:
        raise PackageError(
            f"no wheel of {', '.join(missing)} for {arch} / CPython {python} "
            f"({', '.join(platform_tags(arch))}); a compiled dependency must ship a wheel "
            "for the target or the import fails on Lambda. css-inline, for one, publishes "
            "no glibc aarch64 wheels of recent versions: build for x86_64, or pin a version "
            "that has one"
        )
    if "No module named pip" in result.stderr:
        raise PackageError(f"{command[0]} has no pip: run '{command[0]} -m ensurepip'")
    if lock is not None and "DO NOT MATCH THE HASHES" in result.stderr:
        raise PackageError(
            f"a wheel pip downloaded is not the one {_shown(lock)} names (sha256 differs): "
            f"the index changed a file, or the lock was edited; check, then run "
            f"'{lock_command(arch, python)}'\n{result.stderr.strip()[-2000:]}"
        )
    raise PackageError(f"pip install failed:\n{result.stderr.strip()[-2000:]}")


def prune(site: Path) -> None:
    """Drop what the runtime never reads: scripts, caches, installer records, type stubs."""
    shutil.rmtree(site / "bin", ignore_errors=True)
    for cache in list(site.rglob("__pycache__")):
        shutil.rmtree(cache, ignore_errors=True)
    for info in site.glob("*.dist-info"):
        # METADATA and licence files stay: importlib.metadata and licences need them.
        for name in _DROP_DIST_INFO:
            (info / name).unlink(missing_ok=True)
    for stub in site.rglob("*.pyi"):
        stub.unlink()


def shipped_locales(root: Path) -> list[str]:
    """The locales the bundle of the project at ``root`` can send emails in."""
    return locales_of(root / "templates")


def locales_of(templates: Path) -> list[str]:
    """The locales a templates folder's emails can be in: each one with a catalog, and the
    source one."""
    catalogs = templates.glob("locales/*/LC_MESSAGES/*.po")
    return sorted({SOURCE_LOCALE, *(po.parent.parent.name for po in catalogs)})


def keep_cldr_locales(site: Path, locales: list[str]) -> None:
    """Babel's CLDR data (``babel/locale-data/*.dat``, ~1,150 files and most of its 30 MB) cut
    to what ``locales`` read: each one's file, its parents' as Babel finds them (CLDR's
    exceptions, else the tag without its last part) and ``root``. Other data stays."""
    data = site / "babel" / "locale-data"
    if not data.is_dir():
        return
    with (site / "babel" / "global.dat").open("rb") as fh:
        # Babel's own data file, from the locked and hash-checked wheel just installed.
        exceptions: dict[str, str] = pickle.load(fh).get("parent_exceptions", {})  # noqa: S301
    keep = {"root"}
    for locale in locales:
        name = locale.replace("-", "_")
        while name not in keep:
            keep.add(name)
            name = exceptions.get(name) or (name.rpartition("_")[0] or "root")
    missing = sorted(keep - {dat.stem for dat in data.glob("*.dat")})
    if missing:
        raise PackageError(f"Babel has no CLDR data for {missing}: the locales' dates need it")
    for dat in data.glob("*.dat"):
        if dat.stem not in keep:
            dat.unlink()


def compiled_templates(templates: Path, copy: Path) -> Path:
    """A copy of a templates folder at ``copy``, samples included, with its catalogs compiled
    from its .po files (any .mo of the folder itself is ignored): what the skeletons are
    rendered from and the bundle's templates are taken from, so both hold the same files."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        skipped = set(shutil.ignore_patterns(*_NOT_TEMPLATES)(folder, names))
        if Path(folder) == templates:
            skipped |= _FOLDER_DOCS & set(names)
        return skipped

    shutil.copytree(templates, copy, ignore=ignore)
    try:
        compile_catalogs(copy)
    except TemplatesError as err:
        raise PackageError(str(err).replace(str(copy), str(templates))) from err
    return copy


def copy_sources(templates: Path, stage: Path) -> None:
    """sender/ (the runtime these tools came with) and the compiled templates folder, without
    what the Lambda never reads (samples, the extraction template)."""
    shutil.copytree(SENDER, stage / "sender", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copytree(templates, stage / "templates", ignore=shutil.ignore_patterns(*_NOT_SHIPPED))


def trim_botocore_data(stage: Path) -> None:
    """``sender/data/botocore.json`` made from the bundled botocore (the one the runtime
    checks its version against), not the one of this machine."""
    init = (stage / "botocore" / "__init__.py").read_text(encoding="utf-8")
    found = _BOTOCORE_VERSION.search(init)
    if found is None:
        raise PackageError("the bundled botocore has no __version__: cannot trim its data")
    write_trimmed(
        stage / "botocore" / "data", found.group(1), stage / "sender" / "data" / "botocore.json"
    )


def prebuild_skeletons(templates: Path, stage: Path, *, interpreter: Path | None = None) -> None:
    """The renderer's prebuilt skeletons (``sendertools.prebuild``) of a compiled templates
    folder (samples included), holding the bundle's files. Rendered by ``interpreter``
    (of the target version) with the bundle's own Jinja2, MJML and css-inline, the very
    libraries the Lambda would render with; without one, by this machine's, and only when the
    bundle has the very same versions, since the Lambda would otherwise render a shape
    differently from its stored skeleton. Without them the bundle works the same, its cold
    starts compile templates."""
    target = stage / "sender" / "data" / "skeletons"
    shutil.rmtree(target, ignore_errors=True)
    if interpreter is not None:
        # -B: a timestamp .pyc written here would stop compileall making its unchecked-hash one.
        command = [str(interpreter), "-S", "-E", "-B", "-c", _RENDER_SKELETONS]
        command += [str(templates), str(target), _TOOLS_ROOT]
        result = subprocess.run(command, cwd=stage, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            output = (result.stdout + result.stderr).strip()[-2000:]
            raise PackageError(f"prebuilding the skeletons with {interpreter} failed:\n{output}")
        return
    differ = {
        name: (version, bundled)
        for name in RENDERING_DISTRIBUTIONS
        if (version := importlib.metadata.version(name))
        != (bundled := _bundled_version(stage, name))
    }
    if differ:
        listed = ", ".join(
            f"{n} {here} here, {there} in the bundle" for n, (here, there) in differ.items()
        )
        print(f"cognito-sender package: no prebuilt skeletons ({listed})", file=sys.stderr)
        return
    build_skeletons(templates, target)


def _bundled_version(stage: Path, distribution: str) -> str | None:
    normalized = re.sub(r"[-_.]+", "_", distribution).lower()
    for info in stage.glob("*.dist-info"):
        name, _, version = info.name.removesuffix(".dist-info").rpartition("-")
        if re.sub(r"[-_.]+", "_", name).lower() == normalized:
            return version
    return None


def compile_pyc(interpreter: Path, stage: Path) -> None:
    """Byte-compile everything with the target Python, loadable without timestamp checks."""
    command = [str(interpreter), "-m", "compileall", "-q", "-j", "0"]
    command += ["--invalidation-mode", "unchecked-hash", "-d", ".", "."]
    result = subprocess.run(command, cwd=stage, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()[-2000:]
        raise PackageError(f"compiling .pyc with {interpreter} failed:\n{output}")


def write_zip(stage: Path, out: Path) -> tuple[int, int]:
    """Deterministic zip of the staged tree; returns (files, unzipped bytes)."""
    paths = sorted(p for p in stage.rglob("*") if p.is_file())
    # A catalog's .mo goes after its .po, so any extraction leaves it not older than the .po.
    paths.sort(key=lambda p: p.suffix == ".mo")
    total = 0
    tmp = out.with_suffix(".zip.partial")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in paths:
            info = zipfile.ZipInfo(path.relative_to(stage).as_posix(), date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16  # Lambda needs every file readable
            data = path.read_bytes()
            total += len(data)
            zf.writestr(info, data)
    os.replace(tmp, out)
    return len(paths), total


def find_interpreter(version: str) -> Path | None:
    """A working Python ``version`` interpreter: this one, one on PATH, or a pyenv one."""
    if f"{sys.version_info.major}.{sys.version_info.minor}" == version:
        return Path(sys.executable)
    candidates: list[Path] = []
    on_path = shutil.which(f"python{version}")
    if on_path:
        candidates.append(Path(on_path))
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    candidates += sorted(pyenv_root.glob(f"versions/{version}.*/bin/python{version}"), reverse=True)
    for candidate in candidates:
        if _version_of(candidate) == version:
            return candidate
    return None


def _version_of(interpreter: Path) -> str | None:
    try:
        result = subprocess.run(
            [str(interpreter), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def _check_target(arch: str, python: str) -> None:
    if arch not in ARCHITECTURES:
        raise PackageError(f"--arch {arch!r}: use one of {', '.join(sorted(ARCHITECTURES))}")
    if not _VERSION.match(python):
        raise PackageError(f"--python {python!r}: use a version such as 3.13")


def _check_version(interpreter: Path, version: str) -> None:
    found = _version_of(interpreter)
    if found != version:
        raise PackageError(f"--interpreter {interpreter} is Python {found}, not {version}")


def _shown(path: Path, root: Path = ROOT) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"
