"""The rules of the door: pure functions over an open write transaction, no Flask.

Every function here runs inside ``Store.write()``, so two stations scanning the same
ticket at the same instant are serialised: exactly one gets ``checked_in``, the
other ``already_checked_in``. Every scan attempt is recorded (the code read, the
station, the nonce, the result), which is also what makes a retry with the same
nonce safe: it is answered from the stored row and writes nothing new.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import math
import reprlib
import sqlite3
import time
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from printers import queue as print_queue

from . import attendees, clock, events, platform_codes, tickets
from .audit import Actor, record
from .events import Event
from .headcount import headcount

MAX_CODE_CHARS = 512
MAX_NONCE_CHARS = 100

MESSAGES = {
    # {to}: ", Ada", or nothing for a ticket without a name (see ImportedPerson.named)
    "checked_in": "Welcome{to}! Your badge is printing.",
    "checked_in_party": "Welcome{to}! You and your {guests} are checked in; your badges are printing.",
    "already_checked_in": "Welcome back{to}: you checked in at {time}.",
    "unknown_code": "We can't find this ticket for tonight. Please see a volunteer.",
    "other_event": "This ticket is for another evening. Please see a volunteer.",
    "other_evening": "This ticket is for another evening: {name}, {date}. Please see a volunteer.",
    "invalid_code": "This code is not a valid ticket. Please see a volunteer.",
    "not_attending": "This ticket is not active (cancelled, declined or waitlisted). Please see a volunteer.",
    "capacity_reached": "The venue is full right now. Please see a volunteer.",
    "party_too_big": "Only {room} more can come in, and {first} is with {guests}. Please see a volunteer.",
    "more_guests": "Only {room} more can come in: not {more} more. Please see a volunteer.",
    "too_many_attempts": "Too many unrecognised codes. Please wait a minute or see a volunteer.",
}
STATUS = {"checked_in": 201, "already_checked_in": 200, "unknown_code": 404, "invalid_code": 422,
          "not_attending": 409, "capacity_reached": 409, "too_many_attempts": 429}
GUESSES = ("unknown_code", "invalid_code")
# UPDATE ... RETURNING came with SQLite 3.35 (2021); Debian 11 and Ubuntu 20.04 link older ones.
ONE_STATEMENT_ARRIVAL = sqlite3.sqlite_version_info >= (3, 35)
_ANSWER_JSON = json.JSONEncoder(ensure_ascii=False).encode  # made once: json.dumps(..., ensure_ascii=False) builds one per call
_GUESSED = "result IN (" + ", ".join(f"'{result}'" for result in GUESSES) + ")"  # SQL: a scan that counts as a guess


class Limits:
    """Code guessing: at most `max_failed` unknown or invalid codes per station or client per window,
    and at most `door_max_failed` (three times as many) from all stations and clients together.

    The door-wide bound is what holds a guesser who names a new station and comes from a new
    address with every scan (127.0.0.2, 127.0.0.3 ...: each pair was a fresh limit, and a kiosk
    token guessed without end). A real door refuses a few dozen codes an hour at each kiosk, far
    below it; while somebody guesses that fast, guessable codes wait at every station (genuine
    signed tickets never do, and volunteers check people in by name).

    The scan log is the record that counts (it also holds across restarts). Counting it costs a
    query on every scan, so this also remembers when each station and client last failed, and when
    the door's recent failures were, in this process: a scan whose station and client have no
    failure since the window began, at a door under its own bound, cannot be over the limit, and
    is not counted. ``seed()`` reads who failed lately from the log at start-up; until then every
    scan is counted."""

    def __init__(self, max_failed: int = 20, window_seconds: int = 60) -> None:
        self.max_failed, self.window_seconds = max_failed, window_seconds
        self.door_max_failed = 3 * max_failed
        self._last_failure: dict[str, float] = {}
        self._door_failures: collections.deque[float] = collections.deque()
        self._since = time.monotonic()

    def seed(self, db: sqlite_utils.Database) -> None:
        """Remember the stations and clients that failed within the window (as failing now)."""
        rows = db.execute(f"SELECT station, client FROM scans WHERE ok = 0 AND at > ? AND {_GUESSED}",
                          [clock.iso_ago(self.window_seconds)]).fetchall()
        for station, client in rows:
            self.failed(station, client)
        self._since = float("-inf")

    def may_be_over(self, station: str, client: str) -> bool:
        cutoff = time.monotonic() - self.window_seconds
        last = self._last_failure
        return (self._since > cutoff or last.get("s:" + station, cutoff) > cutoff
                or last.get("c:" + client, cutoff) > cutoff or self._door_busy(cutoff))

    def failed(self, station: str, client: str) -> None:
        if len(self._last_failure) > 10_000:  # many names or addresses: forget, and count every scan a while
            self._last_failure.clear()
            self._since = time.monotonic()
        now = time.monotonic()
        self._last_failure["s:" + station] = self._last_failure["c:" + client] = now
        self._door_failures.append(now)

    def _door_busy(self, cutoff: float) -> bool:
        """Whether the door's failures within the window reach its own bound (the old ones go)."""
        failures = self._door_failures
        while failures and failures[0] <= cutoff:
            failures.popleft()
        return len(failures) >= self.door_max_failed


