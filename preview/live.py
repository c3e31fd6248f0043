"""Live updates pushed to open pages as Server-Sent Events.

Topics: ``templates`` (a template, catalog, brand file or sample changed: pages re-render),
``outbox`` (a message arrived), ``ses`` (the real-SES status is known) and ``findings`` (the
check of every email finished, for the index's badges). A page subscribes
with the versions it was rendered at; any newer version is sent at once, so a change made
while the page was loading, or between two connections, is never missed. A stream ends by
itself after ``lifetime`` seconds and the browser reconnects, so no connection is held open
without bound.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator, Mapping

TOPICS = ("templates", "outbox", "ses", "findings")
RETRY_MS = 300
_CLOSE = "\0close"


class Broker:
    """Version counters per topic and the queues of the connected pages."""

    def __init__(self) -> None:
        # A fresh prefix per process: a page rendered by an earlier server run reloads.
        self.boot = secrets.token_hex(4)
        self._counts = dict.fromkeys(TOPICS, 0)
        self._queues: set[asyncio.Queue[str]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Remember the server's loop so threads can publish."""
        self._loop = loop

    def version(self, topic: str) -> str:
        """The current version of a topic."""
        return f"{self.boot}.{self._counts[topic]}"

    def versions(self) -> dict[str, str]:
        """Every topic's version."""
        return {topic: self.version(topic) for topic in TOPICS}

    def publish(self, topic: str) -> None:
        """A topic changed (call on the server's loop)."""
        self._counts[topic] += 1
        for queue in self._queues:
            queue.put_nowait(topic)

    def close(self) -> None:
        """End every stream now and refuse new ones (the server is stopping; call on its loop)."""
        self._closed = True
        for queue in self._queues:
            queue.put_nowait(_CLOSE)

    def publish_threadsafe(self, topic: str) -> None:
        """A topic changed (call from any thread)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.publish, topic)
        else:
            self._counts[topic] += 1

    async def stream(self, since: Mapping[str, str], lifetime: float) -> AsyncIterator[str]:
        """SSE text: an event for every topic newer than ``since``, until ``lifetime`` ends."""
        if self._closed:
            return
        queue: asyncio.Queue[str] = asyncio.Queue()
        self._queues.add(queue)
        try:
            yield f"retry: {RETRY_MS}\n\n"
            for topic in TOPICS:
                if topic in since and since[topic] != self.version(topic):
                    yield _event(topic, self.version(topic))
            loop = asyncio.get_running_loop()
            deadline = loop.time() + lifetime
            while (left := deadline - loop.time()) > 0:
                try:
                    topic = await asyncio.wait_for(queue.get(), timeout=min(left, 15.0))
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                if topic == _CLOSE:
                    return
                if topic in since:
                    yield _event(topic, self.version(topic))
        finally:
            self._queues.discard(queue)


def _event(topic: str, version: str) -> str:
    return f"event: {topic}\ndata: {json.dumps({'version': version})}\n\n"
