"""``cognito-sender simulate`` as a user runs it: a subprocess, a real moto_server, an .eml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import parse_mime, parts


def simulate(*args: str, timeout: int = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sendertools.cli", "simulate", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_simulate_writes_the_sent_message(tmp_path: Path) -> None:
    result = simulate(
        "--trigger",
        "AdminCreateUser",
        "--email",
        "grace@example.com",
        "--locale",
        "de-DE",
        "--code",
        "Tmp<Pw>&1",
        "--out",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert f"outbox: {tmp_path}" in result.stdout
    [eml] = sorted(tmp_path.glob("*.eml"))
    assert eml.with_suffix(".html").is_file()
    msg = parse_mime(eml.read_bytes())
    assert msg["To"] == "Ada Lovelace <grace@example.com>"
    assert msg["Subject"] == "Sie wurden zu Example eingeladen"
    text, html = parts(msg)
    assert "Tmp<Pw>&1" in text  # Cognito's escaping undone exactly once
    assert "Tmp&lt;Pw&gt;&amp;1" in html


def test_simulate_refuses_an_unknown_trigger(tmp_path: Path) -> None:
    result = simulate(
        "--trigger", "Nope", "--email", "a@example.com", "--out", str(tmp_path), timeout=60
    )
    assert result.returncode == 2
    assert "unknown trigger 'Nope'" in result.stderr
    assert not list(tmp_path.iterdir())


def test_simulate_from_the_partner_portals_client_sends_its_brand(tmp_path: Path) -> None:
    result = simulate(
        "--trigger",
        "SignUp",
        "--email",
        "grace@example.com",
        "--client-id",
        "5examplepartnerportal00001",  # mapped to northwind in brand.toml
        "--out",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    [eml] = sorted(tmp_path.glob("*.eml"))
    msg = parse_mime(eml.read_bytes())
    assert msg["From"] == "Northwind Partners <no-reply@northwind.example.com>"
    assert msg["Subject"] == "Your Northwind confirmation code"
