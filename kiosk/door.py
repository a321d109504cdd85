"""The door as a service: each action is one write transaction, then one feed change.

This is the seam between the web (or the CLI) and the rules: it opens the
transaction, calls the pure rules in ``checkin.py`` / ``attendees.py``, and only
after the commit tells the feed, so a screen never shows a change that was rolled
back.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from printers import queue as print_queue
from printers.offload import off_hub

from . import attendees, audit, checkin, clock, events, importers, list_import, tickets
from .audit import Actor
from .db import Store, is_locked
from .events import Event
from .feed import Feed
from .group_commit import GroupCommit
from .headcount import headcount

log = logging.getLogger("kiosk.door")

CONSOLE_STATION = "volunteer console"
SAVED_SCAN_HOURS = 12  # a saved scan this close to an earlier evening's start is that evening's
# A kiosk's clock may run a little ahead of the server's: a saved scan's time up to this far ahead is still "past".
SAVED_SCAN_CLOCK_SKEW = timedelta(minutes=1)
LATE_REFUSAL_SECONDS = 60.0  # one late refusal per ticket (or unrecognised code) on the feed per this long


class OncePer:
    """Says yes to each key at most once per `seconds` (in this process).

    Not thread-safe by itself: its one user, the scans' feed callback, runs in commit order with
    the writer held (see GroupCommit.run). Expired keys are dropped once it holds `max_keys`."""

    def __init__(self, seconds: float, max_keys: int = 10_000) -> None:
        self.seconds, self.max_keys = seconds, max_keys
        self._told: dict[str, float] = {}

    def first(self, key: str) -> bool:
        """True when `key` was not said yes to within the last `seconds` (and remember it now)."""
        now = time.monotonic()
        told = self._told.get(key)
        if told is not None and now - told < self.seconds:
            return False
        if len(self._told) >= self.max_keys:
            self._told = {k: t for k, t in self._told.items() if now - t < self.seconds}
        self._told[key] = now
        return True


def console_station(actor: Actor) -> str:
    """Where a volunteer's check-in happened, as the card and the feed show it: the station they
    named, else the console. Never the actor label ("pin:volunteer"): who did it is in the audit."""
    return actor.at_station or CONSOLE_STATION


def file_sha256(path: str | Path) -> str:
    """The file's SHA-256, kept in the import's audit line to recognise the same list imported again."""
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def _no_guest_badge(person: Any) -> checkin.Outcome | None:
    """Why a guest's badge cannot be reprinted for `person`, if it cannot: guests' badges print
    with their host's check-in, so there is none to replace before it or for a host alone."""
    if not person["checked_in_at"]:
        result, message = "not_checked_in", f"{person['name']} is not checked in: guest badges print with the check-in."
    elif not person["guests"]:
        result, message = "no_guests", f"{person['name']} came without guests."
    else:
        return None
    return checkin.Outcome(result, 409, {"result": result, "message": message}, attendee=person)


