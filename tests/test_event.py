import copy

import pytest

from sender.errors import EventError
from sender.event import EMAIL_KIND, EmailKind, Trigger, parse_event
from tests.conftest import EVENTS, load_event


def test_every_trigger_source_maps_to_an_email_kind() -> None:
    assert set(EMAIL_KIND) == set(Trigger)
    assert EMAIL_KIND[Trigger.RESEND_CODE] is EmailKind.CONFIRM_SIGNUP


@pytest.mark.parametrize("path", sorted(EVENTS.glob("*.json")), ids=lambda p: p.stem)
def test_captured_shapes_parse(path) -> None:
    event = parse_event(load_event(path.stem))
    assert event.user_pool_id == "eu-west-1_EXAMPLE"
    assert event.kind is EMAIL_KIND[event.trigger]


def test_account_takeover_has_no_code_and_null_attributes_are_dropped() -> None:
    event = parse_event(load_event("account_take_over"))
    assert event.encrypted_code is None
    assert "CITY" not in event.user_attributes
    assert event.user_attributes["ACCOUNT_TAKE_OVER_ACTION"] == "BLOCK"
    assert event.client_id is None


def test_null_client_metadata_and_missing_response_are_fine() -> None:
    raw = load_event("sign_up")
    raw["request"]["clientMetadata"] = None
    raw.pop("response", None)
    assert parse_event(raw).client_metadata == {}


def test_repr_never_shows_the_ciphertext() -> None:
    event = parse_event(load_event("sign_up"))
    assert "AYAD" not in repr(event)
    assert "<redacted>" in repr(event)


def _broken(mutate) -> dict:
    raw = copy.deepcopy(load_event("sign_up"))
    mutate(raw)
    return raw


@pytest.mark.parametrize(
    ("raw", "reason", "words"),
    [
        ("not an event", "event_invalid", "must be a JSON object"),
        (
            _broken(lambda e: e.update(triggerSource="CustomEmailSender_Nope")),
            "unknown_trigger",
            "unknown triggerSource 'CustomEmailSender_Nope'",
        ),
        (
            _broken(lambda e: e.pop("triggerSource")),
            "unknown_trigger",
            "unknown triggerSource None",
        ),
        (_broken(lambda e: e.pop("request")), "event_invalid", "event.request must be an object"),
        (_broken(lambda e: e["request"].update(code=None)), "event_invalid", "request.code"),
        (_broken(lambda e: e["request"].update(code="")), "event_invalid", "request.code"),
        (_broken(lambda e: e.pop("userPoolId")), "event_invalid", "event.userPoolId"),
        (_broken(lambda e: e.update(userName=7)), "event_invalid", "event.userName"),
        (
            _broken(lambda e: e["request"].update(userAttributes=["email"])),
            "event_invalid",
            "request.userAttributes must be an object",
        ),
        (
            _broken(lambda e: e["request"]["userAttributes"].update(email=5)),
            "event_invalid",
            "request.userAttributes['email'] must be a string",
        ),
        (
            _broken(lambda e: e["request"].update(clientMetadata="locale=de")),
            "event_invalid",
            "request.clientMetadata must be an object or null",
        ),
    ],
)
def test_malformed_events_raise_a_named_error(raw, reason: str, words: str) -> None:
    with pytest.raises(EventError) as info:
        parse_event(raw)
    assert info.value.reason == reason
    assert words in str(info.value)
