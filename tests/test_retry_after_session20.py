"""A 429 for code guessing says when the limit lifts (Retry-After), on both ways a scan is answered."""

from __future__ import annotations

import time

from test_access_control import pin_session


def _guess(srv, session, n: int, headers: dict[str, str] | None = None):
    """One unrecognised code from door-7 (the station the guessing is counted for)."""
    return session.post(srv.url + "/api/checkins", json={"code": f"GUESS-{n}", "station": "door-7"},
                        headers=headers or {}, timeout=10)


def test_a_bearer_scan_refused_for_guessing_says_the_real_seconds_left(make_server):
    """Answered by kiosk.fast_scan: the header is the time until the oldest counted guess leaves
    the window, and a guess sent once it has passed is looked at again."""
    srv = make_server(max_failed_scans=3, extra="failed_scan_window = 4")
    kiosk = srv.client("kiosk")
    first = time.monotonic()
    assert _guess(srv, kiosk, 0).status_code in (404, 422)
    time.sleep(1.5)
    assert {_guess(srv, kiosk, n).status_code for n in (1, 2)} <= {404, 422}
    blocked = _guess(srv, kiosk, 3)
    assert (blocked.status_code, blocked.json()["result"]) == (429, "too_many_attempts")
    wait = int(blocked.headers["Retry-After"])
    assert 1 <= wait <= 3  # the first guess leaves the 4 s window about 2.5 s from now, not 4
    time.sleep(max(first + 4.2 - time.monotonic(), wait))
    assert _guess(srv, kiosk, 4).status_code in (404, 422)


def test_a_browser_scan_refused_for_guessing_carries_retry_after_too(make_server):
    """A kiosk page signed in by PIN is answered by the Flask view: the same header."""
    srv = make_server(max_failed_scans=2, extra="failed_scan_window = 30")
    session, csrf = pin_session(srv, "kiosk")
    headers = {"X-CSRF-Token": csrf}
    assert {_guess(srv, session, n, headers).status_code for n in (0, 1)} <= {404, 422}
    blocked = _guess(srv, session, 2, headers)
    assert blocked.status_code == 429 and blocked.json()["result"] == "too_many_attempts"
    assert 25 <= int(blocked.headers["Retry-After"]) <= 30
    refused_other_way = srv.scan("GUESS-9", station="door-7")  # the same station by token: counted the same
    assert refused_other_way.status_code == 429 and 25 <= int(refused_other_way.headers["Retry-After"]) <= 30
