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
rendering gives.

    python -m sender.skeletons OUT_DIR [--templates DIR]
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any, Final

from sender.config import DEFAULT_TEMPLATES_DIR
from sender.event import EmailKind
from sender.render import Skeleton

FORMAT: Final = 2
DEFAULT_DIR: Final = Path(__file__).parent / "data" / "skeletons"
# What the Lambda bundle leaves out of the templates folder; none of it changes an email.
_NOT_SHIPPED: Final = frozenset({"samples", "__pycache__"})
_NOT_SHIPPED_SUFFIXES: Final = (".pot",)

_log = logging.getLogger(__name__)


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


def build(templates_dir: Path, out: Path) -> int:
    """Render every sample in every locale and write the skeletons; returns how many."""
    # Imported here: the Lambda only ever reads a store.
    from sendertools.samples import Workbench

    bench = Workbench(templates_dir)
    for samples in bench.samples.values():
        for sample in samples.values():
            for locale in bench.catalogs.locales:
                bench.compose(sample, locale)
    grouped: dict[tuple[str, str], dict[str, Any]] = {}
    for kind, locale, key, skeleton in bench.renderer.rendered_shapes():
        grouped.setdefault((kind, locale), {})[key] = skeleton.to_json()
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.json"):
        old.unlink()
    digests: dict[str, bytes] = {}
    for (kind, locale), skeletons in sorted(grouped.items()):
        stamp = templates_stamp(templates_dir, kind, locale, seen=digests)
        body = {"format": FORMAT, "stamp": stamp, "skeletons": dict(sorted(skeletons.items()))}
        path = store_file(out, kind, locale)
        partial = path.with_suffix(".json.partial")
        partial.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, path)
    return sum(len(s) for s in grouped.values())


def main(argv: list[str] | None = None) -> int:
    import argparse  # the Lambda imports this module, never runs it

    parser = argparse.ArgumentParser(description="Prebuild the renderer's skeletons.")
    parser.add_argument("out", type=Path, nargs="?", default=DEFAULT_DIR)
    parser.add_argument("--templates", type=Path, default=None)
    args = parser.parse_args(argv)
    count = build(args.templates or DEFAULT_TEMPLATES_DIR, args.out)
    print(f"{count} skeletons written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
