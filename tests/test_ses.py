import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from sender.errors import SendError
from sender.ses import SES_ERRORS, SesSender, classify, tag


def _client():
    return boto3.client("sesv2", region_name="eu-west-1")


def test_raw_send_with_configuration_set_and_sanitised_tags() -> None:
    client = _client()
    with Stubber(client) as stub:
        stub.add_response(
            "send_email",
            {"MessageId": "0100-abc"},
            {
                "FromEmailAddress": "Example <no-reply@example.com>",
                "Destination": {"ToAddresses": ["ada@example.com"]},
                "Content": {"Raw": {"Data": b"raw"}},
                "ConfigurationSetName": "transactional",
                "EmailTags": [
                    {"Name": "trigger", "Value": "SignUp"},
                    {"Name": "locale", "Value": "pt-BR"},
                    {"Name": "template", "Value": "a_b_c_"},
                ],
            },
        )
        sender = SesSender(client, configuration_set="transactional")
        message_id = sender.send(
            b"raw",
            sender="Example <no-reply@example.com>",
            recipient="ada@example.com",
            tags={"trigger": "SignUp", "locale": "pt-BR", "template": "a b<c>"},
        )
        stub.assert_no_pending_responses()
    assert message_id == "0100-abc"


def _error(code: str, status: int, message: str = "nope") -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        "SendEmail",
    )


@pytest.mark.parametrize(
    ("code", "status", "reason", "permanent"),
    [
        ("MessageRejected", 400, "ses_message_rejected", True),
        ("MailFromDomainNotVerifiedException", 400, "ses_mail_from_not_verified", True),
        ("SendingPausedException", 400, "ses_sending_paused", True),
        ("AccountSuspendedException", 400, "ses_account_suspended", True),
        ("TooManyRequestsException", 429, "ses_throttled", False),
        ("InternalFailure", 500, "ses_unavailable", False),
        ("SomethingNew", 503, "ses_unavailable", False),
        ("SomethingNew", 400, "ses_error", True),
    ],
)
def test_one_table_decides_permanent_or_transient(code, status, reason, permanent) -> None:
    assert classify(_error(code, status)) == (reason, permanent)


def test_every_table_reason_is_a_valid_metric_dimension() -> None:
    for reason, _permanent in SES_ERRORS.values():
        assert tag(reason) == reason


def test_an_ses_error_keeps_the_response_and_masks_addresses() -> None:
    client = _client()
    with Stubber(client) as stub:
        stub.add_client_error(
            "send_email",
            service_error_code="MessageRejected",
            service_message="Email address is not verified: ada@example.com",
            http_status_code=400,
        )
        with pytest.raises(SendError) as info:
            SesSender(client, configuration_set=None).send(
                b"raw", sender="a@example.com", recipient="ada@example.com", tags={}
            )
    assert info.value.reason == "ses_message_rejected"
    assert info.value.permanent is True
    assert info.value.response["Error"]["Code"] == "MessageRejected"
    assert "ada@example.com" not in str(info.value)
    assert "ad***@example.com" in str(info.value)
