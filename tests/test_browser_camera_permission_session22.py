"""The kiosk's camera permission is changed in the browser's settings while the page is open.

A volunteer who answered "Block" to the camera prompt and then allowed the camera in the browser's
site settings saw "Camera permission was refused" until someone pressed the button or reloaded the
page: the queue's QR codes went unread. Taking the permission away while the camera was on said
"Camera unplugged: plug it in again." Chromium sends a "change" event on the camera's permission
status (navigator.permissions); Playwright's grant/clear_permissions change it as the settings do.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from playwright.sync_api import Page, expect

from browser import new_context, pair, pw, start_chromium, watch_page, write_qr_y4m  # noqa: F401

REFUSED = "Camera permission was refused. Use the scanner or type your code."
CAMERA_ON = "Camera on: hold your QR code up to it."


@contextmanager
def kiosk(server: Any, pw: Any, folder: Path, person: dict[str, Any], allowed: bool) -> Iterator[tuple[Page, Any]]:
    """The kiosk page whose fake webcam shows the person's ticket; the camera permission is the
    context's (no --use-fake-ui-for-media-stream), as the browser's site settings would have it."""
    clip = write_qr_y4m(person["ticket_code"], folder / "ticket.y4m")
    browser = start_chromium(pw, ["--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={clip}"])
    try:
        context = new_context(browser, server, permissions=["camera"] if allowed else [])
        page = context.new_page()
        watch = watch_page(page)
        pair(page, server, "kiosk")
        expect(page.locator("#camera-status")).to_have_text(CAMERA_ON if allowed else REFUSED)
        yield page, context
        watch.assert_clean()
    finally:
        browser.close()


def test_a_camera_allowed_later_in_the_settings_starts_by_itself(server, pw, tmp_path):
    person = server.people()[4]
    with kiosk(server, pw, tmp_path, person, allowed=False) as (page, context):
        context.grant_permissions(["camera"])
        expect(page.locator("#camera-status")).to_have_text(CAMERA_ON)
        expect(page.locator("#result-title")).to_have_text(f"Welcome, {person['first_name']}!")


def test_a_camera_blocked_while_on_says_the_permission_was_refused(server, pw, tmp_path):
    with kiosk(server, pw, tmp_path, server.people()[5], allowed=True) as (page, context):
        context.clear_permissions()
        expect(page.locator("#camera-status")).to_have_text(REFUSED)
        expect(page.locator("#camera-toggle")).to_have_text("Camera off")
        expect(page.locator("#camera-video")).to_be_hidden()
