"""The print queue at the door: one badge per arrival, reprints, undo, several printers, live state.

Every test runs the real server on 127.0.0.1 and a fake port-9100 printer as a TCP
server; what the printer received is decoded back (raster to pixels, native QR
to its text) and the QR read with zxing-cpp, as a volunteer's scanner would.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from websockets.sync.client import connect

from conftest import ROOT, Server, start_in_process, write_config, wait_until

try:
    from tests.escpos_decode import decode, qr_texts
    from tests.fake_printer import FakePrinter
except ModuleNotFoundError:
    from escpos_decode import decode, qr_texts
    from fake_printer import FakePrinter

from printers.service import backoff

pytestmark = pytest.mark.timeout(20)


def printers(srv: Server) -> dict[str, dict[str, Any]]:
    """GET /api/printers as a volunteer, by printer name."""
    answer = srv.get("/api/printers", "volunteer")
    assert answer.status_code == 200
    return {p["name"]: p for p in answer.json()["printers"]}


def codes(jobs: list[bytes]) -> list[str]:
    """The one QR text of each printed job."""
    found = [qr_texts(job) for job in jobs]
    assert all(len(texts) == 1 for texts in found), found
    return [texts[0] for texts in found]


def job_rows(srv: Server) -> list[dict[str, Any]]:
    """Every print job of the evening, oldest first."""
    with srv.state.store.read() as db:
        return [dict(r) for r in db.execute("SELECT * FROM print_jobs ORDER BY id")]


@pytest.fixture
def two_printers(tmp_path: Path) -> Iterator[tuple[Server, FakePrinter, FakePrinter]]:
    """A server with printer A tied to station door-1 and printer B tied to nothing."""
    with FakePrinter() as a, FakePrinter() as b:
        path = write_config(tmp_path / "two", printer='backend = "none"')
        tables = f'[printers.A]\n{a.config(stations=("door-1",))}\n\n[printers.B]\n{b.config()}\n'
        path.write_text(path.read_text().replace('[printer]\nbackend = "none"\n', tables))
        srv = start_in_process(path)
        srv.seed_demo()
        try:
            yield srv, a, b
        finally:
            srv.stop()


@pytest.mark.parametrize("profile, native_qr", [("TM-T20II", True), ("POS-5890", False)])
def test_a_check_in_prints_one_badge_whose_qr_checks_the_same_person_in(make_server, profile, native_qr):
    with FakePrinter() as fake:
        srv = make_server(printer=fake.config(profile))
        person = srv.people()[10]
        assert srv.scan(person["ticket_code"]).status_code == 201

        job = fake.wait_for_jobs(1)[0]
        decoded = decode(job)
        assert decoded.images, "the badge is drawn as raster images"
        assert bool(decoded.native_qr) is native_qr  # 58 mm POS-5890: the QR is in the pixels
        [text] = qr_texts(job)
        again = srv.scan(text, station="door-2")
        assert again.status_code == 200
        assert again.json()["result"] == "already_checked_in"
        assert again.json()["attendee"]["id"] == person["id"]

        time.sleep(0.5)  # a second badge would be out by now
        assert len(fake.jobs) == 1
        assert [(r["attendee_id"], r["status"], r["reason"]) for r in job_rows(srv)] == \
            [(person["id"], "printed", "check-in")]


def test_reprint_prints_exactly_one_more_badge(make_server):
    with FakePrinter() as fake:
        srv = make_server(printer=fake.config())
        person = srv.people()[20]
        srv.scan(person["ticket_code"])
        fake.wait_for_jobs(1)

        answer = srv.post(f"/api/attendees/{person['id']}/badge", "volunteer")
        assert answer.status_code == 202 and answer.json()["result"] == "queued"
        fake.wait_for_jobs(2)
        time.sleep(0.5)
        assert codes(fake.jobs) == [person["ticket_code"]] * 2
        assert [r["reason"] for r in job_rows(srv)] == ["check-in", "reprint"]


def test_reprints_pressed_while_the_badge_still_waits_for_the_printer_add_no_badge(make_server):
    """Pressed twice (or three times) while the printer was off, a reprint printed every press once
    it was back. While the person's badge still waits, a press answers with that badge's job, and so
    does that press sent again (its answer lost) after the badge printed."""
    with FakePrinter(mode="refusing") as fake:
        srv = make_server(printer=fake.config())
        person = srv.people()[21]
        assert srv.scan(person["ticket_code"]).status_code == 201
        presses = [srv.post(f"/api/attendees/{person['id']}/badge", "volunteer", json=body)
                   for body in ({}, {}, {"request_id": "press-3"})]
        assert [press.status_code for press in presses] == [200, 200, 200]
        assert len({press.json()["job_id"] for press in presses}) == 1 and presses[0].json()["repeated"] is True

        fake.resume()
        fake.wait_for_jobs(1)
        time.sleep(1.0)
        assert codes(fake.jobs) == [person["ticket_code"]]
        lost = srv.post(f"/api/attendees/{person['id']}/badge", "volunteer", json={"request_id": "press-3"})
        assert lost.status_code == 200 and lost.json()["job_id"] == presses[0].json()["job_id"], lost.text  # a lost answer's retry
        answer = srv.post(f"/api/attendees/{person['id']}/badge", "volunteer")  # printed: this one is another
        assert answer.status_code == 202
        fake.wait_for_jobs(2)
        assert [r["reason"] for r in job_rows(srv)] == ["check-in", "reprint"]


def test_a_reprint_at_a_working_printer_is_not_kept_waiting_for_another_stations_dead_one(two_printers):
    """door-1's printer A is off and the badge waits for it; the console's reprint can go to B."""
    srv, a, b = two_printers
    a.refuse()
    person = srv.people()[22]
    assert srv.scan(person["ticket_code"], station="door-1").status_code == 201
    answer = srv.post(f"/api/attendees/{person['id']}/badge", "volunteer")
    assert answer.status_code == 202 and "repeated" not in answer.json(), answer.text
    assert codes(b.wait_for_jobs(1)) == [person["ticket_code"]]
    again = srv.post(f"/api/attendees/{person['id']}/badge", "volunteer")
    assert again.status_code == 202  # B printed it: this press is another badge


def test_undo_before_printing_cancels_the_pending_badge(make_server):
    with FakePrinter(mode="refusing") as fake:
        srv = make_server(printer=fake.config())
        mistaken, real = srv.people()[30:32]
        srv.scan(mistaken["ticket_code"])
        srv.scan(real["ticket_code"])
        assert srv.delete(f"/api/checkins/{mistaken['id']}", "volunteer").json()["result"] == "undone"

        fake.resume()
        fake.wait_for_jobs(1)
        time.sleep(1.0)
        assert codes(fake.jobs) == [real["ticket_code"]]
        statuses = {r["attendee_id"]: r["status"] for r in job_rows(srv)}
        assert statuses == {mistaken["id"]: "cancelled", real["id"]: "printed"}


def test_tied_station_prints_on_its_printer_and_waits_for_it(two_printers):
    """door-1 is tied to A; door-2 is tied to nothing, so any free printer prints its badges."""
    srv, a, b = two_printers
    people = srv.people()
    code = lambda group: sorted(p["ticket_code"] for p in group)  # noqa: E731

    door1 = people[0:4]
    for person in door1:
        srv.scan(person["ticket_code"], station="door-1")
    a.wait_for_jobs(4)
    time.sleep(0.5)
    assert sorted(codes(a.jobs)) == code(door1) and b.jobs == []

    door2 = people[4:10]
    for person in door2:
        srv.scan(person["ticket_code"], station="door-2")
    wait_until(lambda: len(a.jobs) + len(b.jobs) == 10, what="the untied badges")
    assert sorted(codes(a.jobs[4:] + b.jobs)) == code(door2)

    a.refuse()  # A is switched off: door-1 waits for it, door-2 goes to B
    seen_a, seen_b = len(a.jobs), len(b.jobs)
    late1, late2 = people[10:13], people[13:16]
    for one, two in zip(late1, late2):
        srv.scan(one["ticket_code"], station="door-1")
        srv.scan(two["ticket_code"], station="door-2")
    wait_until(lambda: len(b.jobs) == seen_b + 3, what="door-2's badges on B")
    wait_until(lambda: printers(srv)["A"]["queue"]["queued"] == 3, what="door-1's badges waiting for A")
    state = printers(srv)
    assert state["A"]["online"] is False and "refused" in state["A"]["last_error"]
    assert state["A"]["stations"] == ["door-1"] and state["B"]["queue"]["queued"] == 0
    assert sorted(codes(b.jobs[seen_b:])) == code(late2)

    a.resume()
    wait_until(lambda: len(a.jobs) == seen_a + 3, what="door-1's badges on A once it is back")
    time.sleep(0.5)
    assert sorted(codes(a.jobs[seen_a:])) == code(late1)
    assert len(b.jobs) == seen_b + 3
    assert all(r["status"] == "printed" for r in job_rows(srv))


def test_live_feed_says_when_the_printer_goes_offline_and_back(make_server):
    with FakePrinter() as fake:
        srv = make_server(printer=fake.config())
        wait_until(lambda: printers(srv)["default"]["online"] is True, what="the first status check")
        url = f"{srv.ws_url}/ws/live?token={srv.tokens['volunteer']}"
        with connect(url, open_timeout=5) as ws:
            snapshot = json.loads(ws.recv(timeout=5))
            assert snapshot["type"] == "snapshot" and snapshot["printers"][0]["online"] is True

            fake.refuse()
            srv.scan(srv.people()[40]["ticket_code"])
            offline = recv_until(ws, lambda m: m["type"] == "printer" and m["online"] is False)
            assert "refused" in offline["last_error"] and offline["name"] == "default"

            fake.resume()
            online = recv_until(ws, lambda m: m["type"] == "printer" and m["online"] is True)
            assert online["last_error"] is None
        fake.wait_for_jobs(1)


def recv_until(ws: Any, predicate: Callable[[dict], bool], timeout: float = 8.0) -> dict:
    """Read /ws/live messages until one matches."""
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(ws.recv(timeout=max(deadline - time.monotonic(), 0.01)))
        if predicate(message):
            return message


def test_idle_printers_never_take_the_write_lock(two_printers):
    """An idle worker checks for work with a read; only a job to claim takes the writer."""
    srv, a, b = two_printers
    wait_until(lambda: all(p["online"] for p in printers(srv).values()), what="both printers online")
    store, writes = srv.state.store, []
    original = store.write

    def counting_write() -> Any:
        writes.append(threading.current_thread().name)
        return original()

    store.write = counting_write
    try:
        time.sleep(3.0)
        assert writes == []
        srv.scan(srv.people()[50]["ticket_code"], station="door-1")
        a.wait_for_jobs(1)
        assert any(name.startswith("printer-A") for name in writes)
    finally:
        store.write = original


def test_badge_of_a_deleted_or_forgotten_attendee_is_cancelled_and_the_queue_goes_on(make_server):
    with FakePrinter(mode="refusing") as fake:
        srv = make_server(printer=fake.config())
        gone, forgotten, kept = srv.people()[60:63]
        for person in (gone, forgotten, kept):
            srv.scan(person["ticket_code"])
        with srv.state.store.write() as db:
            db.execute("DELETE FROM attendees WHERE id = ?", [gone["id"]])
            db.execute("UPDATE attendees SET name = '', first_name = '', email = NULL WHERE id = ?", [forgotten["id"]])

        fake.resume()
        fake.wait_for_jobs(1)
        time.sleep(1.0)
        assert codes(fake.jobs) == [kept["ticket_code"]]
        rows = {r["attendee_id"]: r for r in job_rows(srv)}
        assert rows[kept["id"]]["status"] == "printed"
        assert rows[gone["id"]]["status"] == rows[forgotten["id"]]["status"] == "cancelled"
        assert "no longer exists" in rows[gone["id"]]["last_error"]
        assert "forgotten" in rows[forgotten["id"]]["last_error"]


@pytest.mark.parametrize("failures, seconds", [(1, 1), (2, 2), (3, 4), (5, 16), (6, 30), (40, 30)])
def test_back_off_doubles_up_to_half_a_minute(failures, seconds):
    assert backoff(failures) == seconds


USB_UNDER_GEVENT = """
from gevent import monkey; monkey.patch_all()
import gevent
from printers.backend_devices import UsbBackend
from printers.service import _off_hub
blocking_sleep = monkey.get_original("time", "sleep")  # stands in for a libusb write waiting for its timeout
usb = UsbBackend(0x04B8, 0x0E15)

