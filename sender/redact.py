"""Masking for anything that reaches a log: addresses are shortened, never printed whole."""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[^\s<>\"',;:()\[\]]+@[A-Za-z0-9.-]+")


def mask_address(value: str) -> str:
    """``jo***@example.com``: enough to correlate in logs, not enough to harvest."""
    local, _, domain = value.partition("@")
    keep = local[:2] if len(local) > 2 else local[:1]
    return f"{keep}***@{domain[:64]}" if domain else f"{keep}***"


def mask_emails(text: str) -> str:
    """Mask every email address in a free-text message (SES errors quote addresses)."""
    return _EMAIL.sub(lambda m: mask_address(m.group(0)), text)
