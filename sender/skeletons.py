"""Skeletons rendered ahead of time, so a cold start needs neither Jinja2 nor MJML.

A build step (``make setup``, ``cognito-sender package``) renders every sample of every kind
in every locale (``templates/<kind>/samples/``: named, with and without a name, hostile...)
and writes the skeletons of the shapes they produce to one JSON file per kind and locale
(``sender/data/skeletons/<kind>.<locale>.json``). The Lambda's renderer looks a shape up
there before rendering it; an email of a shape no sample has is rendered as before, once per
process.

Each file names the *stamp* of the templates it was rendered from: a digest of this format and
of every file of the templates folder that the Lambda bundle ships (samples excluded), except
the folders of the other kinds and the catalogs of the other locales, which cannot change
this kind in this locale. (So a template must not include files from another kind's folder:
shared parts go in ``layout/`` or another folder of their own.) A file whose stamp differs
from the templates in use, or that cannot be read, is ignored: a stale store costs time,
never a wrong email. ``tests/test_skeletons.py`` checks that the store gives exactly what
rendering gives. The store is built by ``sendertools.prebuild``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, NamedTuple

from sender.event import EmailKind

FORMAT: Final = 2
DEFAULT_DIR: Final = Path(__file__).parent / "data" / "skeletons"
# What the Lambda bundle leaves out of the templates folder; none of it changes an email.
_NOT_SHIPPED: Final = frozenset({"samples", "__pycache__"})
_NOT_SHIPPED_SUFFIXES: Final = (".pot",)

_log = logging.getLogger(__name__)
# Where a per-recipient value goes in a rendered part (see sender.render).
TOKEN = re.compile(r"@@v(\d+)Z@@")


class Filler(NamedTuple):
    """A rendered part split at its tokens: literal, index, literal, index, ..., literal."""

    pieces: tuple[str, ...]
    slots: tuple[int, ...]

    @classmethod
    def of(cls, rendered: str) -> Filler:
        split = TOKEN.split(rendered)
        return cls(tuple(split[0::2]), tuple(int(i) for i in split[1::2]))

    def fill(self, values: list[str]) -> str:
        out = [self.pieces[0]]
        for slot, piece in zip(self.slots, self.pieces[1:], strict=True):
            out.append(values[slot])
            out.append(piece)
        return "".join(out)


class Skeleton(NamedTuple):
    """The four parts of one shape of an email, with tokens where per-recipient values go."""

    subject: Filler
    preheader: Filler
    html: Filler
    text: Filler

    def to_json(self) -> dict[str, list[Any]]:
        """A JSON-ready form, for the prebuilt store."""
        parts = {"subject": self.subject, "preheader": self.preheader}
        parts |= {"html": self.html, "text": self.text}
        return {name: [list(f.pieces), list(f.slots)] for name, f in parts.items()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Skeleton:
        """The inverse of ``to_json``; ``KeyError``/``TypeError``/``ValueError`` if damaged."""
        fillers = []
        for name in ("subject", "preheader", "html", "text"):
            pieces, slots = data[name]
            filler = Filler(tuple(map(str, pieces)), tuple(map(int, slots)))
            if len(filler.pieces) != len(filler.slots) + 1:
                raise ValueError(f"skeleton part {name!r} has mismatched pieces and slots")
            fillers.append(filler)
        return cls(*fillers)


def templates_stamp(
    templates_dir: Path, kind: str, locale: str, *, seen: dict[str, bytes] | None = None
) -> str:
    """A digest of the shipped files of a templates folder (paths and contents) that can
    change ``kind`` in ``locale``. ``seen`` keeps each file's own digest, so files shared by
    every kind (layout, brand) are read once per process, not once per kind and locale."""
    seen = {} if seen is None else seen
    digest = hashlib.sha256(f"skeletons-format-{FORMAT}\n".encode())
    for name in stamped_files(templates_dir, kind, locale):
        content = seen.get(name)
        if content is None:
            content = seen[name] = hashlib.sha256((templates_dir / name).read_bytes()).digest()
        digest.update(name.encode() + b"\0" + content)
    return digest.hexdigest()


def stamped_files(templates_dir: Path, kind: str, locale: str) -> list[str]:
    """The relative paths ``templates_stamp`` digests, sorted."""
    skip = _NOT_SHIPPED | ({k.value for k in EmailKind} - {kind})
    catalog = locale.replace("-", "_")
    found: list[str] = []
    for folder, dirs, files in os.walk(templates_dir):
        relative = Path(folder).relative_to(templates_dir).parts
        dirs[:] = [
            d
            for d in dirs
            if not d.startswith(".")
            and not (relative == () and d in skip)
            and not (relative == ("locales",) and d != catalog)
            and d not in _NOT_SHIPPED
        ]
        found.extend(
            "/".join((*relative, f))
            for f in files
            if not f.startswith(".") and not f.endswith(_NOT_SHIPPED_SUFFIXES)
        )
    return sorted(found)


def store_file(directory: Path, kind: str, locale: str) -> Path:
    """Where the skeletons of one kind in one locale are kept."""
    return directory / f"{kind}.{locale}.json"


class SkeletonStore:
    """The prebuilt skeletons of one templates folder, read one kind and locale at a time."""

    def __init__(self, directory: Path, templates_dir: Path) -> None:
        self.directory = directory
        self.templates_dir = templates_dir
        self._files: dict[tuple[str, str], dict[str, Any]] = {}
        self._digests: dict[str, bytes] = {}

    def get(self, kind: str, locale: str, key: str) -> Skeleton | None:
        """The stored skeleton of a shape key (``sender.render.store_key``), or ``None``."""
        entries = self._files.get((kind, locale))
        if entries is None:
            entries = self._load(kind, locale)
            self._files[(kind, locale)] = entries
        data = entries.get(key)
        if data is None:
            return None
        try:
            return Skeleton.from_json(data)
        except (KeyError, TypeError, ValueError) as err:
            _log.warning("ignoring a damaged prebuilt skeleton of %s/%s: %s", kind, locale, err)
            return None

    def _load(self, kind: str, locale: str) -> dict[str, Any]:
        path = store_file(self.directory, kind, locale)
        if not path.is_file():
            return {}
        try:
            data = json.loads(path.read_bytes())
        except (OSError, ValueError) as err:
            _log.warning("ignoring unreadable prebuilt skeletons %s: %s", path.name, err)
            return {}
        stamp = templates_stamp(self.templates_dir, kind, locale, seen=self._digests)
        if not isinstance(data, dict) or data.get("stamp") != stamp:
            _log.info("prebuilt skeletons %s are for other templates: ignored", path.name)
            return {}
        skeletons = data.get("skeletons")
        return skeletons if isinstance(skeletons, dict) else {}