def ticks_during(call):
    ticks = []
    ticker = gevent.spawn(lambda: [ticks.append(1) or gevent.sleep(0.02) for _ in range(1000)])
    gevent.sleep(0)
    call()
    ticker.kill()
    return len(ticks)

print(ticks_during(lambda: blocking_sleep(0.5)), ticks_during(lambda: _off_hub(usb, lambda: blocking_sleep(0.5))))
"""


def test_a_usb_call_that_blocks_in_c_does_not_freeze_the_gevent_server():
    """Under gunicorn's gevent worker, a USB write waiting on libusb must leave other greenlets running."""
    done = subprocess.run([sys.executable, "-c", USB_UNDER_GEVENT], capture_output=True, text=True, cwd=ROOT,
                          timeout=15)
    assert done.returncode == 0, done.stderr
    frozen, free = map(int, done.stdout.split())
    assert frozen <= 2 < 10 <= free


RENDER_UNDER_GEVENT = """
from gevent import monkey; monkey.patch_all()
import gevent
from printers.badge import BadgeInfo
from printers.escpos_job import build_job
from printers.offload import off_hub
info = BadgeInfo("Γιώργος Παπαδόπουλος", "Γιώργος", "Acme", "Meetup", "Thu 26 Nov 2026", "K1-ABCDEFGH-ABCDEFGHJKMNP", None, None)
build_job(info, "TM-T20II")  # fonts loaded

def longest_gap(call):
    import time
    stamps = []
    ticker = gevent.spawn(lambda: [stamps.append(time.perf_counter()) or gevent.sleep(0.001) for _ in range(100000)])
    gevent.sleep(0.01)
    call()
    gevent.sleep(0.01)
    ticker.kill()
    return max(b - a for a, b in zip(stamps, stamps[1:]))

in_place = longest_gap(lambda: [build_job(info, "TM-T20II") for _ in range(10)])
offloaded = longest_gap(lambda: [off_hub(lambda: build_job(info, "TM-T20II")) for _ in range(10)])
print(in_place, offloaded)
"""