@dataclass
class Door:
    store: Store
    event: Event
    master: bytes
    feed: Feed
    limits: checkin.Limits
    scans: GroupCommit = field(init=False)
    # Which printers take which stations' badges (config [printers.X] stations), for reprints.
    printer_routes: dict[str, print_queue.Route] = field(default_factory=dict)
    late_told: OncePer = field(default_factory=lambda: OncePer(LATE_REFUSAL_SECONDS))

    def __post_init__(self) -> None:
        self.scans = GroupCommit(self.store)

    @classmethod
    def open(cls, store: Store, event_settings: Any, master: bytes, limits: checkin.Limits,
             make_current: bool = True) -> "Door":
        """Make the config's event current (see ``events.ensure_current``) and start the feed with its headcount."""
        try:
            with store.write() as db:
                event = events.ensure_current(db, event_settings, make_current)
                counts = headcount(db, event)
                limits.seed(db)
        except sqlite3.OperationalError as exc:
            if not store.may_skip(exc):
                raise
            event, counts = _as_stored(store, event_settings, limits, exc)
        return cls(store=store, event=event, master=master, feed=Feed(counts), limits=limits)

    def headcount(self) -> dict[str, Any]:
        with self.store.read() as db:
            return headcount(db, self.event)

    def scan(self, code: Any, station: str, nonce: str | None, client: str,
             late: bool = False, saved_at: str = "") -> checkin.Outcome:
        """A scanner read something at a station (scans arriving together share a commit).

        `late`: a kiosk saved this scan while the server was out of reach and let the person in on
        trust; if it is refused now, the volunteers are told (their live feed, never the public
        headcount), since the kiosk's own screen has moved on to other people. A retry answered
        from the log (replayed) counts too: its first answer may never have reached the kiosk.
        A late scan saved lately (``_let_in_lately``) is checked in even when the venue is full
        (checkin.arrive's `past_capacity`): its person is in the room already."""
        def publish(outcome: checkin.Outcome) -> None:
            if outcome.changed and not outcome.replayed:
                self._publish_arrival(outcome, station)
                if outcome.body.get("over_capacity"):
                    self._publish_over_capacity(outcome, station, saved_at)
            elif late and outcome.result != "checked_in":
                self._publish_late_refusal(outcome, code, station, saved_at)

        saved = _parse_time(saved_at) if late and saved_at else None
        earlier = self._evening_saved_on(code, saved) if saved else None
        if earlier is not None:
            return self._scan_into(earlier, code, station, nonce, client, saved)
        past_capacity = _let_in_lately(saved)
        return self.scans.run(lambda db: checkin.scan(db, self.event, self.master, self.limits, code, station, nonce,
                                                      client, past_capacity=past_capacity), publish)

    def _evening_saved_on(self, code: Any, saved: datetime) -> Event | None:
        """The earlier evening a kiosk's saved scan belongs to: one of our tickets of that evening,
        saved within SAVED_SCAN_HOURS of its start (the kiosk's clock), and not forgotten.

        A kiosk keeps the scans it could not send in the browser, across a closed tab (outbox.js):
        the last ones of an evening whose server went away were sent to next month's door, refused
        as another evening's, and the people they had let in were missing from their own report."""
        text = checkin.normalise(code)
        verdict = tickets.verify(self.master, text.upper()) if text else None
        if verdict is None or not verdict.genuine or verdict.event_id == self.event.id:
            return None
        with self.store.read() as db:
            other = events.by_id(db, verdict.event_id)
            forgotten = db.execute("SELECT forgotten_at FROM events WHERE id = ?", [verdict.event_id]).fetchone()
        if other is None or (forgotten and forgotten[0]) or other.starts_at[:10] >= self.event.starts_at[:10]:
            return None
        held = abs(saved - datetime.fromisoformat(other.starts_at)) <= timedelta(hours=SAVED_SCAN_HOURS)
        return other if held else None

    def _scan_into(self, event: Event, code: Any, station: str, nonce: str | None, client: str,
                   saved: datetime) -> checkin.Outcome:
        """Check a saved scan into its own earlier evening at the time it was saved: counted in that
        evening's report; told to no console (they show tonight's counts); and no badge, a month on."""
        at = saved.astimezone(timezone.utc).isoformat(timespec="milliseconds")
        with self.store.serialised():
            with self.store.write() as db:
                outcome = checkin.scan(db, event, self.master, self.limits, code, station, nonce, client, at=at)
                if outcome.changed and not outcome.replayed:
                    print_queue.cancel_pending(db, outcome.attendee["id"], why="a saved scan of an earlier evening")
        return outcome

    def manual_check_in(self, attendee_id: int, actor: Actor, override: bool = False,
                        guests: int | None = None, correction: bool = False) -> checkin.Outcome:
        """A volunteer checks someone in from search (lost QR code); audited. `guests`: how many
        came with them, which also corrects the party of someone already in (the kiosk counted
        the list's number)."""
        with self.store.serialised():
            with self.store.write() as db:
                person = attendees.get(db, self.event, attendee_id)
                if person is None:
                    return checkin.Outcome("not_found", 404, {"result": "not_found", "message": "No such attendee tonight."})
                station = console_station(actor)
                outcome = checkin.arrive_with_party(db, self.event, person, station, guests, override, correction)
                if outcome.changed:
                    audit.record(db, actor, "manual_check_in", self.event.id, attendee_id, override=override)
                regrouped = outcome.status < 400 and guests is not None and guests != person["guests"]
                if regrouped:
                    regrouped_at = audit.record(db, actor, "party_size", self.event.id, attendee_id, guests=guests,
                                                was=person["guests"], override=override)
                counts = outcome.body["headcount"] if regrouped and not outcome.changed else None
            if outcome.changed:
                self._publish_arrival(outcome, station, manual=True)
            elif counts is not None:  # a party corrected: the counts moved, nobody arrived
                self.feed.publish("party", {"attendee": attendees.as_dict(outcome.attendee), "by": actor.shown,
                                            "at": regrouped_at}, counts)
        return outcome

    def undo(self, attendee_id: int, actor: Actor) -> checkin.Outcome:
        with self.store.serialised():
            with self.store.write() as db:
                outcome = checkin.undo(db, self.event, attendee_id, actor)
            if outcome.changed:
                self.feed.publish("undone", {"attendee": attendees.as_dict(outcome.attendee), "by": actor.shown},
                                  outcome.body["headcount"])
        return outcome

    def walk_in(self, name: str, email: str | None, company: str | None, check_in: bool, actor: Actor,
                request_id: str | None = None, guests: int = 0) -> tuple[int, checkin.Outcome | None, bool]:
        """Register someone without a ticket and the `guests` who came with them; optionally check
        them in (which prints their badges, and needs room for the whole party).

        Returns (attendee id, the check-in's outcome, whether this repeated an earlier request).
        A repeat (same `request_id`: the console lost the first answer) registers nobody new; it
        only checks the person in if they asked for that and are not in yet."""
        with self.store.serialised():
            with self.store.write() as db:
                earlier = attendees.walk_in_by_request(db, self.event, request_id) if request_id else None
                if earlier is None:
                    attendee_id = attendees.add_walk_in(db, self.event, self.master, name, email, company, request_id,
                                                        guests)
                    walked_in_at = audit.record(db, actor, "walk_in", self.event.id, attendee_id, check_in=check_in,
                                                guests=guests)
                else:
                    attendee_id = earlier["id"]
                outcome = None
                if check_in and not (earlier and earlier["checked_in_at"]):
                    outcome = checkin.arrive(db, self.event, attendees.get(db, self.event, attendee_id),
                                             console_station(actor))
                person = attendees.get(db, self.event, attendee_id)
                counts = headcount(db, self.event)
            if earlier is None:
                self.feed.publish("walk_in", {"attendee": attendees.as_dict(person), "at": walked_in_at,
                                              "checked_in": bool(outcome and outcome.changed)}, counts)
            elif outcome is not None and outcome.changed:
                self._publish_arrival(outcome, console_station(actor), manual=True)
        return attendee_id, outcome, earlier is not None

    def reprint(self, attendee_id: int, actor: Actor, request_id: str | None = None,
                guest: bool = False) -> tuple[int, bool] | checkin.Outcome | None:
        """Queue another badge for someone (with `guest`: one of their guests' badges, torn or lost):
        the only way a badge prints twice.

        Returns (job id, whether this repeated an earlier request), None for nobody, or the refusal
        of a guest badge for someone with no guests or not checked in. A phone that lost the answer
        sends the same `request_id` again: that press already queued its badge, found in the audit
        trail (which survives a restart), and a second badge is not wanted. Nor is one while such a
        badge still waits for the printer this one would go to (a double press while the printer is
        down printed two once it was back): that badge's job is the answer, and the press's
        `request_id` is kept with it in the audit trail, so that the same press sent again after
        that badge printed is still that badge, not a new one."""
        with self.store.serialised():
            with self.store.write() as db:
                person = attendees.get(db, self.event, attendee_id)
                if person is None:
                    return None
                refused = _no_guest_badge(person) if guest else None
                if refused is not None:
                    return refused
                earlier = self._reprint_by_request(db, attendee_id, request_id) if request_id else None
                if earlier is not None:
                    return earlier, True
                waiting = print_queue.waiting_badge(db, attendee_id, self.printer_routes, actor.station, guest)
                if waiting is not None:
                    if request_id:  # this press is answered by that badge, also when it is sent again later
                        audit.record(db, actor, "reprint", self.event.id, attendee_id, job_id=waiting,
                                     request_id=request_id, already_waiting=True, **({"guest": True} if guest else {}))
                    return waiting, True
                reason = print_queue.GUEST_REPRINT if guest else print_queue.REPRINT
                job_id = print_queue.enqueue(db, self.event.id, attendee_id, station=actor.station, reason=reason)
                audit.record(db, actor, "reprint", self.event.id, attendee_id, job_id=job_id,
                             **({"guest": True} if guest else {}), **({"request_id": request_id} if request_id else {}))
            self.feed.publish("print_queued", {"job_id": job_id, "attendee_id": attendee_id, "guest": guest})
        return job_id, False

    def _reprint_by_request(self, db: Any, attendee_id: int, request_id: str) -> int | None:
        """The job an earlier reprint of this person with this request id queued tonight, if any."""
        row = db.execute("SELECT json_extract(details, '$.job_id') FROM audit WHERE event_id = ? AND attendee_id = ? "
                         "AND action = 'reprint' AND json_extract(details, '$.request_id') = ? "
                         "ORDER BY id DESC LIMIT 1", [self.event.id, attendee_id, request_id]).fetchone()
        return int(row[0]) if row and row[0] is not None else None

    def import_file(self, path: str | Path, source: str, actor: Actor,
                    progress: Callable[[str, int, int], None] | None = None,
                    remove_missing: bool = False) -> list_import.ImportSummary:
        """Parse the whole file first (bad files import nothing), then upsert in one transaction.

        ``progress(stage, done, total)`` follows both stages, "Reading" then "Writing":
        writing a large list takes far longer than reading it. ``remove_missing`` marks
        people of this platform who are no longer in the list not attending.

        Both stages are seconds of pure Python for a list of thousands, so under `kiosk serve`
        they run in a real thread (``off_hub``): on the hub they froze every page, websocket and
        scan meanwhile. Scans still wait for the writing stage (it holds the one writer, so
        that a failure part-way imports nothing), but pages and screens go on.
        """
        def stage(name: str) -> Callable[[int, int], None] | None:
            return (lambda done, total: progress(name, done, total)) if progress else None

        batch = off_hub(lambda: importers.read_attendee_file(path, source=source, progress=stage("Reading")))
        digest = file_sha256(path)
        with self.store.serialised():
            with self.store.write() as db:
                summary = off_hub(lambda: list_import.upsert_batch(db, self.event, self.master, batch,
                                                                 remove_missing=remove_missing,
                                                                 progress=stage("Writing")))
                summary.imported_before = audit.evening_of_import(db, digest, self.event.id)
                audit.record(db, actor, "import", self.event.id, file=Path(path).name, sha256=digest,
                             **summary.counts())
                counts = headcount(db, self.event)
            self.feed.publish("import", summary.counts(), counts)
        return summary

    def external_change(self) -> None:
        """Another process committed: refresh every screen if the headcount changed (``kiosk import``).

        The print process commits on every badge it prints, and a refresh wakes every socket."""
        with self.store.serialised():  # no in-process change may slip between the read and the publish
            counts = self.headcount()
            if counts != self.feed.headcount:
                self.feed.publish("refresh", {}, counts)

    def _publish_late_refusal(self, outcome: checkin.Outcome, code: Any, station: str, saved_at: str) -> None:
        """Tell the volunteers that someone let in on trust was refused, once per ticket a while.

        The late flag is the client's word, and every such scan was one feed item: a kiosk token
        sending one real code again and again (any station, nonce or saved_at) pushed the evening
        off every console with one name. So a ticket (the attendee, or the code read when it names
        nobody) is told once per LATE_REFUSAL_SECONDS, whatever the station: a volunteer looking
        for that ticket's holder needs it once. Unrecognised codes are bounded by the guessing
        limit, and a 429 is no verdict: the kiosk keeps the scan and sends it again (outbox.js),
        and what it is answered then is told; each retry of a 429 used to be another item."""
        if outcome.result == "too_many_attempts":
            return
        logged = checkin.loggable(checkin.normalise(code), code)
        key = f"attendee:{outcome.attendee['id']}" if outcome.attendee is not None else f"code:{logged.upper()}"
        if not self.late_told.first(key):
            return
        person = attendees.as_dict(outcome.attendee) if outcome.attendee is not None else None
        self.feed.publish("late_refusal", {
            "result": outcome.result, "station": station, "saved_at": saved_at or None, "attendee": person,
            "code": logged[:60], "checked_in_at": outcome.body.get("checked_in_at"),
            "evening": outcome.body.get("evening"),  # a ticket of another evening: which (checkin._other_evening)
            "at": clock.now_iso(),  # when it was refused: a console away then gets it on its return (kiosk.live)
        })

    def _publish_over_capacity(self, outcome: checkin.Outcome, station: str, saved_at: str) -> None:
        """Warn the volunteers that a saved scan took the room past its capacity ("Venue over
        capacity: N in, capacity M"): the kiosk let that person in on trust while the server was
        out of reach, and only the people at the door can see who should wait outside now."""
        self.feed.publish("over_capacity", {
            "checked_in": outcome.body["headcount"]["checked_in"], "capacity": self.event.capacity,
            "station": station, "saved_at": saved_at or None, "attendee": attendees.as_dict(outcome.attendee),
            "at": clock.now_iso(),  # a console away then gets it on its return (kiosk.live)
        })

    def _publish_arrival(self, outcome: checkin.Outcome, station: str, manual: bool = False) -> None:
        person, at = outcome.attendee, outcome.body["checked_in_at"]
        self.feed.publish("checked_in", lambda: {
            "attendee": attendees.as_dict(person), "station": station, "at": at, "manual": manual,
        }, outcome.body["headcount"])


