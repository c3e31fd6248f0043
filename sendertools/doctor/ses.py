"""SES's checks: EMAIL_FROM is a verified identity, DKIM-signed, the configuration set exists,
and the account may send, outside the sandbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sendertools.awscall import call_if_found
from sendertools.doctor.checks import check
from sendertools.doctor.finding import Skip, Verdict, blocking, ok, warning
from sendertools.doctor.names import domain

if TYPE_CHECKING:
    from sendertools.doctor.deployment import Deployment


def _create_identity(name: str, options: str = "") -> str:
    return (
        f"aws sesv2 create-email-identity --email-identity {name}{options}, "
        "then publish the DKIM records it returns"
    )


@check("ses-identity", "aws sesv2 get-email-identity")
def check_ses_identity(d: Deployment) -> Verdict:
    value, address = d.email_from()
    if not address:
        return blocking(
            f"the function's EMAIL_FROM {value!r} is not an email address",
            "redeploy the function with EMAIL_FROM, e.g. 'Example <no-reply@example.com>'",
        )
    sender_domain = domain(address)
    seen: list[str] = []
    for name in (address, sender_domain):
        identity = d.identity(name)
        if identity is None:
            continue
        status = identity.get("VerificationStatus")
        if identity.get("VerifiedForSendingStatus") or status == "SUCCESS":
            return ok(f"{address} may send: SES identity {name} is verified")
        seen.append(f"{name} is {status or 'not verified'}")
    region = d.function_region()
    if seen:
        return blocking(
            f"EMAIL_FROM {address} is not verified for sending in {region}: {'; '.join(seen)}",
            f"publish the DNS records of {sender_domain} shown by: aws sesv2 get-email-identity "
            f"--email-identity {sender_domain} --region {region} (or click the link SES mailed "
            f"to {address})",
        )
    return blocking(
        f"neither {address} nor {sender_domain} is an SES identity in {region}: SES refuses "
        "every message from EMAIL_FROM",
        _create_identity(sender_domain, f" --region {region}"),
    )


@check("configuration-set", "aws sesv2 get-configuration-set")
def check_configuration_set(d: Deployment) -> Verdict:
    name = d.environment().get("SES_CONFIGURATION_SET")
    if not name:
        return ok("the function sends without a configuration set (SES_CONFIGURATION_SET)")
    found = call_if_found(
        d.ses(),
        "get_configuration_set",
        f"configuration set {name}",
        missing="NotFoundException",
        ConfigurationSetName=name,
    )
    if found is None:
        region = d.function_region()
        return blocking(
            f"the configuration set {name!r} (SES_CONFIGURATION_SET) does not exist in "
            f"{region}: SES refuses every message",
            f"aws sesv2 create-configuration-set --configuration-set-name {name} "
            f"--region {region}, or redeploy without SES_CONFIGURATION_SET",
        )
    return ok(f"the configuration set {name} exists")


@check("ses-sending", "aws sesv2 get-account (SendingEnabled)")
def check_ses_sending(d: Deployment) -> Verdict:
    account = d.account()
    enforcement = account.get("EnforcementStatus", "unknown")
    if account.get("SendingEnabled") is False:
        if enforcement == "SHUTDOWN":
            fix = "AWS shut sending down: answer the case in the SES console's Reputation page"
        else:
            fix = "aws sesv2 put-account-sending-attributes --sending-enabled"
        return blocking(
            f"SES sending is disabled for the account in {d.function_region()} "
            f"(enforcement status {enforcement})",
            fix,
        )
    if enforcement == "PROBATION":
        return warning(
            "the SES account is under review (PROBATION): bounces or complaints are too high "
            "and sending may be paused",
            "see the SES console's Reputation page and bring the rates down",
        )
    return ok(f"SES sending is enabled (enforcement status {enforcement})")


@check("ses-sandbox", "aws sesv2 get-account (ProductionAccessEnabled)")
def check_ses_sandbox(d: Deployment) -> Verdict:
    account = d.account()
    quota = account.get("SendQuota") or {}
    if account.get("ProductionAccessEnabled") is True:
        return ok(
            f"production access: {quota.get('Max24HourSend', '?')} messages per 24 h, "
            f"{quota.get('MaxSendRate', '?')} per second"
        )
    return warning(
        f"the SES account is in the sandbox in {d.function_region()}: only verified "
        "recipient addresses receive mail, at most 200 messages per 24 hours and 1 per "
        "second; every other user gets no email",
        "request production access: SES console > Account dashboard > Request production "
        "access (or aws sesv2 put-account-details --production-access-enabled ...)",
    )


@check("dkim", "aws sesv2 get-email-identity (DkimAttributes)")
def check_dkim(d: Deployment) -> Verdict:
    address = d.sender_address()
    sender_domain = domain(address)
    identity = d.identity(sender_domain)
    if identity is None:
        if d.identity(address) is None:
            raise Skip(f"neither {address} nor {sender_domain} is an SES identity", "ses-identity")
        return warning(
            f"{sender_domain} is not an SES identity: messages from {address} are not "
            "DKIM-signed for the domain, and more of them land in spam",
            _create_identity(sender_domain),
        )
    dkim = identity.get("DkimAttributes") or {}
    status = dkim.get("Status", "NOT_STARTED")
    if status == "SUCCESS" and dkim.get("SigningEnabled", True):
        return ok(f"DKIM is verified and signing for {sender_domain}")
    if status == "SUCCESS":
        return warning(
            f"DKIM is verified for {sender_domain} but signing is off",
            f"aws sesv2 put-email-identity-dkim-attributes --email-identity {sender_domain} "
            "--signing-enabled",
        )
    return warning(
        f"DKIM for {sender_domain} is {status}: messages are not DKIM-signed, and more of them "
        "land in spam",
        f"publish the CNAME records listed by: aws sesv2 get-email-identity --email-identity "
        f"{sender_domain} --query DkimAttributes.Tokens (TOKEN._domainkey.{sender_domain} -> "
        "TOKEN.dkim.amazonses.com)",
    )
