"""Render benchmark: per-email render time for every kind, and Node's mjml on the same MJML.

    .venv/bin/python bench/render.py [--runs 2000] [--node-runs 200]

Three figures per kind, each the median of many runs:
- ``warm``: ``Renderer.render`` as the Lambda calls it (subject, preheader, HTML and text),
  the compiled skeleton of that kind, locale and shape already cached;
- ``uncached``: the same with the skeleton cache emptied before each run, so Jinja, MJML (MRML)
  and CSS inlining all run;
- ``node mjml``: Node's ``mjml`` package compiling the same MJML the templates produce (installed
  with npm into a temporary folder when ``node`` and ``npm`` exist; skipped with a message
  otherwise). Node only compiles MJML: no templating, no text part, no further inlining.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sender.config import DEFAULT_TEMPLATES_DIR
from sender.event import EmailKind
from sender.i18n import LocaleInfo
from sender.model import build_model
from sendertools.samples import Workbench

NODE_SCRIPT = r"""
const mjml2html = require("mjml");
const fs = require("fs");
const [dir, runs] = [process.argv[2], Number(process.argv[3])];
const out = {};
for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".mjml")).sort()) {
  const source = fs.readFileSync(`${dir}/${file}`, "utf8");
  for (let i = 0; i < 20; i++) mjml2html(source, { validationLevel: "skip" });
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    mjml2html(source, { validationLevel: "skip" });
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  out[file.replace(".mjml", "")] = times[Math.floor(times.length / 2)];
}
console.log(JSON.stringify(out));
"""


def median_ms(fn, runs: int) -> float:  # type: ignore[no-untyped-def]
    for _ in range(min(50, runs)):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def node_medians(sources: dict[str, str], runs: int) -> dict[str, float] | None:
    """Median ms of Node's mjml per kind, or None (with a message) when Node is missing."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        print("node mjml: skipped (node or npm not found)")
        return None
    with tempfile.TemporaryDirectory(prefix="mjml-bench-") as tmp:
        folder = Path(tmp)
        install = subprocess.run(
            [npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", tmp, "mjml@4"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if install.returncode != 0:
            print(f"node mjml: skipped (npm install failed: {install.stderr.strip()[:200]})")
            return None
        for kind, source in sources.items():
            (folder / f"{kind}.mjml").write_text(source, encoding="utf-8")
        (folder / "bench.js").write_text(NODE_SCRIPT, encoding="utf-8")
        done = subprocess.run(
            [node, str(folder / "bench.js"), tmp, str(runs)],
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
        version = subprocess.run(
            [node, "-p", "require('mjml/package.json').version"],
            cwd=tmp,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        node_version = subprocess.run(
            [node, "--version"], capture_output=True, text=True, check=False
        ).stdout.strip()
        print(f"node {node_version}, mjml {version}")
        result: dict[str, float] = json.loads(done.stdout)
        return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--node-runs", type=int, default=200)
    parser.add_argument("--locale", default="en")
    args = parser.parse_args()

    wb = Workbench(DEFAULT_TEMPLATES_DIR)
    renderer = wb.renderer
    locale = LocaleInfo(args.locale)
    rows: dict[str, tuple[float, float]] = {}
    sources: dict[str, str] = {}
    for kind in EmailKind:
        sample = wb.sample(kind, "default")
        event = sample.event()
        model = build_model(
            event, sample.secret(), event.user_attributes["email"], wb.brand, locale
        )

        def warm(kind: EmailKind = kind, model: dict = model) -> None:  # type: ignore[type-arg]
            renderer.render(kind, locale, model)

        def uncached(kind: EmailKind = kind, model: dict = model) -> None:  # type: ignore[type-arg]
            renderer._skeletons.clear()
            renderer.render(kind, locale, model)

        rows[kind.value] = (
            median_ms(warm, args.runs),
            median_ms(uncached, max(50, args.runs // 10)),
        )
        email = renderer.render(kind, locale, model)
        env = renderer.environment(locale.code)
        context = {**model, "subject": email.subject, "preheader": email.preheader}
        sources[kind.value] = env.get_template(f"{kind.value}/body.mjml").render(context)

    node = node_medians(sources, args.node_runs)
    print(f"python {sys.version.split()[0]}; medians in ms per email, locale {args.locale}")
    print(
        f"{'kind':22} {'warm':>8} {'uncached':>9} {'node mjml':>10} {'node/warm':>10}"
        f" {'node/uncached':>14}"
    )
    for kind, (warm_ms, cold_ms) in rows.items():
        if node:
            n = node[kind]
            print(
                f"{kind:22} {warm_ms:8.3f} {cold_ms:9.3f} {n:10.3f} {n / warm_ms:9.0f}x"
                f" {n / cold_ms:13.1f}x"
            )
        else:
            print(f"{kind:22} {warm_ms:8.3f} {cold_ms:9.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
