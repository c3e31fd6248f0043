"""Names read out of pool ids, ARNs and addresses, without a call."""

from __future__ import annotations

import re

_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")


def pool_region(user_pool_id: str) -> str | None:
    """The region a pool id starts with (``eu-west-1_AbC`` -> ``eu-west-1``), if it has one."""
    prefix = user_pool_id.partition("_")[0]
    return prefix if _REGION.fullmatch(prefix) else None


def arn_part(arn: str, index: int, default: str = "") -> str:
    """The ``index``-th colon-separated field of an ARN; ``default`` for anything else."""
    parts = arn.split(":")
    return parts[index] if arn.startswith("arn:") and len(parts) > index else default


def function_name(function_arn: str) -> str:
    """The name in ``arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`` (or a name)."""
    return arn_part(function_arn, 6, function_arn)


def role_name(role_arn: str) -> str:
    """The name in ``arn:aws:iam::ACCOUNT:role/PATH/NAME``."""
    return role_arn.rsplit("/", 1)[-1]


def domain(address: str) -> str:
    """The domain of an email address."""
    return address.rpartition("@")[2]
