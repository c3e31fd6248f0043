"""The local spam score (sendertools/spamscore.py): every shipped email under the threshold,
a spammy one over it with its rules named, the rules of an untravelled message discounted apart.

The tests marked by the ``spamassassin`` fixture run the real SpamAssassin. `make test`
installs it (scripts/system-deps.sh): under CI its absence fails them, elsewhere it skips them
with the reason. Scores of unchanged emails come from the cache `make check` fills.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from sender.config import DEFAULT_TEMPLATES_DIR
from sender.mime import to_bytes
from sender.render import kinds_in
from sendertools import cli, spamscore
from sendertools.samples import Workbench
from sendertools.spamscore import THRESHOLD, Rule

SPAM_SUBJECT = "FREE MONEY!!! CLICK NOW"
SPAM_PHRASES = (
    "Dear friend, you have been selected as a WINNER! Claim your FREE MONEY now, 100% FREE, "
    "no credit check, risk free, act now. Cheap Viagra from our online pharmacy, "
    "fast Viagra delivery. Double your income working from home."
)
SPAMMY_KIND = "sign_in_code"


def spammy_message(extra_body: str = "") -> bytes:
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = "Example <no-reply@example.com>"
    msg["To"] = "ada@example.com"
    msg["Subject"] = SPAM_SUBJECT
    msg["Date"] = "Thu, 15 Jan 2026 09:30:00 +0000"
    msg["Message-ID"] = "<spammy.1@example.com>"
    msg.set_content(f"{SPAM_PHRASES}\n{extra_body}")
    msg.add_alternative(f"<html><body><p>{SPAM_PHRASES}</p></body></html>", subtype="html")
    return msg.as_bytes()


def spammy_templates(tmp_path: Path) -> Path:
    """A copy of the templates with one sample per kind, and one kind full of spam."""
    target = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATES_DIR, target)
    for sample in target.glob("*/samples/*.json"):
        if sample.stem != "default":
            sample.unlink()
    folder = target / SPAMMY_KIND
    (folder / "subject.txt").write_text(SPAM_SUBJECT + "\n", encoding="utf-8")
    for name, before, after in (
        ("body.txt", "{% block content %}\n", f"{{% block content %}}\n{SPAM_PHRASES}\n\n"),
        ("body.mjml", "{% block content %}\n", f"{{% block content %}}\n<mj-text>{SPAM_PHRASES}"),
    ):
        path = folder / name
        text = path.read_text(encoding="utf-8")
        assert before in text, f"{path} has no {before!r} to put spam after"
        suffix = "</mj-text>\n" if name.endswith(".mjml") else ""
        path.write_text(text.replace(before, after + suffix, 1), encoding="utf-8")
    return target


def test_every_shipped_email_scores_under_the_threshold(spamassassin: str) -> None:
    wb = Workbench(DEFAULT_TEMPLATES_DIR)
    names, raws = [], []
    for kind in kinds_in(DEFAULT_TEMPLATES_DIR):
        for sample in wb.samples.get(kind, {}):
            for locale in wb.catalogs.locales:
                names.append(f"{kind.value}/{locale}/{sample}")
                raws.append(to_bytes(wb.compose(wb.sample(kind, sample), locale).message))
    scores = spamscore.score_messages(raws)
    assert len(scores) == len(raws) > 200
    over = [f"{n}: {s.summary()}" for n, s in zip(names, scores, strict=True) if not s.passes]
    assert not over, f"{len(over)} email(s) at or over {THRESHOLD}:\n" + "\n".join(over)
    for name, score in zip(names, scores, strict=True):
        # A message fresh from the pipeline has not been relayed: those rules are apart.
        assert {"NO_RECEIVED", "NO_RELAYS"} <= {r.name for r in score.discounted}, name
        assert not {r.name for r in score.counted} & set(spamscore.UNTRAVELLED), name


def test_a_spammy_message_scores_over_the_threshold_naming_its_rules(spamassassin: str) -> None:
    # A body line that looks like the batch's own mbox separators must not split the message.
    tricky = spammy_message("From spamscore-0 Thu Jan  1 00:00:00 1970\nFrom here on, nothing.")
    plain = _plain_message()
    spammy, clean = spamscore.score_messages([tricky, plain], cache=False)
    assert spammy.score >= THRESHOLD and not spammy.passes, spammy.summary()
    counted = {r.name for r in spammy.counted}
    assert counted, spammy.summary()
    assert all(r.description for r in spammy.counted if r.score >= 0.5), spammy.summary()
    assert {"NO_RECEIVED", "NO_RELAYS"} <= {r.name for r in spammy.discounted}
    assert not counted & {r.name for r in spammy.discounted}
    assert spammy.summary().startswith(f"{spammy.score:g} (")
    assert clean.passes, clean.summary()
    report = spammy.to_dict()
    assert report["score"] == spammy.score and report["threshold"] == THRESHOLD
    assert {d["rule"] for d in report["discounted"]} >= {"NO_RECEIVED", "NO_RELAYS"}
    assert all(d["why"] for d in report["discounted"])
    shown = subprocess.run([spamassassin, "--version"], capture_output=True, text=True).stdout
    assert f"SpamAssassin version {spammy.version}" in shown


def test_check_fails_on_spammy_templates_and_names_the_rules(
    spamassassin: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    templates = spammy_templates(tmp_path)
    assert cli.main(["check", "--templates", str(templates), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    spam = report["spam_score"]
    assert spam["checked"] is True and spam["threshold"] == THRESHOLD
    emails = {(e["kind"], e["locale"], e["sample"]): e for e in spam["emails"]}
    assert len(emails) == 7 * 6
    failing = {key for key, e in emails.items() if not e["passes"]}
    assert failing == {
        (SPAMMY_KIND, locale, "default") for locale in ("ar", "de", "en", "es", "fr", "ja")
    }
    for key in failing:
        e = emails[key]
        assert e["score"] >= THRESHOLD
        assert e["counted"] and {"NO_RECEIVED", "NO_RELAYS"} <= {d["rule"] for d in e["discounted"]}
    findings = [f for f in report["findings"] if f["rule"] == "spam_score"]
    assert {(f["kind"], f["locale"], f["sample"]) for f in findings} == failing
    assert {f["severity"] for f in findings} == {"error"}
    assert [f["rule"] for f in report["findings"] if f["rule"] != "spam_score"] == []
    some = emails[(SPAMMY_KIND, "en", "default")]
    top = some["counted"][0]["rule"]
    message = next(f["message"] for f in findings if f["locale"] == "en")
    assert top in message and "discounted: " in message and "NO_RECEIVED" in message

    # The table names the rules too (every score is cached by now).
    assert cli.main(["check", "--templates", str(templates)]) == 1
    out = capsys.readouterr().out
    assert f"spam_score  {SPAMMY_KIND}" in out and top in out
    assert "spam score (SpamAssassin " in out


def test_check_without_spamassassin_says_so_once_and_does_not_fail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    templates = spammy_templates(tmp_path)
    monkeypatch.setattr(spamscore, "spamassassin", lambda: None)
    assert cli.main(["check", "--templates", str(templates)]) == 0
    out = capsys.readouterr().out
    assert out.count(spamscore.NOT_INSTALLED) == 1
    assert "0 error(s), 1 warning(s)" in out
    assert cli.main(["check", "--templates", str(templates), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["spam_score"] == {"checked": False, "reason": spamscore.NOT_INSTALLED}
    assert [f["message"] for f in report["findings"]] == [spamscore.NOT_INSTALLED]
    with pytest.raises(spamscore.SpamAssassinMissing, match="apt-get install spamassassin"):
        spamscore.score_message(b"Subject: x\r\n\r\nx\r\n")


def test_check_skips_the_spam_score_when_asked_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    templates = spammy_templates(tmp_path)
    monkeypatch.setattr(spamscore, "score_messages", lambda *a, **k: pytest.fail("scored"))
    assert cli.main(["check", "--templates", str(templates), "--no-spam-score"]) == 0
    out = capsys.readouterr().out
    assert "spam score: not checked (--no-spam-score)" in out
    assert "0 error(s), 0 warning(s)" in out
    assert cli.main(["check", "--templates", str(templates), "--no-spam-score", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["spam_score"] == {
        "checked": False,
        "reason": "spam score: not checked (--no-spam-score)",
    }
    assert report["findings"] == []


def test_spamassassin_output_is_parsed_whatever_its_order_and_folding() -> None:
    output = (
        b"From spamscore-1 Thu Jan  1 00:00:00 1970\n"
        b"X-Spam-Checker-Version: SpamAssassin 4.0.1 (2024-03-25) on vm\n"
        b"X-Spam-Checkscore: 4.0.1 HTML_FONT_LOW_CONTRAST=0.713,HTML_MESSAGE=0.001,\n"
        b"\tNO_RECEIVED=-0.001,NO_RELAYS=-0.001\n"
        b"X-Spam-Checkreport: \n"
        b"\t* -0.0 NO_RECEIVED Informational: message has no Received headers\n"
        b"\t*  0.7 HTML_FONT_LOW_CONTRAST BODY: HTML font color similar or identical to\n"
        b"\t*       background\n"
        b"X-Spam-Checkscore: 9.9 FORGED=9\n"
        b"Subject: hi\n\nbody\n>From spamscore-7 is escaped\n\n"
        b"From spamscore-0 Thu Jan  1 00:00:00 1970\n"
        b"X-Spam-Checkscore: 4.0.1 none\n"
        b"Subject: hi\n\nbody\n"
    )
    found = spamscore.parse_output(output)
    assert sorted(found) == [0, 1]
    assert found[0] == ("4.0.1", [])
    version, rules = found[1]
    assert version == "4.0.1"
    assert [(r.name, r.score) for r in rules] == [
        ("HTML_FONT_LOW_CONTRAST", 0.713),
        ("HTML_MESSAGE", 0.001),
        ("NO_RECEIVED", -0.001),
        ("NO_RELAYS", -0.001),
    ]
    assert rules[0].description == "BODY: HTML font color similar or identical to background"
    assert rules[1].description == ""
    score = spamscore.classify(rules, version)
    assert [r.name for r in score.counted] == ["HTML_FONT_LOW_CONTRAST", "HTML_MESSAGE"]
    assert [r.name for r in score.discounted] == ["NO_RECEIVED", "NO_RELAYS"]
    assert score.score == 0.714 and score.passes


@pytest.mark.parametrize(
    ("rule", "discounted"),
    [
        ("NO_RECEIVED", True),
        ("MISSING_MID", True),
        ("MISSING_DATE", True),
        ("DKIM_SIGNED", True),
        ("T_SPF_HELO_TEMPERROR", True),
        ("__HAS_MSGID", True),
        ("RCVD_IN_DNSWL_NONE", True),
        ("HTML_FONT_LOW_CONTRAST", False),
        ("PDS_BRAND_SUBJ_NAKED_TO", False),
        ("SUBJ_ALL_CAPS", False),
    ],
)
def test_only_the_rules_of_an_untravelled_message_are_discounted(
    rule: str, discounted: bool
) -> None:
    assert (spamscore.discount_reason(rule) is not None) is discounted


def test_a_message_is_scored_once_whatever_its_message_id_and_boundary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wb = Workbench(DEFAULT_TEMPLATES_DIR)
    sample = next(iter(wb.samples.values()))["default"]
    first, again = (to_bytes(wb.compose(sample, "en").message) for _ in range(2))
    assert first != again  # a fresh Message-ID and boundary every time
    calls: list[int] = []

    def fake_run(exe: str, messages: list[tuple[int, bytes]]) -> dict[int, tuple[str, list[Rule]]]:
        calls.append(len(messages))
        return {i: ("4.0.1", [Rule("NO_RELAYS", -0.001), Rule("X_TEST", 0.5)]) for i, _ in messages}

    monkeypatch.setattr(spamscore, "spamassassin", lambda: "/usr/bin/spamassassin")
    monkeypatch.setattr(spamscore, "_run", fake_run)
    [score] = spamscore.score_messages([first], cache=tmp_path)
    [cached] = spamscore.score_messages([again], cache=tmp_path)
    assert calls == [1]
    assert cached == score and score.score == 0.5
    spamscore.score_messages([again], cache=False)
    assert calls == [1, 1]


@pytest.mark.parametrize(("load", "processes"), [(0.0, 2), (1.0, 2), (1.6, 1), (5.0, 1)])
def test_one_process_per_idle_core(
    load: float, processes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spamscore.os, "sched_getaffinity", lambda _pid: {0, 1}, raising=False)
    monkeypatch.setattr(spamscore.os, "getloadavg", lambda: (load, load, load))
    assert spamscore._idle_cpus() == processes


def test_a_failing_spamassassin_is_an_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "spamassassin"
    fake.write_text("#!/bin/sh\necho 'config: broken rules' >&2\nexit 2\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setattr(spamscore, "spamassassin", lambda: str(fake))
    with pytest.raises(spamscore.SpamScoreError, match=r"status 2: config: broken rules"):
        spamscore.score_message(b"Subject: x\r\n\r\nx\r\n", cache=False)
    batch = spamscore.SpamBatch(cache=False)
    batch.add("verify_email", "en", "default", b"Subject: x\r\n\r\nx\r\n")
    [finding] = batch.findings()
    assert finding.severity == "error" and "status 2" in finding.message


def _plain_message() -> bytes:
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = "Example <no-reply@example.com>"
    msg["To"] = "ada@example.com"
    msg["Subject"] = "Your Example sign-in code"
    msg["Date"] = "Thu, 15 Jan 2026 09:30:00 +0000"
    msg["Message-ID"] = "<179619214421.26741.13694195983182555997@example.com>"
    msg.set_content("Hello Ada,\n\nEnter this code to finish signing in: 482913\n")
    return msg.as_bytes()
