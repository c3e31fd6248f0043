"""The Lambda bundle, built once per session for x86_64 (pip fetches the wheels from the
package index), unzipped, and run by a fresh interpreter that sees only the bundle.

Two bundles: one for the Python running the tests (that interpreter can import it), and the
deployed one, built like ``make package`` for the template's runtime (3.13) from the lock and
run by a Python 3.13 that sends one email of every trigger source through a real moto_server.
Without a Python 3.13 the deployed bundle's tests are skipped, saying so in the summary."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest

from sender.event import Trigger
from sender.skeletons import templates_stamp
from sendertools import cli, localaws
from sendertools.commands import init, package
from sendertools.commands.package import Bundle, PackageError, Pin, build
from tests.conftest import EVENTS, parse_mime, parts, python_report, shown

TARGET = f"{sys.version_info.major}.{sys.version_info.minor}"
LAMBDA_PYTHON = package.DEFAULT_PYTHON
LAMBDA_LOCK = package.lock_path(package.ROOT, "x86_64", LAMBDA_PYTHON)
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
# Run by run_in_bundle: stdlib + the bundle, as on Lambda.
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
model = build_model(event, Secret("482913"), "ada@example.com", app.composers["base"].brand, de)
email = app.composers["base"].renderer.render(event.kind, de, model)
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


# Runs with -S -E -B from the unzipped folder: every trigger's event from stdin, sent by the
# real handler; reports what failed and where the modules it used came from.
SEND_ALL = """
import importlib.util, json, os, sys
from types import SimpleNamespace
import sender.handler
context = SimpleNamespace(function_name="f", memory_limit_in_mb=128, aws_request_id="r",
    invoked_function_arn="arn:aws:lambda:eu-west-1:123456789012:function:f")
failures = []
for event in json.load(sys.stdin):
    try:
        sender.handler.lambda_handler(event, context)
    except Exception as err:
        failures.append(f"{event['triggerSource']}: {type(err).__name__}: {err}")
root = os.path.abspath(sys.path[0] or ".")
loaded = {n: m.__file__ for n, m in sys.modules.items() if getattr(m, "__file__", None)}
print(json.dumps({
    "python": "%d.%d" % sys.version_info[:2],
    "failures": failures,
    "outside": sorted(
        n for n, f in loaded.items()
        if n.split(".")[0] in THIRD_PARTY and not os.path.abspath(f).startswith(root)
    ),
    "no_pyc": sorted(
        n for n, f in loaded.items()
        if os.path.abspath(f).startswith(root) and f.endswith(".py")
        and not os.path.isfile(importlib.util.cache_from_source(f))
    ),
}))
""".replace("THIRD_PARTY", repr(THIRD_PARTY))


def run_in_bundle(
    interpreter: Path,
    script: str,
    folder: Path,
    env: dict[str, str],
    stdin: str | None = None,
) -> dict[str, Any]:
    """``script`` run by ``interpreter`` from ``folder`` with nothing but the stdlib and the
    bundle on its path, as on Lambda (whose /var/task is read-only: -B writes no .pyc);
    its last stdout line is a JSON report."""
    return python_report(
        "-c",
        script,
        interpreter=interpreter,
        flags=("-S", "-E", "-B"),
        cwd=folder,
        env={"PATH": "/usr/bin:/bin", "HOME": str(folder), **env},
        stdin=stdin,
    )


def unzip(bundle: Bundle, folder: Path) -> Path:
    with zipfile.ZipFile(bundle.path) as zf:
        zf.extractall(folder)
    return folder


@pytest.fixture(scope="session")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Bundle:
    out = tmp_path_factory.mktemp("bundle") / "lambda.zip"
    # Only the deployed target has a lock; another Python's bundle resolves afresh.
    locked = package.lock_path(package.ROOT, "x86_64", TARGET).is_file()
    built = build(arch="x86_64", python=TARGET, out=out, locked=locked)
    print(
        f"bundle: {built.files} files, {built.zipped_bytes / 1e6:.1f} MB zipped, "
        f"{built.unzipped_bytes / 1e6:.1f} MB unzipped"
    )
    return built


@pytest.fixture(scope="session")
def unzipped(bundle: Bundle, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return unzip(bundle, tmp_path_factory.mktemp("task-root"))


@pytest.fixture(scope="session")
def lambda_python() -> Path:
    """An interpreter of the Lambda runtime's version, found as ``make package`` finds it."""
    found = package.find_interpreter(LAMBDA_PYTHON)
    if found is None:
        pytest.skip(
            f"no Python {LAMBDA_PYTHON} interpreter (python{LAMBDA_PYTHON} on PATH or in "
            f"pyenv): the deployed bundle is neither built nor run; install Python {LAMBDA_PYTHON}"
        )
    return found


