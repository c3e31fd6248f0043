"""The ``cognito-sender preview`` verb's command line."""

from __future__ import annotations

import pytest

from sender.config import DEFAULT_TEMPLATES_DIR
from sendertools.cli import build_parser, main


def test_defaults_are_local_and_documented():
    args = build_parser().parse_args(["preview"])
    assert (args.host, args.port, args.open) == ("127.0.0.1", 8025, False)
    assert args.templates == DEFAULT_TEMPLATES_DIR
    assert not args.no_ses and not args.no_local_aws and not args.remote_images
    assert args.render_timeout == 5.0


def test_a_missing_templates_folder_is_refused_by_name(tmp_path, capsys):
    missing = tmp_path / "nope"
    assert main(["preview", "--templates", str(missing)]) == 2
    assert str(missing) in capsys.readouterr().err


def test_help_lists_every_option(capsys):
    with pytest.raises(SystemExit) as done:
        main(["preview", "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    for option in (
        "--host",
        "--port",
        "--open",
        "--templates",
        "--outbox",
        "--ses-from",
        "--no-ses",
        "--no-local-aws",
        "--remote-images",
        "--render-timeout",
    ):
        assert option in text


@pytest.mark.parametrize("value", ["0", "-1", "soon", "601"])
def test_a_bad_render_timeout_is_refused_by_value(value, capsys):
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args(["preview", "--render-timeout", value])
    assert done.value.code == 2
    assert repr(value) in capsys.readouterr().err
