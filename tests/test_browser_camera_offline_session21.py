"""A kiosk scanning with its camera loses the Wi-Fi. The server reads the camera's frames, so
without the network the camera reads nothing; the page went on saying "Camera on: hold your QR
code up to it." and people held their codes up to it for nothing. It now says the camera cannot
read tickets and what to do instead, and "Camera on" again once the network is back."""

from __future__ import annotations

from playwright.sync_api import expect

from browser import camera_args, new_context, pair, pw, start_chromium, watch_page, write_qr_y4m  # noqa: F401

CAMERA_ON = "Camera on: hold your QR code up to it."


def test_the_camera_says_it_cannot_read_tickets_while_the_network_is_down(server, pw, tmp_path):
    blank = write_qr_y4m("K1-NOTHING", tmp_path / "blank.y4m", qr_px=8)
    browser = start_chromium(pw, camera_args(blank))
    try:
        context = new_context(browser, server)
        page = context.new_page()
        watch = watch_page(page)
        pair(page, server, "kiosk")
        status, toggle = page.locator("#camera-status"), page.locator("#camera-toggle")
        expect(status).to_have_text(CAMERA_ON)
        context.set_offline(True)
        expect(status).to_have_text("No network: the camera cannot read codes.", timeout=20_000)
        expect(toggle).to_have_text("Camera on")  # still on: pressing it switches it off
        expect(toggle).to_have_attribute("aria-pressed", "true")
        context.set_offline(False)
        expect(status).to_have_text(CAMERA_ON, timeout=20_000)
        toggle.click()
        expect(toggle).to_have_text("Camera off")
        expect(status).to_have_text("")
        watch.assert_clean()
    finally:
        browser.close()
