"""The Lambda bundle: built once per session for x86_64 (pip fetches the wheels from the
package index), unzipped, and imported by a fresh interpreter that sees only the bundle.

The bundle targets the Python running the tests, so that interpreter can import it and compile
its .pyc; ``make package`` targets the template's runtime (3.13) the same way."""

from __future__ import annotations

import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import pytest

from sender.commands import package
from sender.commands.package import Bundle, PackageError, build
from tests.conftest import python_report

TARGET = f"{sys.version_info.major}.{sys.version_info.minor}"
THIRD_PARTY = (
    "boto3",
    "botocore",
    "jinja2",
    "mjml",
    "css_inline",
    "aws_encryption_sdk",
    "cryptography",
    "aws_lambda_powertools",
)
# Runs with -S -E from the unzipped folder: stdlib + the bundle, as on Lambda.
COLD_START = """
import importlib.util, json, sys, time
start = time.perf_counter()
import sender.handler
imported = time.perf_counter()
app = sender.handler.get_app()
built = time.perf_counter()
from sender.botosession import ServiceLoader
root = sys.path[0] or "."
import os
root = os.path.abspath(root)
from sender.codes import Secret
from sender.event import parse_event
from sender.i18n import LocaleInfo
from sender.model import build_model
event = parse_event({
    "triggerSource": "CustomEmailSender_SignUp", "userPoolId": "eu-west-1_abc",
    "userName": "ada", "region": "eu-west-1",
    "request": {"code": "AQID", "userAttributes": {"email": "ada@example.com", "name": "Ada"},
                "clientMetadata": None},
})
de = LocaleInfo("de")
model = build_model(event, Secret("482913"), "ada@example.com", app.brand, de)
email = app.renderer.render(event.kind, de, model)
engines = sorted(m for m in ("jinja2", "mjml", "css_inline") if m in sys.modules)
loaded = {n: m for n, m in sys.modules.items() if getattr(m, "__file__", None)}
print(json.dumps({
    "import_s": imported - start,
    "build_s": built - imported,
    "outside": sorted(
        n for n in loaded
        if n.split(".")[0] in THIRD_PARTY
        and not os.path.abspath(loaded[n].__file__).startswith(root)
    ),
    "no_pyc": sorted(
        n for n, m in loaded.items()
        if os.path.abspath(m.__file__).startswith(root) and m.__file__.endswith(".py")
        and not os.path.isfile(importlib.util.cache_from_source(m.__file__))
    ),
    "locales": list(app.catalogs.locales),
    "trimmed": ServiceLoader().trimmed() is not None,
    "engines": engines,
    "rendered": "482913" in email.html and email.locale == "de",
}))
""".replace("THIRD_PARTY", repr(THIRD_PARTY))


@pytest.fixture(scope="session")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Bundle:
    out = tmp_path_factory.mktemp("bundle") / "lambda.zip"
    built = build(arch="x86_64", python=TARGET, out=out)
    print(
        f"bundle: {built.files} files, {built.zipped_bytes / 1e6:.1f} MB zipped, "
        f"{built.unzipped_bytes / 1e6:.1f} MB unzipped"
    )
    return built


