"""A kiosk scanning with its camera loses the Wi-Fi. The server reads the camera's frames, so
without the network the camera reads nothing; the page went on saying "Camera on: hold your QR
code up to it." and people held their codes up to it for nothing. It now says the camera cannot
read tickets and what to do instead, and "Camera on" again once the network is back."""

from __future__ import annotations

from playwright.sync_api import expect

from browser import blank_card, camera_page, pair, pw  # noqa: F401

CAMERA_ON = "Camera on: hold your QR code up to it."


def test_the_camera_says_it_cannot_read_tickets_while_the_network_is_down(server, pw, tmp_path):
    with camera_page(pw, server, blank_card(tmp_path)) as (page, watch):
        context = page.context
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
