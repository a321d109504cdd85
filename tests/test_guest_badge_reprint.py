"""A guest tears or loses their badge: the volunteer reprints a guest's badge, not the host's.

Before, the only reprint was the host's own badge (their name and their ticket's QR), so a guest
whose badge tore was handed a copy of their host's. Each test runs a real server on 127.0.0.1; what
the fake port-9100 printer received is decoded back (raster to pixels, QR read with zxing-cpp).
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from browser import chromium, pw  # noqa: F401  (fixtures)
from conftest import wait_until
from escpos_decode import decode, qr_texts
from fake_printer import FakePrinter
from test_browser_volunteer import console, search
from test_guests_session11 import _host_in_with_badges, meetup
from test_imports import upload_text

from kiosk.db import Store
from printers import queue as print_queue


def reasons(server) -> list[str]:
    with server.state.store.read() as db:
        return [row[0] for row in db.execute("SELECT reason FROM print_jobs ORDER BY id")]


def statuses(server) -> set[str]:
    with server.state.store.read() as db:
        return {row[0] for row in db.execute("SELECT status FROM print_jobs")}


def people(server) -> dict[str, dict]:
    return {person["name"]: person for person in server.people()}


def reprint(server, person: dict, **body):
    return server.post(f"/api/attendees/{person['id']}/badge", role="volunteer", json=body)


def test_a_guest_badge_reprints_as_a_guest_badge_and_adds_no_guest(make_server, tmp_path: Path) -> None:
    """Ada came with two guests; one tears her badge. The reprint is "Guest" with no QR (no ticket),
    and the party's count of guest badges is unchanged: a third guest later still gets one."""
    with FakePrinter() as fake:
        server = make_server(seed=False, printer=fake.config("TM-T20II"))
        upload_text(server, tmp_path, "m.xls", meetup(("Ada Lovelace", "Yes", 2)))
        ada = server.people()[0]
        assert server.scan(ada["ticket_code"]).status_code == 201
        fake.wait_for_jobs(3)

        answer = reprint(server, ada, guest=True)
        assert answer.status_code == 202 and answer.json()["result"] == "queued", answer.text
        job = fake.wait_for_jobs(4)[3]
        assert decode(job).images and qr_texts(job) == []  # a guest's badge: drawn, and no ticket on it
        assert reprint(server, ada).status_code == 202  # her own, as before: her ticket's QR
        assert qr_texts(fake.wait_for_jobs(5)[4]) == [ada["ticket_code"]]

        third = server.post(f"/api/attendees/{ada['id']}/checkin", role="volunteer", json={"guests": 3, "correction": True})
        assert third.status_code == 200, third.text
        fake.wait_for_jobs(6)
        time.sleep(0.8)
        assert len(fake.jobs) == 6  # exactly one badge for the third guest
    assert reasons(server) == ["check-in", "guest", "guest", "guest-reprint", "reprint", "guest"]


def test_a_guest_badge_is_refused_for_nobody_to_give_it_to(make_server, tmp_path: Path) -> None:
    server = make_server(seed=False, printer='backend = "none"')
    upload_text(server, tmp_path, "m.xls", meetup(("Ada Lovelace", "Yes", 2), ("Bob Byte", "Yes", 0)))
    found = people(server)
    ada, bob = found["Ada Lovelace"], found["Bob Byte"]

    early = reprint(server, ada, guest=True)  # not in yet: her guests' badges come with her check-in
    assert early.status_code == 409 and early.json()["result"] == "not_checked_in", early.text
    assert server.scan(bob["ticket_code"]).status_code == 201
    alone = reprint(server, bob, guest=True)
    assert alone.status_code == 409 and alone.json()["result"] == "no_guests"
    assert alone.json()["message"] == "Bob Byte came without guests."
    for wrong in ("yes", 1, None, []):
        refused = reprint(server, bob, guest=wrong)
        assert refused.status_code == 422 and refused.json()["result"] == "invalid", wrong
    assert reprint(server, {"id": 999_999}, guest=True).status_code == 404
    assert reasons(server) == ["check-in"]  # nothing was queued by any of them


def test_a_guest_badge_pressed_again_while_one_waits_queues_no_second(make_server, tmp_path: Path) -> None:
    """As for the host's own badge: a lost answer's retry (same request_id) and a double press while
    a guest's badge still waits for the printer add nothing; once it printed, a press is a new badge."""
    with FakePrinter(mode="refusing") as fake:
        server = make_server(seed=False, printer=fake.config())
        upload_text(server, tmp_path, "m.xls", meetup(("Ada Lovelace", "Yes", 1)))
        ada = server.people()[0]
        assert server.scan(ada["ticket_code"]).status_code == 201  # her badge and her guest's wait
        presses = [reprint(server, ada, guest=True, request_id="press-1"), reprint(server, ada, guest=True)]
        assert [p.status_code for p in presses] == [200, 200]
        assert presses[0].json()["job_id"] == presses[1].json()["job_id"]
        assert reasons(server) == ["check-in", "guest"]

        fake.resume()
        fake.wait_for_jobs(2)
        first = reprint(server, ada, guest=True, request_id="press-2")
        again = reprint(server, ada, guest=True, request_id="press-2")
        assert (first.status_code, again.status_code) == (202, 200)
        assert again.json() == {**first.json(), "repeated": True}
        fake.wait_for_jobs(3)
        time.sleep(0.5)
        assert len(fake.jobs) == 3
    assert reasons(server) == ["check-in", "guest", "guest-reprint"]


