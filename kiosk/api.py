"""The JSON API: scanning, search, walk-ins, undo, badges, printers, imports, export."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, send_file
from werkzeug.exceptions import BadRequest, HTTPException, NotFound

from printers import fonts
from printers.offload import off_hub

from . import attendees, audit, auth, events, importers, reports
from .audit import Actor
from .auth import require
from .checkin import MAX_NONCE_CHARS, Outcome
from .events import Event
from .db import DatabaseGone, is_busy, is_disk_full, is_disk_trouble, is_locked
from .importers.common import normalise_email
from .importers.reading import MAX_FILE_BYTES
from .textnorm import clean, is_blank

bp = Blueprint("api", __name__, url_prefix="/api")
MAX_JSON_BYTES = 1024 * 1024  # a JSON body of the API (a scan, a walk-in); imports take files up to the app's limit
MAX_FIELD_CHARS = 1000  # a station, nonce, name, email, company or label longer than this is no such thing
JSON_PATHS = ("/api/", "/ws/")  # paths whose every answer, errors and wrong methods too, is JSON (_http_error)


def state() -> Any:
    return current_app.extensions["kiosk"]


@bp.url_value_preprocessor
def _ascii_ids(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """An id in the path is ASCII digits, or no id at all (404).

    Werkzeug's int converter matches any Unicode digit, and int() reads them: `/api/checkins/١`
    (an Arabic-Indic one) or `/api/checkins/１` (full-width) undid attendee 1's check-in. Only
    the ids are variable in these paths, so a path with anything but ASCII in it names nobody."""
    if values and not request.path.isascii():
        raise NotFound("Nothing has this id: ids are written in the digits 0-9.")


@bp.before_request
def _bounded_body() -> None:
    """Every JSON body here is a few hundred bytes: one over MAX_JSON_BYTES is a 413 before it is read.

    The app's own limit (20 MB) is for attendee lists. Parsing and cleaning a 20 MB body held
    the one gevent worker, and so every scan at the door, for seconds."""
    if request.endpoint != "api.post_import":
        request.max_content_length = MAX_JSON_BYTES


def actor() -> Actor:
    """The caller as an audit actor: who they are (token or PIN) and the station they name, if any.

    A station that is not text is a 400 (BadRequest), raised before the view changes anything."""
    who = auth.current_actor()
    refused = _not_text(json_body(), "station")
    if refused:
        raise BadRequest(refused)
    station = clean(json_body().get("station") or request.args.get("station") or "", 40)
    return dataclasses.replace(who, at_station=station) if station else who


def _not_text(body: dict[str, Any], key: str) -> str | None:
    """Why `key` cannot be taken: sent, not null and not text (an object, a list, a number), or
    text too long to be one (see _too_long); None when it can.

    Such a value used to be kept as its Python repr, a station named "{'x': 1}" in the audit trail."""
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        return f'{key} must be text, like "door-1".'
    return _too_long(value, key)


def _too_long(value: Any, key: str, limit: int = MAX_FIELD_CHARS) -> str | None:
    """Why a text field is refused for its length, or None.

    Text is cut to its column's size anyway, but cleaning it first walks every character on the
    gevent hub: a megabyte of accented letters held every other request for a third of a second.
    Refused, such a value changes nothing (it used to register a walk-in named with its start)."""
    if isinstance(value, str) and len(value) > limit:
        return f"{key} is too long: at most {limit} characters."
    return None


def json_body() -> dict[str, Any]:
    """The JSON object sent; {} when no JSON was sent (no body, or a form of our pages).

    A JSON body that is not an object (`[]`, `null`, a string, broken or nested past reason) is
    a 400 that changes nothing: it used to be read as {}, and a volunteer route then did its
    default, a check-in or a reprint, for a body that said something else entirely."""
    if not request.is_json:
        return _json_without_its_type()
    if not request.get_data(cache=True).strip():
        return {}
    try:
        data = request.get_json(silent=True, cache=True)
    except RecursionError:
        data = None
    if not isinstance(data, dict):
        raise BadRequest("Send a JSON object, like {\"station\": \"door-1\"}.")
    return data


def _json_without_its_type() -> dict[str, Any]:
    """A JSON object sent without `Content-Type: application/json` (`curl -d '{...}'` types it as a
    urlencoded form) is a 400 that changes nothing: it was read as no body, and the route did its
    default, so `{"correction": true}` (never a check-in) checked someone in and `{"guest": true}`
    reprinted the host's badge. A form of our pages (logout, an import's upload) stays {}."""
    if request.mimetype == "multipart/form-data" or not request.content_length:
        return {}
    if request.get_data(cache=True).lstrip().startswith(b"{"):
        raise BadRequest("Send the JSON with the header Content-Type: application/json.")
    return {}


def _flag(body: dict[str, Any], key: str) -> bool | None:
    """A yes/no field: JSON true or false, false when absent; None for anything else, so that the
    text "false" is refused rather than taken as yes."""
    value = body.get(key, False)
    return value if isinstance(value, bool) else None


MAX_GUESTS = 99  # as an import reads a Guests column (importers.common.parse_count)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_GUESTS


def _not_a_flag(key: str) -> Response:
    return error(422, "invalid", f"{key} must be true or false.")


def _is_request_id(value: Any) -> bool:
    """Absent, or the name of one press that its retries repeat (walk-ins, reprints): see REQUEST_ID."""
    return value is None or (isinstance(value, str) and REQUEST_ID.fullmatch(value) is not None)


def _not_a_guest_count() -> Response:
    return error(422, "invalid", f"guests must be a whole number from 0 to {MAX_GUESTS}.")


def _not_a_request_id() -> Response:
    return error(422, "invalid", "request_id must be 1 to 64 letters, digits, '-' or '_'.")


def _attendee_fields() -> tuple[str, ...]:
    return attendee_fields(auth.current_actor())


def outcome_response(outcome: Outcome) -> Response:
    response = jsonify(outcome_body(outcome, _attendee_fields()))
    response.status_code = outcome.status
    response.headers.extend(outcome_headers(outcome))
    return response


def outcome_headers(outcome: Outcome) -> list[tuple[str, str]]:
    """The headers an outcome adds (the Flask view and kiosk.fast_scan both send them): a 429 says
    when the guessing limit lifts, so a client comes back then rather than at once or never."""
    return [("Retry-After", str(outcome.retry_after))] if outcome.retry_after else []


def outcome_body(outcome: Outcome, fields: tuple[str, ...]) -> dict[str, Any]:
    """An outcome as JSON, with the attendee's `fields` when the answer is about a known person."""
    body = dict(outcome.body)
    if outcome.attendee is not None and (outcome.status < 400 or outcome.status == 409):
        body["attendee"] = attendees.as_dict(outcome.attendee, fields)
    return body


