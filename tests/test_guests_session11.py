"""A Meetup RSVP with guests is a party: expected together, counted in together when the host's code
is scanned, and let in only when the whole party fits under the capacity.

Each test uploads a Meetup download (tab-separated, named .xls) to a real server on 127.0.0.1 and
scans the hosts' tickets as a station does.
"""

from __future__ import annotations

import time
from pathlib import Path

from browser import chromium, pw, scanner_type, signed_in_page  # noqa: F401  (fixtures)
from escpos_decode import decode, qr_texts
from fake_printer import FakePrinter
from test_browser_volunteer import console, search
from playwright.sync_api import expect
from test_imports import upload_text

from kiosk.db import Store
from printers import queue as print_queue

MEETUP_HEADER = "Name\tUser ID\tTitle\tEvent Link\tRSVP\tGuests\tRSVPed on\n"


def meetup(*rows: tuple[str, str, int]) -> str:
    """A Meetup attendee download: (name, RSVP, guests) per row."""
    return MEETUP_HEADER + "".join(f"{name}\tuser {n}\t\t\t{rsvp}\t{guests}\t2026-11-01\n"
                                   for n, (name, rsvp, guests) in enumerate(rows, start=1))


def codes(server) -> dict[str, str]:
    return {person["name"]: person["ticket_code"] for person in server.people()}


def headcount(server) -> dict:
    return server.get("/api/headcount", role=None).json()


def test_guests_are_expected_and_arrive_with_their_host(empty_server, tmp_path: Path) -> None:
    text = meetup(("Ada Lovelace", "Yes", 2), ("Bob Byte", "Yes", 0), ("Cy Coder", "No", 1),
                  ("Di Data", "Waitlist", 3))
    assert upload_text(empty_server, tmp_path, "meetup.xls", text).status_code == 200
    assert headcount(empty_server)["expected"] == 4  # Ada and her two guests, and Bob

    arrived = empty_server.scan(codes(empty_server)["Ada Lovelace"])
    body = arrived.json()
    assert arrived.status_code == 201, body
    assert body["attendee"]["guests"] == 2 and "2 guests" in body["message"]
    assert body["headcount"]["checked_in"] == 3 and headcount(empty_server)["checked_in"] == 3

    undone = empty_server.delete(f"/api/checkins/{body['attendee']['id']}", role="volunteer")
    assert undone.status_code == 200 and headcount(empty_server)["checked_in"] == 0


def test_a_party_that_does_not_fit_is_refused_with_the_room_left(make_server, tmp_path: Path) -> None:
    server = make_server(seed=False, capacity=3)
    text = meetup(("Ada Lovelace", "Yes", 2), ("Bob Byte", "Yes", 0), ("Eve Echo", "Yes", 1))
    assert upload_text(server, tmp_path, "meetup.xls", text).status_code == 200
    tickets = codes(server)
    assert server.scan(tickets["Bob Byte"]).status_code == 201  # 1 of 3

    refused = server.scan(tickets["Ada Lovelace"])  # a party of 3 with room for 2
    assert refused.status_code == 409 and refused.json()["result"] == "capacity_reached"
    assert refused.json()["message"].startswith("Only 2 more can come in, and Ada is with 2 guests.")
    assert headcount(server)["checked_in"] == 1

    assert server.scan(tickets["Eve Echo"]).status_code == 201  # a party of 2 fits exactly
    assert headcount(server)["checked_in"] == 3
    full = server.scan(tickets["Ada Lovelace"]).json()
    assert full["result"] == "capacity_reached" and full["message"].startswith("The venue is full")


def test_a_volunteer_override_lets_a_party_in_past_the_capacity(make_server, tmp_path: Path) -> None:
    server = make_server(seed=False, capacity=2)
    assert upload_text(server, tmp_path, "meetup.xls", meetup(("Ada Lovelace", "Yes", 2))).status_code == 200
    ada = server.people()[0]
    assert server.scan(ada["ticket_code"]).status_code == 409
    manual = server.post(f"/api/attendees/{ada['id']}/checkin", role="volunteer", json={"override": True})
    assert manual.status_code == 201, manual.text
    assert headcount(server)["checked_in"] == 3