@dataclass
class Outcome:
    """The answer to a scan: HTTP status, JSON body (attendee added by the caller) and what changed."""

    result: str
    status: int
    body: dict[str, Any]
    attendee: Any = None
    changed: bool = False
    replayed: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    retry_after: int | None = None  # too_many_attempts: whole seconds until a guess is taken again (Retry-After)
    logged_as: str | None = None  # the scan log's result, when it says more than `result` (see _other_evening)

    @property
    def guess(self) -> bool:
        """Whether this scan counts toward the code-guessing limit of its station and address."""
        return (self.logged_as or self.result) in GUESSES


def scan(db: sqlite_utils.Database, event: Event, master: bytes, limits: Limits, raw_code: Any,
         station: str, nonce: str | None, client: str, at: str | None = None, past_capacity: bool = False) -> Outcome:
    """Check in whoever `raw_code` belongs to, or say plainly why not. `at`: when it was scanned,
    if not now (a kiosk's saved scan of an earlier evening, see ``Door.scan``). `past_capacity`:
    a kiosk's saved scan whose person it already told to go in (see ``arrive``)."""
    code = normalise(raw_code)
    if code is not None and code[:1] in "kK":  # typed at the kiosk without its dashes, or O for 0
        code = tickets.as_typed(master, code) or code
    logged = loggable(code, raw_code)
    at = at or clock.now_iso()  # one time for the arrival, its badge job and its log line
    if nonce:
        previous = _replay(db, event, nonce, logged, station)
        if previous and past_capacity and previous.result == "capacity_reached":
            _unlog(db, event, nonce, logged, station)  # decided again, below: see _unlog
        elif previous:
            return previous
    if _too_many_failures(db, limits, station, client) and not (code and tickets.verify(master, code.upper()).genuine):
        # A genuine signed code cannot be a guess (65 bits of MAC): its holder is never held up
        # by someone else's misreads at the same station; guessable platform codes are, and so
        # is anything that is not a code at all.
        refused = refusal("too_many_attempts")
        refused.retry_after = _seconds_until_taken(db, limits, station, client)
        return _log(db, event, refused, station, None, logged, client, at)
    outcome = refusal("invalid_code") if code is None else _admit(db, event, master, code, station, at, past_capacity)
    if outcome.guess:
        limits.failed(station, client)
    return _log(db, event, outcome, station, nonce, logged, client, at)


def normalise(raw: Any) -> str | None:
    """The scanned text, stripped; None when it cannot be a code (binary, huge, control or format chars)."""
    if not isinstance(raw, str):
        return None
    text = platform_codes.without_aim_prefix(raw.strip(" \t\r\n"))  # "]Q1": a scanner's symbology id
    if not text or len(text) > MAX_CODE_CHARS:
        return None
    if text.isascii() and text.isprintable():  # every ticket code: no need to look at each character
        return text
    if any(unicodedata.category(ch)[0] in "CZ" and ch != " " for ch in text):
        return None
    return text


_TRACE = reprlib.Repr()  # bounded at every level; Python 3.11's Repr() takes no keyword arguments
_TRACE.maxlevel, _TRACE.maxstring, _TRACE.maxother, _TRACE.maxlist, _TRACE.maxdict = 3, 100, 100, 4, 4


TRACE_CHARS = 16


def loggable(code: str | None, raw: Any) -> str:
    """What the scan log keeps of a read (and the volunteers' feed shows of a late refusal).

    A code of any ticket's shape is kept whole: a retry is matched on it, and a volunteer needs
    it. Anything else only by its first characters and its length: scanners also read Wi-Fi QR
    codes (password included) and business cards, and the door must not keep those."""
    if code is not None and (tickets.OURS_RE.match(code.upper()) or platform_codes.scan_keys(code)):
        return code
    trace = code if code is not None else _TRACE.repr(raw)  # bounded and printable, however nested
    length = len(raw) if isinstance(raw, str) else len(trace)
    return trace if len(trace) <= TRACE_CHARS else f"{trace[:TRACE_CHARS]}… ({length} characters)"


