"""Export every email as a static site: an index, and each brand × kind × locale × sample as
HTML, text and .eml (``<brand>/<kind>/<locale>/<sample>.*``), for a CI job to publish for
review."""

from __future__ import annotations

import argparse
import html
from pathlib import Path

from sendertools.commands import add_templates_option, failed


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The verb's options."""
    parser.add_argument("dir", type=Path, help="output folder (created if missing)")
    add_templates_option(parser)


def run(args: argparse.Namespace) -> int:
    """Render everything into ``dir``; 1 if any email failed to render."""
    from sender.errors import SenderError
    from sender.mime import to_bytes
    from sender.render import kinds_in
    from sendertools.samples import Workbench

    try:
        wb = Workbench(args.templates)
    except SenderError as err:
        return failed("export", err)
    out: Path = args.dir
    out.mkdir(parents=True, exist_ok=True)
    rows: list[str] = []
    broken = 0
    for brand in wb.brands:
        for kind in kinds_in(args.templates):
            for name, sample in wb.samples.get(kind, {}).items():
                cells: list[str] = []
                for locale in wb.catalogs.locales:
                    stem = f"{brand}/{kind.value}/{locale}/{name}"
                    try:
                        composed = wb.compose(sample, locale, brand=brand)
                    except SenderError as err:
                        broken += 1
                        why = html.escape(str(err))
                        cells.append(f"<td>{html.escape(locale)}: error {why}</td>")
                        continue
                    folder = out / brand / kind.value / locale
                    folder.mkdir(parents=True, exist_ok=True)
                    (folder / f"{name}.html").write_text(composed.email.html, encoding="utf-8")
                    (folder / f"{name}.txt").write_text(composed.email.text, encoding="utf-8")
                    (folder / f"{name}.eml").write_bytes(to_bytes(composed.message))
                    cells.append(
                        f'<td><a href="{stem}.html">{locale}</a> '
                        f'<a href="{stem}.txt">text</a> <a href="{stem}.eml">eml</a></td>'
                    )
                rows.append(
                    f"<tr><th>{html.escape(brand)}</th><th>{html.escape(kind.value)}</th>"
                    f"<td>{html.escape(name)}</td><td>{html.escape(sample.description)}</td>"
                    f"{''.join(cells)}</tr>"
                )
    (out / "index.html").write_text(INDEX.format(rows="\n".join(rows)), encoding="utf-8")
    print(f"wrote {out / 'index.html'}")
    return 1 if broken else 0


INDEX = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Emails</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem}}td,th{{padding:4px 8px;
text-align:left;vertical-align:top;border-bottom:1px solid #ddd}}</style></head>
<body><h1>Every email: every brand, locale and sample</h1>
<table><thead><tr><th>Brand</th><th>Kind</th><th>Sample</th><th>Scenario</th>
<th colspan="6">Locales</th></tr></thead><tbody>
{rows}
</tbody></table></body></html>
"""
