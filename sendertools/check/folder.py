"""Rules on the templates folder's shape: every kind has every part and a sample, so every
locale has every kind."""

from __future__ import annotations

from collections.abc import Iterator

from sender.event import EmailKind
from sender.render import PARTS
from sendertools.check.context import FolderContext
from sendertools.check.finding import Finding


def kind_incomplete(ctx: FolderContext) -> Iterator[Finding]:
    """An error for every part (subject, preheader, bodies) an email kind lacks."""
    for kind in EmailKind:
        for part in PARTS:
            if not (ctx.workbench.templates_dir / kind.value / part).is_file():
                yield Finding(
                    "error", "kind_incomplete", f"{kind.value}/{part}", "missing", kind.value
                )


def no_samples(ctx: FolderContext) -> Iterator[Finding]:
    """An error for every email kind without a sample scenario (nothing would check it)."""
    for kind in EmailKind:
        if not ctx.workbench.samples.get(kind):
            file = f"{kind.value}/samples"
            yield Finding("error", "no_samples", file, "no sample scenario", kind.value)