def _admit(db: sqlite_utils.Database, event: Event, master: bytes, code: str, station: str, at: str,
           past_capacity: bool = False) -> Outcome:
    verdict = tickets.verify(master, code.upper())
    if verdict.genuine and verdict.event_id == event.id and ONE_STATEMENT_ARRIVAL:
        arrived = _arrive_by_ticket_code(db, event, code.upper(), station, at)
        if arrived:
            return arrived
    person, refused = _resolve(db, event, master, code, verdict)
    if refused:
        return refused
    return arrive(db, event, person, station, at=at, past_capacity=past_capacity)


def _arrive_by_ticket_code(db: sqlite_utils.Database, event: Event, code: str, station: str, at: str) -> Outcome | None:
    """The usual scan, a new arrival with one of our tickets, in one statement; None for anything else.

    Why: this is most of what a busy door does, and looking the person up first cost a second
    statement per scan. The WHERE clause holds the same rules as ``arrive`` (not yet in, attending,
    room left); when it matches nobody, ``arrive`` looks at the person and says which rule refused."""
    room = " AND (SELECT checked_in FROM event_counts WHERE event_id = ?) + guests < ?" if event.capacity else ""
    person = db.execute(
        "UPDATE attendees SET checked_in_at = ?, checked_in_station = ? "
        f"WHERE ticket_code = ? AND checked_in_at IS NULL AND attending = 1{room} RETURNING {attendees.SHOWN_COLUMNS}",
        [at, station, code, *([event.id, event.capacity] if room else [])]).fetchone()
    return _arrived(db, event, person, station, at) if person else None


def _resolve(db: sqlite_utils.Database, event: Event, master: bytes, code: str,
             verdict: tickets.Verdict) -> tuple[Any, Outcome | None]:
    if verdict.ours:
        person = attendees.by_ticket_code(db, code.upper()) if (
            verdict.genuine and verdict.event_id == event.id) else None
        if person is None:  # a ticket of another laptop's kiosk, listed by its report imported here
            person = attendees.by_door_codes(db, event, [key for key in [platform_codes.plain_key(code)] if key])
        if person is not None:
            return person, None
        if not verdict.genuine:
            return None, refusal("invalid_code")
        if verdict.event_id != event.id:
            return None, _other_evening(db, verdict.event_id)
        return None, refusal("unknown_code")
    keys = platform_codes.scan_keys(code)
    swapped = platform_codes.caps_lock_keys(code)  # the same read typed with Caps Lock on
    if not keys and not swapped:  # no ticket's shape; a link may still be a plain list's own code
        person = attendees.by_door_codes(db, event, platform_codes.link_keys(code))
        return (person, None) if person else (None, refusal("invalid_code"))
    person = attendees.by_door_codes(db, event, keys) or attendees.by_door_codes_if_one(db, event, swapped)
    return (person, None) if person else (None, refusal("unknown_code"))


def arrive(db: sqlite_utils.Database, event: Event, person: Any, station: str, override: bool = False,
           at: str | None = None, past_capacity: bool = False) -> Outcome:
    """Mark a known person arrived: the one place a check-in is written, whatever the way in.

    `at`: the scan's time, when a scan brought them (else now). `past_capacity`: the scan was saved
    by a kiosk that could not reach the server and told its person to go in; they are in the room,
    and refusing them would only make the headcount lie, so a full venue does not refuse them (the
    answer then says `over_capacity`). Every other rule still holds."""
    if person["checked_in_at"]:
        return Outcome("already_checked_in", 200, {
            "result": "already_checked_in", "checked_in_at": person["checked_in_at"],
            "station": person["checked_in_station"],
            "message": MESSAGES["already_checked_in"].format(to=_to(person), time=clock.local_time(person["checked_in_at"], event.offset)),
        }, attendee=person)
    if not person["attending"] and not override:
        return refusal("not_attending", attendee=person)
    # A volunteer's override also admits past capacity: they can see the room (someone just left,
    # a speaker's guest) and the kiosk cannot; it is audited with override=true.
    full = None
    if not override and event.capacity:
        full = _no_room(event.capacity - headcount(db, event)["checked_in"], person)
        if full and not past_capacity:
            return full
    at = at or clock.now_iso()
    db.execute("UPDATE attendees SET checked_in_at = ?, checked_in_station = ? WHERE id = ?", [at, station, person["id"]])
    arrived = _arrived(db, event, {**dict(person), "checked_in_at": at, "checked_in_station": station}, station, at)
    if full:
        arrived.body["over_capacity"] = True
    return arrived