def test_badge_rendering_does_not_stall_the_gevent_server():
    """Ten renders in place stall other greenlets for a whole render; offloaded, for a GIL slice at most."""
    done = subprocess.run([sys.executable, "-c", RENDER_UNDER_GEVENT], capture_output=True, text=True, cwd=ROOT,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    in_place, offloaded = map(float, done.stdout.split())
    assert in_place > 0.04, "ten renders in place should block the hub for their whole length"
    assert offloaded < min(in_place / 3, 0.025), f"a greenlet waited {offloaded * 1000:.1f} ms during offloaded renders"


def test_a_run_of_badges_takes_the_write_lock_about_once_per_badge(make_server):
    """Marking a badge printed also claims the next: a fast printer competes with the door half as
    often. Every badge still prints exactly once, in order, each claimed once."""
    with FakePrinter() as fake:
        srv = make_server(printer=fake.config())
        wait_until(lambda: printers(srv)["default"]["online"], what="printer online")
        store, writes = srv.state.store, []
        original = store.write

        def counting_write() -> Any:
            if threading.current_thread().name.startswith("printer-"):
                writes.append(1)
            return original()

        people = srv.people()[:12]
        store.write = counting_write
        try:
            with srv.state.store.serialised():  # queue all twelve before the worker can take one
                for person in people:
                    srv.state.door.scan(person["ticket_code"], "door-1", None, "test")
            fake.wait_for_jobs(12)
            wait_until(lambda: all(r["status"] == "printed" for r in job_rows(srv)), what="all marked printed")
        finally:
            store.write = original
        assert codes(fake.jobs) == [p["ticket_code"] for p in people]
        assert [r["attempts"] for r in job_rows(srv)] == [1] * 12
        assert len(writes) <= 12 + 3, writes  # one per badge, plus the first claim and a state change or two


def test_a_job_claimed_for_next_goes_back_when_the_worker_stops(make_server):
    from printers import queue as print_queue

    from conftest import free_port

    srv = make_server(printer=f'backend = "network"\nhost = "127.0.0.1"\nport = {free_port()}\ntimeout = 1')
    srv.scan(srv.people()[0]["ticket_code"])  # nothing listens on that port: the badge stays queued
    wait_until(lambda: printers(srv)["default"]["online"] is False and job_rows(srv)[-1]["status"] == "queued",
               what="printer down, badge queued")
    with srv.state.store.write() as db:
        job = print_queue.claim(db, srv.state.door.event.id, print_queue.Route("default"))
    assert job is not None and job["status"] == "printing"
    with srv.state.store.write() as db:
        print_queue.unclaim(db, job["id"])
    row = job_rows(srv)[-1]
    assert (row["status"], row["printer"], row["attempts"]) == ("queued", None, 0)


def test_a_printed_badge_is_recorded_even_when_an_import_holds_the_lock_past_the_wait(make_server, monkeypatch):
    """Given up, the job would stay "printing": not printed all evening, or printed twice at the next start."""
    import sqlite3

    from kiosk import db as kiosk_db
    from printers import queue as print_queue

    srv = make_server(printer='backend = "none"')
    pool = srv.state.print_pool
    with srv.state.store.write() as db:
        job_id = print_queue.enqueue(db, srv.state.door.event.id, srv.people()[0]["id"], station="door-1", reason="test")
    wait_until(lambda: job_rows(srv)[-1]["status"] == "printed", what="the badge printed")
    with srv.state.store.write() as db:
        db.execute("UPDATE print_jobs SET status = 'printing' WHERE id = ?", [job_id])
    monkeypatch.setattr(kiosk_db, "BUSY_TIMEOUT_MS", 100)
    other = sqlite3.connect(str(srv.state.settings.database), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # `kiosk import` writing a long list
    finished = threading.Event()
    worker = threading.Thread(target=lambda: (pool.done({"id": job_id}), finished.set()), daemon=True)
    worker.start()
    assert not finished.wait(0.8)  # several of the store's waits have run out meanwhile
    other.execute("COMMIT")
    assert finished.wait(5)
    assert job_rows(srv)[-1]["status"] == "printed"


def test_a_door_without_a_printer_draws_no_badge(make_server, monkeypatch):
    """backend "none": each check-in's badge job is done at once, and no badge is drawn for it
    (drawing one costs 10-20 ms of CPU on the laptop at the door, for a badge nobody sees)."""
    from printers import service

    drawn: list[int] = []
    real_render = service.PrinterPool.render
    monkeypatch.setattr(service.PrinterPool, "render",
                        lambda pool, job, *args: drawn.append(job["id"]) or real_render(pool, job, *args))
    srv = make_server(printer='backend = "none"')
    for person in srv.people()[:3]:
        assert srv.scan(person["ticket_code"]).status_code == 201
    wait_until(lambda: [r["status"] for r in job_rows(srv)] == ["printed"] * 3, what="three badge jobs done")
    assert drawn == []
