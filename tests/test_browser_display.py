"""The public door display: live counts from another client's scans, a capacity bar, and no personal data."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import expect

from browser import chromium, new_context, pw, quick_heartbeat, watch_page  # noqa: F401

# event_slug: the evening counted (its date and name, as the display's heading), so a page follows a restart onto another
HEADCOUNT_KEYS = {"checked_in", "expected", "capacity", "walk_ins", "remaining", "event", "event_slug", "arrived_expected"}


def open_display(browser: Any, server: Any, **context_kwargs: Any):
    context = new_context(browser, server, **context_kwargs)  # no sign-in: the display is public
    page = context.new_page()
    return context, page, watch_page(page)


def test_count_follows_other_clients_and_nothing_personal_reaches_the_page(server, chromium):
    context, page, watch = open_display(chromium, server)
    frames: list[str] = []
    urls: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(
        payload if isinstance(payload, str) else payload.decode("utf-8", "replace"))))
    page.on("request", lambda request: urls.append(request.url))
    page.goto("/display")
    expect(page.locator("#checked-in")).to_have_text("0")
    expect(page.locator("#expected")).to_have_text("237")
    expect(page.locator("#connection")).to_have_text("Live")

    everyone = server.people(attending=True) + server.people(attending=False)
    for n, person in enumerate(everyone[:3], start=1):
        assert server.scan(person["ticket_code"]).status_code == 201  # a kiosk with its bearer token
        expect(page.locator("#checked-in")).to_have_text(str(n))
    walk_in = server.post("/api/attendees", "volunteer", json={"name": "Wanda Walkin", "email": "wanda@example.org", "check_in": True})
    assert walk_in.status_code == 201
    expect(page.locator("#checked-in")).to_have_text("4")
    expect(page.locator("#walk-ins")).to_have_text("1")

    # Every frame is a bare headcount; no name, email or ticket code anywhere the page saw.
    assert len(frames) >= 5
    for frame in frames:
        assert set(json.loads(frame)) <= HEADCOUNT_KEYS, frame
    seen = page.content() + "\n".join(frames)
    for person in everyone + [{"name": "Wanda Walkin", "email": "wanda@example.org", "ticket_code": "", "first_name": "Wanda"}]:
        for value in (person["name"], person["email"], person["ticket_code"]):
            assert not value or value not in seen, f"personal data on the public display: {value!r}"
    assert "Wanda" not in seen
    paths = {urlsplit(u).path for u in urls}
    assert all(p in ("/display", "/ws/headcount") or p.startswith("/static/") for p in paths), paths
    watch.assert_clean()
    context.close()


def test_capacity_bar_turns_amber_then_red(make_server, chromium):
    srv = make_server(capacity=10)
    people = srv.people()
    context, page, watch = open_display(chromium, srv)
    page.goto("/display")
    door = page.locator("#door")
    expect(page.locator("#checked-in")).to_have_text("0")
    expect(door).to_have_attribute("data-level", "ok")
    for person in people[:8]:
        srv.scan(person["ticket_code"])
    expect(page.locator("#checked-in")).to_have_text("8")
    expect(door).to_have_attribute("data-level", "ok")           # 80%
    expect(page.locator("#remaining")).to_have_text("2")
    ok_colour = page.locator("#bar-fill").evaluate("el => getComputedStyle(el).backgroundColor")
    srv.scan(people[8]["ticket_code"])
    expect(door).to_have_attribute("data-level", "near")         # 90%: amber
    srv.scan(people[9]["ticket_code"])
    expect(door).to_have_attribute("data-level", "full")         # 100%: red
    expect(page.locator("#capacity-text")).to_have_text("Full: 10 of 10 places")
    # the colour eases over 400 ms (CSS transition): wait until it has left the "ok" green
    expect(page.locator("#bar-fill")).not_to_have_css("background-color", ok_colour)
    assert srv.scan(people[10]["ticket_code"]).json()["result"] == "capacity_reached"
    expect(page.locator("#checked-in")).to_have_text("10")
    watch.assert_clean()
    context.close()


def test_display_reconnects_after_the_socket_drops(server, chromium):
    context, page, watch = open_display(chromium, server)
    sockets: list[Any] = []

    def relay(ws: Any) -> None:  # pass frames through to the real server, but keep a handle to cut it
        ws.connect_to_server()
        sockets.append(ws)

    page.route_web_socket(re.compile(r"/ws/headcount$"), relay)
    page.goto("/display")
    expect(page.locator("#connection")).to_have_text("Live")
    sockets[0].close(code=1011, reason="venue wifi")
    expect(page.locator("#connection")).to_have_text("Reconnecting…")
    server.scan(server.people()[0]["ticket_code"])  # happens while the display is cut off
    expect(page.locator("#checked-in")).to_have_text("1", timeout=10_000)
    expect(page.locator("#connection")).to_have_text("Live")
    assert len(sockets) >= 2
    watch.assert_clean()
    context.close()


def test_a_display_whose_wifi_dropped_says_so_and_catches_up(server, chromium):
    """Offline, the socket does not close: nothing arrives on it any more. The screen at the door
    must not keep saying "Live" over a frozen count; back online, it shows the count it missed."""
    quick_heartbeat(server)
    context, page, watch = open_display(chromium, server)
    page.goto("/display")
    expect(page.locator("#connection")).to_have_text("Live")
    context.set_offline(True)
    expect(page.locator("#connection")).to_have_text("Reconnecting…", timeout=10_000)
    for person in server.people()[:3]:
        assert server.scan(person["ticket_code"]).status_code == 201
    context.set_offline(False)
    expect(page.locator("#connection")).to_have_text("Live", timeout=20_000)
    expect(page.locator("#checked-in")).to_have_text("3")
    watch.assert_clean()
    context.close()


def test_display_fits_a_phone(server, chromium):
    context, page, watch = open_display(chromium, server, viewport={"width": 360, "height": 740})
    page.goto("/display")
    expect(page.locator("#checked-in")).to_have_text("0")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    watch.assert_clean()
    context.close()
