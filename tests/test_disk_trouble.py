"""A database the server cannot write (an I/O error, a file made read-only or immutable under it)
answers a scan 503 with Retry-After, which the kiosk page keeps and sends again, and nothing changes.

Found by a crash-testing review (session 14): such scans were answered 500 "disk I/O error", which
the kiosk page gives up on after six. SQLite's own refusal is made here with `PRAGMA query_only`
on the server's writer: the same SQLITE_READONLY a read-only file gives."""

from __future__ import annotations

import sqlite3

import pytest

from kiosk.db import is_busy, is_disk_trouble


def _writer(server) -> sqlite3.Connection:
    return server.state.store._writer  # noqa: SLF001 - the one connection the server writes with


@pytest.mark.parametrize("role", ["kiosk", "volunteer"])
def test_a_scan_the_disk_cannot_take_is_a_503_and_goes_through_when_it_can(server, role):
    person = server.people()[8]
    _writer(server).execute("PRAGMA query_only = 1")
    try:
        refused = server.scan(person["ticket_code"], nonce="disk-1", role=role)
    finally:
        _writer(server).execute("PRAGMA query_only = 0")
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "2", refused.text
    assert refused.json()["result"] == "busy" and "cannot write its database" in refused.json()["message"]
    with server.state.store.read() as db:
        assert db.execute("SELECT count(*) FROM scans").fetchone()[0] == 0
        assert db.execute("SELECT checked_in_at FROM attendees WHERE id = ?", [person["id"]]).fetchone()[0] is None
    again = server.scan(person["ticket_code"], nonce="disk-1", role=role)
    assert again.status_code == 201 and again.json()["headcount"]["checked_in"] == 1


def test_disk_errors_are_told_apart_from_programming_errors(tmp_path):
    conn = sqlite3.connect(tmp_path / "x.db")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("PRAGMA query_only = 1")
    with pytest.raises(sqlite3.OperationalError) as readonly:
        conn.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(sqlite3.OperationalError) as typo:
        conn.execute("SELECT nope FROM t")
    assert is_busy(readonly.value) and is_disk_trouble(readonly.value)
    assert not is_busy(typo.value) and not is_disk_trouble(typo.value)