def attendee_fields(who: Actor | None) -> tuple[str, ...]:
    """A kiosk sees only what the greeting needs; volunteers see the whole record."""
    return attendees.PUBLIC_FIELDS if auth.allowed(who, "volunteer") else attendees.KIOSK_FIELDS


REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # a walk-in registration's name on its retries (a UUID)
SCAN_BODY_HINT = 'Send JSON like {"code": "...", "station": "door-1"}.'


def scan_refusal(body: dict[str, Any]) -> str | None:
    """Why a scan's body cannot be taken (the message of a 400 bad_request), or None.

    Checked before the door sees the scan, so a malformed request is neither a check-in nor a
    counted guess. A nonce may be a whole number (a script's counter) but not a float, a list or an
    object: those were silently dropped, and the retry the nonce was meant to make safe was not."""
    if not body:
        return SCAN_BODY_HINT
    nonce = body.get("nonce")
    if nonce is not None and (isinstance(nonce, bool) or not isinstance(nonce, (str, int))):
        return "nonce must be text (a UUID) or a whole number."
    # A retry is matched on the whole nonce: one cut to MAX_NONCE_CHARS made a new scan whose nonce
    # began like an older one's get that older answer (a welcome, and nobody checked in).
    return (_not_text(body, "station") or _too_long(None if nonce is None else str(nonce), "nonce", MAX_NONCE_CHARS)
            or _not_late(body))


def _not_late(body: dict[str, Any]) -> str | None:
    """Why the late-scan fields cannot be taken. A kiosk that sent its saved time as a number (epoch
    seconds) had the scan taken as not late: a refusal of someone already let in on trust then
    never reached the volunteers' feed."""
    saved_at, late = body.get("saved_at"), body.get("late")
    if saved_at is not None and not isinstance(saved_at, str):
        return 'saved_at must be text: the ISO 8601 time the scan was saved, like "2026-11-26T18:42:05Z".'
    if late is not None and not isinstance(late, bool):
        return "late must be true or false."
    return _too_long(saved_at, "saved_at")


