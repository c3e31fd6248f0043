"""Reading a live deployment and saying what stops (or threatens) Cognito's emails.

Every check reads only: the pool, the function and its resource policy, the key, the role's
policies (or IAM's policy simulator), SES, the asynchronous invocation settings, the failure
queue and CloudWatch. Each ends as a ``Finding``: ``ok``, ``warning`` or ``blocking`` (an email
cannot be sent), with the fix. A check that cannot run (an earlier one failed, a call is
refused or not implemented) is a ``warning`` whose detail starts with ``could not check: ``;
nothing is skipped silently and nothing is reported ok that was not seen to be ok.

The modules: ``finding`` (outcomes), ``checks`` (what a check is), one module of checks per
area (``pool``, ``function``, ``key``, ``role``, ``ses``, ``delivery``, ``monitoring``),
``runner`` (``Doctor`` and the report's order), and what the checks share: ``deployment`` (the
reads), ``reader`` (clients, reads made once, pages), ``access`` and ``policy`` (the role's
permissions), ``failures``, ``fixes`` and ``names``.
"""

from sendertools.doctor.finding import Finding, exit_status
from sendertools.doctor.names import pool_region
from sendertools.doctor.policy import evaluate, policy_document
from sendertools.doctor.runner import CHECKS, Doctor

__all__ = [
    "CHECKS",
    "Doctor",
    "Finding",
    "evaluate",
    "exit_status",
    "policy_document",
    "pool_region",
]
