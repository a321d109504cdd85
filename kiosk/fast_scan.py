"""POST /api/checkins from scanners and stations with a bearer token, answered before Flask.

Why: this is the one request a busy door sends hundreds of times a minute, and on
it Flask's request machinery (contexts, proxies, routing, the session, the
response object) cost about as much as the check-in itself: the do-nothing Flask
endpoint of bench/checkin.py spends 0.12 ms where the same answer in plain WSGI
takes 0.02 ms. So the usual case is answered here, in front of the Flask app, by
the same functions the Flask view calls (``auth.TokenCache``, ``auth.role_refusal``,
``api.scan``, ``api.outcome_body``): same rules, same answers, the same JSON (its keys
unsorted).

Only the plain case is taken: POST to exactly ``/api/checkins``, ``Authorization:
Bearer``, ``Content-Type: application/json`` and a Content-Length of at most
``MAX_BODY`` bytes. Everything else (a browser's session cookie with its CSRF
token, chunked or large bodies, other content types) goes on to Flask untouched,
and the view ``api.post_checkin`` answers it.
"""

from __future__ import annotations

import functools
import json
import logging
from http import HTTPStatus
from typing import Any, Callable, Iterable

from werkzeug.exceptions import InternalServerError

from . import api, auth
from .db import is_busy

log = logging.getLogger("kiosk.fast_scan")

PATH = "/api/checkins"
MAX_BODY = 16 * 1024
WSGIApp = Callable[[dict[str, Any], Callable], Iterable[bytes]]


class FastScan:
    """WSGI middleware: answers plain bearer-token scans itself, hands everything else to `inner`."""

    def __init__(self, inner: WSGIApp, state: Any, json_provider: Any) -> None:
        self.inner, self.state = inner, state
        # jsonify's settings, compact, in an encoder made once (json.dumps with options makes one per call);
        # keys in the order written (sorting them cost a third of the encoding) and no cycle check (plain dicts)
        self._encode = json.JSONEncoder(default=json_provider.default, ensure_ascii=json_provider.ensure_ascii,
                                        check_circular=False, separators=(",", ":")).encode

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        token, length = self._takes(environ)
        if token is None:
            return self.inner(environ, start_response)
        try:
            status, body, headers = self._answer(environ, token, length)
        except Exception as exc:  # noqa: BLE001 - answered as the Flask views answer it (api.py), and logged
            status, body, headers = _failure(exc)
        data = (self._encode(body) + "\n").encode()  # as jsonify
        start_response(_status_line(status),
                       [("Content-Type", "application/json"), ("Content-Length", str(len(data))), *headers])
        return [data]

    @staticmethod
    def _takes(environ: dict[str, Any]) -> tuple[str | None, int]:
        """(bearer token, body length) when this request is ours, else (None, 0)."""
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST":
            return None, 0
        token = auth.bearer_token(environ.get("HTTP_AUTHORIZATION", ""))
        mimetype = environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
        declared = environ.get("CONTENT_LENGTH", "").strip()
        if token is None or mimetype != "application/json" or not declared.isdecimal() or not declared.isascii():
            return None, 0  # no length (chunked), or an odd one: Flask decides
        length = int(declared)
        return (token, length) if length <= MAX_BODY else (None, 0)

    def _answer(self, environ: dict[str, Any], token: str,
                length: int) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        """(status, JSON body, extra headers) for a scan, as the Flask view answers it."""
        actor = self.state.token_cache.actor(self.state.store, token, self.state.ended_sessions)
        refused = auth.role_refusal(actor, "kiosk")
        if refused is not None:
            status, result, message = refused
            return status, {"result": result, "message": message}, []
        body = _json_object(environ["wsgi.input"].read(length))
        refused = api.scan_refusal(body)
        if refused:
            return 400, {"result": "bad_request", "message": refused}, []
        outcome = api.scan(self.state.door, body, environ.get("REMOTE_ADDR") or "")
        return outcome.status, api.outcome_body(outcome, api.attendee_fields(actor)), api.outcome_headers(outcome)


@functools.cache
def _status_line(status: int) -> str:
    return f"{status} {HTTPStatus(status).phrase}"


def _failure(exc: Exception) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
    """503 when another process held the database past our wait or the disk is full (try again), else a logged 500."""
    if is_busy(exc):
        log.warning("check-in answered 503: %s", exc)
        return 503, api.unavailable(exc), [("Retry-After", api.BUSY_RETRY_AFTER)]
    log.error("check-in failed", exc_info=exc)
    return 500, {"result": "internal_server_error", "message": InternalServerError.description}, []


def _json_object(data: bytes) -> dict[str, Any]:
    """The JSON object sent, or {} for anything else (as ``api.json_body`` in the Flask views)."""
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}
