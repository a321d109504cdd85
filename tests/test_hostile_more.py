"""More hostile input, against a real server on 127.0.0.1: each case is refused with a 4xx and
changes nothing, or is answered as the contract says; never a 500, a hang or a leak.

Each test here failed before the fix it names (the commit message says which).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
import requests

from conftest import PINS


def fingerprint(server: Any) -> str:
    """Everything a request could change: people, check-ins, scans, tokens, the audit trail."""
    with server.state.store.read() as db:
        rows = [tuple(r) for table in ("attendees", "scans", "tokens", "audit")
                for r in db.execute(f"SELECT * FROM {table} ORDER BY rowid")]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


@pytest.mark.parametrize("body", [{"role": ["kiosk"]}, {"role": {"kiosk": 1}}, {"role": "kiosk", "label": {"a": [1]}},
                                  {"role": "kiosk", "label": ["x"]}])
def test_a_token_request_with_a_role_or_label_that_is_not_text_is_refused(server, body):
    before = fingerprint(server)
    response = server.post("/api/tokens", "organizer", json=body)
    assert (response.status_code, response.json()["result"]) == (422, "invalid"), response.text
    assert fingerprint(server) == before


def login_form(server: Any) -> tuple[requests.Session, str]:
    """A browser on the login page: its session and the form's CSRF token."""
    browser = requests.Session()
    page = browser.get(server.url + "/login", timeout=10).text
    return browser, re.search(r'name="csrf" value="([^"]+)"', page).group(1)


@pytest.mark.parametrize("next_url, location", [
    ("/\\evil.example", "/kiosk"),              # a browser goes to //evil.example
    ("/\\/evil.example/x", "/kiosk"),
    ("/\r\nSet-Cookie: planted=1", "/kiosk"),  # was a 500: no line break in a header
    ("/display\x00", "/kiosk"),
    ("/display", "/display"),                   # a local page is still where the login goes
])
def test_a_login_goes_only_to_a_local_page(server, next_url, location):
    browser, csrf = login_form(server)
    response = browser.post(server.url + "/login", data={"pin": PINS["kiosk"], "csrf": csrf, "next": next_url},
                            timeout=10, allow_redirects=False)
    assert (response.status_code, response.headers["Location"]) == (302, location)
    assert "planted" not in response.headers.get("Set-Cookie", "")