def scan(door: Any, body: dict[str, Any], client: str) -> Outcome:
    """A scan's JSON body to the door's answer (the Flask route and kiosk.fast_scan both use this)."""
    station = clean(body.get("station") or "door", 40) or "door"
    nonce = body.get("nonce")
    # nothing left once cleaned ("\x1b", a zero-width space) is no nonce: kept as "", a second such
    # scan of the same read broke the scan log's unique key (a 500) instead of being scanned again
    nonce = (clean(nonce, MAX_NONCE_CHARS) or None) if isinstance(nonce, (str, int)) else None
    saved_at = clean(body["saved_at"], 40) if isinstance(body.get("saved_at"), str) else ""
    late = body.get("late") is True or bool(saved_at)
    return door.scan(body.get("code"), station, nonce, guesser(client), late=late, saved_at=saved_at)


def guesser(client: str) -> str:
    """Whom a scan's refusals count against for code guessing: its address, or its IPv6 /64.

    One device holds a whole /64 (privacy addresses, or any address it picks), so a guesser
    changing its address with each scan was never limited; the PIN limit counts a /64 as one
    address for the same reason. IPv4, nearly every scan, skips the parsing (the hot path)."""
    return client if ":" not in client else auth.address_key(client)


# Why the door cannot write (the first half of a 503's message), and what became of the request.
BUSY = "The door is busy for a moment (a large list is being imported)"
DISK_FULL = "The door's computer has no disk space left"
DISK_TROUBLE = "The door's computer cannot write its database"
DATABASE_GONE = "The door's database file was deleted or replaced while the kiosk ran"
SCAN_KEPT = {BUSY: "the scan is kept and sent again."}  # the kiosk page keeps a scan and sends it again
SCAN_KEPT_TELL = "the scan is kept and sent again. Please tell a volunteer."
NOT_DONE = {BUSY: "nothing was done. Try again in a moment.",
            DISK_FULL: "nothing was done. Free some space on it, then try again."}
NOT_DONE_TELL = "nothing was done. Please tell the organiser, then try again."
BUSY_RETRY_AFTER = "2"  # seconds, for the Retry-After header


def unavailable(exc: BaseException, scan: bool = True) -> dict[str, str]:
    """The 503's body for an ``is_busy`` error: a disk that is full or cannot be written needs a
    volunteer, a busy lock only a moment. Only a scan is kept (by the kiosk page) and sent again:
    a volunteer's reprint, undo or walk-in refused so used to say "the scan is kept and sent
    again. Please tell a volunteer.", and the volunteer waited for a badge that never came."""
    if isinstance(exc, DatabaseGone):
        why = DATABASE_GONE
    else:
        why = DISK_FULL if is_disk_full(exc) else DISK_TROUBLE if is_disk_trouble(exc) else BUSY
    then = SCAN_KEPT.get(why, SCAN_KEPT_TELL) if scan else NOT_DONE.get(why, NOT_DONE_TELL)
    return {"result": "busy", "message": f"{why}: {then}"}


def error(status: int, result: str, message: str) -> Response:
    response = jsonify({"result": result, "message": message})
    response.status_code = status
    return response


@bp.app_errorhandler(sqlite3.OperationalError)
def _database_error(exc: sqlite3.OperationalError) -> Response:
    """Another process (a large `kiosk import`) held the write lock past our wait: 503, which the
    kiosk page treats as "no answer yet" and sends again with the same nonce. Anything else is
    the 500 it is (Flask logs it and the handler below answers it)."""
    if not is_busy(exc):
        raise exc
    response = error(503, **unavailable(exc, scan=request.endpoint == "api.post_checkin"))
    response.headers["Retry-After"] = BUSY_RETRY_AFTER
    return response


@bp.app_errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response | HTTPException:
    """Errors under /api/ and /ws/ answer JSON, including paths and methods no route takes (a
    script reads `result` either way, and a socket's 401 and 403 were JSON already while its 400
    and 405 were HTML pages); pages keep Flask's HTML error pages."""
    if not request.path.startswith(JSON_PATHS):
        return exc
    description = exc.description or exc.name
    if exc.code == 413 and request.path == "/api/imports":  # Werkzeug's "data value ... capacity limit"
        description = (f"The file is too large (the limit is {MAX_FILE_BYTES // 1048576} MB). "
                       "Nothing was imported.")
    response = error(exc.code or 500, exc.name.lower().replace(" ", "_"), description)
    if exc.code == 405:
        response.headers["Allow"] = exc.get_response().headers.get("Allow", "")
    return response