def test_a_re_import_with_another_guest_count_moves_who_is_expected_not_who_came(empty_server, tmp_path: Path) -> None:
    upload_text(empty_server, tmp_path, "v1.xls", meetup(("Ada Lovelace", "Yes", 2), ("Bob Byte", "Yes", 0)))
    assert empty_server.scan(codes(empty_server)["Ada Lovelace"]).status_code == 201
    assert headcount(empty_server)["checked_in"] == 3

    upload_text(empty_server, tmp_path, "v2.xls", meetup(("Ada Lovelace", "Yes", 1), ("Bob Byte", "Yes", 1)))
    counts = headcount(empty_server)
    assert (counts["checked_in"], counts["expected"]) == (3, 5)  # Ada's party came as counted; Bob now brings one


def test_a_volunteer_corrects_a_party_at_the_door(empty_server, tmp_path: Path) -> None:
    upload_text(empty_server, tmp_path, "m.xls", meetup(("Ada Lovelace", "Yes", 2), ("Bob Byte", "Yes", 3)))
    people = {person["name"]: person for person in empty_server.people()}
    ada, bob = people["Ada Lovelace"], people["Bob Byte"]

    assert empty_server.scan(ada["ticket_code"]).status_code == 201 and headcount(empty_server)["checked_in"] == 3
    fixed = empty_server.post(f"/api/attendees/{ada['id']}/checkin", role="volunteer", json={"guests": 0})
    assert fixed.status_code == 200 and fixed.json()["attendee"]["guests"] == 0  # she came alone
    assert headcount(empty_server)["checked_in"] == 1

    arrived = empty_server.post(f"/api/attendees/{bob['id']}/checkin", role="volunteer", json={"guests": 1})
    assert arrived.status_code == 201 and headcount(empty_server)["checked_in"] == 3
    assert headcount(empty_server)["expected"] == 1 + 2  # the list's parties, as corrected at the door

    for bad in (-1, 100, 1.5, "2", True):
        refused = empty_server.post(f"/api/attendees/{bob['id']}/checkin", role="volunteer", json={"guests": bad})
        assert refused.status_code == 422, bad
    audit = empty_server.get("/api/audit").json()
    assert [entry["action"] for entry in audit["audit"] if entry["action"] == "party_size"] == ["party_size"] * 2


def test_a_database_counted_by_an_older_version_is_recounted_with_guests(tmp_path: Path) -> None:
    """Triggers made before guests counted are replaced when the store opens, and the counts redone."""
    path = tmp_path / "old.db"
    store = Store(path)
    with store.write() as db:
        db.execute("INSERT INTO events (id, slug, name, starts_at, created_at) VALUES (1, 'e', 'E', '2026-01-01', '')")
        db.execute("DROP TRIGGER attendees_count_insert")
        db.execute("CREATE TRIGGER attendees_count_insert AFTER INSERT ON attendees BEGIN "
                   "INSERT OR IGNORE INTO event_counts (event_id) VALUES (NEW.event_id); "
                   "UPDATE event_counts SET expected = expected + 1 WHERE event_id = NEW.event_id; END")
        db.execute("INSERT INTO attendees (event_id, external_id, ticket_code, name, attending, guests, created_at, "
                   "updated_at) VALUES (1, 'x', 'T1', 'Ada', 1, 2, '', '')")
        assert db.execute("SELECT expected FROM event_counts").fetchone()[0] == 1  # the old way
    store.close()

    store = Store(path)
    with store.write() as db:
        assert db.execute("SELECT expected FROM event_counts").fetchone()[0] == 3
        db.execute("INSERT INTO attendees (event_id, external_id, ticket_code, name, attending, guests, created_at, "
                   "updated_at) VALUES (1, 'y', 'T2', 'Bob', 1, 1, '', '')")
        assert db.execute("SELECT expected FROM event_counts").fetchone()[0] == 5
    store.close()


def test_the_kiosk_greets_a_host_with_their_guests(empty_server, chromium, tmp_path: Path) -> None:
    upload_text(empty_server, tmp_path, "meetup.xls", meetup(("Ada Lovelace", "Yes", 2), ("Bob Byte", "Yes", 0)))
    tickets = codes(empty_server)
    with signed_in_page(chromium, empty_server, "kiosk") as (page, watch):
        scanner_type(page, tickets["Ada Lovelace"])
        expect(page.locator("#result-title")).to_have_text("Welcome, Ada!")
        expect(page.locator("#result-message")).to_have_text("You are checked in with 2 guests. Your badges are printing.")
        expect(page.locator("#kiosk")).to_have_attribute("data-state", "idle", timeout=8000)
        scanner_type(page, tickets["Bob Byte"])
        expect(page.locator("#result-message")).to_have_text("Your badge is printing.")
        watch.assert_clean()


