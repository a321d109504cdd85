"""The check-in API at the door, against a real server on 127.0.0.1."""

from __future__ import annotations

import concurrent.futures
import uuid

import pytest

from kiosk import checkin, tickets


def test_new_arrival_is_checked_in_with_headcount(server):
    person = server.people()[5]
    response = server.scan(person["ticket_code"])
    assert response.status_code == 201
    body = response.json()
    assert body["result"] == "checked_in"
    assert body["attendee"]["id"] == person["id"]
    assert body["attendee"]["name"] == person["name"]
    assert body["checked_in_at"].startswith("20")
    assert body["headcount"]["checked_in"] == 1
    assert body["headcount"]["expected"] == 237


def test_kiosk_sees_no_email_but_volunteer_does(server):
    first, second = server.people()[:2]
    kiosk_view = server.scan(first["ticket_code"], role="kiosk").json()["attendee"]
    volunteer_view = server.scan(second["ticket_code"], role="volunteer").json()["attendee"]
    assert "email" not in kiosk_view and kiosk_view["first_name"] == first["first_name"]
    assert volunteer_view["email"] == second["email"]


def test_second_scan_reports_first_time_and_station(server):
    code = server.people()[7]["ticket_code"]
    first = server.scan(code, station="door-1").json()
    again = server.scan(code, station="door-2")
    assert again.status_code == 200
    body = again.json()
    assert body["result"] == "already_checked_in"
    assert body["checked_in_at"] == first["checked_in_at"]
    assert body["station"] == "door-1"
    assert server.get("/api/headcount", None).json()["checked_in"] == 1


def test_lower_case_and_padded_scan_of_our_code_is_accepted(server):
    code = server.people()[3]["ticket_code"]
    response = server.scan(f"  {code.lower()}\r\n")
    assert response.status_code == 201


@pytest.mark.parametrize("mutate", [
    lambda c: c[:-1] + ("A" if c[-1] != "A" else "B"),          # MAC altered
    lambda c: c[:3] + ("Z" if c[3] != "Z" else "Y") + c[4:],   # serial altered: MAC no longer matches
    lambda c: c[:-4],                                         # truncated
    lambda c: "K0" + c[1:],                                   # event id padded: "K01-..." is not what we printed
])
def test_altered_codes_are_invalid(server, mutate):
    code = server.people()[0]["ticket_code"]
    response = server.scan(mutate(code))
    assert response.status_code == 422
    assert response.json()["result"] == "invalid_code"
    assert response.json()["message"]
    assert server.get("/api/headcount", None).json()["checked_in"] == 0


def test_forged_code_with_another_secret_is_invalid(server):
    forged = tickets.new_code(b"someone-elses-secret", server.state.door.event.id)
    response = server.scan(forged)
    assert (response.status_code, response.json()["result"]) == (422, "invalid_code")


def test_genuine_code_of_another_event_is_unknown(server):
    other = tickets.new_code(b"test-secret-not-for-production", server.state.door.event.id + 1)
    response = server.scan(other)
    assert (response.status_code, response.json()["result"]) == (404, "unknown_code")
    assert "another evening" in response.json()["message"]


def test_well_formed_but_unknown_code_is_404(server):
    genuine_unissued = tickets.new_code(b"test-secret-not-for-production", server.state.door.event.id)
    response = server.scan(genuine_unissued)
    assert (response.status_code, response.json()["result"]) == (404, "unknown_code")


def test_declined_and_waitlisted_are_refused_not_unknown(server):
    person = server.people(attending=False)[0]
    response = server.scan(person["ticket_code"])
    assert response.status_code == 409
    assert response.json()["result"] == "not_attending"
    assert response.json()["attendee"]["id"] == person["id"]


def test_capacity_reached(make_server):
    srv = make_server(capacity=2)
    people = srv.people()
    assert srv.scan(people[0]["ticket_code"]).status_code == 201
    assert srv.scan(people[1]["ticket_code"]).status_code == 201
    full = srv.scan(people[2]["ticket_code"])
    assert (full.status_code, full.json()["result"]) == (409, "capacity_reached")
    assert srv.get("/api/headcount", None).json()["checked_in"] == 2


def test_fifty_simultaneous_scans_of_one_code_give_one_check_in(server):
    code = server.people()[11]["ticket_code"]

    def scan(i: int):
        return server.scan(code, station=f"door-{i}")

    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(scan, range(50)))
    results = [r.json()["result"] for r in responses]
    assert results.count("checked_in") == 1
    assert results.count("already_checked_in") == 49
    assert server.get("/api/headcount", None).json()["checked_in"] == 1
    with server.state.store.read() as db:
        assert db.execute("SELECT count(*) FROM print_jobs WHERE reason = 'check-in'").fetchone()[0] == 1