@bp.post("/checkins")
@require("kiosk")
def post_checkin() -> Response:
    """A scan from a kiosk or a scanner script (see the contract for the answers).

    Scans with a bearer token and a plain JSON body are answered before Flask by kiosk.fast_scan,
    with the same functions; this view answers the rest (browser sessions, odd requests)."""
    body = json_body()
    refused = scan_refusal(body)
    if refused:
        return error(400, "bad_request", refused)
    return outcome_response(scan(state().door, body, request.remote_addr or ""))


@bp.delete("/checkins/<int:attendee_id>")
@require("volunteer")
def delete_checkin(attendee_id: int) -> Response:
    return outcome_response(state().door.undo(attendee_id, actor()))


@bp.get("/attendees")
@require("volunteer")
def list_attendees() -> Response:
    query = clean(request.args.get("q", ""), 100)
    limit = min(max(request.args.get("limit", 25, type=int) or 25, 1), 500)
    with state().store.read() as db:
        return jsonify({"attendees": attendees.search(db, state().door.event, query, limit)})


@bp.get("/attendees/<int:attendee_id>")
@require("volunteer")
def get_attendee(attendee_id: int) -> Response:
    with state().store.read() as db:
        row = attendees.get(db, state().door.event, attendee_id)
    if row is None:
        return error(404, "not_found", "No such attendee tonight.")
    return jsonify({"attendee": attendees.as_dict(row)})


def _walk_in_email(email: str | None) -> str | None | bool:
    """A walk-in's address as an import stores it (bare and lower-cased, so a re-import of the
    platform's list finds them by it), None when left blank, False when it is no address: a
    script's "not-an-email", or a header smuggled in ("x@example.org\nBcc: ..."), was kept as typed."""
    if email is None or not email.strip():
        return None
    return normalise_email(email) or False


@bp.post("/attendees")
@require("volunteer")
def post_walk_in() -> Response:
    body = json_body()
    name = body.get("name")
    email, company = body.get("email"), body.get("company")
    too_long = _too_long(name, "name") or _too_long(email, "email") or _too_long(company, "company")
    if too_long:
        return error(422, "invalid", too_long)
    if not isinstance(name, str) or is_blank(name):  # a Hangul filler alone is no name, as in an import
        return error(422, "invalid", "A walk-in needs a name.")
    if not name.isascii() and not off_hub(lambda: fonts.prints_anything(name)):  # "🎉🎉": shown on screens, a blank badge
        return error(422, "invalid", "A walk-in needs a name in letters: emoji alone do not print on a badge.")
    if any(v is not None and not isinstance(v, str) for v in (email, company)):
        return error(422, "invalid", "Email and company must be text.")
    email = _walk_in_email(email)
    if email is False:
        return error(422, "invalid", "That email address does not look like one (name@example.org); leave it out "
                                     "if they would rather not give one.")
    check_in = _flag(body, "check_in")
    if check_in is None:
        return _not_a_flag("check_in")
    guests = 0 if body.get("guests") is None else body["guests"]  # a walk-in alone, unless said otherwise
    if not _is_count(guests):
        return _not_a_guest_count()
    request_id = body.get("request_id")
    if not _is_request_id(request_id):
        return _not_a_request_id()
    attendee_id, outcome, repeated = state().door.walk_in(name, email, company, check_in, actor(), request_id,
                                                          guests)
    with state().store.read() as db:
        person = attendees.as_dict(attendees.get(db, state().door.event, attendee_id))
    result: dict[str, Any] = {"result": "registered", "attendee": person}
    if outcome is not None:
        result.update({k: v for k, v in outcome.body.items() if k != "result"}, check_in=outcome.result)
    elif check_in and person["checked_in_at"]:  # a repeat: they were checked in the first time
        result.update(check_in="checked_in", checked_in_at=person["checked_in_at"])
    if repeated:
        result["repeated"] = True
    response = jsonify(result)
    response.status_code = 200 if repeated else 201
    return response