def test_a_volunteer_sets_the_guests_who_came_on_the_card(empty_server, chromium, tmp_path: Path) -> None:
    upload_text(empty_server, tmp_path, "meetup.xls", meetup(("Ada Lovelace", "Yes", 2), ("Bob Byte", "Yes", 1)))
    context, page, watch = console(chromium, empty_server)
    card = search(page, "ada").first
    party = card.get_by_label("Guests with Ada Lovelace")
    expect(party).to_have_value("2")
    party.fill("1")
    card.get_by_role("button", name="Check in").click()
    expect(card).to_contain_text("Checked in. Badge printing.")
    expect(card).to_contain_text("+1 guest")
    expect(page.locator("#feed")).to_contain_text("with 1 guest")
    expect(page.locator("#count-inside")).to_have_text("2")

    party = card.get_by_label("Guests with Ada Lovelace")
    party.fill("0")
    party.dispatch_event("change")  # she came alone after all
    expect(card).to_contain_text("Party corrected: no guests.")
    expect(card.get_by_label("Guests with Ada Lovelace")).to_have_value("0")  # the box stays at 0
    assert headcount(empty_server)["checked_in"] == 1
    expect(page.locator("#count-inside")).to_have_text("1")  # the live counts moved too
    expect(page.locator("#feed")).to_contain_text("now with no guests")
    watch.assert_clean()
    context.close()


def test_more_guests_for_someone_in_need_the_room_or_an_override(make_server, tmp_path: Path) -> None:
    server = make_server(seed=False, capacity=3)
    upload_text(server, tmp_path, "m.xls", meetup(("Ada Lovelace", "Yes", 0), ("Bob Byte", "Yes", 0)))
    people = {person["name"]: person for person in server.people()}
    for person in people.values():
        assert server.scan(person["ticket_code"]).status_code == 201
    ada = people["Ada Lovelace"]

    refused = server.post(f"/api/attendees/{ada['id']}/checkin", role="volunteer", json={"guests": 5})
    assert refused.status_code == 409 and refused.json()["message"].startswith("Only 1 more can come in")
    assert headcount(server)["checked_in"] == 2 and server.people()[0]["guests"] == 0

    assert server.post(f"/api/attendees/{ada['id']}/checkin", role="volunteer", json={"guests": 1}).status_code == 200
    assert headcount(server)["checked_in"] == 3
    overridden = server.post(f"/api/attendees/{ada['id']}/checkin", role="volunteer",
                             json={"guests": 3, "override": True})
    assert overridden.status_code == 200 and headcount(server)["checked_in"] == 5
    entries = [e for e in server.get("/api/audit").json()["audit"] if e["action"] == "party_size"]
    assert [e["details"]["override"] for e in entries] == [True, False]  # newest first


def test_a_refused_check_in_keeps_the_lists_party(make_server, tmp_path: Path) -> None:
    server = make_server(seed=False, capacity=2)
    text = meetup(("Ada Lovelace", "Yes", 0), ("Bob Byte", "Yes", 0), ("Cy Coder", "No", 0))
    upload_text(server, tmp_path, "m.xls", text)
    people = {person["name"]: person for person in server.people(attending=True) + server.people(attending=False)}
    assert server.scan(people["Ada Lovelace"]["ticket_code"]).status_code == 201

    too_many = server.post(f"/api/attendees/{people['Bob Byte']['id']}/checkin", role="volunteer", json={"guests": 3})
    assert too_many.status_code == 409
    not_coming = server.post(f"/api/attendees/{people['Cy Coder']['id']}/checkin", role="volunteer", json={"guests": 4})
    assert not_coming.status_code == 409 and not_coming.json()["result"] == "not_attending"
    assert headcount(server)["expected"] == 2  # neither party grew
    assert server.scan(people["Bob Byte"]["ticket_code"]).status_code == 201  # alone, he fits
    assert not [e for e in server.get("/api/audit").json()["audit"] if e["action"] == "party_size"]


