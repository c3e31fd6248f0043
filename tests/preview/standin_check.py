"""A stand-in for ``sendertools.checks`` with the same signature, imported by the preview's render
workers (``Settings.check_module``), so the tests pin the preview's side of the contract
whether or not the real check is installed.

Warns about German emails; reports an error when the sample's code is 000000. When
``PREVIEW_TEST_CHECK_GATE`` names a file, every check waits (bounded) until that file exists.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

GATE = "PREVIEW_TEST_CHECK_GATE"


@dataclass(frozen=True)
class _Finding:
    severity: str
    rule: str
    file: str
    message: str


def check_email(workbench, kind, locale, sample):
    gate = os.environ.get(GATE)
    if gate:
        deadline = time.monotonic() + 20
        while not Path(gate).exists() and time.monotonic() < deadline:
            time.sleep(0.02)
    found = []
    if locale == "de":
        found.append(_Finding("warning", "subject_length", f"{kind.value}/subject.txt", "long"))
    if workbench.sample(kind, sample).data.get("code") == "000000":
        found.append(_Finding("error", "code_missing", f"{kind.value}/body.txt", "zero code"))
    return found