def arrive_with_party(db: sqlite_utils.Database, event: Event, person: Any, station: str, guests: int | None,
                      override: bool = False, correction: bool = False) -> Outcome:
    """A volunteer's check-in with the guests who really came (None: as the list says). For
    someone already in, it corrects their party; more guests need room, as an arrival does, unless
    overridden. A refused check-in changes nothing, the list's number included. `correction`:
    only correct a party, never check anyone in (the console's card may be older than an undo)."""
    if correction and not person["checked_in_at"]:
        return _not_checked_in(person)
    if guests is None or guests == person["guests"]:
        return arrive(db, event, person, station, override=override)
    if person["checked_in_at"]:
        more = guests - (person["guests"] or 0)
        room = event.capacity - headcount(db, event)["checked_in"] if event.capacity else more
        # Fewer guests need no room: past the capacity (saved scans let in on trust) "room" is
        # negative, and taking out one of two too many was refused "not -1 guests more".
        if 0 < more and more > room and not override:
            return _no_room_for_more(room, more, person)
    _set_guests(db, person["id"], guests)
    outcome = arrive(db, event, attendees.get(db, event, person["id"]), station, override=override)
    if outcome.status >= 400:
        _set_guests(db, person["id"], person["guests"])  # refused: the party stays as it was
    elif not outcome.changed:  # a party corrected: badges for guests who came since, and the counts now
        _badge_the_difference(db, event, person, guests, station)
        outcome.body.update(headcount=headcount(db, event), guests_were=person["guests"] or 0)
    return outcome


def _badge_the_difference(db: sqlite_utils.Database, event: Event, person: Any, guests: int, station: str) -> None:
    """Guests beyond the badges made since the check-in (printed, printing or waiting) each get one;
    fewer cancel those not printed yet. Counted from the badges, so 2 -> 1 -> 2 prints no third."""
    badges = print_queue.guest_badges(db, person["id"], person["checked_in_at"])
    if guests > badges:
        print_queue.enqueue_guests(db, event.id, person["id"], guests - badges, station)
    else:
        print_queue.cancel_guests(db, person["id"], badges - guests, none_left=guests == 0)


def _set_guests(db: sqlite_utils.Database, attendee_id: int, guests: int) -> None:
    db.execute("UPDATE attendees SET guests = ? WHERE id = ?", [guests, attendee_id])


def _no_room(room: int, person: Any) -> Outcome | None:
    """capacity_reached when the person and their guests (a party) do not all fit in the `room` left."""
    guests = person["guests"] or 0
    if room > guests:
        return None
    if room <= 0:
        return refusal("capacity_reached", attendee=person)
    refused = refusal("capacity_reached", attendee=person, message=MESSAGES["party_too_big"].format(
        room=room, first=person["first_name"] or "this ticket's holder", guests=_guests(guests)))
    refused.body.update(remaining=room, party=1 + guests)  # for the volunteers' own wording
    return refused


def _no_room_for_more(room: int, more: int, person: Any) -> Outcome:
    """capacity_reached for `more` guests of someone already in, with `remaining` and `more` in the
    body: without them the volunteers' screens said "The venue is full." with places still left."""
    refused = refusal("capacity_reached", attendee=person, message=MESSAGES["more_guests"].format(
        room=max(room, 0), more=_guests(more)))
    refused.body.update(remaining=max(room, 0), more=more)
    return refused


def _welcome(person: Any) -> str:
    """The check-in's sentence for the screen; a host hears that their guests are in too."""
    guests = person["guests"] or 0
    if not guests:
        return MESSAGES["checked_in"].format(to=_to(person))
    return MESSAGES["checked_in_party"].format(to=_to(person), guests=_guests(guests))


def _to(person: Any) -> str:
    """Whom a greeting is to: ", Ada"; nothing for a ticket that came without a name."""
    return f", {person['first_name']}" if person["first_name"] else ""


def _guests(count: int) -> str:
    return f"{count} guest{'s' if count != 1 else ''}"


