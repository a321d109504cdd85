"""More hostile input, against a real server on 127.0.0.1: each case is refused with a 4xx and
changes nothing, or is answered as the contract says; never a 500, a hang or a leak.

Each test here failed before the fix it names (the commit message says which).
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest


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
