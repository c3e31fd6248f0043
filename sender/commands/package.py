"""Build the Lambda zip: the runtime dependencies as wheels for the target platform, sender/,
the templates with compiled catalogs, and .pyc files compiled by the target Python.

The .pyc files are compiled by an interpreter of the target version (bytecode and its magic
number differ between versions; a .pyc from another version is ignored at import), with
unchecked-hash invalidation: the deployed code never changes, so Python loads them without
comparing source timestamps (which zip tools and Lambda's extraction do not keep reliably).
Without such an interpreter the build stops, unless ``--no-pyc`` asks for a source-only bundle.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

from sender import skeletons
from sender.botosession import write_trimmed
from sender.commands import failed

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = Path("build/lambda.zip")
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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The verb's options."""
    parser.add_argument("--arch", choices=sorted(ARCHITECTURES), default="x86_64")
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


def run(args: argparse.Namespace) -> int:
    """Build and report the sizes."""
    try:
        bundle = build(
            arch=args.arch,
            python=args.python,
            out=args.out,
            interpreter=args.interpreter,
            pyc=not args.no_pyc,
        )
    except PackageError as err:
        return failed("package", err)
    print(
        f"wrote {bundle.path}: {bundle.files} files, {_mb(bundle.zipped_bytes)} zipped, "
        f"{_mb(bundle.unzipped_bytes)} unzipped, "
        f"{'with' if bundle.pyc else 'WITHOUT'} .pyc"
    )
    return 0


def build(
    *,
    arch: str,
    python: str,
    out: Path,
    interpreter: Path | None = None,
    pyc: bool = True,
    root: Path = ROOT,
) -> Bundle:
    """Build the zip at ``out`` for ``arch`` (x86_64 | arm64) and Python ``python``."""
    if arch not in ARCHITECTURES:
        raise PackageError(f"--arch {arch!r}: use one of {', '.join(sorted(ARCHITECTURES))}")
    if not _VERSION.match(python):
        raise PackageError(f"--python {python!r}: use a version such as 3.13")
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
    with tempfile.TemporaryDirectory(prefix="lambda-bundle-") as tmp:
        stage = Path(tmp)
        install_dependencies(runtime_dependencies(root), stage, arch=arch, python=python)
        prune(stage)
        copy_sources(root, stage)
        trim_botocore_data(stage)
        prebuild_skeletons(root, stage)
        if compiler is not None:
            compile_pyc(compiler, stage)
        out.parent.mkdir(parents=True, exist_ok=True)
        files, unzipped = write_zip(stage, out)
    return Bundle(out, files, out.stat().st_size, unzipped, compiler is not None)


def runtime_dependencies(root: Path) -> list[str]:
    """``[project].dependencies`` of pyproject.toml: the Lambda's runtime closure, nothing else."""
    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    return list(data["project"]["dependencies"])


def platform_tags(arch: str) -> list[str]:
    """pip ``--platform`` values for the runtime's glibc and CPU."""
    machine = ARCHITECTURES[arch]
    return [f"{tag}_{machine}" for tag in GLIBC_TAGS]


def install_dependencies(requirements: list[str], target: Path, *, arch: str, python: str) -> None:
    """Wheels only, for the target platform and Python; no source builds for the host."""
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    command += ["--no-compile", "--target", str(target), "--only-binary=:all:"]
    for tag in platform_tags(arch):
        command += ["--platform", tag]
    command += ["--python-version", python, "--implementation", "cp", *requirements]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        missing = re.findall(r"No matching distribution found for (\S+)", result.stderr)
        if missing:
            raise PackageError(
                f"no wheel of {', '.join(missing)} for {arch} / CPython {python} "
                f"({', '.join(platform_tags(arch))}); a compiled dependency must ship a wheel "
                "for the target or the import fails on Lambda. css-inline, for one, publishes "
                "no glibc aarch64 wheels of recent versions: build for x86_64, or pin a version "
                "that has one"
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


def copy_sources(root: Path, stage: Path) -> None:
    """sender/ and templates/ (catalogs compiled, no samples or extraction template)."""
    shutil.copytree(
        root / "sender", stage / "sender", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    templates = root / "templates"
    for po in templates.glob("locales/*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.is_file() or mo.stat().st_mtime < po.stat().st_mtime:
            raise PackageError(f"{mo.relative_to(root)} is missing or stale: run 'make compile'")
    shutil.copytree(
        templates,
        stage / "templates",
        ignore=shutil.ignore_patterns("samples", "*.pot", "__pycache__", ".*"),
    )


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


def prebuild_skeletons(root: Path, stage: Path) -> None:
    """The renderer's prebuilt skeletons (``sender.skeletons``), rendered here with this
    machine's Jinja2, MJML and css-inline: only when the bundle has the very same versions,
    since the Lambda would otherwise render a shape differently from its stored skeleton.
    Without them the bundle works the same, its cold starts compile templates."""
    target = stage / "sender" / "data" / "skeletons"
    shutil.rmtree(target, ignore_errors=True)
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
    skeletons.build(root / "templates", target)


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


def _check_version(interpreter: Path, version: str) -> None:
    found = _version_of(interpreter)
    if found != version:
        raise PackageError(f"--interpreter {interpreter} is Python {found}, not {version}")


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"
