"""The preview in a real headless Chromium (Debian's package, driven by Playwright), against
the real server started as ``cognito-sender preview`` on a free 127.0.0.1 port."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from preview.catalogs import compile_stale
from sender.event import EmailKind
from sendertools import localaws
from sendertools.samples import Workbench
from tests.conftest import parse_mime, parts
from tests.preview.conftest import TEMPLATES, composed, sample_data
from tests.preview.waiting import wait_for

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
WAIT_MS = 15_000


@dataclass(frozen=True)
class Server:
    """A running preview and the folders it serves."""

    url: str
    templates: Path
    outbox: Path
    process: subprocess.Popen[bytes]

    def health(self) -> dict:
        with urllib.request.urlopen(f"{self.url}/health", timeout=5) as reply:
            return json.load(reply)


def _health_or_none(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as reply:
            return json.load(reply)
    except OSError:
        return None


def _checked(url: str) -> bool:
    with urllib.request.urlopen(f"{url}/", timeout=10) as reply:
        return 'id="checking"' not in reply.read().decode()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``cognito-sender preview`` in its own process, on a copy of the templates."""
    root = tmp_path_factory.mktemp("preview")
    templates = root / "templates"
    shutil.copytree(TEMPLATES, templates, ignore=shutil.ignore_patterns("*.mo"))
    compile_stale(templates)
    port = localaws.free_port()
    # Nothing of the developer's AWS set-up reaches the server; --no-ses skips any look-up.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    command = [sys.executable, "-m", "sendertools.cli", "preview", "--port", str(port)]
    command += ["--templates", str(templates), "--outbox", str(root / "outbox"), "--no-ses"]
    process = subprocess.Popen(command, env=env, cwd=root)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(
            lambda: (
                process.poll() is not None
                or (_health_or_none(url) or {}).get("local_aws") not in (None, "starting")
            ),
            timeout=90,
            what="the preview and its local AWS",
        )
        assert process.poll() is None, f"the preview exited with {process.returncode}"
        # The index reloads itself when the check of every email ends: let that happen first,
        # or a click on the index may land on the page being replaced.
        wait_for(lambda: _checked(url), timeout=90, what="the check of every email")
        yield Server(url, templates, root / "outbox", process)
    finally:
        health = _health_or_none(url) or {}
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    endpoint = health.get("local_aws_endpoint")
    if endpoint:
        # The preview stopped the moto_server it started.
        with pytest.raises(OSError):
            urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=2)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    yield page
    context.close()


def _expect():
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT_MS)
    return expect


def _frame(page):
    return page.frame_locator("#email-frame")


def test_index_lists_every_trigger_and_filters(server, page):
    expect = _expect()
    page.goto(f"{server.url}/")
    groups = page.locator("[data-group]")
    expect(groups).to_have_count(8)
    page.fill("#filter", "forgotpassword")
    expect(page.locator("[data-group]:visible")).to_have_count(1)
    expect(page.locator("[data-group]:visible h2")).to_contain_text("reset_password")
    page.fill("#filter", "no-such-email")
    expect(page.locator("#no-match")).to_be_visible()
    page.fill("#filter", "")
    expect(page.locator("[data-group]:visible")).to_have_count(8)