@pytest.fixture(scope="session")
def lambda_bundle(
    lambda_python: Path, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Bundle:
    """The bundle ``make package`` deploys, built by the same command line."""
    if TARGET == LAMBDA_PYTHON:
        same: Bundle = request.getfixturevalue("bundle")
        return same
    out = tmp_path_factory.mktemp("lambda-bundle") / "lambda.zip"
    start = time.perf_counter()
    argv = ["package", "--arch", "x86_64", "--python", LAMBDA_PYTHON, "--out", str(out)]
    assert cli.main(argv) == 0, f"cognito-sender {' '.join(argv)} failed (stderr above)"
    print(f"Python {LAMBDA_PYTHON} bundle built in {time.perf_counter() - start:.1f} s")
    with zipfile.ZipFile(out) as zf:
        infos = zf.infolist()
    unzipped_bytes = sum(info.file_size for info in infos)
    return Bundle(out, len(infos), out.stat().st_size, unzipped_bytes, True, LAMBDA_LOCK)


@pytest.fixture(scope="session")
def lambda_unzipped(lambda_bundle: Bundle, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return unzip(lambda_bundle, tmp_path_factory.mktemp("lambda-task-root"))


@pytest.fixture(params=["tests", "lambda"])
def runtime(request: pytest.FixtureRequest) -> tuple[Path, Path]:
    """(interpreter, unzipped bundle): the tests' own Python, then the Lambda runtime's."""
    if request.param == "tests":
        return Path(sys.executable), request.getfixturevalue("unzipped")
    return request.getfixturevalue("lambda_python"), request.getfixturevalue("lambda_unzipped")


def test_the_handler_imports_and_builds_from_the_bundle_alone(runtime: tuple[Path, Path]) -> None:
    interpreter, folder = runtime
    env = {
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "KMS_KEY_ARN": f"arn:aws:kms:eu-west-1:123456789012:key/{uuid.uuid4()}",
        "EMAIL_FROM": "Example <no-reply@example.com>",
    }
    report = run_in_bundle(interpreter, COLD_START, folder, env)
    print(
        f"cold start from the bundle ({interpreter}): import sender.handler "
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


@pytest.mark.server
def test_the_deployed_bundle_sends_every_trigger_under_the_lambda_python(
    lambda_python: Path, lambda_unzipped: Path, moto_env: localaws.MotoServer
) -> None:
    stack = localaws.provision()
    events: list[dict[str, Any]] = []
    expected: dict[str, str | None] = {}  # recipient -> code
    for path in sorted(EVENTS.glob("*.json")):
        event = json.loads(path.read_text(encoding="utf-8"))
        trigger = Trigger(event["triggerSource"])
        event["userPoolId"] = stack.user_pool_id
        recipient = f"{trigger.short.lower()}@example.com"
        if trigger is Trigger.ACCOUNT_TAKE_OVER:
            # No code and no email attribute: the bundle's Cognito client looks the user up.
            user = boto3.client("cognito-idp").admin_create_user(
                UserPoolId=stack.user_pool_id,
                Username=recipient,
                UserAttributes=[{"Name": "email", "Value": recipient}],
                MessageAction="SUPPRESS",
            )["User"]
            event["userName"] = user["Username"]
            expected[recipient] = None
        else:
            code = f"{secrets.randbelow(10**6):06d}"
            event["request"]["userAttributes"]["email"] = recipient
            event["request"]["code"] = stack.pool().encrypt(code)
            expected[recipient] = code
        events.append(event)
    assert {Trigger(e["triggerSource"]) for e in events} == set(Trigger)

    env = {
        **moto_env.environment(),
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "KMS_KEY_ARN": stack.key_arn,
        "EMAIL_FROM": stack.email_from,
    }
    report = run_in_bundle(lambda_python, SEND_ALL, lambda_unzipped, env, json.dumps(events))

    assert report["python"] == LAMBDA_PYTHON
    assert report["failures"] == []
    assert report["outside"] == []
    assert report["no_pyc"] == []
    messages = [parse_mime(m["raw_data"]) for m in moto_env.sent_messages()]
    assert len(messages) == len(Trigger)
    by_recipient = {str(msg["To"]): msg for msg in messages}
    assert set(by_recipient) == set(expected)
    for recipient, code in expected.items():
        msg = by_recipient[recipient]
        assert msg["From"] == stack.email_from
        assert msg.get_content_type() == "multipart/alternative", recipient
        text, html = parts(msg)
        if code is None:
            assert "192.0.2.1" in text and "192.0.2.1" in html, recipient
        else:
            assert code in text and code in shown(html), recipient


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
    # The Lambda alone: neither the tools nor the preview ship.
    assert not tops & {"sendertools", "preview", "tests", "bench"}, sorted(tops)
    assert not tops & {"moto", "preview", "tests", "pytest", "bin", "starlette"}
    # Babel's CLDR data only for the shipped locales (the alerts' dates) and root.
    cldr = {n.rsplit("/", 1)[1] for n in names if n.startswith("babel/locale-data/")}
    assert cldr == {f"{c}.dat" for c in ("ar", "de", "en", "es", "fr", "ja", "root")} | {
        "LICENSE.unicode"
    }
    assert not any(n.endswith(".dist-info/RECORD") for n in names)
    assert {"boto3", "jinja2", "mjml", "css_inline", "aws_encryption_sdk", "cryptography"} <= tops
    tag = f"cpython-{TARGET.replace('.', '')}"
    pycs = [n for n in names if n.endswith(".pyc")]
    assert pycs and all(f".{tag}" in n for n in pycs)
    compiled = [t for t in wheel_tags if not t.endswith("-none-any")]
    assert compiled, "no compiled wheel at all?"
    assert all("manylinux" in t and t.endswith("x86_64") for t in compiled), compiled


def test_package_bundles_the_templates_folder_it_is_given(tmp_path: Path) -> None:
    folder = tmp_path / "emails"
    init.create(folder)
    brand = folder / "brand.toml"
    text = brand.read_text(encoding="utf-8")
    brand.write_text(text.replace('product_name = "Example"', 'product_name = "Acme"'), "utf-8")
    # A folder without compiled catalogs: package compiles them from the .po files.
    for mo in folder.glob("locales/*/LC_MESSAGES/*.mo"):
        mo.unlink()
    out = tmp_path / "lambda.zip"
    locked = package.lock_path(package.ROOT, "x86_64", TARGET).is_file()
    argv = ["package", "--templates", str(folder), "--python", TARGET, "--out", str(out)]
    assert cli.main([*argv, *([] if locked else ["--no-lock"])]) == 0

    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        assert 'product_name = "Acme"' in zf.read("templates/brand.toml").decode()
    locales = sorted(p.parent.parent.name for p in folder.glob("locales/*/*/messages.po"))
    assert locales
    for locale in locales:
        catalog = f"templates/locales/{locale}/LC_MESSAGES/messages"
        assert {f"{catalog}.po", f"{catalog}.mo"} <= names
    assert not {"templates/README.md", "templates/babel.cfg", "templates/.gitignore"} & names
    assert not any("/samples/" in n or n.endswith(".pot") for n in names)
    assert not list(folder.glob("locales/*/LC_MESSAGES/*.mo")), "the folder itself is unchanged"

    # The skeletons were rendered from the very files shipped: the Lambda would use each one
    # (a file whose stamp differs from the bundled templates' is ignored).
    unzipped = tmp_path / "task-root"
    with zipfile.ZipFile(out) as zf:
        zf.extractall(unzipped)
    stores = sorted((unzipped / "sender" / "data" / "skeletons").glob("*.json"))
    assert {p.name for p in stores} >= {f"confirm_signup.{locale}.json" for locale in locales}
    for store in stores:
        kind, locale = store.stem.split(".")
        stamp = templates_stamp(unzipped / "templates", kind, locale)
        assert json.loads(store.read_bytes())["stamp"] == stamp, store.name


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


def test_the_deployed_bundle_holds_exactly_the_locked_wheels(lambda_bundle: Bundle) -> None:
    with zipfile.ZipFile(lambda_bundle.path) as zf:
        names = zf.namelist()
    shipped = {
        name.split("/")[0].removesuffix(".dist-info").rpartition("-")[::2]
        for name in names
        if name.split("/")[0].endswith(".dist-info")
    }
    locked = {
        (pin.split("==")[0], pin.split("==")[1].split()[0])
        for pin in LAMBDA_LOCK.read_text(encoding="utf-8").splitlines()
        if pin and not pin.startswith("#")
    }
    assert {(_normal(name), version) for name, version in shipped} == locked
    tag = f"cpython-{LAMBDA_PYTHON.replace('.', '')}"
    pycs = [n for n in names if n.endswith(".pyc")]
    assert pycs and all(f".{tag}." in n for n in pycs)
    with zipfile.ZipFile(lambda_bundle.path) as zf:
        # PEP 552 flags 0b01: hash-based, never checked against the source (no timestamps).
        flags = {n: int.from_bytes(zf.open(n).read(8)[4:8], "little") for n in pycs}
    assert {n for n, f in flags.items() if f != 0b01} == set()
    assert "sender/data/skeletons/confirm_signup.de.json" in names


def test_two_builds_of_the_same_commit_are_the_same_bytes(
    lambda_bundle: Bundle, lambda_python: Path, tmp_path: Path
) -> None:
    again = build(
        arch="x86_64", python=LAMBDA_PYTHON, out=tmp_path / "again.zip", interpreter=lambda_python
    )
    if again.path.read_bytes() != lambda_bundle.path.read_bytes():
        with zipfile.ZipFile(lambda_bundle.path) as first, zipfile.ZipFile(again.path) as second:
            one = {i.filename: (i.CRC, i.date_time, i.external_attr) for i in first.infolist()}
            two = {i.filename: (i.CRC, i.date_time, i.external_attr) for i in second.infolist()}
        differ = sorted(n for n in one.keys() | two.keys() if one.get(n) != two.get(n))
        # The working tree is the input: a file saved between the two builds differs too.
        first_done = lambda_bundle.path.stat().st_mtime
        edited = [
            n
            for n in differ
            if (package.ROOT / n).is_file() and (package.ROOT / n).stat().st_mtime > first_done
        ]
        pytest.fail(
            f"{len(differ)} entries differ between two builds: {differ[:20]}"
            + (f" (edited in the working tree meanwhile: {edited})" if edited else "")
        )


def test_the_committed_lock_is_resolved_from_pyproject_for_the_lambda_platform() -> None:
    dependencies = package.runtime_dependencies(package.ROOT)
    assert package.locked_dependencies(LAMBDA_LOCK) == sorted(dependencies), (
        f"{LAMBDA_LOCK.name} is stale: run 'make lock'"
    )
    pins = [
        line
        for line in LAMBDA_LOCK.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    assert {_normal(p.split("==")[0]) for p in pins} >= {"boto3", "css-inline", "cryptography"}
    for line in pins:
        requirement, wheel = line.split("  # ")
        assert " --hash=sha256:" in requirement, line
        python_tag, abi, platform = wheel.removesuffix(".whl").split("-")[-3:]
        # Built for any platform, or for Lambda's: CPython 3.13 (or its stable ABI) on glibc x86_64.
        assert platform == "any" or ("manylinux" in platform and "x86_64" in platform), wheel
        assert platform == "any" or abi == "abi3" or python_tag == "cp313", wheel


def test_a_stale_lock_stops_the_build(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["boto3>=1.34", "requests>=2"]\n'
    )
    lock = package.lock_path(tmp_path, "x86_64", "3.13")
    pins = [Pin("boto3", "1.34.0", "boto3-1.34.0-py3-none-any.whl", "0" * 64)]
    package.write_lock(lock, pins, ["boto3>=1.34"], arch="x86_64", python="3.13")

    with pytest.raises(PackageError, match=r"locks/lambda-x86_64-py3\.13\.txt .*'make lock'"):
        build(arch="x86_64", python="3.13", out=tmp_path / "x.zip", pyc=False, root=tmp_path)

    package.write_lock(lock, pins, ["requests>=2", "boto3>=1.34"], arch="x86_64", python="3.13")
    checked = package.checked_lock(
        tmp_path,
        package.runtime_dependencies(tmp_path),
        arch="x86_64",
        python="3.13",
        resolver=None,
    )
    assert checked == lock


def test_arm64_without_a_lock_names_the_dependency_without_a_wheel(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def pip_without_wheel(command: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        assert "--dry-run" in command and "manylinux_2_34_aarch64" in command
        return subprocess.CompletedProcess(
            command, 1, "", "ERROR: No matching distribution found for css-inline>=0.14\n"
        )

    monkeypatch.setattr(package.subprocess, "run", pip_without_wheel)

    with pytest.raises(PackageError, match=r"no wheel of css-inline>=0\.14 for arm64"):
        build(arch="arm64", python="3.13", out=tmp_path / "x.zip", pyc=False)


def test_a_target_without_a_lock_says_how_to_make_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\ndependencies = ["boto3>=1.34"]\n')
    resolved: list[list[str]] = []
    monkeypatch.setattr(package, "resolve", lambda requirements, **_: resolved.append(requirements))

    with pytest.raises(
        PackageError, match=r"no lock .*py3\.12\.txt .*'make lock LAMBDA_PYTHON=3\.12'"
    ):
        build(arch="x86_64", python="3.12", out=tmp_path / "x.zip", pyc=False, root=tmp_path)
    # Resolved first, so a dependency without a wheel for the target would have been named.
    assert resolved == [["boto3>=1.34"]]


def test_a_wheel_that_is_not_the_locked_one_is_refused(tmp_path: Path) -> None:
    lock = tmp_path / "lock.txt"
    lock.write_text(f"six==1.17.0 --hash=sha256:{'0' * 64}\n")
    with pytest.raises(PackageError, match=r"not the one .*lock\.txt names"):
        package.install_locked(lock, tmp_path / "site", arch="x86_64", python="3.13")
    assert not (tmp_path / "site" / "six.py").exists()


def test_the_lock_is_written_sorted_with_its_inputs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\ndependencies = ["b>=1", "a"]\n')
    pins = [Pin("b", "2.0", "b-2.0-py3-none-any.whl", "b" * 64)]
    pins.append(Pin("a", "1.0", "a-1.0-cp313-cp313-manylinux_2_28_x86_64.whl", "a" * 64))
    resolved: list[dict[str, object]] = []

    def resolve(requirements: list[str], **options: object) -> list[Pin]:
        resolved.append({"requirements": requirements, **options})
        return sorted(pins, key=lambda pin: pin.name)

    monkeypatch.setattr(package, "resolve", resolve)
    path, _ = package.update_lock(
        arch="x86_64", python=TARGET, interpreter=Path(sys.executable), root=tmp_path
    )

    assert resolved == [
        {
            "requirements": ["b>=1", "a"],
            "arch": "x86_64",
            "python": TARGET,
            "interpreter": Path(sys.executable),
        }
    ]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[-2:] == [
        f"a==1.0 --hash=sha256:{'a' * 64}  # a-1.0-cp313-cp313-manylinux_2_28_x86_64.whl",
        f"b==2.0 --hash=sha256:{'b' * 64}  # b-2.0-py3-none-any.whl",
    ]
    assert package.locked_dependencies(path) == ["a", "b>=1"]


def test_pins_are_read_from_pips_installation_report() -> None:
    item = {
        "metadata": {"name": "Typing_Extensions", "version": "4.16.0"},
        "download_info": {
            "url": "https://files.example/typing_extensions-4.16.0-py3-none-any.whl",
            "archive_info": {"hash": f"sha256={'c' * 64}"},
        },
    }
    assert package.pin_of(item) == Pin(
        "typing-extensions", "4.16.0", "typing_extensions-4.16.0-py3-none-any.whl", "c" * 64
    )
    item["download_info"] = {"url": "file:///wheels/x-1-py3-none-any.whl", "archive_info": {}}
    with pytest.raises(PackageError, match=r"x-1-py3-none-any\.whl: .*no sha256"):
        package.pin_of(item)


def _normal(name: str) -> str:
    return name.replace("_", "-").replace(".", "-").lower()
