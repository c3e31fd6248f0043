"""Unsaved sample edits, kept in memory so a re-rendered draft is still a link (``?draft=``)."""

from __future__ import annotations

import re
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sender.event import EmailKind

TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,32}$")
MAX_DRAFTS = 64


@dataclass(frozen=True)
class Draft:
    """Edited sample data for one kind, based on a named sample."""

    kind: EmailKind
    sample: str
    data: Any


class Drafts:
    """The most recent drafts, oldest forgotten first."""

    def __init__(self, limit: int = MAX_DRAFTS) -> None:
        self._limit = limit
        self._items: OrderedDict[str, Draft] = OrderedDict()

    def add(self, draft: Draft) -> str:
        """Store a draft; its token."""
        token = secrets.token_urlsafe(9)
        self._items[token] = draft
        while len(self._items) > self._limit:
            self._items.popitem(last=False)
        return token

    def get(self, token: str) -> Draft:
        """A draft by token; ``KeyError`` says why not."""
        if not TOKEN.match(token):
            raise KeyError(f"{token!r} is not a draft token")
        if token not in self._items:
            raise KeyError(f"no draft {token!r} (drafts live in memory until the server stops)")
        return self._items[token]
