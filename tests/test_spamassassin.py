"""What the real SpamAssassin says of the emails (Debian package ``spamassassin``, which
`make test` installs): neither the hidden preheader nor a bare ``To`` costs points any more."""

from __future__ import annotations

import pytest

from sender.config import DEFAULT_TEMPLATES_DIR
from sender.event import EmailKind
from sender.mime import build_message, to_bytes
from sendertools.samples import SAMPLE_NOW, Workbench
from sendertools.spamscore import score_message

# The `spamassassin` fixture (tests/conftest.py) fails these under CI when it is missing.
pytestmark = pytest.mark.usefixtures("spamassassin")
WB = Workbench(DEFAULT_TEMPLATES_DIR)


def rules(raw: bytes) -> set[str]:
    """The rules SpamAssassin's local tests fire on a message, counted or discounted, scored
    as the check scores it (no Bayes, no user preferences, nothing cached)."""
    score = score_message(raw, cache=False)
    return {r.name for r in (*score.counted, *score.discounted)}


def test_the_japanese_sign_up_email_fires_neither_rule() -> None:
    composed = WB.compose(WB.sample(EmailKind.CONFIRM_SIGNUP, "default"), "ja")
    raw = to_bytes(composed.message)
    fired = rules(raw)
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
        sender=WB.composer.sender,
        recipient="ada@example.com",
        now=SAMPLE_NOW,
    )
    assert before["To"] == "ada@example.com"
    assert {"HTML_FONT_LOW_CONTRAST", "PDS_BRAND_SUBJ_NAKED_TO"} <= rules(to_bytes(before))


def test_the_security_alert_fires_no_low_contrast() -> None:
    composed = WB.compose(WB.sample(EmailKind.SECURITY_ALERT, "default"), "de")
    fired = rules(to_bytes(composed.message))
    assert "HTML_FONT_LOW_CONTRAST" not in fired, fired