@pytest.fixture(scope="session")
def unzipped(bundle: Bundle, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("task-root")
    with zipfile.ZipFile(bundle.path) as zf:
        zf.extractall(folder)
    return folder


def test_the_handler_imports_and_builds_from_the_bundle_alone(unzipped: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(unzipped),
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "KMS_KEY_ARN": f"arn:aws:kms:eu-west-1:123456789012:key/{uuid.uuid4()}",
        "EMAIL_FROM": "Example <no-reply@example.com>",
    }
    report = python_report("-c", COLD_START, env=env, cwd=unzipped, flags=("-S", "-E"))
    print(
        f"cold start from the bundle (Python {TARGET}): import sender.handler "
        f"{report['import_s'] * 1000:.0f} ms, clients + templates {report['build_s'] * 1000:.0f} ms"
    )
    assert report["outside"] == []
    assert report["no_pyc"] == []
    assert "de" in report["locales"]
    # Made from the bundled botocore, so the runtime uses it instead of botocore's full data.
    assert report["trimmed"] is True
    # Prebuilt skeletons in the bundle: a sign-up email in German renders without Jinja2,
    # MJML or css-inline ever being imported.
    assert report["rendered"] is True
    assert report["engines"] == []


def test_the_bundle_holds_the_runtime_and_nothing_else(bundle: Bundle) -> None:
    with zipfile.ZipFile(bundle.path) as zf:
        names = zf.namelist()
        wheel_tags = [
            line.split(":", 1)[1].strip()
            for name in names
            if name.endswith(".dist-info/WHEEL")
            for line in zf.read(name).decode().splitlines()
            if line.startswith("Tag:")
        ]
    tops = {n.split("/")[0] for n in names}

    assert "sender/handler.py" in names
    assert "templates/brand.toml" in names
    assert "sender/data/botocore.json" in names
    assert "sender/data/skeletons/confirm_signup.de.json" in names
    assert "templates/locales/de/LC_MESSAGES/messages.mo" in names
    assert any(n.startswith("templates/confirm_signup/") for n in names)
    assert not any("/samples/" in n or n.endswith(".pot") for n in names)
    assert not tops & {"moto", "preview", "tests", "pytest", "babel", "bin", "starlette"}
    assert not any(n.endswith(".dist-info/RECORD") for n in names)
    assert {"boto3", "jinja2", "mjml", "css_inline", "aws_encryption_sdk", "cryptography"} <= tops
    tag = f"cpython-{TARGET.replace('.', '')}"
    pycs = [n for n in names if n.endswith(".pyc")]
    assert pycs and all(f".{tag}" in n for n in pycs)
    compiled = [t for t in wheel_tags if not t.endswith("-none-any")]
    assert compiled, "no compiled wheel at all?"
    assert all("manylinux" in t and t.endswith("x86_64") for t in compiled), compiled


def test_no_interpreter_of_the_target_version_stops_the_build(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match=r"no Python 3\.99 interpreter .*--no-pyc"):
        build(arch="x86_64", python="3.99", out=tmp_path / "lambda.zip")
    assert not (tmp_path / "lambda.zip").exists()


def test_a_dependency_without_a_wheel_for_the_target_is_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def pip_without_wheel(command: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        assert "--only-binary=:all:" in command and "manylinux2014_aarch64" in command
        return subprocess.CompletedProcess(
            command,
            1,
            "",
            "ERROR: Could not find a version that satisfies the requirement css-inline>=0.14\n"
            "ERROR: No matching distribution found for css-inline>=0.14\n",
        )

    monkeypatch.setattr(package.subprocess, "run", pip_without_wheel)

    with pytest.raises(PackageError, match=r"no wheel of css-inline>=0\.14 for arm64"):
        package.install_dependencies(["css-inline>=0.14"], tmp_path, arch="arm64", python="3.13")


def test_unknown_architecture_and_python_are_refused(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match="'ppc64'"):
        build(arch="ppc64", python="3.13", out=tmp_path / "x.zip", pyc=False)
    with pytest.raises(PackageError, match="'3'"):
        build(arch="x86_64", python="3", out=tmp_path / "x.zip", pyc=False)


def test_skeletons_are_left_out_when_the_bundle_renders_with_other_versions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stage = tmp_path / "stage"
    (stage / "sender" / "data" / "skeletons").mkdir(parents=True)
    (stage / "sender" / "data" / "skeletons" / "stale.json").write_text("{}")
    monkeypatch.setattr(
        package, "_bundled_version", lambda _stage, name: "0.0" if name == "mjml-python" else None
    )
    package.prebuild_skeletons(package.ROOT, stage)
    assert not (stage / "sender" / "data" / "skeletons").exists()
    assert "mjml-python" in capsys.readouterr().err


def test_bundled_versions_are_read_from_the_dist_info(tmp_path: Path) -> None:
    (tmp_path / "mjml_python-1.3.4.dist-info").mkdir()
    (tmp_path / "Jinja2-3.1.6.dist-info").mkdir()
    assert package._bundled_version(tmp_path, "mjml-python") == "1.3.4"
    assert package._bundled_version(tmp_path, "jinja2") == "3.1.6"
    assert package._bundled_version(tmp_path, "css-inline") is None