@bp.post("/attendees/<int:attendee_id>/checkin")
@require("volunteer")
def post_manual_checkin(attendee_id: int) -> Response:
    """Check someone in from search, e.g. a lost QR code; `override` admits a waitlisted person.
    `guests` (0-99) is how many guests came with them (the list may have said more or fewer);
    for someone already in, it corrects their party; with `correction` it only does that (409
    not_checked_in for someone who is not in)."""
    body = json_body()
    override, correction = _flag(body, "override"), _flag(body, "correction")
    if override is None or correction is None:
        return _not_a_flag("override" if override is None else "correction")
    guests = body.get("guests")
    if guests is not None and not _is_count(guests):
        return _not_a_guest_count()
    if correction and guests is None:
        return error(422, "invalid", "A correction needs guests.")
    return outcome_response(state().door.manual_check_in(attendee_id, actor(), override, guests, correction))


@bp.get("/attendees/<int:attendee_id>/badge.png")
@require("volunteer")
def badge_png(attendee_id: int) -> Response:
    """The badge exactly as it will print; `?guest=1`: the badge each of their guests gets."""
    printer = request.args.get("printer")
    if printer and printer not in state().printers.printers:  # not the first printer's badge, unasked
        return error(404, "not_found", "No such printer.")
    guest = request.args.get("guest", "0")
    if guest not in ("0", "1"):
        return error(422, "invalid", "guest must be 0 or 1.")
    image = state().printers.preview(attendee_id, printer, guest=guest == "1")
    if image is None:
        return error(404, "not_found", "No such attendee tonight.")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    buffer.seek(0)
    return send_file(buffer, mimetype="image/png", max_age=0)


@bp.post("/attendees/<int:attendee_id>/badge")
@require("volunteer")
def reprint(attendee_id: int) -> Response:
    """Queue another badge; `"guest": true` for one of their guests' badges (a torn one). An optional
    `request_id` (as for walk-ins) names one press: the console sends it again when the answer was
    lost, and the repeat queues nothing (answered 200, `repeated`)."""
    body = json_body()
    request_id, guest = body.get("request_id"), body.get("guest", False)
    if not _is_request_id(request_id):
        return _not_a_request_id()
    if not isinstance(guest, bool):
        return error(422, "invalid", "guest must be true or false.")
    queued = state().door.reprint(attendee_id, actor(), request_id, guest)
    if queued is None:
        return error(404, "not_found", "No such attendee tonight.")
    if isinstance(queued, Outcome):
        return outcome_response(queued)
    job_id, repeated = queued
    response = jsonify({"result": "queued", "job_id": job_id, **({"repeated": True} if repeated else {})})
    response.status_code = 200 if repeated else 202
    return response


@bp.get("/printers")
@require("volunteer")
def printers() -> Response:
    return jsonify({"printers": state().printers.describe()})


@bp.get("/csrf")
def get_csrf() -> Response:
    """The CSRF token of the caller's own session, and its role (null when signed out).

    Public: the token is tied to the session cookie, and another site's page cannot read this
    answer (same-origin). A page open before a sign-in in another tab holds the old session's
    token; it asks here once when a change is refused with "csrf" (web/static/js/api.js)."""
    who = auth.current_actor()
    response = jsonify({"csrf": auth.csrf_token(), "role": who.role if who else None})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/headcount")
def get_headcount() -> Response:
    """Public: counts only."""
    return jsonify(state().door.feed.headcount or state().door.headcount())


@bp.get("/event")
def get_event() -> Response:
    """Public: what the idle kiosk shows (name, schedule, sponsors)."""
    return jsonify(state().door.event.public())


@bp.get("/arrivals")
@require("volunteer")
def arrivals() -> Response:
    """Arrivals per minute for the console's chart."""
    with state().store.read() as db:
        return jsonify({"per_minute": reports.arrivals_per_minute(db, state().door.event)})


@bp.post("/imports")
@require("organizer")
def post_import() -> Response:
    """Upload an attendee list (multipart field `file`, optional `source` and `remove_missing`)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return error(400, "bad_request", "Attach the attendee list as the form field 'file'.")
    source = request.form.get("source", "auto")
    if source not in importers.SOURCES:
        return error(422, "invalid", f"Unknown source {source!r}.")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / _safe_name(upload.filename)
        upload.save(path)
        try:
            summary = state().door.import_file(path, source, actor(),
                                               remove_missing=request.form.get("remove_missing") in ("1", "true", "on"))
        except importers.ImportFileError as exc:
            return error(422, "import_failed", exc.nothing_imported())
    return jsonify({"result": "imported", **summary.as_dict()})


def _safe_name(filename: str) -> str:
    """The uploaded file's own name (errors name it) made harmless: no folders, no "..", no odd bytes."""
    name = "".join(ch if ch.isalnum() or ch in "._- " else "_" for ch in Path(filename).name).lstrip(".")[:100]
    return name or "upload.csv"


