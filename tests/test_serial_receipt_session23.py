"""A serial printer's badge counts as printed only once the printer has answered after it.

Found by a printer-failure review (session 23): a serial write returns once the bytes are in the
port's buffers. A printer switched off in the middle of a badge (or before it) on a line without
flow control takes nothing, yet the badge was recorded printed the moment the write returned, and
nobody printed it again. A printer that answers status (DLE EOT) is now asked after the badge, as
a network printer is: silence fails the badge, the console says the printer has stopped answering,
and the badge prints, once, when the printer is back.

A real `kiosk serve` prints to a pseudo-terminal; the emulated printer at its far end is
tests/fake_printer.py's (``FakeSerialPrinter``).
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest
import requests

from conftest import wait_until

try:
    from tests.escpos_decode import decode, qr_texts
    from tests.fake_printer import FakeSerialPrinter
except ModuleNotFoundError:
    from escpos_decode import decode, qr_texts
    from fake_printer import FakeSerialPrinter

pytestmark = pytest.mark.timeout(120)
pytest.importorskip("serial")


def _rows(proc, sql: str, *args) -> list[sqlite3.Row]:
    """Rows from the server's database, read-only."""
    path = (Path(proc.config_path).parent / "data" / "kiosk.db").resolve()
    with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=10)) as db:
        db.row_factory = sqlite3.Row
        return db.execute(sql, args).fetchall()


def _check_in(proc, tokens) -> tuple[int, str]:
    """Scan someone in at the door, once the printer is up; their attendee id and ticket code."""
    wait_until(lambda: _printer(proc, tokens)["online"], timeout=30, what="the printer up")
    person = _rows(proc, "SELECT id, ticket_code FROM attendees WHERE attending = 1 ORDER BY id LIMIT 1 OFFSET 4")[0]
    answer = requests.post(proc.url + "/api/checkins", json={"code": person["ticket_code"], "station": "door-1"},
                           headers={"Authorization": f"Bearer {tokens['kiosk']}"}, timeout=10)
    assert answer.status_code == 201, answer.text
    return person["id"], person["ticket_code"]


def _badge(proc, attendee_id: int) -> sqlite3.Row:
    return _rows(proc, "SELECT status, last_error FROM print_jobs WHERE attendee_id = ?", attendee_id)[0]


def _printer(proc, tokens) -> dict:
    answer = requests.get(proc.url + "/api/printers", headers={"Authorization": f"Bearer {tokens['volunteer']}"},
                          timeout=10)
    return answer.json()["printers"][0]


def _whole(job: bytes) -> bool:
    """Whether a job reached the printer whole, up to its cut (one cut short ends inside an image)."""
    try:
        return decode(job).cuts > 0
    except (ValueError, IndexError):
        return False


def _whole_badges(fake: FakeSerialPrinter) -> list[list[str]]:
    """The QR codes of every badge that reached the printer whole."""
    return [qr_texts(job) for job in fake.jobs if _whole(job)]


def test_a_badge_cut_short_by_a_printer_switched_off_prints_again_once_it_is_back(kiosk_process):
    with FakeSerialPrinter(drop_after=2000) as fake:  # switched off 2 KB into the badge
        proc, tokens = kiosk_process(printer=fake.config())
        attendee, code = _check_in(proc, tokens)

        shown = wait_until(lambda: (p := _printer(proc, tokens))["last_error"] and p, timeout=30,
                           what="the failed badge on the console")
        assert "did not answer after the badge" in shown["last_error"], shown
        assert _badge(proc, attendee)["status"] == "queued"  # not recorded printed: it never came out
        wait_until(lambda: "has stopped answering" in (_printer(proc, tokens)["detail"] or ""), timeout=15,
                   what="the console saying the printer has stopped answering")
        assert not _printer(proc, tokens)["online"]
        assert _whole_badges(fake) == []

        fake.switch_on()
        wait_until(lambda: _badge(proc, attendee)["status"] == "printed", timeout=40, what="the badge printed")
        assert _whole_badges(fake) == [[code]]  # the whole badge, once
        assert _printer(proc, tokens)["online"]


def test_a_printer_switched_off_before_a_badge_keeps_it_until_it_is_back(kiosk_process):
    with FakeSerialPrinter() as fake:
        proc, tokens = kiosk_process(printer=fake.config())
        wait_until(lambda: _printer(proc, tokens)["online"], timeout=30, what="the printer's first answer")
        fake.switch_off()
        attendee, code = _check_in(proc, tokens)

        wait_until(lambda: "has stopped answering" in (_printer(proc, tokens)["last_error"] or ""), timeout=30,
                   what="the console saying the printer has stopped answering")
        assert _badge(proc, attendee)["status"] == "queued"

        fake.switch_on()
        wait_until(lambda: _badge(proc, attendee)["status"] == "printed", timeout=40, what="the badge printed")
        assert _whole_badges(fake) == [[code]]


def test_a_serial_printer_that_never_answers_status_still_prints(kiosk_process):
    """No answer to wait for: the write is all the evidence such a printer gives."""
    with FakeSerialPrinter(mode="silent") as fake:
        proc, tokens = kiosk_process(printer=fake.config())
        attendee, code = _check_in(proc, tokens)
        wait_until(lambda: _badge(proc, attendee)["status"] == "printed", timeout=30, what="the badge printed")
        wait_until(lambda: _whole_badges(fake) == [[code]], timeout=10, what="the badge at the printer")
        assert _badge(proc, attendee)["last_error"] is None  # printed at the first try