def _arrived(db: sqlite_utils.Database, event: Event, person: Any, station: str, at: str) -> Outcome:
    """Someone was just marked arrived (`person` as now stored): queue their badge, say welcome."""
    print_queue.enqueue(db, event.id, person["id"], station=station, reason=print_queue.CHECK_IN, at=at)
    if person["guests"]:
        print_queue.enqueue_guests(db, event.id, person["id"], person["guests"], station, at)
    return Outcome("checked_in", 201, {
        "result": "checked_in", "checked_in_at": at, "station": station,
        "headcount": headcount(db, event),
        "message": _welcome(person),
    }, attendee=person, changed=True)


def undo(db: sqlite_utils.Database, event: Event, attendee_id: int, actor: Actor) -> Outcome:
    """Reverse a mistaken check-in; a badge not yet printed is not printed."""
    person = attendees.get(db, event, attendee_id)
    if person is None:
        return Outcome("not_found", 404, {"result": "not_found", "message": "No such attendee tonight."})
    if not person["checked_in_at"]:
        return _not_checked_in(person)
    party = _party_before_check_in(db, event, person)
    db.execute("UPDATE attendees SET checked_in_at = NULL, checked_in_station = NULL WHERE id = ?", [attendee_id])
    if party is not None:
        _set_guests(db, attendee_id, party)
    cancelled = print_queue.cancel_pending(db, attendee_id)
    # was_checked_in_station: as `station` it hid the station the undo was made at (the actor's)
    record(db, actor, "undo", event.id, attendee_id, was_checked_in_at=person["checked_in_at"],
           was_checked_in_station=person["checked_in_station"], cancelled_print_jobs=cancelled,
           **({"guests_restored": {"from": person["guests"], "to": party}} if party is not None else {}))
    person = attendees.get(db, event, attendee_id)
    return Outcome("undone", 200, {"result": "undone", "headcount": headcount(db, event),
                                   "message": f"Check-in of {person['name']} undone."}, attendee=person, changed=True)


def _party_before_check_in(db: sqlite_utils.Database, event: Event, person: Any) -> int | None:
    """The guests a person had before the door changed their party at or since their check-in, when
    it did; None when it did not, or something else changed it since (the door's last word stands).

    An undo takes back the check-in, and with it the party typed at the door: a mistyped 50 guests
    kept after the undo inflated the expected count and had the kiosk refuse the host as a party of 51.
    The door's changes are in the audit ("party_size", with what it `was`); nothing else changes a
    party once someone is in (a re-import leaves the parties of those already in alone)."""
    changes = db.execute(
        "SELECT json_extract(details, '$.was'), json_extract(details, '$.guests') FROM audit WHERE event_id = ? "
        "AND attendee_id = ? AND action = 'party_size' AND at >= ? ORDER BY id",
        [event.id, person["id"], person["checked_in_at"]]).fetchall()
    if not changes or changes[-1][1] != person["guests"] or changes[0][0] == person["guests"]:
        return None
    return changes[0][0]


def _not_checked_in(person: Any) -> Outcome:
    return Outcome("not_checked_in", 409, {"result": "not_checked_in", "message": f"{person['name']} is not checked in."},
                   attendee=person)


def _other_evening(db: sqlite_utils.Database, event_id: int) -> Outcome:
    """A genuine ticket of another evening in this database, refused with that evening's name and
    date (also as `evening`): last month's ticket was only "for another evening", under the kiosk's
    "Ticket not found", and a door started on last month's config refused everyone alike.

    It is logged as `other_evening`, not a guess: its MAC is genuine, so nobody guessed it, and a
    handful of people opening last month's e-mail must not slow the station down for the guessable
    platform codes behind them."""
    other = events.by_id(db, event_id)
    if other is None:
        outcome = refusal("unknown_code", message=MESSAGES["other_event"])
    else:
        outcome = refusal("unknown_code", message=MESSAGES["other_evening"].format(name=other.name, date=other.date_label))
        outcome.body["evening"] = {"name": other.name, "date": other.date_label}
    outcome.logged_as = "other_evening"
    return outcome


def refusal(result: str, attendee: Any = None, message: str | None = None) -> Outcome:
    return Outcome(result, STATUS[result], {"result": result, "message": message or MESSAGES[result]}, attendee=attendee)


