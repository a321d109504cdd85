"""The persistent print queue: jobs are rows in SQLite, so a restart loses none.

A job is written in the same transaction as the check-in that asks for it: either
both happen or neither does. Its life::

    queued -> printing -> printed
       |         |-> queued     a printer error: back in its place (same id order)
       |         '-> failed     the badge cannot be drawn; retrying cannot help
       '-> cancelled            undone before it printed, or its attendee is gone

A job is printed once; only a volunteer's reprint creates another. The one
exception is a crash between the printer taking the bytes and the commit that
marks the job printed: at start-up such a job is queued again (at-least-once,
see ``recover_interrupted``).

Workers only take jobs of the current event: a badge left queued when last
month's printer died never comes out tonight.

Every function runs inside the caller's transaction (``Store.write()`` or
``Store.read()``) and knows nothing of printers: ``Route`` says which jobs a
printer may take.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlite_utils

from kiosk import clock

QUEUED, PRINTING, PRINTED, CANCELLED, FAILED = "queued", "printing", "printed", "cancelled", "failed"
# Why a badge prints. A host's guests (Meetup's Guests) each get a GUEST badge with the host's
# check-in: no name (they write it), "Guest of Ada Lovelace", no QR code (it is no ticket).
# A volunteer's reprint is a REPRINT of the host's own badge or a GUEST_REPRINT of a guest's (one
# torn or lost): it prints as a guest badge, but is no new guest (``guest_badges`` counts GUEST only).
CHECK_IN, GUEST, REPRINT, GUEST_REPRINT = "check-in", "guest", "reprint", "guest-reprint"
OWN_BADGE, GUEST_BADGE = (CHECK_IN, REPRINT), (GUEST, GUEST_REPRINT)


@dataclass(frozen=True)
class Route:
    """Which jobs one printer may take: its own stations' jobs first, then any untied station's.

    ``others`` are the stations tied to other printers only; their jobs wait for
    those printers. A station listed under two printers goes to either.
    """

    printer: str
    mine: tuple[str, ...] = ()
    others: tuple[str, ...] = ()

    def where(self) -> tuple[str, list[str]]:
        """SQL condition (and its parameters) selecting the jobs this printer may print."""
        if not self.others:
            return "1", []
        marks = ",".join("?" * len(self.others))
        return f"(station IS NULL OR station NOT IN ({marks}))", list(self.others)

    def order(self) -> tuple[str, list[str]]:
        """SQL ORDER BY: this printer's own stations first (only it can print them), then oldest."""
        if not self.mine:
            return "id", []
        marks = ",".join("?" * len(self.mine))
        return f"CASE WHEN station IN ({marks}) THEN 0 ELSE 1 END, id", list(self.mine)


def routes(tied: dict[str, tuple[str, ...]]) -> dict[str, Route]:
    """A Route per printer from ``{printer: its stations}``."""
    every = {s for stations in tied.values() for s in stations}
    return {name: Route(name, tuple(stations), tuple(sorted(every - set(stations))))
            for name, stations in tied.items()}


def enqueue(db: sqlite_utils.Database, event_id: int, attendee_id: int | None, station: str | None,
            reason: str, at: str | None = None) -> int:
    """Queue a badge (inside the caller's transaction); returns the job id. `at`: when (default now)."""
    now = at or clock.now_iso()
    return db.execute(  # plain SQL: this runs on every check-in, and table.insert() introspects the table
        "INSERT INTO print_jobs (event_id, attendee_id, station, reason, status, attempts, next_attempt_at, created_at) "
        "VALUES (?, ?, ?, ?, ?, 0, ?, ?)", [event_id, attendee_id, station, reason, QUEUED, now, now]).lastrowid


def printers_for(routes: dict[str, Route], station: str | None) -> frozenset[str]:
    """The printers that may print a badge queued at `station`."""
    return frozenset(name for name, route in routes.items() if station not in route.others)


def waiting_badge(db: sqlite_utils.Database, attendee_id: int, routes: dict[str, Route],
                  station: str | None, guest: bool = False) -> int | None:
    """The job of the person's own badge (with `guest`: one of their guests' badges) that is queued,
    not yet being sent, for the same printers as a badge queued at `station` would be, if any: a
    badge waiting for a printer that is off elsewhere is no reason to keep one from a printer that works."""
    rows = db.execute("SELECT id, station FROM print_jobs WHERE attendee_id = ? AND reason IN (?, ?) AND status = ? "
                      "ORDER BY id", [attendee_id, *(GUEST_BADGE if guest else OWN_BADGE), QUEUED]).fetchall()
    here = printers_for(routes, station)
    return next((job for job, queued_at in rows if printers_for(routes, queued_at) == here), None)


