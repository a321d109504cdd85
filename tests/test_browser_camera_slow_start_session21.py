"""A webcam that is slow to start (seconds for a USB camera to wake, longer for a permission
prompt). Meanwhile the button already reads "Camera on"; a volunteer pressing it then started a
second camera stream, and "Camera off" stopped only one of them: the webcam stayed in use (its
light on) with a socket and a frame timer left behind. A press while it starts now switches it off."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
from playwright.sync_api import Page, expect

from browser import blank_card, camera_page, pair, pw  # noqa: F401

# getUserMedia answering 1.5 s late, each stream it gave kept in window.cameraStreams to look at.
SLOW_CAMERA = """(() => {
  const devices = navigator.mediaDevices, real = devices.getUserMedia.bind(devices);
  window.cameraStreams = [];
  devices.getUserMedia = (constraints) => new Promise((resolve, reject) => setTimeout(
    () => real(constraints).then((stream) => { window.cameraStreams.push(stream); resolve(stream); }, reject), 1500));
})();"""
LIVE_TRACKS = "() => window.cameraStreams.flatMap((s) => s.getTracks()).filter((t) => t.readyState === 'live').length"


@pytest.fixture
def kiosk(server: Any, pw: Any, tmp_path: Any) -> Iterator[Page]:
    """The kiosk page on a laptop whose camera (showing a blank card) takes 1.5 s to start."""
    with camera_page(pw, server, blank_card(tmp_path), SLOW_CAMERA) as (page, watch):
        pair(page, server, "kiosk")
        yield page
        watch.assert_clean()


def streams_obtained(page: Page, count: int) -> None:
    page.wait_for_function("(count) => window.cameraStreams.length >= count", arg=count)


def test_a_press_while_the_camera_starts_switches_it_off(kiosk):
    toggle = kiosk.locator("#camera-toggle")
    expect(kiosk.locator("#camera-status")).to_have_text("Starting the camera…")  # it starts by itself
    toggle.click()
    expect(toggle).to_have_text("Camera off")
    streams_obtained(kiosk, 1)
    kiosk.wait_for_function(f"() => ({LIVE_TRACKS})() === 0")  # the late stream is stopped, not left running
    expect(toggle).to_have_text("Camera off")
    expect(kiosk.locator("#camera-video")).to_be_hidden()
    assert kiosk.evaluate("localStorage.getItem('kiosk.camera')") == "off"


def test_camera_off_after_presses_during_a_slow_start_leaves_no_camera_running(kiosk):
    toggle = kiosk.locator("#camera-toggle")
    expect(kiosk.locator("#camera-status")).to_have_text("Starting the camera…")
    toggle.click()  # off
    toggle.click()  # on again, before the first start has answered
    expect(kiosk.locator("#camera-status")).to_have_text("Camera on: hold your QR code up to it.")
    streams_obtained(kiosk, 2)
    assert kiosk.evaluate(LIVE_TRACKS) == 1
    toggle.click()
    expect(toggle).to_have_text("Camera off")
    kiosk.wait_for_function(f"() => ({LIVE_TRACKS})() === 0")
