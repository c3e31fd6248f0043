"""A check that waits: ``check_email`` with the real check's signature and findings, imported
by the render workers in place of ``sendertools.check`` (``Settings.check_module``), for the
tests that hold a check mid-run.

Every check waits (bounded) until the file ``PREVIEW_TEST_CHECK_GATE`` names exists, then
returns what the real check returns.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from sender.event import EmailKind
from sendertools import check
from sendertools.check import Finding, Untranslated
from sendertools.samples import Workbench

GATE = "PREVIEW_TEST_CHECK_GATE"


def check_email(
    workbench: Workbench,
    kind: EmailKind,
    locale: str,
    sample: str,
    *,
    untranslated: Untranslated | None = None,
) -> list[Finding]:
    gate = os.environ.get(GATE)
    if gate:
        deadline = time.monotonic() + 20
        while not Path(gate).exists() and time.monotonic() < deadline:
            time.sleep(0.02)
    return check.check_email(workbench, kind, locale, sample, untranslated=untranslated)
