"""A folder of sent messages: ``simulate`` and the preview's local outbox write here, the
preview lists it. One ``.eml`` per message, its HTML part beside it, newest first."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

DEFAULT_OUTBOX = Path("outbox")
_ID = re.compile(r"^[0-9]{8}T[0-9]{6}-[0-9]{6}-[a-z0-9_-]{1,80}$")


@dataclass(frozen=True)
class OutboxEntry:
    """One captured message."""

    id: str
    eml: Path

    def message(self) -> EmailMessage:
        """The message parsed back from its bytes."""
        parsed = message_from_bytes(self.eml.read_bytes(), policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class Outbox:
    """Captured messages in one folder."""

    def __init__(self, folder: Path = DEFAULT_OUTBOX) -> None:
        self.folder = folder

    def save(self, raw: bytes, *, label: str) -> OutboxEntry:
        """Store a raw message (and its HTML part) under a new, sortable id."""
        self.folder.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^a-z0-9_-]", "-", label.lower())[:80] or "message"
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S-%f")
        entry = OutboxEntry(f"{stamp}-{safe}", self.folder / f"{stamp}-{safe}.eml")
        entry.eml.write_bytes(raw)
        html = entry.message().get_body(preferencelist=("html",))
        if html is not None:
            entry.eml.with_suffix(".html").write_text(html.get_content(), encoding="utf-8")
        return entry

    def entries(self) -> list[OutboxEntry]:
        """Every message, newest first."""
        if not self.folder.is_dir():
            return []
        found = [OutboxEntry(p.stem, p) for p in self.folder.glob("*.eml") if _ID.match(p.stem)]
        return sorted(found, key=lambda e: e.id, reverse=True)

    def get(self, entry_id: str) -> OutboxEntry:
        """One message by id; ``KeyError`` when the id is malformed or unknown."""
        if not _ID.match(entry_id):
            raise KeyError(f"{entry_id!r} is not an outbox id")
        path = self.folder / f"{entry_id}.eml"
        if not path.is_file():
            raise KeyError(f"no message {entry_id!r} in {self.folder}")
        return OutboxEntry(entry_id, path)
