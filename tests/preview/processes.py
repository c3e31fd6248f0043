"""Processes seen through /proc (Linux): which are alive, and who descends from whom."""

from __future__ import annotations

import os
from pathlib import Path

from tests.preview.waiting import wait_for


def _stat(pid: int) -> tuple[str, int] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    state, ppid = text.rsplit(")", 1)[1].split()[:2]
    return state, int(ppid)


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its reaper is not)."""
    stat = _stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def descendants(pid: int) -> list[int]:
    """Every living process below ``pid``."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) is not None and alive(int(entry)):
            parents[int(entry)] = stat[1]
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


def command_line(pid: int) -> str:
    """The process's command line, for messages."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return "?"


def wait_gone(pids: list[int], *, timeout: float, what: str) -> None:
    """Fail unless every process in ``pids`` has ended within ``timeout`` seconds."""
    try:
        wait_for(lambda: not any(alive(p) for p in pids), timeout=timeout, what=what)
    except AssertionError:
        left = [f"{p} ({command_line(p)})" for p in pids if alive(p)]
        raise AssertionError(f"{what}: still running after {timeout:g}s: {left}") from None