def enqueue_guests(db: sqlite_utils.Database, event_id: int, host_id: int, count: int, station: str | None,
                   at: str | None = None) -> None:
    """Queue a GUEST badge for each of `count` guests who came with the host."""
    for _ in range(count):
        enqueue(db, event_id, host_id, station, GUEST, at)


def cancel_guests(db: sqlite_utils.Database, host_id: int, count: int, none_left: bool = False) -> int:
    """Cancel up to `count` of a host's guest badges not yet printed (fewer guests came); how many.
    With `none_left` (nobody came with the host after all) a waiting reprint of a guest's badge too."""
    cancelled = db.execute("UPDATE print_jobs SET status = ?, last_error = 'fewer guests came' WHERE id IN "
                           "(SELECT id FROM print_jobs WHERE attendee_id = ? AND reason = ? AND status = ? "
                           "ORDER BY id DESC LIMIT ?)", [CANCELLED, host_id, GUEST, QUEUED, count]).rowcount
    if none_left:
        cancelled += db.execute("UPDATE print_jobs SET status = ?, last_error = 'no guests came' WHERE attendee_id = ? "
                                "AND reason = ? AND status = ?", [CANCELLED, host_id, GUEST_REPRINT, QUEUED]).rowcount
    return cancelled


def cancel_pending(db: sqlite_utils.Database, attendee_id: int, why: str = "check-in undone") -> int:
    """Cancel an attendee's badges not yet printed (an undone check-in); returns how many.

    A job already being sent is not stopped: the printer may have the bytes.
    """
    cursor = db.execute("UPDATE print_jobs SET status = ?, last_error = ? "
                        "WHERE attendee_id = ? AND status = ?", [CANCELLED, why, attendee_id, QUEUED])
    return cursor.rowcount


def recover_interrupted(db: sqlite_utils.Database) -> int:
    """At start-up, queue again every job a crash left "printing"; returns how many.

    At-least-once: such a job may already be on paper (the crash fell between the
    printer taking the bytes and our commit), but more likely it never reached the
    printer (a connect, a status check or a back-off wait was under way). A second
    badge is thrown away in a second; a missing one keeps an attendee waiting.
    """
    ids = [row[0] for row in db.execute("SELECT id FROM print_jobs WHERE status = ?", [PRINTING])]
    db.execute("UPDATE print_jobs SET status = ?, printer = NULL WHERE status = ?", [QUEUED, PRINTING])
    for job_id in ids:
        cancel_if_unwanted(db, job_id)
    return len(ids)


STALE_AFTER_SECONDS = 12 * 3600  # longer than any evening: the badge's owner went home long ago


def cancel_stale(db: sqlite_utils.Database) -> int:
    """At start-up, cancel the badges still waiting from more than STALE_AFTER_SECONDS ago; returns how many.

    Workers take the current evening's jobs only, so last month's badges, left queued when its
    printer died, waited in the queue; a server started on that evening again (last month's config
    by mistake at this month's door) printed them, names of people who came a month ago."""
    return db.execute("UPDATE print_jobs SET status = ?, last_error = 'stale: queued too long ago to print' "
                      "WHERE status = ? AND created_at < ?",
                      [CANCELLED, QUEUED, clock.iso_ago(STALE_AFTER_SECONDS)]).rowcount


def has_due(db: sqlite_utils.Database, event_id: int, route: Route) -> bool:
    """Whether a job is waiting for this printer: a read, so an idle printer never takes the write lock."""
    where, params = route.where()
    row = db.execute(f"SELECT 1 FROM print_jobs WHERE status = ? AND next_attempt_at <= ? AND event_id = ? "
                     f"AND {where} LIMIT 1", [QUEUED, clock.now_iso(), event_id, *params]).fetchone()
    return row is not None