def _too_many_failures(db: sqlite_utils.Database, limits: Limits, station: str, client: str) -> bool:
    """Too many unknown or invalid codes lately from this station, from this client address, or
    from all of them together (see Limits)."""
    if not limits.may_be_over(station, client):
        return False
    since, bounds = clock.iso_ago(limits.window_seconds), _bounds(limits, station, client)
    counts = db.execute("SELECT " + ", ".join(f"(SELECT count(*) FROM scans WHERE {where} at > ? AND {_GUESSED})"
                                              for where, _args, _most in bounds),
                        [arg for _where, args, _most in bounds for arg in (*args, since)]).fetchone()
    return any(count >= most for count, (_where, _args, most) in zip(counts, bounds))


def _bounds(limits: Limits, station: str, client: str) -> list[tuple[str, list[str], int]]:
    """What the guessing limit counts, as (SQL condition on the refused scans, its arguments, the
    most allowed in a window): the station's, the client's, and the whole door's."""
    return [("ok = 0 AND station = ? AND", [station], limits.max_failed),
            ("ok = 0 AND client = ? AND", [client], limits.max_failed),
            ("ok = 0 AND", [], limits.door_max_failed)]


def _seconds_until_taken(db: sqlite_utils.Database, limits: Limits, station: str, client: str) -> int:
    """Whole seconds (at least 1) until this station and client are under the guessing limit again.

    Refusals for too many attempts are not guesses, so the limit lifts when the bound-th newest
    guess of the station, of the client, or of the whole door, whichever is latest, leaves the
    window. A 429 without it left scripts and the kiosk's outbox to guess when to come back."""
    since = clock.iso_ago(limits.window_seconds)
    newest = [db.execute(f"SELECT at FROM scans WHERE {where} at > ? AND {_GUESSED} ORDER BY at DESC LIMIT 1 OFFSET ?",
                         [*args, since, most - 1]).fetchone()
              for where, args, most in _bounds(limits, station, client)]
    lifts = [dt.datetime.fromisoformat(row[0]) + dt.timedelta(seconds=limits.window_seconds) for row in newest if row]
    left = (max(lifts) - clock.now()).total_seconds() if lifts else 0
    return max(1, math.ceil(left))


def _replay(db: sqlite_utils.Database, event: Event, nonce: str, code: str, station: str) -> Outcome | None:
    """The stored answer to an earlier scan of this code with this nonce from this station: a retry.

    The code is part of the key: a station whose nonce counter restarted sends a nonce again
    with somebody else's ticket, and that person must be checked in, not greeted as the first.
    So is the station: stations that count their nonces from 1 send the same ones, and a ticket
    shared with a friend, scanned at the second door, must be "already checked in" there, not
    the first door's welcome. A retry is sent again as saved, station included (web/static/js/outbox.js)."""
    row = db.execute("SELECT * FROM scans WHERE event_id = ? AND nonce = ? AND code = ? AND station = ?",
                     [event.id, nonce, code[:MAX_CODE_CHARS], station]).fetchone()
    if row is None:
        return None
    person = attendees.get(db, event, row["attendee_id"]) if row["attendee_id"] else None
    body = json.loads(row["response"])
    return Outcome(body.get("result", row["result"]), row["http_status"], body, attendee=person, replayed=True)


def _unlog(db: sqlite_utils.Database, event: Event, nonce: str, code: str, station: str) -> None:
    """Let go of the nonce of a scan refused for a full venue whose answer never reached the kiosk,
    now that the kiosk sends it again as a saved scan (same nonce): a slow answer (past the kiosk's
    4 s) made the kiosk save the scan and tell its person to go in, and the retry, answered from the
    log, was "venue full" for someone inside. The retry is decided afresh (past the capacity, see
    ``arrive``) and logged with the nonce; the refused attempt stays in the log, as every scan does."""
    db.execute("UPDATE scans SET nonce = NULL, response = '{}' WHERE event_id = ? AND nonce = ? AND code = ? "
               "AND station = ?", [event.id, nonce, code[:MAX_CODE_CHARS], station])


def _log(db: sqlite_utils.Database, event: Event, outcome: Outcome, station: str, nonce: str | None,
         code: str, client: str, at: str) -> Outcome:
    db.execute(  # plain SQL: every scan is logged, and table.insert() introspects the table each time
        "INSERT INTO scans (event_id, at, station, code, nonce, result, ok, attendee_id, http_status, response, client) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [event.id, at, station, code[:MAX_CODE_CHARS], nonce,
         outcome.logged_as or outcome.result, 1 if outcome.status < 300 else 0, outcome.attendee["id"] if outcome.attendee else None,
         outcome.status, _ANSWER_JSON(outcome.body) if nonce else "{}", client])  # kept for a retry: only with a nonce
    return outcome
