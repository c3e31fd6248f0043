"""Every brand × kind × locale × sample, as reviewable snapshot files (one file per email; the
base brand's carry no brand in their name).

Update with ``make snapshots``, then read the diff of ``__snapshots__/`` before committing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from sender.brand import BASE
from sender.config import DEFAULT_TEMPLATES_DIR
from sendertools.samples import Workbench
from tests.snapshots.pretty import document

WORKBENCH = Workbench(DEFAULT_TEMPLATES_DIR)
CASES = [
    pytest.param(
        brand,
        kind,
        locale,
        name,
        id=f"{kind.value}-{locale}-{name}"
        if brand == BASE
        else f"{brand}-{kind.value}-{locale}-{name}",
    )
    for brand in WORKBENCH.brands
    for kind, samples in WORKBENCH.samples.items()
    for name in samples
    for locale in WORKBENCH.catalogs.locales
]


class EmailSnapshot(SingleFileSnapshotExtension):
    """One UTF-8 text file per email."""

    _write_mode = WriteMode.TEXT
    file_extension = "txt"


@pytest.fixture
def snapshot_email(snapshot):  # type: ignore[no-untyped-def]
    return snapshot.use_extension(EmailSnapshot)


@pytest.mark.parametrize(("brand", "kind", "locale", "name"), CASES)
def test_email_matches_snapshot(snapshot_email, brand, kind, locale, name) -> None:
    composed = WORKBENCH.compose(WORKBENCH.sample(kind, name), locale, brand=brand)
    assert document(composed.email) == snapshot_email


def test_every_sample_is_snapshotted() -> None:
    folder = Path(__file__).parent / "__snapshots__" / "test_emails"
    expected = {f"test_email_matches_snapshot[{c.id}].txt" for c in CASES}
    assert expected <= {p.name for p in folder.glob("*.txt")}