def _as_stored(store: Store, event_settings: Any, limits: checkin.Limits,
               exc: sqlite3.OperationalError) -> tuple[Event, dict[str, Any]]:
    """The config's evening as the database holds it, when the disk cannot take the refresh of its
    details (full, read-only), or, for a reading store, another process holds the write lock (a large
    import): `kiosk attendees` and `kiosk export` then still read who came, and a server still starts
    and answers each scan 503 saying why. `exc` again when it was never stored."""
    with store.read() as db:
        event = events.stored_for(db, event_settings)
        if event is None:
            raise exc
        limits.seed(db)
        counts = headcount(db, event)
    if is_locked(exc):
        log.warning("another process (the server, or a large import) is writing the database: read as it was "
                    "last committed, without what that process has not finished writing")
    else:
        log.warning("the database cannot be written (%s): the evening is read as it was stored", exc)
    return event, counts


def _let_in_lately(saved: datetime | None) -> bool:
    """Whether a saved scan's `saved_at` (None: none, or not a time) is one a kiosk could have let
    its person in at: in the past (give or take a kiosk clock a minute fast) and within the
    outage window (SAVED_SCAN_HOURS). The late flag is the client's word, and it lets a scan past
    a full venue: a time ahead, or a day old, is no saved scan of tonight's outage. (Scans already
    need a kiosk sign-in at least, so nobody anonymous can claim it.)"""
    if saved is None:
        return False
    now = clock.now()
    return now - timedelta(hours=SAVED_SCAN_HOURS) <= saved <= now + SAVED_SCAN_CLOCK_SKEW


def _parse_time(text: str) -> datetime | None:
    """An ISO 8601 time with its offset ("2026-11-26T19:42:05Z" too); None for anything else."""
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except (ValueError, AttributeError):
        return None
    return parsed if parsed.tzinfo else None
