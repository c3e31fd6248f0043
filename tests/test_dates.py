"""Alert times: Cognito's English LOGIN_TIME parsed strictly and written with each locale's CLDR
conventions by Babel, which only the alerts load, from data the bundle cuts to the shipped
locales."""

from __future__ import annotations

import json
import os
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

import babel
import pytest

from sender.event import Trigger
from sender.i18n import LocaleInfo
from sender.model import login_time, parse_cognito_time
from sendertools.commands.package import PackageError, keep_cldr_locales, shipped_locales
from tests.conftest import LocalAws, python_report

COGNITO = "Friday, March 19, 2021 02:25 PM UTC"


def test_cognitos_form_is_parsed_as_utc() -> None:
    assert parse_cognito_time(COGNITO) == datetime(2021, 3, 19, 14, 25, tzinfo=UTC)
    assert parse_cognito_time("Sunday, January 2, 2022 12:05 AM UTC") == datetime(
        2022, 1, 2, 0, 5, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "value",
    [
        "Thursday, March 19, 2021 02:25 PM UTC",  # not that date's weekday
        "friday, march 19, 2021 02:25 pm utc",
        "Friday,  March 19, 2021 02:25 PM UTC",
        "Friday, March 19, 2021 02:25 PM GMT",
        "Friday, March 19, 2021 02:25 PM",
        "Friday, March 19, 2021 14:25 PM UTC",
        "Friday, March 32, 2021 02:25 PM UTC",
        "Friday, Mars 19, 2021 02:25 PM UTC",
        "Friday, March ١٩, 2021 02:25 PM UTC",  # Arabic-Indic digits
        " Friday, March 19, 2021 02:25 PM UTC",
        "Friday, March 19, 2021 02:25 PM UTC\u202e",
        "",
    ],
)
def test_anything_else_is_not_a_time(value: str) -> None:
    assert parse_cognito_time(value) is None
    assert login_time(value, LocaleInfo("de")) == " ".join(value.replace("\u202e", "").split())


def test_each_locale_writes_the_time_its_own_way() -> None:
    shown = {code: login_time(COGNITO, LocaleInfo(code)) for code in ("de", "ja", "ar", "en")}
    assert shown["de"] == "Freitag, 19. März 2021, 14:25 UTC"
    assert shown["ja"] == "2021年3月19日金曜日 14:25 UTC"
    assert shown["ar"] == "الجمعة، 19 مارس 2021، 2:25 م UTC"
    assert shown["en"] == "Friday, March 19, 2021, 2:25\u202fPM UTC"


COLD = """
import io, json, sys
events = json.loads(sys.argv[1])
import sender.handler as h
from types import SimpleNamespace
context = SimpleNamespace(function_name="f", memory_limit_in_mb=128, aws_request_id="r",
    invoked_function_arn="arn:aws:lambda:eu-west-1:123456789012:function:f")
loaded = []
for event in events:
    out, sys.stdout = sys.stdout, io.StringIO()
    h.lambda_handler(event, context)
    sys.stdout = out
    loaded.append("babel" in sys.modules)
print(json.dumps({"babel_loaded_after_each": loaded}))
"""


def test_only_an_alert_that_shows_a_time_loads_babel(remote_aws: LocalAws) -> None:
    signup = remote_aws.event(Trigger.SIGN_UP, "482913", metadata={"locale": "de"})
    alert = remote_aws.event(
        Trigger.ACCOUNT_TAKE_OVER,
        None,
        attributes={"email": "ada@example.com", "name": "Ada", "LOGIN_TIME": COGNITO},
        metadata={"locale": "de"},
    )
    report = python_report("-c", COLD, json.dumps([signup, alert]), env=dict(os.environ))
    assert report == {"babel_loaded_after_each": [False, True]}
    _, sent_alert = remote_aws.sent()
    text = sent_alert.get_body(preferencelist=("plain",)).get_content()
    assert "Freitag, 19. März 2021, 14:25 UTC" in text


def _babel_copy(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    shutil.copytree(Path(babel.__file__).parent, site / "babel")
    return site


def test_the_bundle_keeps_the_shipped_locales_their_parents_and_root(tmp_path: Path) -> None:
    site = _babel_copy(tmp_path)
    assert shipped_locales(Path(__file__).parents[1]) == ["ar", "de", "en", "es", "fr", "ja"]
    keep_cldr_locales(site, ["en", "de", "pt-BR", "es_MX"])
    kept = {p.stem for p in (site / "babel" / "locale-data").glob("*.dat")}
    # es_MX's parent is es_419 by CLDR's exception, not es.
    assert kept == {"root", "en", "de", "pt_BR", "pt", "es_MX", "es_419", "es"}
    assert (site / "babel" / "global.dat").is_file()


def test_a_locale_without_cldr_data_stops_the_build(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match=r"\['tlh'\]"):
        keep_cldr_locales(_babel_copy(tmp_path), ["de", "tlh"])


FORMAT_EVERY_LOCALE = """
import json, sys
sys.path.insert(0, sys.argv[1])
import babel
from sender.i18n import LocaleInfo
from sender.model import login_time
shown = {c: login_time(sys.argv[2], LocaleInfo(c)) for c in json.loads(sys.argv[3])}
print(json.dumps({"babel": babel.__file__, "shown": shown}))
"""


def test_the_pruned_data_still_formats_every_shipped_locale(tmp_path: Path) -> None:
    site = _babel_copy(tmp_path)
    locales = shipped_locales(Path(__file__).parents[1])
    keep_cldr_locales(site, locales)
    assert len(list((site / "babel" / "locale-data").glob("*.dat"))) == len(locales) + 1
    report = python_report(
        "-c",
        FORMAT_EVERY_LOCALE,
        str(site),
        COGNITO,
        json.dumps(locales),
        env=dict(os.environ),
        flags=("-E", "-s"),
        interpreter=sys.executable,
    )
    assert report["babel"].startswith(str(site))
    assert report["shown"]["de"] == "Freitag, 19. März 2021, 14:25 UTC"
    for code, shown in report["shown"].items():
        assert "2021" in shown and "UTC" in shown and shown != COGNITO, code
