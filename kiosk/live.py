"""Websockets: the public headcount, the volunteers' live feed, and webcam frames to decode.

Each connection runs its own loop and sends the latest state itself (see feed.py):
one phone that stops reading never delays another. flask-sock's ping_interval
(SOCK_SERVER_OPTIONS) notices phones that vanished without closing.

The other way round, a browser cannot see websocket pings: a socket whose Wi-Fi or NAT entry
died stays "open" in the page for many minutes while nothing arrives. So both feeds send
something at least every LIVE_HEARTBEAT_SECONDS (the headcount again, or a heartbeat), and the
pages (web/static/js/live.js) drop a socket that has been silent for a few of those.

A console that was away (Wi-Fi, a server restart) reconnects with ?since=<the server_time of
the last message it got>; the live feed then sends what it missed from the database before
going live, since the in-memory feed neither survives a restart nor is meant to replay history.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import time
from typing import Any

import zxingcpp
from flask import Blueprint, current_app, g, request, session
from PIL import Image
from flask_sock import Sock
from simple_websocket import ConnectionClosed
from wsproto.utilities import RemoteProtocolError

from printers.offload import off_hub

from . import attendees, audit, auth, clock

bp = Blueprint("live", __name__)
sock = Sock()
WAIT_SECONDS = 1.0  # how soon a handler notices its phone has gone (a hung-up socket wakes no one)
WS_ROLES: dict[str, str | None] = {}
MAX_FRAME_BYTES = 1_500_000
MAX_FRAME_PIXELS = 4_000_000  # a 2560x1440 webcam frame fits
RECHECK_SECONDS = 2.0  # how soon an open socket notices that its token was revoked or has expired
POLICY_VIOLATION = 1008  # websocket close code: the credentials no longer hold
HEARTBEAT_SECONDS = 15  # default of app.config["LIVE_HEARTBEAT_SECONDS"]; base.html tells the pages
MAX_CATCH_UP = 200  # the console keeps this many feed items anyway
# Warnings told from the feed's memory on a reconnect: a saved scan refused, or one that took the
# venue past its capacity (kiosk.door). Both come from a kiosk's outage, which drops the phones too.
KEPT_WARNINGS = ("late_refusal", "over_capacity")
CAMERA_BACKLOG = 2  # frames waiting to be decoded; the page sends one and waits for its answer


@bp.record_once
def _defaults(setup: Any) -> None:
    """The heartbeat is app config so that templates (the pages' timeout) and tests can read and set it."""
    setup.app.config.setdefault("LIVE_HEARTBEAT_SECONDS", HEARTBEAT_SECONDS)


def _heartbeat_seconds() -> float:
    return float(current_app.config.get("LIVE_HEARTBEAT_SECONDS", HEARTBEAT_SECONDS))


def ws_route(path: str, role: str | None):
    """Register a websocket route with the role it needs (None: public), checked before the upgrade."""
    def decorator(view):
        WS_ROLES[f"live.{view.__name__}"] = role
        sock.route(path, bp=bp)(view)
        return view
    return decorator


@bp.before_request
def _authorise() -> Any:
    """Refuse with 401/403 before the handshake: a refused socket never opens."""
    role = WS_ROLES.get(request.endpoint or "")
    if not role:
        return None
    return auth.check(role) or _cross_site_refusal(request)


def _cross_site_refusal(request: Any) -> Any:
    """403 for a socket signed in by cookie but opened by another site's page.

    Browsers send cookies with websocket handshakes and no CORS rule applies, so a page on
    another port of this laptop (same site for SameSite) could read the live feed, names
    included. Browsers always send Origin here; scripts with a token need none."""
    origin = request.headers.get("Origin")
    if g.get("auth_via") != "cookie" or not origin or auth.from_this_host(origin):
        return None
    return auth.refuse(403, "cross_site", "This live feed opens only from the kiosk's own pages.")


def end_session(csrf: str | None) -> None:
    """A browser signed out (POST /logout): close the sockets its other tabs opened with that session.

    The session is a signed cookie, so the server forgets nothing when it is cleared, and a socket
    keeps the cookie it opened with: a console left open in another tab went on receiving names,
    "Live", after its volunteer signed out. Each sign-in has its own CSRF token, which names it."""
    if csrf:
        state = current_app.extensions["kiosk"]
        state.ended_sessions.add(csrf)
        state.token_cache.clear()  # open sockets look again now


class _SignIn:
    """The credentials a socket opened with, checked again while it stays open: at once after a
    token is revoked through this server or a session is signed out, and every few seconds for a
    token revoked by `kiosk token revoke` or expired. Revoking a lost phone's token must stop names
    reaching it, not only new connections."""

    def __init__(self, role: str) -> None:
        self.role = role
        self._ended = current_app.extensions["kiosk"].ended_sessions
        self._tokens = current_app.extensions["kiosk"].token_cache
        self._generation = self._tokens.generation
        self._next_check = time.monotonic() + RECHECK_SECONDS
        self._session = session.get("csrf") if g.get("auth_via") == "cookie" else None
        # A sign-in by cookie ends with the cookie's lifetime (16 hours), also for a socket already open.
        self._ends = current_app.session_interface.ends_at(current_app, request) if self._session else None

    def lapsed(self) -> bool:
        if self._ends is not None and time.time() >= self._ends:  # a clock to read, no store: at every look
            return True
        now = time.monotonic()
        if now < self._next_check and self._generation == self._tokens.generation:
            return False
        self._generation, self._next_check = self._tokens.generation, now + RECHECK_SECONDS
        return self._session in self._ended or not auth.still_allowed(self.role)


@bp.errorhandler(RemoteProtocolError)
def _not_a_handshake(exc: RemoteProtocolError) -> Any:
    """A websocket request the handshake cannot accept (no Sec-WebSocket-Key, another version):
    the client's mistake, a 400 like any malformed request, not a 500 with a traceback."""
    return auth.refuse(400, "bad_request", f"This is not a websocket handshake the server accepts: {exc}.")


class _Inbox(list):
    """What a socket's peer sent and the handler has not read yet, at most `keep` messages.

    simple_websocket keeps every message that arrives in a plain list until the handler asks
    for it; the headcount and live feeds never ask, so a stranger streaming frames into the
    public /ws/headcount grew the server's memory without bound (150 frames of 1.9 MB: +280 MB).
    Only the newest `keep` are kept (0: none); for the camera an older frame is stale anyway."""

    def __init__(self, keep: int) -> None:
        super().__init__()
        self.keep = keep

    def append(self, message: Any) -> None:
        if self.keep:
            super().append(message)
            del self[:-self.keep]


def _bounded_inbox(ws, keep: int) -> None:
    """Give this socket an _Inbox (see there) in place of simple_websocket's unbounded list.

    The socket's reader thread starts before the handler runs, so a message may already be in the
    old list: a camera's first frame, sent as the socket opens, was dropped with it and never
    answered (under threads; under gevent the reader waits for the handler to yield). What came
    already is kept, oldest first, within `keep`."""
    arrived = ws.input_buffer
    inbox = ws.input_buffer = _Inbox(keep)  # from here on the reader appends to the inbox
    if keep:
        inbox[:0] = arrived
        del inbox[:-keep]


def _close_lapsed(ws) -> None:
    ws.close(reason=POLICY_VIOLATION, message="Your sign-in was revoked or has expired.")


def _feed():
    return current_app.extensions["kiosk"].door.feed


@ws_route("/ws/headcount", None)
def headcount(ws) -> None:
    """Public: the headcount on connect, after every change of it, and again when it has been
    quiet for a heartbeat (so the display can tell a quiet door from a dead socket). Counts only."""
    _bounded_inbox(ws, 0)  # a display sends nothing worth keeping
    feed = _feed()
    sent, beat = -1, _Heartbeat()
    with _hung_up_is_normal():
        while ws.connected:
            version, text = feed.headcount_snapshot()
            if version != sent or beat.due():  # the same count again is the display's heartbeat
                ws.send(text)
                sent = version
                beat.sent()
            feed.wait_headcount(sent, min(WAIT_SECONDS, beat.left()))


@ws_route("/ws/live", "volunteer")
def live(ws) -> None:
    """Volunteers: the headcount plus each arrival, undo, walk-in, import and printer change;
    on a reconnect (?since=) what was missed first, and a heartbeat when the door is quiet."""
    _bounded_inbox(ws, 0)  # the console only listens
    feed = _feed()
    sign_in = _SignIn("volunteer")
    beat = _Heartbeat()
    with _hung_up_is_normal():
        sent = feed.version  # first: a change made during the catch-up is sent live too (the page skips repeats)
        _send_missed(ws, feed, request.args.get("since", ""), sent)
        _send_snapshot(ws, feed)
        while ws.connected:
            feed.wait(sent, min(WAIT_SECONDS, beat.left()))
            if sign_in.lapsed():
                return _close_lapsed(ws)
            changes = feed.since(sent)
            if changes is None:  # fell behind the log: start again from the current state
                sent = _send_snapshot(ws, feed)
                continue
            for change in changes:
                _send(ws, {"type": change.kind, "version": change.version, **change.data, "headcount": feed.headcount})
                sent = change.version
            if changes:
                beat.sent()
            elif beat.due():
                _send(ws, {"type": "heartbeat", "headcount": feed.headcount})
                beat.sent()


class _Heartbeat:
    """When this socket last sent anything: a silent one sends a heartbeat (see the module's docstring)."""

    def __init__(self) -> None:
        self.every = _heartbeat_seconds()
        self._last = time.monotonic()

    def sent(self) -> None:
        self._last = time.monotonic()

    def left(self) -> float:
        return max(self._last + self.every - time.monotonic(), 0.01)

    def due(self) -> bool:
        return time.monotonic() - self._last >= self.every


def _send(ws, message: dict[str, Any], server_time: str | None = None) -> None:
    """One live-feed message, stamped with the server's clock: the console's ?since= on reconnect."""
    ws.send(json.dumps({**message, "server_time": server_time or clock.now_iso()}))


def _send_missed(ws, feed, since: str, up_to: int) -> None:
    """What happened at the door after `since` (the console's last message), from the database,
    before the snapshot: the snapshot's stamp then moves the console's `since` past all of it.

    The door's changes (_missed_at_the_door) come as the live feed tells them. Late refusals (and
    over-capacity warnings, KEPT_WARNINGS) come from the feed's log (up to version `up_to`, after which they are sent live): the Wi-Fi outage
    that made a kiosk save scans also drops the volunteers' phones, and a refusal told while every
    console was away used to reach nobody. The console skips what it has already."""
    if not _is_iso_time(since):
        return
    state = current_app.extensions["kiosk"]
    with state.store.read() as db:
        missed = _missed_at_the_door(db, state.door.event.id, since)
    missed += [(change.data["at"], {"type": kind, **change.data})
               for kind in KEPT_WARNINGS for change in feed.kept(kind, up_to) if change.data["at"] > since]
    # Oldest first, each stamped with its own time: a catch-up cut short resumes where it stopped.
    for at, message in sorted(missed, key=lambda item: item[0])[-MAX_CATCH_UP:]:
        _send(ws, {**message, "catch_up": True, "headcount": feed.headcount}, server_time=at)


# The volunteers' changes a catch-up tells, from the audit trail (kiosk scans are in no audit).
_CAUGHT_UP_ACTIONS = ("undo", "walk_in", "party_size", "manual_check_in")


def _missed_at_the_door(db: Any, event_id: int, since: str) -> list[tuple[str, dict[str, Any]]]:
    """The arrivals, undos, walk-ins and party corrections after `since`, each as (time, the
    message the live feed sent for it), so a phone that slept through them sees what the others saw.

    Arrivals are the people checked in since then who still are; the audit trail tells who made
    each: a volunteer ("by a volunteer"), the walk-in's own registration ("walk-in, checked in"),
    else a kiosk scan. A catch-up made of arrivals and undos alone showed a walk-in as a plain
    arrival, a walk-in registered only and a party corrected to 2 guests not at all (the headcount
    jumped by two with nothing in the feed to say why)."""
    arrived = {row["id"]: row for row in db.execute(
        "SELECT * FROM attendees WHERE event_id = ? AND checked_in_at > ? ORDER BY checked_in_at DESC LIMIT ?",
        [event_id, since, MAX_CATCH_UP])}
    marks = ", ".join("?" * len(_CAUGHT_UP_ACTIONS))
    entries = [_Change(row) for row in db.execute(
        "SELECT a.*, u.at AS change_at, u.action AS change, u.actor AS change_by, u.role AS change_role, "
        "u.details AS change_details "
        f"FROM audit u JOIN attendees a ON a.id = u.attendee_id WHERE u.event_id = ? AND u.action IN ({marks}) "
        "AND u.at > ? ORDER BY u.at DESC, u.id DESC LIMIT ?", [event_id, *_CAUGHT_UP_ACTIONS, since, 5 * MAX_CATCH_UP])]
    latest: dict[int, _Change] = {}  # each person's latest check-in, undo or walk-in: what made their arrival
    newer: dict[int, _Change] = {}
    for change in entries:  # newest first
        if change.action != "party_size":
            change.next = newer.get(change.person_id)
            newer[change.person_id] = change
            latest.setdefault(change.person_id, change)
    missed = [change.as_told(change.person_id in arrived) for change in reversed(entries)
              if change.action != "manual_check_in"]  # told with its arrival
    for person_id, row in arrived.items():
        made_by = latest.get(person_id)
        if not (made_by and made_by.walk_in_checked_in(True)):  # else told as "walk-in, checked in"
            missed.append((row["checked_in_at"], _arrival(row, manual=bool(made_by and made_by.action == "manual_check_in"))))
    return missed


class _Change:
    """One volunteer's change of a person from the audit trail, and the person's next one (if any)."""

    def __init__(self, row: Any) -> None:
        self.row, self.person_id, self.action, self.at = row, row["id"], row["change"], row["change_at"]
        self.details = json.loads(row["change_details"] or "{}")
        self.next: _Change | None = None

    def walk_in_checked_in(self, in_now: bool) -> bool:
        """A walk-in registered with "Check in and print" who got in: undone next, or still in."""
        asked = self.action == "walk_in" and self.details.get("check_in") is True
        return asked and (self.next.action == "undo" if self.next else in_now)

    def as_told(self, in_now: bool) -> tuple[str, dict[str, Any]]:
        """A walk-in, party correction or undo as the live feed told it."""
        person = attendees.as_dict(self.row)
        by = audit.shown(self.row["change_role"], self.row["change_by"], self.details.get("station", ""))
        if self.action == "walk_in":
            return self.at, {"type": "walk_in", "attendee": person, "at": self.at,
                             "checked_in": self.walk_in_checked_in(in_now)}
        if self.action == "party_size":  # the party as it was set then
            return self.at, {"type": "party", "attendee": {**person, "guests": self.details.get("guests", person["guests"])},
                             "at": self.at, "by": by}
        return self.at, {"type": "undone", "attendee": person, "at": self.at, "by": by}


def _arrival(row: Any, manual: bool) -> dict[str, Any]:
    return {"type": "checked_in", "attendee": attendees.as_dict(row), "station": row["checked_in_station"],
            "at": row["checked_in_at"], "manual": manual}


def _is_iso_time(text: str) -> bool:
    """A time the server itself sent (ISO 8601); anything else asks for no catch-up."""
    try:
        dt.datetime.fromisoformat(text)
    except ValueError:
        return False
    return bool(text) and len(text) <= 40


def _send_snapshot(ws, feed) -> int:
    """The current headcount and printers; printers from the same place as GET /api/printers."""
    version = feed.version
    printers = current_app.extensions["kiosk"].printers.describe()
    _send(ws, {"type": "snapshot", "headcount": feed.headcount, "printers": printers})
    return version


@contextlib.contextmanager
def _hung_up_is_normal():
    """A phone that walks out of Wi-Fi range resets its socket: that ends its loop, quietly."""
    try:
        yield
    except (ConnectionClosed, ConnectionError, OSError):
        pass


@ws_route("/ws/camera", "kiosk")
def camera(ws) -> None:
    """Webcam frames (JPEG or PNG bytes) in, decoded QR texts out; the page then scans them like a key-in."""
    _bounded_inbox(ws, CAMERA_BACKLOG)
    sign_in = _SignIn("kiosk")
    with _hung_up_is_normal():
        while True:
            frame = ws.receive(timeout=RECHECK_SECONDS)  # None after a quiet while: look at the sign-in again
            if sign_in.lapsed():
                return _close_lapsed(ws)
            if frame is None:
                continue
            if isinstance(frame, str) or len(frame) > MAX_FRAME_BYTES:
                ws.send(json.dumps({"codes": [], "error": "send one image per binary message"}))
                continue
            ws.send(json.dumps({"codes": off_hub(lambda: _decode(frame))}))


FRAME_FORMATS = ("JPEG", "PNG")  # what the kiosk page sends (camera.js: canvas.toBlob, image/jpeg)


def _decode(frame: bytes) -> list[str]:
    """The QR texts in one JPEG/PNG frame; nothing for an unreadable one (decoded off the gevent hub).

    Only JPEG and PNG are opened: Pillow opens EPS by running Ghostscript (installed with CUPS on
    many laptops) on it, and each of its other formats is more decoder code a kiosk token can feed.
    Any error while decoding is the frame's: Pillow's decoders raise more than OSError (a damaged
    PNG raises SyntaxError), and one escaping ended the socket with a 500 written into it."""
    try:
        image = Image.open(io.BytesIO(frame), formats=FRAME_FORMATS)
        if image.width * image.height > MAX_FRAME_PIXELS:  # a tiny PNG can claim a gigapixel
            return []
        image.draft("L", (800, 800))
        results = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    except Exception:  # noqa: BLE001 - UnidentifiedImageError, DecompressionBombError, SyntaxError, ...
        return []
    return [r.text for r in results if r.valid and r.text]