def test_retry_with_same_nonce_is_answered_as_first_time_and_writes_nothing(server):
    code = server.people()[20]["ticket_code"]
    nonce = str(uuid.uuid4())
    first = server.scan(code, nonce=nonce)
    with server.state.store.read() as db:
        scans_before = db.execute("SELECT count(*) FROM scans").fetchone()[0]
    retry = server.scan(code, nonce=nonce)
    assert first.status_code == retry.status_code == 201
    assert retry.json()["result"] == "checked_in"
    assert retry.json()["checked_in_at"] == first.json()["checked_in_at"]
    with server.state.store.read() as db:
        assert db.execute("SELECT count(*) FROM scans").fetchone()[0] == scans_before
        assert db.execute("SELECT count(*) FROM print_jobs").fetchone()[0] == 1
    assert server.scan(code, nonce=str(uuid.uuid4())).json()["result"] == "already_checked_in"


def test_a_nonce_sent_again_with_another_code_checks_that_person_in(server):
    """A station whose nonce counter restarted: the second person is not greeted as the first."""
    first, second = server.people()[21:23]
    assert server.scan(first["ticket_code"], nonce="door-1:1").status_code == 201
    answer = server.scan(second["ticket_code"], nonce="door-1:1")
    assert answer.status_code == 201 and answer.json()["attendee"]["id"] == second["id"]
    retry = server.scan(second["ticket_code"], nonce="door-1:1")
    assert retry.status_code == 201 and retry.json()["checked_in_at"] == answer.json()["checked_in_at"]
    with server.state.store.read() as db:
        assert db.execute("SELECT count(*) FROM scans WHERE nonce = 'door-1:1'").fetchone()[0] == 2
        assert db.execute("SELECT count(*) FROM print_jobs").fetchone()[0] == 2
    assert server.get("/api/headcount", None).json()["checked_in"] == 2


def test_the_same_nonce_from_another_station_is_not_a_retry(server):
    """Stations counting their nonces from 1 send the same ones: a ticket shared with a friend and
    scanned at the second door is flagged there, not welcomed with the first door's answer."""
    person = server.people()[23]
    assert server.scan(person["ticket_code"], station="door-1", nonce="7").status_code == 201
    second = server.scan(person["ticket_code"], station="door-2", nonce="7")
    assert second.status_code == 200
    assert second.json()["result"] == "already_checked_in" and second.json()["station"] == "door-1"
    retry = server.scan(person["ticket_code"], station="door-2", nonce="7")
    assert retry.status_code == 200 and retry.json()["result"] == "already_checked_in"
    with server.state.store.read() as db:
        assert db.execute("SELECT count(*) FROM scans WHERE nonce = '7'").fetchone()[0] == 2


def test_a_nonce_longer_than_the_log_keeps_is_refused_and_changes_nothing(server):
    """Nonces used to be cut to 100 characters, so a new scan whose nonce began like an older
    one's got the older answer: a welcome, with nobody checked in."""
    person = server.people()[24]
    prefix = "x" * checkin.MAX_NONCE_CHARS
    assert server.scan(person["ticket_code"], nonce=prefix).status_code == 201
    assert server.delete(f"/api/checkins/{person['id']}", "volunteer").status_code == 200
    with server.state.store.read() as db:
        scans_before = db.execute("SELECT count(*) FROM scans").fetchone()[0]
    refused = server.scan(person["ticket_code"], nonce=prefix + "-second")
    assert refused.status_code == 400
    assert refused.json()["result"] == "bad_request" and "nonce is too long" in refused.json()["message"]
    with server.state.store.read() as db:
        assert db.execute("SELECT count(*) FROM scans").fetchone()[0] == scans_before
    assert server.get("/api/headcount", None).json()["checked_in"] == 0
    again = server.scan(person["ticket_code"], nonce=prefix[:-1] + "y")
    assert again.status_code == 201 and again.json()["headcount"]["checked_in"] == 1


def test_undo_is_audited_and_lets_them_scan_again(server):
    person = server.people()[30]
    server.scan(person["ticket_code"])
    undo = server.delete(f"/api/checkins/{person['id']}", "volunteer")
    assert undo.status_code == 200
    assert undo.json()["headcount"]["checked_in"] == 0
    audit = server.get("/api/audit").json()["audit"]
    assert audit[0]["action"] == "undo" and audit[0]["attendee_id"] == person["id"]
    assert audit[0]["role"] == "volunteer"
    assert server.scan(person["ticket_code"]).status_code == 201


def test_undo_of_someone_not_checked_in_is_409(server):
    person = server.people()[31]
    assert server.delete(f"/api/checkins/{person['id']}", "volunteer").status_code == 409


