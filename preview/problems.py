"""A failure to load or render templates, as the page shows it: file, line, message, source."""

from __future__ import annotations

import re
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

_LOCATED = re.compile(r"^(?P<file>[^\s:]+\.[a-z]+):(?P<line>\d+): (?P<message>.*)$", re.S)
_FILE = re.compile(r"^(?P<file>[^\s:]+\.[a-z]+): (?P<message>.*)$", re.S)
_LINE_WORD = re.compile(r"\bline (\d+)")
CONTEXT_LINES = 3


@dataclass(frozen=True)
class Problem:
    """What went wrong and where, relative to the templates folder when possible."""

    message: str
    file: str | None = None
    line: int | None = None
    excerpt: list[tuple[int, str]] = field(default_factory=list)

    @property
    def where(self) -> str:
        """``file:line``, ``file`` or empty."""
        if self.file and self.line:
            return f"{self.file}:{self.line}"
        return self.file or ""


def describe(err: BaseException, templates_dir: Path) -> Problem:
    """Find the template file and line behind ``err`` (or its cause) and quote the source."""
    cause = err.__cause__
    file: str | None = None
    line: int | None = None
    message = str(err)
    if isinstance(cause, jinja2.TemplateSyntaxError):
        file, line, message = cause.name or cause.filename, cause.lineno, cause.message or message
    elif cause is not None and cause.__traceback__ is not None:
        # Jinja rewrites tracebacks so template frames carry the template's file and line.
        for frame in traceback.extract_tb(cause.__traceback__):
            if _inside(Path(frame.filename), templates_dir):
                file, line = frame.filename, frame.lineno
    if file is None:
        match = _LOCATED.match(message) or _FILE.match(message)
        if match:
            file = match.group("file")
            line = int(match.group("line")) if "line" in match.groupdict() else None
    if file is not None and line is None:
        # JSON and TOML errors say "line N" in their own words.
        found = _LINE_WORD.search(message)
        line = int(found.group(1)) if found else None
    if file is not None:
        message = _strip_location(message, file)
        file = _relative(file, templates_dir)
    return Problem(message, file, line, _excerpt(templates_dir, file, line))


def located(message: str, file: str, line: int | None, templates_dir: Path) -> Problem:
    """A problem at a known file (absolute or relative to the templates) and line."""
    relative = _relative(file, templates_dir)
    return Problem(message, relative, line, _excerpt(templates_dir, relative, line))


def _strip_location(message: str, file: str) -> str:
    for pattern in (_LOCATED, _FILE):
        match = pattern.match(message)
        if match and match.group("file") == file:
            return match.group("message")
    return message


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except (ValueError, OSError):
        return False
    return True


def _relative(file: str, templates_dir: Path) -> str:
    path = Path(file)
    if path.is_absolute() and _inside(path, templates_dir):
        return path.resolve().relative_to(templates_dir.resolve()).as_posix()
    return file


def _excerpt(templates_dir: Path, file: str | None, line: int | None) -> list[tuple[int, str]]:
    if not file or not line:
        return []
    path = (templates_dir / file).resolve()
    if not _inside(path, templates_dir) or not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    start = max(1, line - CONTEXT_LINES)
    end = min(len(lines), line + CONTEXT_LINES)
    return [(n, lines[n - 1]) for n in range(start, end + 1)]
