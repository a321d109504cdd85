"""Shared Playwright helpers: Debian's chromium (never `playwright install`), sign-ins, fake camera.

Import what a test module needs, fixtures included (pytest finds fixtures in a module's globals):

    from browser import pw, chromium, signed_in_page, watch_page
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-quic"]
PINS = {"kiosk": "1111", "volunteer": "2468", "organizer": "13579"}  # as tests/conftest.py writes them
HOME = {"kiosk": "/kiosk", "volunteer": "/volunteer", "organizer": "/organizer"}

# Other work shares this machine (benchmarks, servers): give slow moments room without sleeping.
expect.set_options(timeout=10_000)


def camera_args(y4m: Path) -> list[str]:
    """A fake camera that shows the frames of `y4m`, permission granted without a prompt."""
    return ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={y4m}"]


def start_chromium(playwright: Playwright, extra_args: list[str] | None = None, headless: bool = True) -> Browser:
    """Debian's chromium, quiet and working as root without a network."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=headless, args=ARGS + (extra_args or []))


@contextmanager
def launch(extra_args: list[str] | None = None, headless: bool = True) -> Iterator[Browser]:
    """A browser outside pytest (the bench); tests use the fixtures below."""
    with sync_playwright() as p:
        browser = start_chromium(p, extra_args, headless)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def pw() -> Iterator[Playwright]:
    """One Playwright per test module (the sync API allows only one at a time)."""
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def chromium(pw: Playwright) -> Iterator[Browser]:
    """One browser per test module; each test gets its own context (cookies, localStorage)."""
    browser = start_chromium(pw)
    yield browser
    browser.close()


@dataclass
class PageWatch:
    """What went wrong in a page: uncaught errors, CSP violations, dialogs (alert/confirm)."""

    errors: list[str] = field(default_factory=list)
    csp: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert not self.errors, f"uncaught errors in the page: {self.errors}"
        assert not self.csp, f"Content-Security-Policy violations: {self.csp}"
        assert not self.dialogs, f"dialogs opened: {self.dialogs}"


def watch_page(page: Page) -> PageWatch:
    """Record page errors, CSP reports and dialogs (each dialog is dismissed so nothing hangs)."""
    watch = PageWatch()
    page.on("pageerror", lambda exc: watch.errors.append(str(exc)))

    def on_console(msg: Any) -> None:
        if msg.type == "error" and re.search(r"Content.Security.Policy", msg.text, re.I):
            watch.csp.append(msg.text)

    def on_dialog(dialog: Any) -> None:
        watch.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("console", on_console)
    page.on("dialog", on_dialog)
    return watch


def new_context(browser: Browser, server: Any, **kwargs: Any) -> BrowserContext:
    context = browser.new_context(base_url=server.url, **kwargs)
    context.set_default_timeout(10_000)
    return context


def pair(page: Page, server: Any, role: str) -> Page:
    """Sign the page's context in with the role's token (GET /pair), landing on the role's page.
    A context signed in already is asked first (kiosk.pages._confirm_switch): it switches."""
    page.goto(f"/pair?token={server.tokens[role]}")
    if page.locator("#pair-question").count():
        page.get_by_role("button", name=f"Switch to {role}").click()
    page.wait_for_url(re.compile(re.escape(HOME[role]) + r"$"))
    if role == "kiosk":  # listening for the scanner: no keystroke of a first scan lost to a slow start
        page.wait_for_function("window.kioskMetrics !== undefined")
    return page


def pin_login(page: Page, role: str, next_path: str = "") -> Page:
    """Sign in through the PIN form, as a person at the door would."""
    page.goto(f"/login?next={next_path}" if next_path else "/login")
    page.get_by_label("PIN").fill(PINS[role])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(next_path or HOME[role]) + r"$"))
    return page


@contextmanager
def signed_in_page(browser: Browser, server: Any, role: str, by_pin: bool = False,
                   **context_kwargs: Any) -> Iterator[tuple[Page, PageWatch]]:
    """A fresh context signed in as `role` via its token (or, `by_pin`, its PIN form), with a watch on the page."""
    context = new_context(browser, server, **context_kwargs)
    try:
        page = context.new_page()
        watch = watch_page(page)
        if by_pin:
            pin_login(page, role)
        else:
            pair(page, server, role)
        yield page, watch
    finally:
        context.close()


@contextmanager
def camera_page(pw: Playwright, server: Any, clip: Path, init_script: str = "") -> Iterator[tuple[Page, PageWatch]]:
    """A new page (not signed in yet: pair it) in a Chromium of its own whose fake webcam plays
    `clip`, with `init_script` run in every document first; the browser is closed afterwards."""
    browser = start_chromium(pw, camera_args(clip))
    try:
        context = new_context(browser, server)
        if init_script:
            context.add_init_script(init_script)
        page = context.new_page()
        yield page, watch_page(page)
    finally:
        browser.close()


def blank_card(folder: Path) -> Path:
    """A camera clip of a card with nothing readable on it (a QR too small to decode)."""
    return write_qr_y4m("K1-NOTHING", folder / "blank.y4m", qr_px=8)


def scanner_type(page: Page, code: str, enter: bool = True, delay: float = 5) -> None:
    """A keyboard-wedge scanner: the code typed fast, then (usually) Enter."""
    page.keyboard.type(code, delay=delay)
    if enter:
        page.keyboard.press("Enter")


def write_qr_y4m(code: str, path: Path, frames: int = 20, size: tuple[int, int] = (640, 480), qr_px: int = 360) -> Path:
    """A YUV4MPEG2 clip of a ticket QR (360 px, centred on white) for chromium's fake camera."""
    from kiosk.ticket_images import qr_image

    width, height = size
    frame = Image.new("L", size, 255)
    frame.paste(qr_image(code).resize((qr_px, qr_px), Image.NEAREST), ((width - qr_px) // 2, (height - qr_px) // 2))
    y, cb, cr = frame.convert("RGB").convert("YCbCr").split()
    half = (width // 2, height // 2)
    data = b"FRAME\n" + y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    path.write_bytes(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode() + data * frames)
    return path


def refresh_counts(server: Any) -> None:
    """A test's own store.write() bypasses the Door, so the feed's cached headcount is stale;
    publish a refresh as `kiosk import` in another process would."""
    server.state.door.external_change()


def quick_heartbeat(server: Any, seconds: float = 1) -> None:
    """Sockets that are silent for a few of these are dead: the pages notice in seconds, not minutes.
    Set before opening a page: the page reads the interval once, from its <meta name="live-heartbeat">."""
    server.app.config["LIVE_HEARTBEAT_SECONDS"] = seconds


def answer_lost_once(page: Page, url: str, method: str = "POST") -> list[Any]:
    """The first such request reaches the server and is done there, but its answer never comes
    back (the phone walked out of range); later ones go through. Returns the bodies sent."""
    sent: list[Any] = []

    def handle(route: Any) -> None:
        if route.request.method != method:
            return route.continue_()
        sent.append(route.request.post_data_json)
        if len(sent) == 1:
            route.fetch()
            return route.abort("connectionreset")
        route.continue_()

    page.route(url, handle)
    return sent


def poll(page: Page, predicate: Any, what: str, timeout: float = 10.0) -> Any:
    """wait_until for tests with routes: Playwright runs route handlers only while the test is in
    one of its calls, so wait in the page, not in time.sleep."""
    for _ in range(int(timeout * 10)):
        value = predicate()
        if value:
            return value
        page.wait_for_timeout(100)
    raise AssertionError(f"timed out waiting for {what}")
