from sender import handler
from sender.event import Trigger
from tests.conftest import parts


def test_sign_up_sends_one_email_in_process(local_aws):
    handler.lambda_handler(local_aws.event(Trigger.SIGN_UP, "482913"), None)
    [msg] = local_aws.sent()
    text, html = parts(msg)
    assert "482913" in text and "482913" in html