@pytest.mark.parametrize("role,method,path,expected", [
    (None, "post", "/api/checkins", 401),
    ("kiosk", "delete", "/api/checkins/1", 403),
    ("kiosk", "get", "/api/attendees?q=a", 403),
    ("kiosk", "get", "/api/printers", 403),
    ("kiosk", "get", "/api/attendees/1/badge.png", 403),
    ("volunteer", "get", "/api/export", 403),
    ("volunteer", "post", "/api/tokens", 403),
])
def test_role_without_rights_is_refused(server, role, method, path, expected):
    response = getattr(server.client(role), method)(server.url + path, json={"code": "x"}, timeout=10)
    assert response.status_code == expected
    assert response.json()["message"]


def test_revoked_token_stops_working(server):
    assert server.get("/api/attendees?q=a", "volunteer").status_code == 200
    tokens = server.get("/api/tokens").json()["tokens"]
    volunteer_id = next(t["id"] for t in tokens if t["role"] == "volunteer")
    assert server.delete(f"/api/tokens/{volunteer_id}").status_code == 200
    assert server.get("/api/attendees?q=a", "volunteer").status_code == 401


def test_public_headcount_needs_no_login_and_has_counts_only(server):
    server.scan(server.people()[0]["ticket_code"])
    body = server.get("/api/headcount", None).json()
    assert body["checked_in"] == 1 and body["expected"] == 237 and body["capacity"] == 0 and body["walk_ins"] == 0
    names = {p["name"] for p in server.people()}
    assert not any(isinstance(v, str) and v in names for v in body.values())


@pytest.mark.parametrize("garbage", ["", "   ", "x" * 100_000, "\x00\x01\x02", "' OR 1=1 --",
                                     "<script>alert(1)</script>", "\u202egnp.exe", 12345, None, ["a"], {"a": 1}])
def test_garbage_scans_are_refused_never_500(server, garbage):
    response = server.scan(garbage)
    assert 400 <= response.status_code < 500
    assert response.json()["result"] in ("invalid_code", "unknown_code")
    assert server.get("/api/headcount", None).json()["checked_in"] == 0


def test_non_json_body_is_a_clear_400(server):
    response = server.client("kiosk").post(server.url + "/api/checkins", data=b"\xff\xfe", timeout=10)
    assert response.status_code == 400
    assert "JSON" in response.json()["message"]


def test_code_guessing_is_slowed_down_but_a_genuine_ticket_still_gets_in(make_server):
    srv = make_server(max_failed_scans=5)
    for i in range(5):
        assert srv.scan(f"GUESS-{i}", station="door-7").json()["result"] in ("unknown_code", "invalid_code")
    blocked = srv.scan("GIAO-1", station="door-7")  # a Tito-style reference: guessable
    assert (blocked.status_code, blocked.json()["result"]) == (429, "too_many_attempts")
    code = srv.people()[1]["ticket_code"]
    forged = srv.scan(code[:-1] + ("1" if code.endswith("0") else "0"), station="door-7")
    assert forged.status_code == 429
    for junk in ({"not": "text"}, 12345, "GIAO\x00-1"):  # not even a code: limited all the same
        assert srv.scan(junk, station="door-7").status_code == 429
    assert srv.get("/api/headcount", None).json()["checked_in"] == 0
    genuine = srv.scan(srv.people()[0]["ticket_code"], station="door-7")  # 65 bits of MAC: not a guess
    assert genuine.status_code == 201


def test_code_guessing_limit_holds_across_a_restart(make_server):
    """The count comes from the scan log: a restart in the middle of guessing forgets nothing."""
    from kiosk.db import Store
    from kiosk.door import Door

    srv = make_server(max_failed_scans=5)
    for i in range(3):
        srv.scan(f"GUESS-{i}", station="door-7")
    state = srv.state
    reopened = Door.open(Store(state.settings.database), state.settings.event, state.master,
                         checkin.Limits(5, 60))
    assert reopened.limits.may_be_over("door-7", "10.0.0.9")        # seeded from the log
    assert not reopened.limits.may_be_over("door-99", "10.0.0.99")  # never failed: not counted
    for i in range(2):
        assert reopened.scan(f"AGAIN-{i}", "door-7", None, "10.0.0.9").result in ("unknown_code", "invalid_code")
    blocked = reopened.scan("AGAIN-3", "door-7", None, "10.0.0.9")
    assert blocked.result == "too_many_attempts"
    elsewhere = reopened.scan(srv.people()[0]["ticket_code"], "door-8", None, "10.0.0.10")
    assert elsewhere.result == "checked_in"