def test_open_an_email_and_switch_locale_viewport_and_colours(server, page):
    expect = _expect()
    page.goto(f"{server.url}/")
    code = sample_data(server.templates, "confirm_signup")["code"]
    page.click("a[href='/email/confirm_signup?locale=de&sample=default']")
    german = composed(server.templates, "confirm_signup", "de").email.subject
    expect(page.locator("#m-subject")).to_have_text(german)
    expect(_frame(page).locator(".code-box")).to_have_text(code)

    page.click("#locales a[data-locale=en]")
    expect(page).to_have_url(
        f"{server.url}/email/confirm_signup?locale=en&sample=default"
        "&part=html&view=desktop&mode=light"
    )
    english = composed(server.templates, "confirm_signup", "en").email.subject
    assert english != german
    expect(page.locator("#m-subject")).to_have_text(english)

    page.click("#viewports a[data-view='320']")
    expect(page.locator("#stage")).to_have_class("stage vp-320 mode-light")
    assert page.locator("#email-frame").bounding_box()["width"] == 320

    light = _colours(_frame(page).locator(".code-box"))
    page.click("#modes a[data-mode=dark]")
    expect(page.locator("#stage")).to_have_class("stage vp-320 mode-dark")
    dark = _colours(_frame(page).locator(".code-box"))
    assert dark != light and _luminance(dark[1]) < _luminance(light[1])

    page.click("#modes a[data-mode=invert]")
    expect(page.locator("#stage")).to_have_class("stage vp-320 mode-invert")
    assert "invert" in page.locator(".frame-box").evaluate("e => getComputedStyle(e).filter")

    page.click("#parts a[data-part=text]")
    expect(page.locator("#text-part")).to_contain_text(code)
    page.click("#parts a[data-part=source]")
    expect(page.locator("#html-source")).to_contain_text("code-box")


def test_the_spam_score_appears_beside_the_size(server, page, spamassassin):
    expect = _expect()
    page.goto(f"{server.url}/email/security_alert?locale=en&sample=default")

    score = page.locator("#m-spam-score")
    expect(score).to_have_text(re.compile(r"^\d+(\.\d+)? of 2(\.0)?$"), timeout=60_000)
    assert float(score.inner_text().split()[0]) < 2.0
    expect(score).not_to_have_class(re.compile("over"))
    expect(page.locator("#m-spam li.discounted").first).to_contain_text("not counted")


def test_edit_a_sample_and_see_it_rerender_then_save_it(server, page):
    expect = _expect()
    path = server.templates / "reset_password/samples/default.json"
    original = path.read_text(encoding="utf-8")
    data = json.loads(original)
    page.goto(f"{server.url}/email/reset_password")
    expect(_frame(page).locator(".code-box")).to_have_text(data["code"])
    data["code"] = "246810"
    data["userAttributes"]["given_name"] = "Grace"
    page.fill("#sample-json", json.dumps(data, indent=2))
    expect(_frame(page).locator(".code-box")).to_have_text("246810")
    expect(_frame(page).locator("body")).to_contain_text("Grace")
    expect(page).to_have_url(re.compile(r"[?&]draft=[A-Za-z0-9_-]+"))
    assert path.read_text(encoding="utf-8") == original, "editing must not save"

    page.fill("#save-name", "grace")
    page.click("#save-sample")
    expect(page.locator("#save-status")).to_contain_text("reset_password/samples/grace.json")
    saved = server.templates / "reset_password/samples/grace.json"
    assert json.loads(saved.read_text(encoding="utf-8")) == data
    # The new file reloads the page by itself, now on the saved sample.
    expect(page.locator("#samples a[data-sample=grace]")).to_have_class("on")
    expect(_frame(page).locator(".code-box")).to_have_text("246810")


def test_saving_a_template_reloads_the_page_without_a_click(server, page):
    expect = _expect()
    subject = server.templates / "verify_email/subject.txt"
    original = subject.read_text(encoding="utf-8")
    page.goto(f"{server.url}/email/verify_email")
    expect(page.locator("#live-status")).to_have_text("live")
    page.evaluate("window.notReloadedYet = true")
    try:
        subject.write_text("Live reload works for {{ brand.product_name }}\n", encoding="utf-8")
        product = Workbench(server.templates).brand.values["product_name"]
        expect(page.locator("#m-subject")).to_have_text(f"Live reload works for {product}")
        assert page.evaluate("window.notReloadedYet === undefined")

        body = server.templates / "verify_email/body.mjml"
        good = body.read_text(encoding="utf-8")
        body.write_text(good.replace("{% endblock %}", "{{ oops( }}\n{% endblock %}"))
        problem = page.locator("#render-problem")
        expect(problem).to_contain_text("verify_email/body.mjml")
        broken_line = good.count("\n", 0, good.index("{% endblock %}")) + 1
        expect(problem.locator(".line")).to_have_text(str(broken_line))
        body.write_text(good, encoding="utf-8")
        expect(page.locator("#m-subject")).to_have_text(re.compile(r"^Live reload works for "))
        expect(_frame(page).locator("body")).not_to_be_empty()
        expect(problem).to_have_count(0)
    finally:
        subject.write_text(original, encoding="utf-8")


