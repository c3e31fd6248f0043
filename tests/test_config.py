from pathlib import Path

import pytest

from sender.config import Config
from sender.errors import ConfigError

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
