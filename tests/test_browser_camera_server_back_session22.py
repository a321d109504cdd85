"""The server is restarted mid-evening (or its laptop drops off the Wi-Fi) for half a minute while the
kiosk's camera is on. Once it was back, scans were answered at once, but the camera's socket waited
out its back-off: "No network: the camera cannot read codes." stayed up to 15 s more (measured 14 s),
while the queue held their QR codes up to it. An answer from the server now has it try again at once.

The page's clock is Playwright's, stopped: the back-off's timer never fires by itself here, so the
camera comes back only if the answer brings it back.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from browser import blank_card, camera_page, pair, pw, scanner_type  # noqa: F401  (fixtures)
from test_browser_flaky_network import Remote

CAMERA_ON = "Camera on: hold your QR code up to it."
NO_NETWORK = "No network: the camera cannot read codes."


def test_the_camera_is_back_as_soon_as_the_server_answers(kiosk_process: Any, pw: Any, tmp_path: Any) -> None:
    proc, tokens = kiosk_process()
    remote = Remote(proc, tokens)
    person = remote.people()[3]
    with camera_page(pw, remote, blank_card(tmp_path)) as (page, watch):
        page.clock.install()
        pair(page, remote, "kiosk")
        status = page.locator("#camera-status")
        expect(status).to_have_text(CAMERA_ON)
        page.clock.pause_at(page.evaluate("Date.now()") + 1000)
        proc.kill()
        expect(status).to_have_text(NO_NETWORK)
        proc.start()
        scanner_type(page, person["ticket_code"])
        expect(page.locator("#result-title")).to_have_text(f"Welcome, {person['first_name']}!")
        expect(status).to_have_text(CAMERA_ON)
        watch.assert_clean()
