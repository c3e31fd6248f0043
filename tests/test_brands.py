"""Brands: overlays merged over brand.toml, chosen per email by the app client, then the pool,
else the base brand; never by what the calling app sends. End to end through lambda_handler on
moto: the brand's look, From address, configuration set and tag."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import boto3
import pytest

from sender import handler
from sender.brand import BASE, NO_CLIENT, load_brands
from sender.config import DEFAULT_TEMPLATES_DIR
from sender.errors import ConfigError
from sender.event import Trigger
from sendertools.cognito import CLIENT_ID, LambdaContext
from tests.conftest import LocalAws, parts

PORTAL = "5examplepartnerportal00001"  # mapped to northwind in the shipped brand.toml
NORTHWIND_FROM = "Northwind Partners <no-reply@northwind.example.com>"


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATES_DIR, root, ignore=shutil.ignore_patterns("*.pot"))
    return root


def _set(path: Path, table: str, key: str, value: str) -> None:
    """Add ``key = value`` to ``[table]`` of a TOML file (the table must be the file's last,
    or absent)."""
    text = path.read_text(encoding="utf-8")
    line = f"{json.dumps(key)} = {json.dumps(value)}\n"
    header = f"[{table}]\n"
    if header in text:
        head, _, rest = text.partition(header)
        text = head + header + line + rest
    else:
        text += f"\n{header}{line}"
    path.write_text(text, encoding="utf-8")


def test_an_overlay_is_merged_over_the_base_brand() -> None:
    brands = load_brands(DEFAULT_TEMPLATES_DIR)
    assert list(brands.all()) == [BASE, "northwind"]
    base, northwind = brands.base, brands.named["northwind"]
    assert northwind.values["product_name"] == "Northwind"
    assert northwind.values["colors"]["primary"] == "#0f766e"
    # What the overlay does not set comes from brand.toml.
    assert northwind.validity_minutes == base.validity_minutes
    assert northwind.allowed_origins == {"https://partners.northwind.example.com"}
    assert northwind.email_from == NORTHWIND_FROM
    assert base.email_from is None and base.configuration_set is None
    # Sending settings never reach the templates.
    assert "email_from" not in northwind.values and "brand_by_client" not in base.values


def test_the_client_wins_then_the_pool_then_the_base() -> None:
    brands = load_brands(DEFAULT_TEMPLATES_DIR)._replace(by_pool={"eu-west-1_POOL": "northwind"})
    assert brands.select(PORTAL, "eu-west-1_OTHER").name == "northwind"
    assert brands.select("someotherclient", "eu-west-1_POOL").name == "northwind"
    assert brands.select("someotherclient", "eu-west-1_OTHER").name == BASE
    assert brands.select(None, "eu-west-1_OTHER").name == BASE
    assert brands.select(NO_CLIENT, "eu-west-1_POOL").name == "northwind"


@pytest.mark.parametrize(
    ("where", "content", "message"),
    [
        ("brand.toml", ("brand_by_client", "abc", "nowhere"), "there is no brand 'nowhere'"),
        ("brand.toml", ("brand_by_pool", "eu-west-1_X", "ghost"), "there is no brand 'ghost'"),
        ("brands/northwind.toml", "email_from = 'not an address'", "northwind.toml: email_from"),
        ("brands/northwind.toml", "configuration_set = 'a b'", "northwind.toml: configuration"),
        ("brands/northwind.toml", "logo_url = 'http://x.example/l.png'", "northwind.toml: 'logo"),
        ("brands/Bad Name.toml", "product_name = 'X'", "a brand's name is lower-case"),
        ("brands/base.toml", "product_name = 'X'", "and not 'base'"),
    ],
)
def test_a_bad_brand_setting_is_a_named_configuration_error(
    tmp_path: Path, where: str, content: Any, message: str
) -> None:
    root = _copy(tmp_path)
    path = root / where
    if isinstance(content, tuple):
        _set(path, *content)
    else:
        path.write_text(f"{content}\n", encoding="utf-8")  # an overlay of one key
    with pytest.raises(ConfigError, match=message):
        load_brands(root)


def test_the_base_brand_cannot_set_the_sender(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    brand = root / "brand.toml"
    brand.write_text("email_from = 'x@example.com'\n" + brand.read_text(), encoding="utf-8")
    with pytest.raises(ConfigError, match="belongs in a brand of brands/"):
        load_brands(root)


@pytest.fixture
def branded(local_aws: LocalAws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The handler on moto with a templates copy: northwind for the portal's client (with its
    own configuration set), a second overlay 'pooled' for the test pool, SES calls recorded."""
    root = _copy(tmp_path)
    northwind = root / "brands" / "northwind.toml"
    northwind.write_text(
        "configuration_set = 'northwind-emails'\n" + northwind.read_text(), encoding="utf-8"
    )
    (root / "brands" / "pooled.toml").write_text(
        'product_name = "Pooled Product"\n', encoding="utf-8"
    )
    _set(root / "brand.toml", "brand_by_pool", local_aws.stack.user_pool_id, "pooled")
    monkeypatch.setenv("TEMPLATES_DIR", str(root))
    sesv2 = boto3.client("sesv2")
    sesv2.create_email_identity(EmailIdentity="northwind.example.com")
    sesv2.create_configuration_set(ConfigurationSetName="northwind-emails")
    handler.reset()
    calls: list[dict[str, Any]] = []
    app = handler.get_app()
    app.ses._client.meta.events.register(
        "before-parameter-build.sesv2.SendEmail", lambda params, **_: calls.append(dict(params))
    )
    return {"calls": calls, "aws": local_aws}