def test_a_guest_nobody_listed_is_added_on_the_card(empty_server, chromium, tmp_path: Path) -> None:
    """The list says no guests; Bob brings one. Spinner clicks before the answer are one correction."""
    upload_text(empty_server, tmp_path, "meetup.xls", meetup(("Bob Byte", "Yes", 0)))
    context, page, watch = console(chromium, empty_server)
    card = search(page, "bob").first
    expect(card.get_by_label("Guests with Bob Byte")).to_have_count(0)
    card.get_by_role("button", name="+ Guests").click()
    party = card.get_by_label("Guests with Bob Byte")
    expect(party).to_be_focused()
    party.fill("")
    card.get_by_role("button", name="Check in").click()
    expect(card).to_contain_text("Guests: a number from 0 to 99.")  # a blank box checks no one in
    assert headcount(empty_server)["checked_in"] == 0
    party.fill("1")
    card.get_by_role("button", name="Check in").click()
    expect(card).to_contain_text("Checked in. Badge printing.")
    expect(page.locator("#count-inside")).to_have_text("2")
    party = card.get_by_label("Guests with Bob Byte")
    for _ in range(3):
        party.press("ArrowUp")  # 2, 3, 4: each fires "change"
    expect(card).to_contain_text("Party corrected: 4 guests.")
    expect(page.locator("#count-inside")).to_have_text("5")
    parties = [e for e in empty_server.get("/api/audit").json()["audit"] if e["action"] == "party_size"]
    assert len(parties) == 2  # the check-in with 1, then one correction to 4
    watch.assert_clean()
    context.close()


def test_a_correction_never_checks_in_someone_undone_meanwhile(empty_server, tmp_path: Path) -> None:
    upload_text(empty_server, tmp_path, "m.xls", meetup(("Ada Lovelace", "Yes", 2)))
    ada = empty_server.people()[0]
    assert empty_server.scan(ada["ticket_code"]).status_code == 201
    corrected = empty_server.post(f"/api/attendees/{ada['id']}/checkin", role="volunteer",
                                  json={"guests": 1, "correction": True}).json()
    assert (corrected["result"], corrected["guests_were"], corrected["headcount"]["checked_in"]) == (
        "already_checked_in", 2, 2)
    assert empty_server.delete(f"/api/checkins/{ada['id']}", role="volunteer").status_code == 200
    stale = empty_server.post(f"/api/attendees/{ada['id']}/checkin", role="volunteer",
                              json={"guests": 0, "correction": True})
    assert stale.status_code == 409 and stale.json()["result"] == "not_checked_in"
    # the undo took the door's correction back (the list's 2), and the stale one changed nothing
    assert headcount(empty_server)["checked_in"] == 0 and empty_server.people()[0]["guests"] == 2
    assert empty_server.post(f"/api/attendees/{ada['id']}/checkin", role="volunteer",
                             json={"correction": True}).status_code == 422


# --- A badge for each guest -------------------------------------------------------------------------

def test_each_guest_gets_a_badge_without_a_name_or_a_ticket(make_server, tmp_path: Path) -> None:
    """Ada comes with two guests: three badges, hers with her ticket's QR, theirs "Guest / with Ada
    Lovelace" and no QR (decoded back from the ESC/POS bytes the printer received)."""
    with FakePrinter() as fake:
        server = make_server(seed=False, printer=fake.config("TM-T20II"))
        upload_text(server, tmp_path, "m.xls", meetup(("Ada Lovelace", "Yes", 2)))
        ada = server.people()[0]
        assert server.scan(ada["ticket_code"]).status_code == 201
        jobs = fake.wait_for_jobs(3)
        assert [qr_texts(job) for job in jobs] == [[ada["ticket_code"]], [], []]
        assert all(decode(job).images for job in jobs)  # drawn, as raster images
        time.sleep(0.5)
        assert len(fake.jobs) == 3
    with server.state.store.read() as db:
        reasons = [row[0] for row in db.execute("SELECT reason FROM print_jobs ORDER BY id")]
    assert reasons == ["check-in", "guest", "guest"]


def test_guest_badges_follow_the_party(make_server, tmp_path: Path) -> None:
    """Fewer guests cancel the guest badges not printed yet; more add some; undo cancels them all."""
    with FakePrinter(mode="refusing") as fake:  # nothing prints until resumed
        server = make_server(seed=False, printer=fake.config())
        upload_text(server, tmp_path, "m.xls", meetup(("Ada Lovelace", "Yes", 3), ("Bob Byte", "Yes", 0)))
        people = {person["name"]: person for person in server.people()}
        ada, bob = people["Ada Lovelace"], people["Bob Byte"]
        assert server.scan(ada["ticket_code"]).status_code == 201
        fix = server.post(f"/api/attendees/{ada['id']}/checkin", role="volunteer", json={"guests": 1, "correction": True})
        assert fix.status_code == 200

        def queued(attendee: dict) -> list[str]:
            with server.state.store.read() as db:
                return [row[0] for row in db.execute(
                    "SELECT reason FROM print_jobs WHERE attendee_id = ? AND status = 'queued' ORDER BY id",
                    [attendee["id"]])]

        assert queued(ada) == ["check-in", "guest"]
        server.post(f"/api/attendees/{ada['id']}/checkin", role="volunteer", json={"guests": 2, "correction": True})
        assert queued(ada) == ["check-in", "guest", "guest"]
        assert server.delete(f"/api/checkins/{ada['id']}", role="volunteer").status_code == 200
        assert queued(ada) == []
        assert server.scan(bob["ticket_code"]).status_code == 201
        fake.resume()
        assert [qr_texts(job) for job in fake.wait_for_jobs(1)] == [[bob["ticket_code"]]]
        time.sleep(0.5)
        assert len(fake.jobs) == 1


