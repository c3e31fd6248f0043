"""Rules on every brand's colours (``brand.toml`` and each overlay in ``brands/``, merged as the
Lambda merges them): every colour the layout paints with is set, and every text the layout
puts on a background reads at WCAG 2 AA's 4.5:1, light and dark.

The brands' other settings (https logo and website, link templates on the allowed origins, a
``#rrggbb`` value for every colour) are refused when the brands load, so a brand that breaks
them is the check's ``setup`` finding, naming the brand's file."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import NamedTuple

from sender.brand import BASE
from sendertools.check.context import FolderContext, brand_file
from sendertools.check.finding import Finding

MIN_CONTRAST = 4.5  # WCAG 2 AA for body-size text (1.4.3)


class Pair(NamedTuple):
    """A colour the layout puts on another, and what it draws with them."""

    fg: str
    bg: str
    use: str


# Every foreground on a background of layout/base.mjml, light and dark (the footer's muted
# text sits on the page background, never on the card).
PAIRS: tuple[Pair, ...] = (
    Pair("text", "card", "body text on the card"),
    Pair("muted", "background", "the footer's text on the page"),
    Pair("primary_text", "primary", "the button's label"),
    Pair("primary", "card", "the button on the card"),
    Pair("text", "code_background", "the code in its box"),
    Pair("dark_text", "dark_card", "body text on the card, dark mode"),
    Pair("dark_muted", "dark_background", "the footer's text on the page, dark mode"),
    Pair("dark_primary_text", "dark_primary", "the button's label, dark mode"),
    Pair("dark_primary", "dark_card", "the button and links on the card, dark mode"),
    Pair("dark_text", "dark_code_background", "the code in its box, dark mode"),
)
# Every colour key the layout reads, with what it paints.
LAYOUT_COLORS: dict[str, tuple[str, ...]] = {
    **{
        key: tuple(p.use for p in PAIRS if key in (p.fg, p.bg))
        for pair in PAIRS
        for key in (pair.fg, pair.bg)
    },
    "code_border": ("the code box's border",),
    "dark_code_border": ("the code box's border, dark mode",),
}


def luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a ``#rrggbb`` colour."""

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours, from 1 to 21."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def color_missing(ctx: FolderContext) -> Iterator[Finding]:
    """An error for every colour the layout paints with that a brand does not set (in its own
    file or in brand.toml), naming what the layout paints with it."""
    for name in ctx.workbench.brands:
        colors = ctx.workbench.brand_named(name).values.get("colors", {})
        own = brand_file(name)
        for key, uses in LAYOUT_COLORS.items():
            if key in colors:
                continue
            unset = (
                "brand.toml does not set it"
                if name == BASE
                else f"neither {own} nor brand.toml sets it"
            )
            message = (
                f"colors.{key} is missing ({unset}); the layout paints with it: {'; '.join(uses)}"
            )
            yield Finding("error", "color_missing", own, message, brand=name)


def contrast(ctx: FolderContext) -> Iterator[Finding]:
    """An error for every pair of ``PAIRS`` under ``MIN_CONTRAST`` in a brand, naming the
    colour keys, their values, the file each was read from and the ratio; a pair with a
    colour missing is left to ``color_missing``."""
    for name in ctx.workbench.brands:
        colors = ctx.workbench.brand_named(name).values.get("colors", {})
        own = brand_file(name)
        for fg, bg, use in PAIRS:
            if fg not in colors or bg not in colors:
                continue
            ratio = contrast_ratio(colors[fg], colors[bg])
            if ratio >= MIN_CONTRAST:
                continue
            front, back = f"colors.{fg} {colors[fg]!r}", f"colors.{bg} {colors[bg]!r}"
            fg_file, bg_file = (_source(ctx, name, key) for key in (fg, bg))
            if fg_file == bg_file:
                pair = f"{front} on {back} ({fg_file})"
            else:
                pair = f"{front} ({fg_file}) on {back} ({bg_file})"
            shown = math.floor(ratio * 100) / 100  # never rounded up to the minimum
            message = (
                f"{pair}: contrast {shown:.2f}:1 for {use}, under WCAG 2 AA's {MIN_CONTRAST}:1"
            )
            yield Finding("error", "contrast", own, message, brand=name)


def _source(ctx: FolderContext, name: str, key: str) -> str:
    """The file a brand's colour was read from: its own, else brand.toml's."""
    return brand_file(name) if key in ctx.own_colors.get(name, ()) else brand_file(BASE)
