"""Websockets: the public headcount, the volunteers' live feed, and webcam frames to decode.

Each connection runs its own loop and sends the latest state itself (see feed.py):
one phone that stops reading never delays another. flask-sock's ping_interval
(SOCK_SERVER_OPTIONS) notices phones that vanished without closing.
"""

from __future__ import annotations

import contextlib
import io
import json
import time
from typing import Any
from urllib.parse import urlsplit

import zxingcpp
from flask import Blueprint, current_app, g
from PIL import Image, UnidentifiedImageError
from flask_sock import Sock
from simple_websocket import ConnectionClosed

from printers.offload import off_hub

from . import auth

bp = Blueprint("live", __name__)
sock = Sock()
WAIT_SECONDS = 1.0  # how soon a handler notices its phone has gone (a hung-up socket wakes no one)
WS_ROLES: dict[str, str | None] = {}
MAX_FRAME_BYTES = 1_500_000
MAX_FRAME_PIXELS = 4_000_000  # a 2560x1440 webcam frame fits
RECHECK_SECONDS = 2.0  # how soon an open socket notices that its token was revoked or has expired
POLICY_VIOLATION = 1008  # websocket close code: the credentials no longer hold


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
    from flask import request

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
    if g.get("auth_via") != "cookie" or not origin or urlsplit(origin).netloc.lower() == request.host.lower():
        return None
    return auth.refuse(403, "cross_site", "This live feed opens only from the kiosk's own pages.")


class _SignIn:
    """The credentials a socket opened with, checked again while it stays open: at once after a
    token is revoked through this server, and every few seconds for one revoked by `kiosk token
    revoke` or expired. Revoking a lost phone's token must stop names reaching it, not only new
    connections."""

    def __init__(self, role: str) -> None:
        self.role = role
        self._tokens = current_app.extensions["kiosk"].token_cache
        self._generation = self._tokens.generation
        self._next_check = time.monotonic() + RECHECK_SECONDS

    def lapsed(self) -> bool:
        now = time.monotonic()
        if now < self._next_check and self._generation == self._tokens.generation:
            return False
        self._generation, self._next_check = self._tokens.generation, now + RECHECK_SECONDS
        return not auth.still_allowed(self.role)


def _close_lapsed(ws) -> None:
    ws.close(reason=POLICY_VIOLATION, message="Your sign-in was revoked or has expired.")


def _feed():
    return current_app.extensions["kiosk"].door.feed


@ws_route("/ws/headcount", None)
def headcount(ws) -> None:
    """Public: the headcount on connect and after every change of it. Counts only."""
    feed = _feed()
    sent = -1
    with _hung_up_is_normal():
        while ws.connected:
            version, text = feed.headcount_snapshot()
            if version != sent:
                ws.send(text)
                sent = version
            feed.wait_headcount(sent, WAIT_SECONDS)


@ws_route("/ws/live", "volunteer")
def live(ws) -> None:
    """Volunteers: the headcount plus each arrival, undo, walk-in, import and printer change."""
    feed = _feed()
    sign_in = _SignIn("volunteer")
    with _hung_up_is_normal():
        sent = _send_snapshot(ws, feed)
        while ws.connected:
            feed.wait(sent, WAIT_SECONDS)
            if sign_in.lapsed():
                return _close_lapsed(ws)
            changes = feed.since(sent)
            if changes is None:  # fell behind the log: start again from the current state
                sent = _send_snapshot(ws, feed)
                continue
            for change in changes:
                ws.send(json.dumps({"type": change.kind, "version": change.version, **change.data,
                                    "headcount": feed.headcount}))
                sent = change.version


def _send_snapshot(ws, feed) -> int:
    """The current headcount and printers; printers from the same place as GET /api/printers."""
    version = feed.version
    printers = current_app.extensions["kiosk"].printers.describe()
    ws.send(json.dumps({"type": "snapshot", "headcount": feed.headcount, "printers": printers}))
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
    sign_in = _SignIn("kiosk")
    with _hung_up_is_normal():
        while True:
            frame = ws.receive()
            if sign_in.lapsed():
                return _close_lapsed(ws)
            if frame is None:
                continue
            if isinstance(frame, str) or len(frame) > MAX_FRAME_BYTES:
                ws.send(json.dumps({"codes": [], "error": "send one image per binary message"}))
                continue
            ws.send(json.dumps({"codes": off_hub(lambda: _decode(frame))}))


def _decode(frame: bytes) -> list[str]:
    """The QR texts in one JPEG/PNG frame; nothing for an unreadable one (decoded off the gevent hub)."""
    try:
        image = Image.open(io.BytesIO(frame))
        if image.width * image.height > MAX_FRAME_PIXELS:  # a tiny PNG can claim a gigapixel
            return []
        image.draft("L", (800, 800))
        results = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError):
        return []
    return [r.text for r in results if r.valid and r.text]

