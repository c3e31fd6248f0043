"""What the real SpamAssassin says of the emails (Debian package ``spamassassin``; skipped
without it): neither the hidden preheader nor a bare ``To`` costs points any more."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from sender.config import DEFAULT_TEMPLATES_DIR
from sender.event import EmailKind
from sender.mime import build_message, to_bytes
from sender.samples import SAMPLE_NOW, Workbench

SPAMASSASSIN = shutil.which("spamassassin")
pytestmark = pytest.mark.skipif(
    SPAMASSASSIN is None, reason="no spamassassin (apt-get install spamassassin)"
)
WB = Workbench(DEFAULT_TEMPLATES_DIR)


def rules(raw: bytes, tmp_path: Path) -> set[str]:
    """The rules SpamAssassin's local tests (no network) fire on a message."""
    home = tmp_path / "sa-home"
    home.mkdir(exist_ok=True)
    result = subprocess.run(
        [str(SPAMASSASSIN), "-L", "-t"],
        input=raw,
        capture_output=True,
        timeout=120,
        check=False,
        env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
    )
    report = result.stdout.decode("utf-8", "replace")
    assert "Content analysis details" in report, result.stderr.decode("utf-8", "replace")[-2000:]
    details = report.split("Content analysis details", 1)[1]
    return set(re.findall(r"^\s*-?\d+\.\d+\s+([A-Z0-9_]+)\s", details, re.M))


def test_the_japanese_sign_up_email_fires_neither_rule(tmp_path: Path) -> None:
    composed = WB.compose(WB.sample(EmailKind.CONFIRM_SIGNUP, "default"), "ja")
    raw = to_bytes(composed.message)
    fired = rules(raw, tmp_path)
    assert "HTML_FONT_LOW_CONTRAST" not in fired, fired
    assert "PDS_BRAND_SUBJ_NAKED_TO" not in fired, fired
    # The controls: the old preheader colour and a bare To do fire, so the rules are live.
    email = composed.email
    old_preheader = email.html.replace(
        'class="preheader" style="', 'class="preheader" style="color:#ffffff;'
    )
    assert old_preheader != email.html
    before = build_message(
        email._replace(html=old_preheader),
        sender=WB.sender,
        recipient="ada@example.com",
        now=SAMPLE_NOW,
    )
    assert before["To"] == "ada@example.com"
    assert {"HTML_FONT_LOW_CONTRAST", "PDS_BRAND_SUBJ_NAKED_TO"} <= rules(
        to_bytes(before), tmp_path
    )


def test_the_security_alert_fires_no_low_contrast(tmp_path: Path) -> None:
    composed = WB.compose(WB.sample(EmailKind.SECURITY_ALERT, "default"), "de")
    fired = rules(to_bytes(composed.message), tmp_path)
    assert "HTML_FONT_LOW_CONTRAST" not in fired, fired