@bp.get("/export")
@require("organizer")
def export() -> Response:
    """The attendance report as CSV (or ?format=json, ?format=xlsx); any other format is refused,
    since a file named .pdf that holds CSV misleads whoever opens it. ?event=SLUG reports an
    earlier evening (slugs: `kiosk events`) without changing tonight's."""
    fmt = request.args.get("format", "csv")
    if fmt not in reports.FORMATS:
        return error(400, "unknown_format", f"format must be one of {', '.join(reports.FORMATS)}")
    event = _evening_asked()
    if event is None:
        return _no_such_evening()
    missed = _record_export(actor(), event, fmt)
    with state().store.snapshot() as db:
        body = reports.attendance(db, event, fmt)
    return Response(body, mimetype=reports.FORMATS[fmt],
                    headers={"Content-Disposition": f'attachment; filename="attendance-{event.slug}.{fmt}"',
                             **({"X-Audit-Trail": f"not recorded ({missed})"} if missed else {})})


def _record_export(who: Actor, event: Event, fmt: str) -> str | None:
    """The export's audit line; when it cannot be written, why, in a few words.

    The report is still given, as `kiosk export` gives it: at the end of a night whose disk
    filled up, or while `kiosk import` wrote a large list beside the server, the organiser got a
    503 for the one file they needed, for want of a line saying they had downloaded it. The
    missing line is logged and said in a header."""
    missed = audit.record_if_writable(state().store, who, "export", event.id, format=fmt)
    if missed is None:
        return None
    current_app.logger.warning("export of %s given without its audit line: %s", event.slug, missed)
    return "another process was writing the database" if is_locked(missed) else "the disk cannot be written"


def _evening_asked() -> Event | None:
    """The evening a download asks for: ?event=SLUG (or its date or name, see ``events.find``) for an
    earlier one, without changing tonight's; else the door's. None for one there is not."""
    wanted = request.args.get("event")
    if not wanted:
        return state().door.event
    with state().store.read() as db:
        return events.find(db, wanted)


def _no_such_evening() -> Response:
    return error(404, "not_found", "No event with that slug, date or name (`kiosk events` lists them).")


@bp.get("/audit")
@require("organizer")
def get_audit() -> Response:
    """Who did what and when; ?format=csv downloads it, ?event=SLUG an earlier evening's: last month's
    trail could not be had once the door had moved on."""
    event = _evening_asked()
    if event is None:
        return _no_such_evening()
    with state().store.read() as db:
        entries = audit.entries(db, event.id, limit=100_000 if request.args.get("format") == "csv" else 500)
    if request.args.get("format") != "csv":
        return jsonify({"audit": entries})
    # At the venue's clock, as the attendance report: a London evening in July read an hour early.
    rows = [{**e, "at": reports.at_offset(e["at"], event.offset), "details": json.dumps(e["details"], ensure_ascii=False)}
            for e in entries]
    text = reports.to_csv(rows, ("id", "at", "role", "actor", "action", "attendee_id", "details"))
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="audit-{event.slug}.csv"'})


@bp.get("/tokens")
@require("organizer")
def get_tokens() -> Response:
    with state().store.read() as db:
        return jsonify({"tokens": auth.list_tokens(db)})


@bp.post("/tokens")
@require("organizer")
def post_token() -> Response:
    role = json_body().get("role")
    if not isinstance(role, str) or role not in auth.ROLE_RANK:  # a list or object is no role (and no dict key)
        return error(422, "invalid", "role must be kiosk, volunteer or organizer.")
    label = json_body().get("label") or ""
    refused = _too_long(label, "label") if isinstance(label, str) else "label must be text."
    if refused:
        return error(422, "invalid", refused)
    who = actor()
    with state().store.write() as db:
        token = auth.create_token(db, role, clean(label, 60))
        audit.record(db, who, "token_create", state().door.event.id, role=role)
    response = jsonify({"result": "created", "role": role, "token": token})
    response.status_code = 201
    return response


@bp.delete("/tokens/<int:token_id>")
@require("organizer")
def delete_token(token_id: int) -> Response:
    who = actor()
    with state().store.write() as db:
        revoked = auth.revoke_token(db, token_id)
        state().token_cache.clear()
        if revoked:
            audit.record(db, who, "token_revoke", state().door.event.id, token_id=token_id)
    return jsonify({"result": "revoked"}) if revoked else error(404, "not_found", "No such live token.")