def test_send_through_the_local_outbox_and_find_the_message(server, page):
    expect = _expect()
    page.goto(f"{server.url}/email/sign_in_code?locale=de")
    subject = page.locator("#m-subject").inner_text()
    page.click("#send-local")
    expect(page).to_have_url(re.compile(r"/outbox/[0-9]{8}T"))
    expect(page.locator("#m-subject")).to_have_text(subject)
    expect(_frame(page).locator(".code-box")).to_have_text(
        json.loads((server.templates / "sign_in_code/samples/default.json").read_text())["code"]
    )
    entry = page.url.rsplit("/", 1)[1]
    page.click("header nav a[href='/outbox']")
    expect(page.locator(f"#outbox-list tr[data-id='{entry}']")).to_contain_text(subject)
    sent = parse_mime((server.outbox / f"{entry}.eml").read_bytes())
    expected = composed(server.templates, "sign_in_code", "de")
    assert sent["Subject"] == expected.email.subject
    text, _html = parts(sent)
    assert text.replace("\r\n", "\n").strip() == expected.email.text.strip()


def test_switch_the_brand_and_see_the_email_change(server, page):
    expect = _expect()
    northwind_from = "Northwind Partners <no-reply@northwind.example.com>"
    page.goto(f"{server.url}/email/confirm_signup?locale=en&sample=default")
    button = _frame(page).locator("td[bgcolor] > a").first
    expect(page.locator("#brand-note")).to_contain_text("base (")
    expect(page.locator("#m-from")).not_to_have_text(northwind_from)
    expect(button).to_have_css("background-color", "rgb(26, 86, 219)")  # base's #1a56db

    page.click("#brands a[data-brand=northwind]")
    expect(page).to_have_url(re.compile(r"[?&]brand=northwind(&|$)"))
    expect(page.locator("#brands a.on")).to_have_attribute("data-brand", "northwind")
    expect(page.locator("#brand-note")).to_contain_text("northwind (picked here")
    expect(page.locator("#m-from")).to_have_text(northwind_from)
    expect(page.locator("#m-subject")).to_have_text("Your Northwind confirmation code")
    expect(_frame(page).locator("body")).to_contain_text("Northwind")
    expect(button).to_have_css("background-color", "rgb(15, 118, 110)")  # northwind's #0f766e

    # Another locale keeps the brand picked; back to the Lambda's choice drops it.
    page.click("#locales a[data-locale=de]")
    expect(page).to_have_url(re.compile(r"locale=de.*brand=northwind"))
    expect(page.locator("#m-from")).to_have_text(northwind_from)
    page.click("#brand-default")
    expect(page).not_to_have_url(re.compile(r"brand="))
    expect(page.locator("#m-from")).not_to_have_text(northwind_from)

    # The partner portal's sample wears northwind by itself: its client id chooses it.
    page.click("#samples a[data-sample=partner_portal]")
    expect(page.locator("#brand-note")).to_have_text(
        "northwind (chosen by client id 5examplepartnerportal00001)"
    )
    expect(_frame(page).locator("body")).to_contain_text("Northwind")


# --- screenshots and visual checks ----------------------------------------------------------


def _frame_url(server, kind, mode):
    return f"{server.url}/email/{kind}/frame?locale=en&sample=default&mode={mode}"


