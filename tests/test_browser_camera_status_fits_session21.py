"""On a phone paired as the kiosk and standing on its side, the camera's status line sits in the
bar, in a narrow column. The lines that say the camera cannot read (no network, unplugged) were
twice as long as "Camera on…": the bar grew by a third and squeezed the code box to "K1-… o",
just when typing the code is the only way in. They are now as short as "Camera on…"."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from browser import camera_args, new_context, pair, pw, start_chromium, write_qr_y4m  # noqa: F401
from test_browser_camera_unplugged_session21 import KEEP_STREAMS, UNPLUG
from test_browser_kiosk_late_refusals_session20 import box
from test_browser_kiosk_landscape_session20 import LANDSCAPE_PHONES


@pytest.mark.parametrize("width,height", LANDSCAPE_PHONES)
def test_the_camera_saying_it_cannot_read_leaves_the_bar_and_the_code_box_as_they_were(server, pw, tmp_path,
                                                                                     width, height):
    blank = write_qr_y4m("K1-NOTHING", tmp_path / "blank.y4m", qr_px=8)
    browser = start_chromium(pw, camera_args(blank))
    try:
        context = new_context(browser, server, viewport={"width": width, "height": height}, has_touch=True)
        context.add_init_script(KEEP_STREAMS)
        page = context.new_page()
        pair(page, server, "kiosk")
        status = page.locator("#camera-status")
        expect(status).to_have_text("Camera on: hold your QR code up to it.")
        bar, code_box = box(page, ".kiosk-bar"), box(page, "#manual-code")
        context.set_offline(True)
        expect(status).to_contain_text("No network", timeout=20_000)
        assert box(page, ".kiosk-bar")["top"] >= bar["top"] - 0.5
        assert box(page, "#manual-code")["right"] - box(page, "#manual-code")["left"] >= code_box["right"] - code_box["left"] - 0.5
        context.set_offline(False)
        expect(status).to_have_text("Camera on: hold your QR code up to it.", timeout=20_000)
        page.evaluate(UNPLUG)
        expect(status).to_contain_text("unplugged")
        assert box(page, ".kiosk-bar")["top"] >= bar["top"] - 0.5
    finally:
        browser.close()
