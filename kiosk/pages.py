"""HTML pages: one per role, plus PIN login and token pairing."""

from __future__ import annotations

import datetime as dt
import hmac
import math
from typing import Any
from urllib.parse import urlsplit

import qrcode
import qrcode.image.svg
from flask import Blueprint, Response, current_app, g, jsonify, redirect, render_template, request, session, url_for

from . import audit, auth, clock, live, signouts
from .api import json_body
from .audit import Actor
from .auth import require
from .importers.reading import MAX_FILE_BYTES
from .network import lan_addresses

bp = Blueprint("pages", __name__)
PAIRING_HOURS = 16
# Live pairing links one sign-in may hold: a door's few kiosks and phones, with room for retries.
MAX_LIVE_PAIRINGS = 20
LOGIN_MAX_BYTES = 16 * 1024  # the PIN form is a few dozen bytes


def state() -> Any:
    return current_app.extensions["kiosk"]


def _page(template: str, **context: Any) -> str:
    who = auth.current_actor()
    return render_template(template, event=state().door.event.public(), csrf=auth.csrf_token(),
                           role=who.role if who else None, **context)


@bp.after_request
def _headers(response: Response) -> Response:
    """Pages load nothing from elsewhere (venue Wi-Fi) and run no inline script an attendee name could inject."""
    response.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
                                "style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


