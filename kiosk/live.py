"""Websockets: the public headcount, the volunteers' live feed, and webcam frames to decode.

Each connection runs its own loop and sends the latest state itself (see feed.py):
one phone that stops reading never delays another. flask-sock's ping_interval
(SOCK_SERVER_OPTIONS) notices phones that vanished without closing.
"""

from __future__ import annotations

import io
import json
from typing import Any

from flask import Blueprint, current_app
from flask_sock import Sock
from simple_websocket import ConnectionClosed

from . import auth

bp = Blueprint("live", __name__)
sock = Sock()
WAIT_SECONDS = 5.0
WS_ROLES: dict[str, str | None] = {}
MAX_FRAME_BYTES = 1_500_000


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
    return auth.check(role) if role else None


def _feed():
    return current_app.extensions["kiosk"].door.feed


@ws_route("/ws/headcount", None)
def headcount(ws) -> None:
    """Public: the headcount on connect and after every change. Counts only."""
    feed = _feed()
    sent = -1
    while ws.connected:
        version = feed.version
        if version != sent:
            ws.send(json.dumps(feed.headcount))
            sent = version
        feed.wait(sent, WAIT_SECONDS)


@ws_route("/ws/live", "volunteer")
def live(ws) -> None:
    """Volunteers: the headcount plus each arrival, undo, walk-in, import and printer change."""
    feed = _feed()
    sent = feed.version
    ws.send(json.dumps({"type": "snapshot", "headcount": feed.headcount, "printers": list(feed.printers.values())}))
    while ws.connected:
        feed.wait(sent, WAIT_SECONDS)
        changes = feed.since(sent)
        if changes is None:  # fell behind the log: start again from the current state
            sent = feed.version
            ws.send(json.dumps({"type": "snapshot", "headcount": feed.headcount, "printers": list(feed.printers.values())}))
            continue
        for change in changes:
            ws.send(json.dumps({"type": change.kind, "version": change.version, **change.data, "headcount": feed.headcount}))
            sent = change.version


@ws_route("/ws/camera", "kiosk")
def camera(ws) -> None:
    """Webcam frames (JPEG or PNG bytes) in, decoded QR texts out; the page then scans them like a key-in."""
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    while True:
        frame = ws.receive()
        if frame is None:
            continue
        if isinstance(frame, str) or len(frame) > MAX_FRAME_BYTES:
            ws.send(json.dumps({"codes": [], "error": "send one image per binary message"}))
            continue
        try:
            image = Image.open(io.BytesIO(frame))
            image.draft("L", (800, 800))
            results = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
            codes = [r.text for r in results if r.valid and r.text]
        except (UnidentifiedImageError, OSError, ValueError):
            codes = []
        ws.send(json.dumps({"codes": codes}))


__all__ = ["bp", "sock", "ConnectionClosed", "WS_ROLES"]