def _send(branded: dict[str, Any], event: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    handler.lambda_handler(event, LambdaContext())
    [msg] = branded["aws"].sent()[-1:]
    return branded["calls"][-1], msg


def _tags(params: dict[str, Any]) -> dict[str, str]:
    return {t["Name"]: t["Value"] for t in params["EmailTags"]}


def test_the_portal_client_gets_its_brand_from_and_configuration_set(
    branded: dict[str, Any],
) -> None:
    aws: LocalAws = branded["aws"]
    event = aws.event(Trigger.SIGN_UP, "482913")
    event["callerContext"]["clientId"] = PORTAL
    params, msg = _send(branded, event)
    assert msg["From"] == NORTHWIND_FROM and params["FromEmailAddress"] == NORTHWIND_FROM
    assert params["ConfigurationSetName"] == "northwind-emails"
    assert _tags(params)["brand"] == "northwind"
    text, html = parts(msg)
    assert "Northwind" in text and "#0f766e" in html
    assert "https://partners.northwind.example.com/confirm?" in text


def test_another_client_of_the_mapped_pool_gets_the_pools_brand(
    branded: dict[str, Any],
) -> None:
    aws: LocalAws = branded["aws"]
    params, msg = _send(branded, aws.event(Trigger.FORGOT_PASSWORD, "135790"))
    assert aws.event(Trigger.FORGOT_PASSWORD, "1")["callerContext"]["clientId"] == CLIENT_ID
    assert _tags(params)["brand"] == "pooled"
    assert "Pooled Product" in parts(msg)[0]
    assert msg["From"] == aws.stack.email_from  # no sender of its own: the function's
    assert "ConfigurationSetName" not in params


def test_an_event_without_a_client_falls_back_to_the_pool(branded: dict[str, Any]) -> None:
    aws: LocalAws = branded["aws"]
    event = aws.event(Trigger.ADMIN_CREATE_USER, "Tmp-pass1")
    event["callerContext"]["clientId"] = NO_CLIENT
    params, _msg = _send(branded, event)
    assert _tags(params)["brand"] == "pooled"


def test_neither_client_nor_pool_mapped_gives_the_base_brand(
    branded: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    aws: LocalAws = branded["aws"]
    event = aws.event(Trigger.SIGN_UP, "482913")
    event["userPoolId"] = aws.stack.user_pool_id
    app = handler.get_app()
    # The same app, but no pool mapping.
    handler._app = app._replace(brands=app.brands._replace(by_pool={}))
    params, msg = _send(branded, event)
    assert _tags(params)["brand"] == BASE
    assert "Example" in parts(msg)[0] and msg["From"] == aws.stack.email_from


def test_client_metadata_cannot_choose_a_brand(branded: dict[str, Any]) -> None:
    aws: LocalAws = branded["aws"]
    metadata = {"brand": "northwind", "clientId": PORTAL, "client_id": PORTAL}
    params, msg = _send(branded, aws.event(Trigger.SIGN_UP, "482913", metadata=metadata))
    assert _tags(params)["brand"] == "pooled"
    assert "Northwind" not in parts(msg)[0]


def test_a_bad_mapping_fails_at_start_naming_the_brand(
    local_aws: LocalAws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    root = _copy(tmp_path)
    _set(root / "brand.toml", "brand_by_client", "abc", "westwind")
    monkeypatch.setenv("TEMPLATES_DIR", str(root))
    handler.reset()
    with pytest.raises(ConfigError, match="westwind"):
        handler.lambda_handler(local_aws.event(Trigger.SIGN_UP, "482913"), LambdaContext())
    [line] = [json.loads(x) for x in capsys.readouterr().out.splitlines() if '"level"' in x]
    assert line["message"] == "email not sent" and line["reason"] == "config_invalid"
    assert "westwind" in line["error"]
    assert local_aws.sent() == []