@bp.get("/")
def index() -> Response:
    who = auth.current_actor()
    return redirect(auth.HOME[who.role] if who else url_for("pages.display"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """PIN login for people in a browser; wrong PINs are rate-limited per address.

    Anyone may post here, so the form is read only up to LOGIN_MAX_BYTES (a 413 past that):
    decoding an 18 MB form held the one gevent worker, and every scan at the door, for 5 s."""
    request.max_content_length = LOGIN_MAX_BYTES
    error, status, wait = None, 200, 0.0
    next_url = _safe_next(request.values.get("next", ""))
    if request.method == "POST":
        client = request.remote_addr or ""
        limiter = state().login_limiter
        wait = limiter.wait(client)
        if wait > 0:
            error, status = f"Too many wrong PINs. Try again in {_seconds(wait)}, or use a pairing link.", 429
        elif not _login_form_from_here():
            error, status = "The form expired. Please try again.", 400
        else:
            role = auth.check_pin(state().settings.pins, request.form.get("pin", "").strip())
            if role:
                limiter.succeeded(client)
                if not _signed_in_as(role):
                    _sign_in(role, "pin")
                return redirect(next_url or auth.HOME[role])
            limiter.failed(client)
            error, status = "That PIN is not right.", 401
    headers = {"Retry-After": str(math.ceil(wait))} if wait > 0 else {}
    return _page("login.html", error=error, next=next_url), status, headers


def _login_form_from_here() -> bool:
    """Whether the PIN form was posted from this server's login page, not from another site's.

    Its csrf field says so when it is the session's. A login page opened in one tab carries the
    CSRF token of the browser's session of that moment; once another tab signs in, the session
    is a new one with its own token, and the right PIN typed in the first tab was answered "The
    form expired". The browser says where a post comes from in Sec-Fetch-Site (sent to 127.0.0.1
    and under HTTPS), else in Origin (a phone on the plain-HTTP LAN address): our own page is
    believed as the token is."""
    return _form_carries_csrf() or _asked_here(unsaid=False)


def _form_carries_csrf() -> bool:
    """Whether the posted form's csrf field is this session's CSRF token."""
    sent, expected = request.form.get("csrf", ""), session.get("csrf")
    return bool(sent) and isinstance(expected, str) and hmac.compare_digest(sent.encode(), expected.encode())


def _signed_in_as(role: str) -> bool:
    """Whether this browser is signed in with `role`'s PIN already (in another tab): the PIN typed
    again then keeps that sign-in, so the other tabs' pages keep their CSRF token and sockets. (A
    sign-in by pairing link is replaced: it ends with its token, a PIN sign-in does not.)"""
    who = auth.current_actor()
    return who is not None and who.role == role and g.get("auth_via") == "cookie" and session.get("via") == "pin"


def _seconds(wait: float) -> str:
    whole = math.ceil(wait)
    return "1 second" if whole == 1 else f"{whole} seconds"


def _safe_next(value: str) -> str:
    """Only local paths: a login link must not bounce people to another site.

    Browsers read a backslash as a slash ("/\\evil.example" is "//evil.example", another site), and
    a line break cannot go in the Location header (a 500): such a `next` is dropped."""
    if not value.isprintable() or "\\" in value:
        return ""
    parts = urlsplit(value)
    return value if value.startswith("/") and not value.startswith("//") and not parts.netloc else ""


def _end_session() -> None:
    """This browser's sign-in ends: close the sockets its other tabs opened with it (kiosk.live)."""
    live.end_session(session.get("csrf") if session.get("role") else None)


def _sign_in(role: str, via: str, token_id: int | None = None) -> None:
    """A new sign-in replaces the browser's session: a console left open in another tab of a laptop
    now paired as the kiosk must not go on receiving names over the volunteer's old socket."""
    _end_session()
    auth.start_session(role, via, token_id=token_id)


@bp.post("/logout")
def logout() -> Any:
    """Sign this browser out, unless another site's page asks.

    A cross-site form posted at the top level still gets its answer's Set-Cookie applied, so any
    page could sign the door's kiosk out; the forms here send their CSRF token, but scripts and
    older pages post without one. Browsers say where a request comes from in Sec-Fetch-Site."""
    if not _asked_here():
        return auth.refuse(403, "cross_site", "Only the kiosk's own pages can sign this browser out.")
    _end_session()
    session.clear()
    return redirect(url_for("pages.login"))


def _asked_here(unsaid: bool = True) -> bool:
    """Whether the browser says the request comes from the kiosk's own pages or from the person
    (an address typed, a QR code opened from the camera), not from another site's page or link;
    `unsaid` when it says nothing either way (a script).

    Browsers say so in Sec-Fetch-Site, but only to 127.0.0.1 and under HTTPS: to the plain-HTTP
    LAN address a volunteer's phone uses they send none, and any page could post the phone's
    console signed out (Chrome applied the 302's Set-Cookie). There Origin says where a post
    comes from (a link opened, which has none, stays believed)."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    return unsaid if origin is None else auth.from_this_host(origin)


@bp.get("/pair")
def pair() -> Any:
    """Sign a browser in with a token's role (the pairing QR encodes this link).

    Not from another site's link: any page could otherwise switch the door's signed-in console to
    a kiosk token of its choosing (one read off a pairing QR), closing its live feed. Over plain
    HTTP such a link says nothing of where it comes from, so a browser signed in already is asked
    first (``_confirm_switch``); one that is not pairs at once (the camera's QR at the door)."""
    if not _asked_here():
        return auth.refuse(403, "cross_site", "Open the pairing link from its QR code or the kiosk's own pages.")
    token = request.args.get("token", "")
    who = _pairing_actor(token)
    if who is None:
        return _invalid_pairing()
    signed_in = auth.current_actor()
    if signed_in is not None and g.get("auth_via") == "cookie":
        return _confirm_switch(signed_in, who, token)
    return _pair_with(who)


@bp.post("/pair")
def pair_confirmed() -> Any:
    """The switch asked by ``_confirm_switch``, pressed in this browser (its form carries the
    session's CSRF token, which another site's page cannot read). Anyone may post here: the form
    is read only up to LOGIN_MAX_BYTES, as the login's is."""
    request.max_content_length = LOGIN_MAX_BYTES
    if not _form_carries_csrf():
        return auth.refuse(403, "csrf", "This switch was not asked here: open the pairing link again.")
    who = _pairing_actor(request.form.get("token", ""))
    return _invalid_pairing() if who is None else _pair_with(who)


def _pairing_actor(token: str) -> Actor | None:
    """The role and token id a pairing link's token signs in with, or None when it is not live."""
    with state().store.read() as db:
        return auth.token_actor(db, token, state().ended_sessions)


def _invalid_pairing() -> Any:
    return _page("login.html", error="This pairing link is not valid any more. Ask a volunteer for a new one.", next=""), 401


def _pair_with(who: Actor) -> Response:
    _sign_in(who.role, "token", token_id=int(who.label.split(":")[1]))
    return redirect(auth.HOME[who.role])


def _confirm_switch(signed_in: Actor, who: Actor, token: str) -> Any:
    """Ask before a signed-in browser becomes another sign-in: a volunteer's phone sent to a kiosk
    link by any page it visited became a kiosk, its console and live feed gone. The same link
    opened again in the browser it paired just goes home."""
    if signed_in.label == who.label:
        return redirect(auth.HOME[who.role])
    return _page("pair.html", new_role=who.role, token=token, home=auth.HOME[signed_in.role])


@bp.get("/kiosk")
@require("kiosk", page=True)
def kiosk() -> str:
    return _page("kiosk.html")


@bp.get("/display")
def display() -> str:
    """The public door display: counts only, in the page's text from the start (a script or a
    screen whose socket is slow to open reads the number there); /ws/headcount then keeps them."""
    return _page("display.html", counts=state().door.feed.headcount)


@bp.get("/volunteer")
@require("volunteer", page=True)
def volunteer() -> str:
    return _page("volunteer.html", https=state().settings.https)


@bp.get("/organizer")
@require("organizer", page=True)
def organizer() -> str:
    return _page("organizer.html", max_import_bytes=MAX_FILE_BYTES)


@bp.post("/api/pairings")
@require("volunteer")
def create_pairing() -> Response:
    """A token plus the QR of its /pair link, so a phone opens the kiosk or console signed in."""
    who = auth.current_actor()
    role = json_body().get("role", "kiosk")
    if not isinstance(role, str) or role not in auth.ROLE_RANK:  # a list or an object is no role either
        return jsonify({"result": "invalid", "message": "role must be kiosk or volunteer."}), 422
    if role not in ("kiosk", "volunteer") or not auth.allowed(who, role):
        return jsonify({"result": "forbidden", "message": "You can pair phones as kiosk or volunteer."}), 403
    made_by, made_in = auth.maker(who), _this_session()
    with state().store.write() as db:
        if auth.live_pairings(db, made_by, made_in) >= MAX_LIVE_PAIRINGS:
            return _too_many_pairings(in_browser=made_in is not None)
        # A phone paired for the evening stops working the next morning, whoever paired it.
        expires = (clock.now() + dt.timedelta(hours=PAIRING_HOURS)).isoformat(timespec="milliseconds")
        token = auth.create_token(db, role, label=f"paired by {who.label}", expires_at=expires, made_by=made_by,
                                  made_in=made_in)
        audit.record(db, Actor(who.role, who.label), "pairing", state().door.event.id, role=role)
    url = f"{_lan_base_url()}/pair?token={token}"
    svg = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8).to_string(encoding="unicode")
    return jsonify({"result": "created", "role": role, "url": url, "qr_svg": svg}), 201


def _too_many_pairings(in_browser: bool) -> tuple[Response, int]:
    """Refused rather than revoking the oldest link: nothing tells whether a link has paired a
    phone, and the oldest is the likeliest to be the door's kiosk, which must not be signed out.
    (A volunteer token made 200 live 16-hour tokens in 2.8 s.) The way out depends on who asked:
    a browser signs in again; a script's token has no sign-in to renew."""
    way_out = ("sign out and in again for new ones" if in_browser else
               f"an organizer can revoke them, and they end {PAIRING_HOURS} hours after they were made")
    return jsonify({"result": "too_many_pairings", "message": (
        f"This sign-in has {MAX_LIVE_PAIRINGS} pairing links that still work: use one of them, or {way_out} "
        "(phones paired already stay signed in).")}), 429


def _this_session() -> str | None:
    """The browser session a pairing is made in (its link ends with it), or None for a bearer token."""
    return signouts.session_digest(session["csrf"]) if g.get("auth_via") == "cookie" else None


def _lan_base_url() -> str:
    """The address a phone on the venue network can reach: the Host the console used, unless loopback."""
    scheme = "https" if state().settings.https else "http"
    host = request.host
    hostname = host.rsplit(":", 1)[0].strip("[]")
    if hostname in ("127.0.0.1", "localhost", "::1"):
        lan = lan_addresses()
        if lan:
            port = host.rsplit(":", 1)[1] if ":" in host else ""
            host = f"{lan[0]}:{port}" if port else lan[0]
    return f"{scheme}://{host}"

