"""The frame's colour modes, on hand-written CSS."""

from __future__ import annotations

import pytest

from preview.frame import dark_rules, for_mode

EMAIL = """<html><head><style>
.a { color: #111111; }
@media (max-width: 480px) { .a { font-size: 14px; } }
@media (prefers-color-scheme: dark) { .a { color: #eeeeee !important; }
  .b { background: #000000; } }
@media (prefers-color-scheme: dark) and (max-width: 480px) { .c { color: #abcdef; } }
</style></head>
<body><p class="a">x</p><img src="data:image/png;base64,AA" alt="logo"></body></html>"""


def test_light_removes_every_dark_rule_and_keeps_the_rest():
    html = for_mode(EMAIL, "light")
    assert "#eeeeee" not in html and "#abcdef" not in html
    assert "@media (max-width: 480px) { .a { font-size: 14px; } }" in html
    assert ".a { color: #111111; }" in html


def test_dark_unwraps_dark_rules_after_the_light_ones():
    html = for_mode(EMAIL, "dark")
    assert "prefers-color-scheme" not in html
    assert html.index(".a { color: #111111; }") < html.index(".a { color: #eeeeee !important; }")
    assert "@media (max-width: 480px){ .c { color: #abcdef; } }" in html


def test_invert_reinverts_images_only():
    html = for_mode(EMAIL, "invert")
    assert "img, picture, video { filter: invert(1) hue-rotate(180deg); }" in html
    assert "#eeeeee" not in html


def test_links_cannot_navigate_the_frame():
    assert '<base target="_blank"></head>' in for_mode(EMAIL, "light")


def test_dark_rules_extracts_nested_braces():
    rules = dark_rules(EMAIL.split("<style>")[1])
    assert "#eeeeee" in rules and ".b { background: #000000; }" in rules and "#abcdef" in rules
    assert "#111111" not in rules and "font-size" not in rules


def test_unknown_mode_names_the_valid_ones():
    with pytest.raises(ValueError, match=r"'sepia'.*light, dark, invert"):
        for_mode(EMAIL, "sepia")