def claim(db: sqlite_utils.Database, event_id: int, route: Route) -> Any:
    """Take the next job for this printer (inside a write transaction): it becomes "printing"."""
    where, params = route.where()
    order, order_params = route.order()
    job = db.execute(f"SELECT id FROM print_jobs WHERE status = ? AND next_attempt_at <= ? AND event_id = ? "
                     f"AND {where} ORDER BY {order} LIMIT 1",
                     [QUEUED, clock.now_iso(), event_id, *params, *order_params]).fetchone()
    if job is None:
        return None
    db.execute("UPDATE print_jobs SET status = ?, printer = ?, attempts = attempts + 1 WHERE id = ?",
               [PRINTING, route.printer, job["id"]])
    return db.execute("SELECT * FROM print_jobs WHERE id = ?", [job["id"]]).fetchone()


def mark_printed(db: sqlite_utils.Database, job_id: int) -> None:
    """The printer took the job. A reprint of someone's own badge replaces any of their own badges
    still waiting (``supersede``)."""
    db.execute("UPDATE print_jobs SET status = ?, printed_at = ?, last_error = NULL WHERE id = ?",
               [PRINTED, clock.now_iso(), job_id])
    supersede(db, job_id)


def supersede(db: sqlite_utils.Database, job_id: int) -> int:
    """When `job_id` is a printed REPRINT, cancel the person's own badges still queued; how many.

    A reprint prints at whichever printer can take it while the person's badge waits for their
    station's printer (switched off, out of paper): the person now has their badge, and the one
    waiting used to print as well once that printer was back, a second badge nobody collects.
    Only for reprints, which are few: the check costs the ordinary badge nothing."""
    job = db.execute("SELECT attendee_id, reason FROM print_jobs WHERE id = ?", [job_id]).fetchone()
    if job is None or job[1] != REPRINT or job[0] is None:
        return 0
    return db.execute("UPDATE print_jobs SET status = ?, last_error = 'Reprinted at another printer.' "
                      "WHERE status = ? AND attendee_id = ? AND reason IN (?, ?) AND id != ?",
                      [CANCELLED, QUEUED, job[0], *OWN_BADGE, job_id]).rowcount


def unclaim(db: sqlite_utils.Database, job_id: int) -> None:
    """A claimed job that was not started (its worker stopped) goes back, as if never taken."""
    db.execute("UPDATE print_jobs SET status = ?, printer = NULL, attempts = attempts - 1 WHERE id = ? AND status = ?",
               [QUEUED, job_id, PRINTING])


def requeue(db: sqlite_utils.Database, job_id: int, error: str) -> None:
    """A printer error: the job goes back in its place, for whichever allowed printer is up first.

    The back-off belongs to the printer, not the job, so a queue that waited for a
    printer still prints in arrival order when it comes back.
    """
    db.execute("UPDATE print_jobs SET status = ?, printer = NULL, next_attempt_at = ?, last_error = ? "
               "WHERE id = ? AND status = ?", [QUEUED, clock.now_iso(), error, job_id, PRINTING])
    cancel_if_unwanted(db, job_id)


# A job whose check-in was undone, or a guest's badge beyond the guests who came (a guest's reprint
# once nobody came with the host), while it was being sent (undo and a party correction only cancel
# what waits): checked when it comes back, and once more just before its bytes go out (a badge
# claimed for next while the one before it was still on the wire: see ``unwanted``).
# Any badge asked for before an undo of its person is unwanted, as undo's ``cancel_pending`` would
# have cancelled it had it still been waiting: a volunteer's REPRINT (which may otherwise be for
# someone not checked in, a speaker's badge printed early), and a check-in's or guest's own badge
# when the person was checked in again since (the check above then sees someone checked in, and the
# old badge printed beside the new check-in's). Strictly after: a check-in again within the same
# millisecond as the undo keeps its badge. Undos are few, and the partial index audit_undo finds them.
_UNDONE_SINCE_ASKED = """EXISTS (SELECT 1 FROM audit WHERE audit.action = 'undo'
    AND audit.attendee_id = print_jobs.attendee_id AND audit.event_id = print_jobs.event_id
    AND audit.at > print_jobs.created_at)"""
_WHY_UNWANTED = f"""CASE
    WHEN {_UNDONE_SINCE_ASKED} OR (SELECT checked_in_at FROM attendees WHERE id = print_jobs.attendee_id) IS NULL
    THEN 'The check-in was undone.' ELSE 'Fewer guests came.' END"""
