import shutil
from pathlib import Path

import pytest

from sender.brand import load_brand
from sender.config import DEFAULT_TEMPLATES_DIR, Config
from sender.errors import ConfigError
from sender.i18n import Catalogs

KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_valid_environment_is_read_once_into_a_typed_value() -> None:
    config = Config.from_env(
        {
            "KMS_KEY_ARN": KEY,
            "EMAIL_FROM": "Example <no-reply@example.com>",
            "SES_CONFIGURATION_SET": "transactional",
            "DEFAULT_LOCALE": "de_DE",
        }
    )
    assert config.kms_key_arn == KEY
    assert config.from_address == "no-reply@example.com"
    assert config.configuration_set == "transactional"
    assert config.default_locale == "de-DE"
    assert (config.templates_dir / "brand.toml").is_file()


def test_optional_settings_have_defaults() -> None:
    config = Config.from_env({"KMS_KEY_ARN": KEY, "EMAIL_FROM": "a@example.com"})
    assert config.configuration_set is None
    assert config.default_locale == "en"


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"EMAIL_FROM": "a@example.com"}, "KMS_KEY_ARN is required"),
        ({"KMS_KEY_ARN": "arn:aws:kms:eu-west-1:123456789012:alias/cognito"}, "is an alias"),
        ({"KMS_KEY_ARN": "alias/cognito"}, "is an alias"),
        ({"KMS_KEY_ARN": "1234abcd-12ab-34cd-56ef-1234567890ab"}, "is not a key ARN"),
        ({"KMS_KEY_ARN": KEY}, "EMAIL_FROM is required"),
        ({"KMS_KEY_ARN": KEY, "EMAIL_FROM": "not an address"}, "EMAIL_FROM='not an address'"),
        ({"KMS_KEY_ARN": KEY, "EMAIL_FROM": "a@example.com\r\nBcc: x@evil.test"}, "single line"),
        (
            {"KMS_KEY_ARN": KEY, "EMAIL_FROM": "a@example.com", "SES_CONFIGURATION_SET": "a b"},
            "SES_CONFIGURATION_SET='a b'",
        ),
        (
            {"KMS_KEY_ARN": KEY, "EMAIL_FROM": "a@example.com", "DEFAULT_LOCALE": "german"},
            "DEFAULT_LOCALE='german'",
        ),
    ],
)
def test_bad_settings_name_the_variable(env: dict[str, str], words: str) -> None:
    with pytest.raises(ConfigError, match=None) as info:
        Config.from_env(env)
    assert words in str(info.value)
    assert info.value.reason == "config_invalid"


def test_templates_dir_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="TEMPLATES_DIR"):
        Config.from_env(
            {"KMS_KEY_ARN": KEY, "EMAIL_FROM": "a@e.com", "TEMPLATES_DIR": str(tmp_path / "no")}
        )


# --- the templates folder's own configuration: brand and locale folders ---------------------


def _templates(tmp_path: Path) -> Path:
    root = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATES_DIR, root)  # copy2 keeps the .mo newer than the .po
    return root


def test_brand_file_that_is_not_utf8_names_the_file_and_the_byte(tmp_path: Path) -> None:
    root = _templates(tmp_path)
    brand = root / "brand.toml"
    good = brand.read_bytes()
    at = good.index(b"product_name")
    brand.write_bytes(good[:at] + b"# caf\xe9\n" + good[at:])
    with pytest.raises(ConfigError) as info:
        load_brand(root)
    assert info.value.reason == "config_invalid"
    message = str(info.value)
    assert str(brand) in message
    assert f"byte e9 at offset {at + 5}" in message
    assert "UTF-8" in message


@pytest.mark.parametrize("name", ["xx_bad!", "pt-BR", "de_de", "DE", "german", ".hidden"])
def test_locale_folder_that_is_not_a_language_tag_is_refused_at_start(
    tmp_path: Path, name: str
) -> None:
    root = _templates(tmp_path)
    shutil.copytree(root / "locales" / "de", root / "locales" / name)
    with pytest.raises(ConfigError) as info:
        Catalogs(root)
    assert info.value.reason == "config_invalid"
    message = str(info.value)
    assert str(root / "locales" / name) in message
    assert "'de'" in message and "'pt_BR'" in message, "says what is allowed"


def test_locale_folders_named_as_pybabel_names_them_are_catalogs(tmp_path: Path) -> None:
    root = _templates(tmp_path)
    shutil.copytree(root / "locales" / "de", root / "locales" / "pt_BR")
    assert "pt-BR" in Catalogs(root).locales
    assert Catalogs(root).match("pt_br") == "pt-BR"
