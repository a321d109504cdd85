"""The kiosk's USB webcam is unplugged mid-evening (a cable kicked at the door), then plugged in
again. The page used to go on saying "Camera on: hold your QR code up to it" while nothing was
scanned any more, and stayed dead after the camera was back until someone pressed the button or
reloaded. Now it says the camera was disconnected and starts it again once a camera is back.

Chromium's fake camera cannot be unplugged: the test ends its track and sends the events the
browser sends then ("ended" on the track, "devicechange" when a camera comes back)."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
from playwright.sync_api import Page, expect

from browser import blank_card, camera_page, pair, poll, pw  # noqa: F401

# Each stream getUserMedia gave, kept in window.cameraStreams to look at.
KEEP_STREAMS = """(() => {
  const devices = navigator.mediaDevices, real = devices.getUserMedia.bind(devices);
  window.cameraStreams = [];
  devices.getUserMedia = (constraints) => real(constraints).then((stream) => { window.cameraStreams.push(stream); return stream; });
})();"""
UNPLUG = "() => { const track = window.cameraStreams.at(-1).getVideoTracks()[0]; track.stop(); track.dispatchEvent(new Event('ended')); }"
PLUG_IN = "() => navigator.mediaDevices.dispatchEvent(new Event('devicechange'))"
CAMERA_ON = "Camera on: hold your QR code up to it."


@pytest.fixture
def kiosk(server: Any, pw: Any, tmp_path: Any) -> Iterator[tuple[Page, list[int]]]:
    """The kiosk page with its camera on (a blank card in view), and the server's answers to its
    frames counted (it answers every frame)."""
    with camera_page(pw, server, blank_card(tmp_path), KEEP_STREAMS) as (page, watch):
        answers: list[int] = []
        page.on("websocket", lambda ws: ws.on("framereceived", lambda _: answers.append(1)) if "/ws/camera" in ws.url else None)
        pair(page, server, "kiosk")
        expect(page.locator("#camera-status")).to_have_text(CAMERA_ON)
        yield page, answers
        watch.assert_clean()


def test_an_unplugged_camera_says_so_and_comes_back_when_plugged_in(kiosk):
    page, answers = kiosk
    page.evaluate(UNPLUG)
    expect(page.locator("#camera-status")).to_have_text("Camera unplugged: plug it in again.")
    expect(page.locator("#camera-toggle")).to_have_text("Camera off")
    expect(page.locator("#camera-video")).to_be_hidden()
    page.evaluate(PLUG_IN)
    expect(page.locator("#camera-status")).to_have_text(CAMERA_ON)
    assert page.evaluate("window.cameraStreams.length") == 2
    before = len(answers)
    poll(page, lambda: len(answers) > before + 2, "frames from the camera plugged in again")


def test_a_camera_switched_off_by_a_volunteer_is_not_started_by_a_device_change(kiosk):
    page, _ = kiosk
    page.locator("#camera-toggle").click()
    expect(page.locator("#camera-toggle")).to_have_text("Camera off")
    page.evaluate(PLUG_IN)
    page.evaluate(UNPLUG)  # the old stream: nothing left to say about it
    expect(page.locator("#camera-status")).to_have_text("")
    assert page.evaluate("window.cameraStreams.length") == 1