def test_stations_without_recent_failures_are_not_counted_and_others_are(monkeypatch):
    """The in-memory shortcut: only a station or client that failed within the window is counted."""
    clock_now = [1000.0]
    monkeypatch.setattr(checkin.time, "monotonic", lambda: clock_now[0])
    limits = checkin.Limits(max_failed=3, window_seconds=60)
    assert limits.may_be_over("door-1", "10.0.0.1")  # not seeded: everything is counted
    limits._since = float("-inf")
    assert not limits.may_be_over("door-1", "10.0.0.1")
    limits.failed("door-1", "10.0.0.1")
    assert limits.may_be_over("door-1", "10.0.0.2") and limits.may_be_over("door-2", "10.0.0.1")
    assert not limits.may_be_over("door-2", "10.0.0.2")
    clock_now[0] += 61
    assert not limits.may_be_over("door-1", "10.0.0.1")


def test_a_scan_while_another_process_holds_the_database_is_503_and_can_be_sent_again(server, monkeypatch):
    """A large `kiosk import` beside the server: the kiosk keeps the scan and sends it again."""
    import sqlite3

    from kiosk import db as kiosk_db
    from test_access_control import pin_session

    code = server.people()[40]["ticket_code"]
    browser, csrf = pin_session(server, "kiosk")
    monkeypatch.setattr(kiosk_db, "BUSY_TIMEOUT_MS", 100)
    other = sqlite3.connect(str(server.state.settings.database), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    by_token = server.scan(code, nonce="n-40")  # answered in front of Flask (fast_scan)
    by_browser = browser.post(server.url + "/api/checkins", json={"code": code, "station": "door-1", "nonce": "n-40"},
                              headers={"X-CSRF-Token": csrf}, timeout=10)  # the Flask view
    other.execute("COMMIT")
    for busy in (by_token, by_browser):
        assert busy.status_code == 503 and busy.json()["result"] == "busy", busy.text
        assert busy.headers["Retry-After"] and busy.json()["message"]
    assert server.get("/api/headcount", None).json()["checked_in"] == 0
    assert server.scan(code, nonce="n-40").status_code == 201


def test_a_volunteers_override_admits_past_capacity_and_the_station_is_the_console(make_server):
    srv = make_server(capacity=1)
    people = srv.people()
    assert srv.scan(people[0]["ticket_code"]).status_code == 201
    url = f"/api/attendees/{people[1]['id']}/checkin"
    refused = srv.post(url, "volunteer", json={})
    assert (refused.status_code, refused.json()["result"]) == (409, "capacity_reached")
    admitted = srv.post(url, "volunteer", json={"override": True})
    assert admitted.status_code == 201
    # the card shows where it happened, not the actor label ("token:2", "pin:volunteer")
    assert admitted.json()["station"] == "volunteer console"
    assert admitted.json()["attendee"]["checked_in_station"] == "volunteer console"
    named = srv.post(f"/api/attendees/{people[2]['id']}/checkin", "volunteer", json={"override": True, "station": "desk"})
    assert named.json()["station"] == "desk"
    assert srv.get("/api/headcount", None).json()["checked_in"] == 3


def test_a_walk_in_sent_again_with_its_request_id_is_registered_once(server):
    """The console's answer was lost and it sends the same registration again: one person, one check-in."""
    body = {"name": "Ines Duarte", "email": "ines@example.pt", "check_in": True, "request_id": str(uuid.uuid4())}
    first = server.post("/api/attendees", "volunteer", json=body)
    again = server.post("/api/attendees", "volunteer", json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["check_in"] == again.json()["check_in"] == "checked_in"
    assert again.json()["repeated"] is True
    assert again.json()["attendee"]["id"] == first.json()["attendee"]["id"]
    assert again.json()["checked_in_at"] == first.json()["checked_in_at"]
    found = server.get("/api/attendees?q=ines", "volunteer").json()["attendees"]
    assert len(found) == 1
    assert server.get("/api/headcount", None).json()["walk_ins"] == 1
    other = server.post("/api/attendees", "volunteer", json={**body, "request_id": str(uuid.uuid4())})
    assert other.status_code == 201 and other.json()["attendee"]["id"] != first.json()["attendee"]["id"]


@pytest.mark.parametrize("request_id", ["", "x" * 65, "a b", 42, ["id"], {"id": 1}])
def test_a_walk_in_with_a_malformed_request_id_registers_nobody(server, request_id):
    answer = server.post("/api/attendees", "volunteer", json={"name": "Nobody", "request_id": request_id})
    assert answer.status_code == 422
    assert "request_id" in answer.json()["message"]
    assert server.get("/api/attendees?q=Nobody", "volunteer").json()["attendees"] == []