@pytest.mark.parametrize("kind", [k.value for k in EmailKind])
def test_screenshots_and_visual_checks(server, browser, kind):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in (375, 600):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        for mode in ("light", "dark"):
            page.goto(_frame_url(server, kind, mode))
            page.screenshot(path=SCREENSHOTS / f"{kind}-{width}-{mode}.png", full_page=True)
        context.close()

    context = browser.new_context(viewport={"width": 320, "height": 900})
    page = context.new_page()
    for mode in ("light", "dark"):
        page.goto(_frame_url(server, kind, mode))
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{kind} ({mode}) scrolls sideways at 320 px by {overflow}px"
        boxes = page.locator(".code-box")
        if boxes.count():
            box = boxes.first
            assert box.is_visible()
            text, background = _colours(box)
            ratio = _contrast(text, background)
            assert ratio >= 4.5, f"{kind} code box contrast {ratio:.2f} in {mode} mode"
            assert box.bounding_box()["width"] <= 320
    context.close()


def test_the_dark_emulation_matches_the_browsers_own_dark_mode(server, browser):
    # The raw HTML as sent, rendered by Chromium in real prefers-color-scheme: dark ...
    with urllib.request.urlopen(f"{server.url}/email/confirm_signup?part=eml", timeout=10) as r:
        _text, html = parts(parse_mime(r.read()))
    real = browser.new_context(color_scheme="dark", viewport={"width": 600, "height": 900})
    real_page = real.new_page()
    real_page.set_content(html)
    expected = _colours(real_page.locator(".code-box"))
    real.close()
    # ... looks like the preview's dark mode in a browser that is itself in light mode.
    emulated = browser.new_context(color_scheme="light", viewport={"width": 600, "height": 900})
    page = emulated.new_page()
    page.goto(_frame_url(server, "confirm_signup", "dark"))
    assert _colours(page.locator(".code-box")) == expected
    emulated.close()


def test_forced_inversion_keeps_the_code_readable(server, page):
    for kind in ("confirm_signup", "invitation"):
        page.goto(f"{server.url}/email/{kind}?view=375&mode=invert")
        box = _frame(page).locator(".code-box")
        shot = box.screenshot(path=SCREENSHOTS / f"{kind}-375-invert-code.png")
        background, ink = _pixel_colours(page, shot)
        assert _luminance(background) < 0.2, "the inverted code box is dark"
        assert _contrast(ink, background) >= 4.5


# --- colour helpers -------------------------------------------------------------------------


def _colours(locator) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    text, background = locator.evaluate(
        "e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]"
    )
    return _rgb(text), _rgb(background)


def _rgb(css: str) -> tuple[int, int, int]:
    inside = css[css.index("(") + 1 : css.index(")")].replace("/", ",")
    red, green, blue = (round(float(v)) for v in inside.split(",")[:3])
    return red, green, blue


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(v) for v in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def _contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _pixel_colours(page, png: bytes) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """The most common colour of a screenshot and the one contrasting most with it."""
    import base64

    counts = page.evaluate(
        """async (data) => {
          const img = new Image();
          img.src = "data:image/png;base64," + data;
          await img.decode();
          const canvas = new OffscreenCanvas(img.width, img.height);
          const ctx = canvas.getContext("2d");
          ctx.drawImage(img, 0, 0);
          const px = ctx.getImageData(0, 0, img.width, img.height).data;
          const counts = {};
          for (let i = 0; i < px.length; i += 4) {
            const key = px[i] + "," + px[i + 1] + "," + px[i + 2];
            counts[key] = (counts[key] || 0) + 1;
          }
          return counts;
        }""",
        base64.b64encode(png).decode("ascii"),
    )
    colours = {tuple(int(v) for v in key.split(",")): n for key, n in counts.items()}
    background = max(colours, key=colours.get)
    total = sum(colours.values())
    frequent = [c for c, n in colours.items() if n >= total * 0.002]
    ink = max(frequent, key=lambda c: _contrast(c, background))
    return background, ink


def test_page_screenshot_for_the_readme(server, browser):
    """The picture in the README (docs/preview.png is a copy of this artifact)."""
    expect = _expect()
    context = browser.new_context(viewport={"width": 1280, "height": 820})
    page = context.new_page()
    page.goto(f"{server.url}/email/confirm_signup?locale=en&view=600")
    expect(_frame(page).locator(".code-box")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "preview-page.png")
    context.close()
