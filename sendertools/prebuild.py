"""Build products the Lambda reads, made ahead of time (``make setup``, ``cognito-sender
package``): the renderer's prebuilt skeletons (``sender.skeletons``) and botocore's data
trimmed to the sender's operations (``sender.botosession``).

    python -m sendertools.prebuild skeletons [OUT_DIR] [--templates DIR]
    python -m sendertools.prebuild botocore [OUT_FILE]
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import botocore
from botocore.loaders import Loader

from sender.botosession import ENDPOINTS, MODEL, OPERATIONS, TRIMMED
from sender.config import DEFAULT_TEMPLATES_DIR
from sender.skeletons import DEFAULT_DIR, FORMAT, store_file, templates_stamp
from sendertools.samples import Workbench


def build_skeletons(templates_dir: Path, out: Path) -> int:
    """Render every sample in every locale and every brand and write the skeletons; returns
    how many."""
    bench = Workbench(templates_dir)
    for samples in bench.samples.values():
        for sample in samples.values():
            for locale in bench.catalogs.locales:
                for brand in bench.brands:
                    bench.compose(sample, locale, brand=brand)
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


def trim_endpoints(endpoints: dict[str, Any], prefixes: set[str]) -> dict[str, Any]:
    """``endpoints.json`` with every partition's services filtered to ``prefixes``."""
    return {
        **endpoints,
        "partitions": [
            {
                **partition,
                "services": {
                    k: v for k, v in partition.get("services", {}).items() if k in prefixes
                },
            }
            for partition in endpoints["partitions"]
        ],
    }


def trim_model(model: dict[str, Any], operations: tuple[str, ...]) -> dict[str, Any]:
    """A service model with only ``operations`` and the shapes they reach."""
    kept = {name: model["operations"][name] for name in operations}
    shapes: dict[str, Any] = {}
    pending = [
        ref["shape"]
        for op in kept.values()
        for ref in (op.get("input"), op.get("output"), *op.get("errors", ()))
        if ref
    ]
    while pending:
        name = pending.pop()
        if name in shapes:
            continue
        shape = model["shapes"][name]
        shapes[name] = shape
        refs = [*shape.get("members", {}).values()]
        refs += [shape[k] for k in ("member", "key", "value") if k in shape]
        pending.extend(ref["shape"] for ref in refs)
    return {**model, "operations": kept, "shapes": shapes}


def write_trimmed(
    data_dir: Path,
    version: str,
    out: Path,
    operations: Mapping[str, tuple[str, ...]] = OPERATIONS,
) -> None:
    """Write the trimmed copy of botocore ``version``'s ``data_dir`` to ``out``."""
    loader = Loader(extra_search_paths=[str(data_dir)], include_default_search_paths=False)
    prefixes = set(operations)
    models = {}
    for service, names in operations.items():
        model = loader.load_service_model(service, MODEL)
        prefixes.add(model["metadata"]["endpointPrefix"])
        models[service] = trim_model(model, tuple(names))
    document = {
        "botocore": version,
        "operations": {k: list(v) for k, v in operations.items()},
        "endpoints": trim_endpoints(loader.load_data(ENDPOINTS), prefixes),
        "models": models,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, separators=(",", ":")) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sendertools.prebuild", description=__doc__)
    made = parser.add_subparsers(dest="product", required=True)
    skeletons = made.add_parser("skeletons", help="the renderer's prebuilt skeletons")
    skeletons.add_argument("out", type=Path, nargs="?", default=DEFAULT_DIR)
    skeletons.add_argument("--templates", type=Path, default=DEFAULT_TEMPLATES_DIR)
    data = made.add_parser("botocore", help="botocore's data trimmed to the sender's calls")
    data.add_argument("out", type=Path, nargs="?", default=TRIMMED)
    args = parser.parse_args(argv)
    if args.product == "skeletons":
        count = build_skeletons(args.templates, args.out)
        print(f"{count} skeletons written to {args.out}")
    else:
        write_trimmed(Path(botocore.__file__).parent / "data", botocore.__version__, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