def test_a_party_lowered_then_raised_prints_no_extra_guest_badge(make_server, tmp_path: Path) -> None:
    with FakePrinter() as fake:
        server = make_server(seed=False, printer=fake.config())
        upload_text(server, tmp_path, "m.xls", meetup(("Ada Lovelace", "Yes", 2)))
        ada = server.people()[0]
        assert server.scan(ada["ticket_code"]).status_code == 201
        fake.wait_for_jobs(3)  # hers and her two guests'
        for guests in (1, 2, 3):  # a volunteer overshoots, comes back, then a third guest does come
            answer = server.post(f"/api/attendees/{ada['id']}/checkin", role="volunteer",
                                 json={"guests": guests, "correction": True})
            assert answer.status_code == 200, answer.text
        fake.wait_for_jobs(4)
        time.sleep(0.8)
        assert len(fake.jobs) == 4  # one more badge, for the third guest


def _guest_jobs(db, status: str) -> list[int]:
    return [row[0] for row in db.execute("SELECT id FROM print_jobs WHERE reason = 'guest' AND status = ? ORDER BY id",
                                         [status])]


def _host_in_with_badges(tmp_path: Path, guests: int) -> tuple[Store, int]:
    """A bare store: Ada checked in with `guests` guests, her badges queued as a check-in queues them."""
    store = Store(tmp_path / "q.db")
    with store.write() as db:
        db.execute("INSERT INTO events (id, slug, name, starts_at, created_at) VALUES (1, 'e', 'E', '2026-11-26', '')")
        at = "2026-11-26T18:31:00.000+00:00"
        ada = db.execute("INSERT INTO attendees (event_id, external_id, ticket_code, name, first_name, attending, guests, "
                         "checked_in_at, created_at, updated_at) VALUES (1, 'x', 'T1', 'Ada Lovelace', 'Ada', 1, ?, ?, '', '')",
                         [guests, at]).lastrowid
        print_queue.enqueue(db, 1, ada, "door-1", print_queue.CHECK_IN, at)
        print_queue.enqueue_guests(db, 1, ada, guests, "door-1", at)
    return store, ada


def test_a_guest_badge_back_from_a_jam_is_not_printed_when_fewer_came(tmp_path: Path) -> None:
    """One guest badge was being printed when the volunteer set the party to no guests; it jammed."""
    store, ada = _host_in_with_badges(tmp_path, 2)
    with store.write() as db:
        printing = _guest_jobs(db, "queued")[0]
        db.execute("UPDATE print_jobs SET status = 'printing' WHERE id = ?", [printing])
        db.execute("UPDATE attendees SET guests = 0 WHERE id = ?", [ada])  # the correction...
        assert print_queue.cancel_guests(db, ada, 2) == 1  # ...cancels the one waiting
        print_queue.requeue(db, printing, "paper jam")
        assert _guest_jobs(db, "queued") == [] and printing in _guest_jobs(db, "cancelled")
    store.close()


def test_a_guest_badge_back_from_a_jam_still_prints_when_the_guest_came(tmp_path: Path) -> None:
    store, ada = _host_in_with_badges(tmp_path, 2)
    with store.write() as db:
        printing = _guest_jobs(db, "queued")[0]
        db.execute("UPDATE print_jobs SET status = 'printing' WHERE id = ?", [printing])
        print_queue.requeue(db, printing, "paper jam")
        assert len(_guest_jobs(db, "queued")) == 2
    store.close()


def test_badges_of_an_undone_check_in_caught_by_a_print_process_crash_are_not_printed(tmp_path: Path) -> None:
    store, ada = _host_in_with_badges(tmp_path, 1)
    with store.write() as db:
        db.execute("UPDATE print_jobs SET status = 'printing'")
        db.execute("UPDATE attendees SET checked_in_at = NULL")  # undone while they were being printed
        assert print_queue.recover_interrupted(db) == 2  # the print process was killed and starts again
        assert [row[0] for row in db.execute("SELECT status FROM print_jobs")] == ["cancelled", "cancelled"]
    store.close()
