"""The doctor: the pool read first (nothing else can be checked without it), then every check
in report order, one that cannot run reported as a warning, never skipped."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sendertools.awscall import AwsError
from sendertools.doctor import delivery, function, key, monitoring, pool, role, ses
from sendertools.doctor.checks import Check
from sendertools.doctor.deployment import Deployment
from sendertools.doctor.failures import access_fix, explain, pool_fix
from sendertools.doctor.finding import (
    BLOCKING,
    COULD_NOT_CHECK,
    Finding,
    Skip,
    Verdict,
    warning,
)
from sendertools.doctor.names import pool_region

if TYPE_CHECKING:
    from boto3.session import Session

CHECKS: tuple[Check, ...] = (
    pool.check_user_pool,
    pool.check_custom_email_sender,
    pool.check_kms_key_id,
    function.check_function,
    function.check_invoke_permission,
    key.check_function_key,
    key.check_key_state,
    role.check_role_decrypt,
    role.check_role_send,
    ses.check_ses_identity,
    ses.check_configuration_set,
    ses.check_ses_sending,
    ses.check_ses_sandbox,
    ses.check_dkim,
    delivery.check_async_failure_handling,
    delivery.check_failure_queue,
    monitoring.check_alarms,
    monitoring.check_recent_failures,
)


class Doctor:
    """The checks of one user pool's custom email sender, with clients from one session."""

    def __init__(self, session: Session, user_pool_id: str) -> None:
        self.session = session
        self.user_pool_id = user_pool_id
        self.region = session.region_name or pool_region(user_pool_id) or ""
        self.deployment = Deployment(session, user_pool_id, self.region)

    def run(self) -> list[Finding]:
        """Every check, in order. A pool that cannot be read is the only finding."""
        try:
            self.deployment.pool()
        except AwsError as err:
            fix = pool_fix(err, self.user_pool_id, self.region)
            return [Finding("user-pool", BLOCKING, explain(err), fix)]
        return [Finding(check.name, *self._verdict(check)) for check in CHECKS]

    def _verdict(self, check: Check) -> Verdict:
        try:
            return check.decide(self.deployment)
        except Skip as skip:
            return warning(
                f"{COULD_NOT_CHECK}{skip}", f"fix {skip.after} first, then run doctor again"
            )
        except AwsError as err:
            return warning(f"{COULD_NOT_CHECK}{explain(err)}", access_fix(err, check.by_hand))
        except ValueError as err:
            return warning(f"{COULD_NOT_CHECK}{err}", f"check by hand: {check.by_hand}")