def _qr_in_png(data: bytes) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(data)).convert("L"))]


def test_the_badge_preview_shows_a_guests_badge_too(empty_server, tmp_path: Path) -> None:
    upload_text(empty_server, tmp_path, "m.xls", meetup(("Ada Lovelace", "Yes", 2)))
    ada = empty_server.people()[0]
    own = empty_server.get(f"/api/attendees/{ada['id']}/badge.png", role="volunteer")
    guest = empty_server.get(f"/api/attendees/{ada['id']}/badge.png?guest=1", role="volunteer")
    assert own.status_code == guest.status_code == 200 and guest.headers["Content-Type"] == "image/png"
    assert _qr_in_png(own.content) == [ada["ticket_code"]]
    assert _qr_in_png(guest.content) == []
    assert empty_server.get(f"/api/attendees/{ada['id']}/badge.png?guest=yes", role="volunteer").status_code == 422


def test_a_volunteer_reprints_a_guests_badge_from_the_card(empty_server, chromium, tmp_path: Path) -> None:
    upload_text(empty_server, tmp_path, "meetup.xls", meetup(("Ada Lovelace", "Yes", 2), ("Bob Byte", "Yes", 0)))
    found = people(empty_server)
    for name in found:
        assert empty_server.scan(found[name]["ticket_code"]).status_code == 201
    wait_until(lambda: statuses(empty_server) == {"printed"}, timeout=15)  # else a press answers with a waiting badge
    context, page, watch = console(chromium, empty_server)
    bob = search(page, "bob").first
    expect(bob.get_by_role("button", name="Reprint")).to_be_visible()
    expect(bob.get_by_role("button", name="Guest badge")).to_have_count(0)  # he came alone

    ada = search(page, "ada").first
    ada.get_by_role("button", name="Guest badge").click()
    expect(ada.locator(".person-msg")).to_have_text("A guest badge was sent to the printer.")
    assert reasons(empty_server)[-1] == "guest-reprint"
    assert reasons(empty_server).count("guest-reprint") == 1
    watch.assert_clean()
    context.close()


def _reprinted_guest_badge(tmp_path: Path) -> tuple[Store, int, int]:
    """A bare store: Ada in with one guest, whose badge tore and is being printed again (status printing)."""
    store, ada = _host_in_with_badges(tmp_path, 1)
    with store.write() as db:
        db.execute("UPDATE print_jobs SET status = 'printed'")
        job = print_queue.enqueue(db, 1, ada, "door-1", print_queue.GUEST_REPRINT)
        db.execute("UPDATE print_jobs SET status = 'printing' WHERE id = ?", [job])
    return store, ada, job


def _status(db, job: int) -> str:
    return db.execute("SELECT status FROM print_jobs WHERE id = ?", [job]).fetchone()[0]


def test_a_guests_reprint_back_from_a_jam_after_an_undo_is_not_printed(tmp_path: Path) -> None:
    """An undo cancels what waits; a guest's reprint being sent meanwhile came back from the jam (or a
    print process killed mid-badge) and printed for a party that is no longer in."""
    for comes_back in (lambda db, job: print_queue.requeue(db, job, "paper jam"), lambda db, job: print_queue.recover_interrupted(db)):
        store, ada, job = _reprinted_guest_badge(tmp_path / str(id(comes_back)))
        with store.write() as db:
            db.execute("UPDATE attendees SET checked_in_at = NULL WHERE id = ?", [ada])
            comes_back(db, job)
            assert _status(db, job) == "cancelled"
        store.close()


def test_a_guests_reprint_is_not_printed_once_nobody_came_with_the_host(tmp_path: Path) -> None:
    store, ada, job = _reprinted_guest_badge(tmp_path)
    with store.write() as db:
        waiting = print_queue.enqueue(db, 1, ada, "door-1", print_queue.GUEST_REPRINT)
        db.execute("UPDATE attendees SET guests = 0 WHERE id = ?", [ada])  # the party corrected to none...
        assert print_queue.cancel_guests(db, ada, 0, none_left=True) == 1  # ...cancels the reprint waiting
        print_queue.requeue(db, job, "paper jam")  # and the one being sent, when it comes back
        assert (_status(db, waiting), _status(db, job)) == ("cancelled", "cancelled")
    store.close()


def test_a_guests_reprint_back_from_a_jam_still_prints_for_a_party_still_in(tmp_path: Path) -> None:
    store, _ada, job = _reprinted_guest_badge(tmp_path)
    with store.write() as db:
        print_queue.requeue(db, job, "paper jam")
        assert _status(db, job) == "queued"
    store.close()
