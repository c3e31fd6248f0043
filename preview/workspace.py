"""The templates folder as the preview sees it: a Workbench rebuilt whenever a file changes,
or the problem that stopped it from loading."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from watchfiles import DefaultFilter, awatch

from preview.catalogs import CatalogError, compile_stale
from preview.problems import Problem, describe
from sender.errors import SenderError
from sender.event import EmailKind
from sendertools.samples import Workbench


class Workspace:
    """The current Workbench of one templates folder (or why there is none)."""

    def __init__(self, templates_dir: Path) -> None:
        self.templates_dir = templates_dir.resolve()
        self.workbench: Workbench | None = None
        self.problem: Problem | None = None
        self.generation = 0
        self.reload()

    def reload(self) -> None:
        """Recompile stale catalogs and rebuild the Workbench; keep the error if that fails."""
        self.generation += 1
        try:
            compile_stale(self.templates_dir)
            self.workbench = Workbench(self.templates_dir)
            self.problem = None
        except (SenderError, CatalogError, OSError, ValueError) as err:
            self.workbench = None
            self.problem = describe(err, self.templates_dir)

    @property
    def kinds(self) -> list[EmailKind]:
        """Every email kind, in the enum's order."""
        return list(EmailKind)

    @property
    def locales(self) -> tuple[str, ...]:
        """The locales with a catalog (none while the templates fail to load)."""
        return self.workbench.catalogs.locales if self.workbench else ()


class _Filter(DefaultFilter):
    """Ignore compiled catalogs (the preview writes them) and editors' scratch files."""

    def __call__(self, change: object, path: str) -> bool:
        name = Path(path).name
        if name.endswith((".mo", ".mo.tmp", ".tmp")) or name.startswith((".#", "#")):
            return False
        return bool(super().__call__(change, path))  # type: ignore[arg-type]


async def watch(folders: dict[Path, Callable[[], None]], stop: asyncio.Event) -> None:
    """Call each folder's callback when something under it changes, until ``stop`` is set."""
    existing = {folder.resolve(): callback for folder, callback in folders.items()}
    for folder in existing:
        folder.mkdir(parents=True, exist_ok=True)
    async for changes in awatch(*existing, watch_filter=_Filter(), stop_event=stop, step=30):
        touched = {Path(path).resolve() for _change, path in changes}
        for folder, callback in existing.items():
            if any(p == folder or folder in p.parents for p in touched):
                callback()