_NOT_FOR_THIS_CHECK_IN = f"""reason IN ('{CHECK_IN}', '{GUEST}', '{GUEST_REPRINT}') AND (
    (SELECT checked_in_at FROM attendees WHERE id = print_jobs.attendee_id) IS NULL
    OR (reason = '{GUEST_REPRINT}' AND (SELECT guests FROM attendees WHERE id = print_jobs.attendee_id) = 0)
    OR (reason = '{GUEST}' AND (SELECT guests FROM attendees WHERE id = print_jobs.attendee_id) <= (
        SELECT count(*) FROM print_jobs other WHERE other.attendee_id = print_jobs.attendee_id AND other.id != :job
        AND other.reason = '{GUEST}' AND other.status IN ('{QUEUED}', '{PRINTING}', '{PRINTED}')
        AND other.created_at >= (SELECT checked_in_at FROM attendees WHERE id = print_jobs.attendee_id))))"""
_IS_UNWANTED = f"(({_NOT_FOR_THIS_CHECK_IN}) OR ({_UNDONE_SINCE_ASKED}))"
_UNWANTED = f"UPDATE print_jobs SET status = '{CANCELLED}', last_error = {_WHY_UNWANTED} WHERE id = :job AND status = :status AND {_IS_UNWANTED}"


def cancel_if_unwanted(db: sqlite_utils.Database, job_id: int, status: str = QUEUED) -> int:
    """Cancel a job in `status` that should no longer print (see _IS_UNWANTED); 1 when it was."""
    return db.execute(_UNWANTED, {"job": job_id, "status": status}).rowcount


def unwanted(db: sqlite_utils.Database, job_id: int) -> bool:
    """Whether a claimed job should no longer print: a read, so the check before each badge goes out
    costs the door no write lock. Undo cancels only what waits ("queued"); the next badge is claimed
    the moment the one before it is on the printer, and stays "printing" while that one's connection
    closes (up to a second) and it is drawn: an undo then used to answer "undone" and the badge
    printed all the same."""
    return db.execute(f"SELECT 1 FROM print_jobs WHERE id = :job AND {_IS_UNWANTED}", {"job": job_id}).fetchone() is not None


def guest_badges(db: sqlite_utils.Database, host_id: int, since: str) -> int:
    """A host's guest badges since their check-in at `since`: printed, being printed or waiting."""
    return db.execute(f"SELECT count(*) FROM print_jobs WHERE attendee_id = ? AND reason = ? AND created_at >= ? "
                      f"AND status IN ('{QUEUED}', '{PRINTING}', '{PRINTED}')", [host_id, GUEST, since]).fetchone()[0]


def settle(db: sqlite_utils.Database, job_id: int, status: str, error: str) -> None:
    """End a job that must not print: CANCELLED (nothing to print) or FAILED (cannot be drawn)."""
    db.execute("UPDATE print_jobs SET status = ?, last_error = ? WHERE id = ?", [status, error, job_id])


def counts(db: sqlite_utils.Database, event_id: int, route: Route) -> dict[str, Any]:
    """Tonight's queue as one printer sees it.

    ``queued`` counts the jobs this printer may take (its stations' and the
    untied ones, which every free printer shares), ``printing``/``printed``
    those it took itself, ``failed`` the badges that could not be drawn.
    """
    where, params = route.where()
    # count(*) and min(id) from the queue's index alone (a screen asks every second, the queue may be
    # thousands long), then the one row of the oldest: jobs are numbered in the order they were queued
    waiting, oldest = db.execute(f"SELECT count(*), min(id) FROM print_jobs WHERE status = ? AND event_id = ? "
                                 f"AND {where}", [QUEUED, event_id, *params]).fetchone()
    oldest_at = db.execute("SELECT created_at FROM print_jobs WHERE id = ?", [oldest]).fetchone() if waiting else None
    taken = dict(db.execute("SELECT status, count(*) FROM print_jobs WHERE event_id = ? AND printer = ? "
                            "AND status IN (?, ?, ?) GROUP BY status",
                            [event_id, route.printer, PRINTING, PRINTED, FAILED]).fetchall())
    return {"queued": waiting, "printing": taken.get(PRINTING, 0), "printed": taken.get(PRINTED, 0),
            "failed": taken.get(FAILED, 0), "oldest_queued_at": oldest_at[0] if oldest_at else None}
