"""Roles, bearer tokens, PIN logins, session cookies and CSRF.

Stations and scripts send ``Authorization: Bearer <token>``; people in a browser
log in with their role's PIN and get a session cookie. A cookie is sent by the
browser on its own, so every change made with one must also carry the session's
CSRF token in ``X-CSRF-Token`` (our pages do); a bearer token cannot be sent by a
foreign page, so it needs none. Tokens are stored only as SHA-256 hashes.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import secrets
import threading
import time
from typing import Any, Callable
from urllib.parse import urlsplit

import sqlite_utils
from flask import abort, current_app, g, jsonify, request, session

from . import clock
from .audit import Actor

ROLE_RANK = {"kiosk": 1, "volunteer": 2, "organizer": 3}
HOME = {"kiosk": "/kiosk", "volunteer": "/volunteer", "organizer": "/organizer"}
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_FORM_MAX_BYTES = 64 * 1024  # a urlencoded form of our pages carrying its csrf field is far smaller
LIVE = "revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)"  # SQL: a token that still works


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(db: sqlite_utils.Database, role: str, label: str = "", expires_at: str | None = None,
                 made_by: str | None = None, made_in: str | None = None) -> str:
    """A new bearer token for a role; only its hash is kept. Pairing tokens expire (see pages.py),
    die with the credential they were `made_by` (see ``maker``), and their link with the browser
    session they were `made_in` (see ``token_actor``)."""
    if role not in ROLE_RANK:
        raise ValueError(f"unknown role {role!r}: choose kiosk, volunteer or organizer")
    token = f"{role[0]}k_{secrets.token_urlsafe(24)}"
    db["tokens"].insert({"token_hash": hash_token(token), "role": role, "label": label, "created_at": clock.now_iso(),
                         "expires_at": expires_at, "made_by": made_by, "made_in": made_in})
    return token


def list_tokens(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    rows = db.execute("SELECT id, role, label, created_at, revoked_at, expires_at FROM tokens ORDER BY id")
    return [dict(r) for r in rows]


def revoke_token(db: sqlite_utils.Database, token_id: int) -> bool:
    """Revoke a token and every token paired with it, and with those, down the line: a phone paired
    from a lost phone must stop reading names too. Whether `token_id` itself was live."""
    revoked = db.execute("UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                         [clock.now_iso(), token_id]).rowcount == 1
    db.execute("WITH RECURSIVE paired(id) AS (SELECT id FROM tokens WHERE made_by = 'token:' || ? "
               "UNION SELECT tokens.id FROM tokens JOIN paired ON tokens.made_by = 'token:' || paired.id) "
               "UPDATE tokens SET revoked_at = ? WHERE id IN paired AND revoked_at IS NULL", [token_id, clock.now_iso()])
    return revoked


def maker(actor: Actor) -> str:
    """What a token paired by `actor` is made with: its token ("token:11"), or its PIN by fingerprint
    ("pin:volunteer:..."), so that a PIN changed for a leak ends the phones paired with it too."""
    return f"{actor.label}:{pin_tag(actor.role)}" if actor.label.startswith("pin:") else actor.label


def revoke_made_with_old_pins(db: sqlite_utils.Database, key: bytes, pins: dict[str, str]) -> int:
    """At start-up: revoke the tokens paired by a PIN session with a PIN that is no longer the
    role's (changed in the config for a leak, the server restarted); how many."""
    now, count = clock.now_iso(), 0
    for role in ROLE_RANK:
        current = f"pin:{role}:{pin_fingerprint(key, role, pins.get(role, ''))}"
        count += db.execute("UPDATE tokens SET revoked_at = ? WHERE made_by LIKE ? AND made_by != ? "
                            "AND revoked_at IS NULL", [now, f"pin:{role}:%", current]).rowcount
    return count


def live_pairings(db: sqlite_utils.Database, made_by: str, made_in: str | None) -> int:
    """How many pairing tokens that still work one credential has made: a browser session's
    (`made_in`, whoever signed it in), or a bearer token's outside any session (`made_by`)."""
    where, args = ("made_in = ?", [made_in]) if made_in is not None else ("made_by = ? AND made_in IS NULL", [made_by])
    return db.execute(f"SELECT COUNT(*) FROM tokens WHERE {where} AND {LIVE}", [*args, clock.now_iso()]).fetchone()[0]


def token_actor(db: sqlite_utils.Database, token: str, ended: Any) -> Actor | None:
    """The role behind a live token, or None for an unknown, revoked or expired one, and for a
    pairing's made in a browser session that has signed out since (`ended`: kiosk.signouts).

    A pairing QR left on a signed-out volunteer's phone, or photographed, paired any browser for
    its 16 hours, and its token read names as a bearer token. The browsers it paired while that
    session lasted stay signed in (``token_alive``): the door's kiosk must not stop because the
    volunteer who paired it went home."""
    if not token or len(token) > 200:
        return None
    row = db.execute(f"SELECT id, role, made_in FROM tokens WHERE token_hash = ? AND {LIVE}",
                     [hash_token(token), clock.now_iso()]).fetchone()
    if row is None or (row["made_in"] is not None and ended.ended(row["made_in"])):
        return None
    return Actor(row["role"], f"token:{row['id']}")


def token_alive(db: sqlite_utils.Database, token_id: int) -> bool:
    return db.execute(f"SELECT 1 FROM tokens WHERE id = ? AND {LIVE}", [token_id, clock.now_iso()]).fetchone() is not None


class TokenCache:
    """Remembers which role a token has for a few seconds: a station sends one with every scan,
    and hashing plus a lookup per request was a tenth of a check-in's cost. Revoking through
    this server clears it at once; a revocation by another process (`kiosk token revoke`)
    takes effect within `ttl` seconds."""

    def __init__(self, ttl: float = 5.0) -> None:
        self.ttl = ttl
        self.generation = 0  # counts clear()s: open websockets check their sign-in again when it moves
        self._entries: dict[str, tuple[float, Actor | None]] = {}
        self._lock = threading.Lock()

    def actor(self, store: Any, token: str, ended: Any) -> Actor | None:
        """The role behind `token` (see ``token_actor``; a sign-out clears this cache too)."""
        now = time.monotonic()
        hit = self._entries.get(token)
        if hit and hit[0] > now:
            return hit[1]
        with store.read() as db:
            found = token_actor(db, token, ended)
        with self._lock:
            if len(self._entries) > 10_000:  # someone trying tokens: never grow without bound
                self._entries.clear()
            self._entries[token] = (now + self.ttl, found)
        return found

    def clear(self) -> None:
        """Forget every token's role (a token was revoked here), and let open sockets know."""
        with self._lock:
            self._entries.clear()
            self.generation += 1


class LoginLimiter:
    """Wrong PINs slow down whoever sends them, and all of them together slow down every login.

    Per address (an IPv6 /64 counts as one address, as one device can use any of it): `free` wrong
    PINs within `window` seconds cost nothing; after that each attempt waits 1, 2, 4 ... seconds,
    at most `max_delay`, after the previous one. A volunteer's typo costs a second, and a guesser
    on one address gets about one guess a minute, where before the fifth wrong PIN locked its
    address (the venue's NAT: everyone) out for five minutes.

    All addresses together: at most `overall` wrong PINs per `overall_window` seconds. Past that,
    every address that has tried a PIN within `window` waits until the count is below it again. An
    address with no recent attempt (a volunteer's phone) still gets its PIN tried, out of
    `newcomers` more places: a dozen self-assigned addresses must not keep the volunteers out all
    evening. Once those are taken too, every address waits, a new one included, so no number of
    addresses guesses faster than `overall + newcomers` a window (each attempt from a new address
    used to be tried: 300 addresses, 300 PINs in 5 s). When the guessing stops, everybody's PIN is
    tried again within `overall_window`. No role can be blamed for a wrong PIN (it matches none), so
    the cap is one for all roles. Pairing links and bearer tokens are not PIN logins and are never
    held up.

    An attempt counts from the moment it is let through (`blocked()` answering False), not when
    its PIN turns out wrong: under gevent a thousand requests could otherwise all pass `blocked()`
    while their bodies are still arriving. One that `failed()` does not confirm (a right PIN, an
    expired form) stops counting after `pending` seconds."""

    def __init__(self, free: int = 5, window: float = 300, max_delay: float = 60, overall: int = 20,
                 overall_window: float = 60, pending: float = 10, newcomers: int = 10,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.free, self.window, self.max_delay = free, window, max_delay
        self.overall, self.overall_window, self.pending = overall, overall_window, pending
        self.newcomers = newcomers
        self.clock = clock
        self._attempts: dict[str, list[list[float]]] = {}  # address -> [[time, confirmed], ...], oldest first
        self._everyone: list[list[float]] = []             # the same attempts, all addresses, oldest first
        self._lock = threading.Lock()

    def blocked(self, client: str) -> bool:
        """Whether a PIN from `client` must not be tried now; when it may, it counts as an attempt."""
        return self.wait(client) > 0

    def wait(self, client: str) -> float:
        """Seconds before `client` may try a PIN (0: now, and this attempt is counted)."""
        key = address_key(client)
        with self._lock:
            now = self.clock()
            attempts = self._recent(key, now)
            self._everyone = [a for a in self._everyone
                              if a[0] > now - (self.overall_window if a[1] else self.pending)]
            waits = [self._room_in(now, self.overall if attempts else self.overall + self.newcomers)]
            if len(attempts) >= self.free:
                delay = min(2.0 ** (len(attempts) - self.free), self.max_delay)
                waits.append(attempts[-1][0] + delay - now)
            wait = max(waits)
            if wait > 0:
                return wait
            attempt = [now, False]
            attempts.append(attempt)
            self._attempts[key] = attempts
            self._everyone.append(attempt)
            if len(self._attempts) > 10_000:  # many addresses: forget those with nothing recent
                self._attempts = {k: v for k, v in self._attempts.items() if v and v[-1][0] > now - self.window}
            return 0.0

    def failed(self, client: str) -> None:
        """The attempt `client` was let through for had a wrong PIN: it counts for the whole window."""
        key = address_key(client)
        with self._lock:
            attempts = self._attempts.setdefault(key, [])
            for attempt in reversed(attempts):
                if not attempt[1]:
                    attempt[1] = True
                    return
            attempt = [self.clock(), True]  # a failure reported without blocked(): count it all the same
            attempts.append(attempt)
            self._everyone.append(attempt)

    def succeeded(self, client: str) -> None:
        """The attempt `client` was let through for had a right PIN: it does not count at all. (Held
        for `pending` seconds, five volunteers signing in behind one address held up the sixth.)"""
        key = address_key(client)
        with self._lock:
            attempts = self._attempts.get(key, [])
            pending = next((attempt for attempt in reversed(attempts) if not attempt[1]), None)
            if pending is not None:
                attempts.remove(pending)
                self._everyone = [attempt for attempt in self._everyone if attempt is not pending]

    def _room_in(self, now: float, limit: int) -> float:
        """Seconds until fewer than `limit` attempts of all addresses count (0: there is room now):
        when as many of the oldest to leave as put the count at `limit` or over have left."""
        if len(self._everyone) < limit:
            return 0.0
        leaving = sorted(a[0] + (self.overall_window if a[1] else self.pending) for a in self._everyone)
        return leaving[len(self._everyone) - limit] - now

    def _recent(self, key: str, now: float) -> list[list[float]]:
        return [a for a in self._attempts.get(key, []) if a[0] > now - (self.window if a[1] else self.pending)]


def address_key(client: str) -> str:
    """The address a limit applies to: an IPv4 address, or an IPv6 address's /64."""
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return client
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def check_pin(pins: dict[str, str], pin: str) -> str | None:
    """The role whose PIN this is (constant-time comparisons), or None."""
    found = None
    for role, expected in pins.items():
        if hmac.compare_digest(expected.encode(), str(pin).encode()):
            found = role
    return found


def start_session(role: str, via: str, token_id: int | None = None) -> None:
    """Sign a browser in: a fresh session with its own CSRF token (and, for a PIN, that PIN's tag)."""
    session.clear()
    session.update({"role": role, "via": via, "csrf": secrets.token_urlsafe(24), "token_id": token_id})
    if via == "pin":
        session["pin"] = pin_tag(role)
    session.permanent = True


def pin_tag(role: str) -> str:
    """A keyed fingerprint of the role's PIN as the server was started with it.

    A PIN session must end when its PIN is changed: a leaked volunteer PIN, changed in the config
    and the server restarted, still let every phone signed in with it read names for 16 hours.
    Keyed with the session secret, so the cookie (readable by its holder) does not give the PIN away."""
    pin = current_app.extensions["kiosk"].settings.pins.get(role, "")
    key = current_app.secret_key
    return pin_fingerprint(key.encode() if isinstance(key, str) else key, role, pin)


def pin_fingerprint(key: bytes, role: str, pin: str) -> str:
    return hmac.new(key, f"{role}:{pin}".encode(), hashlib.sha256).hexdigest()[:32]


def csrf_token() -> str:
    """The session's CSRF token, created for anonymous pages too (the login form)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


def current_actor() -> Actor | None:
    """Who is calling: bearer header, ?token= (websockets only), or the session cookie."""
    if "actor" in g:
        return g.actor
    g.actor = _resolve_actor()
    return g.actor


def from_this_host(origin: str) -> bool:
    """Whether a browser's Origin header names this server (the host and port it was asked by).
    An Origin that is no URL (`http://[::1`, which urlsplit refuses) names no server: it was a 500."""
    try:
        netloc = urlsplit(origin).netloc
    except ValueError:
        return False
    return netloc.lower() == request.host.lower()


def bearer_token(header: str) -> str | None:
    """The token of an ``Authorization: Bearer ...`` header, or None."""
    return header[7:].strip() if header[:7].lower() == "bearer " else None


def _resolve_actor() -> Actor | None:
    store = current_app.extensions["kiosk"].store
    token = bearer_token(request.headers.get("Authorization", ""))
    if token is None and request.path.startswith("/ws/"):
        token = request.args.get("token")
    if token is not None:
        g.auth_via = "bearer"
        return current_app.extensions["kiosk"].token_cache.actor(store, token, _signed_out())
    role = session.get("role")
    if role not in ROLE_RANK:
        return None
    if (session.get("via") == "pin" and not _same_pin(role)) or session.get("csrf") in _signed_out():
        session.clear()
        return None
    if session.get("token_id") is not None:
        with store.read() as db:
            if not token_alive(db, session["token_id"]):
                session.clear()
                return None
    g.auth_via = "cookie"
    label = f"token:{session['token_id']}" if session.get("token_id") is not None else f"pin:{role}"
    return Actor(role, label)


def _signed_out() -> Any:
    """The sessions signed out (kiosk.signouts): a copy of such a cookie is no sign-in."""
    return current_app.extensions["kiosk"].ended_sessions


def _same_pin(role: str) -> bool:
    """Whether this PIN session was signed in with the role's PIN of today (see pin_tag)."""
    return hmac.compare_digest(str(session.get("pin", "")).encode(), pin_tag(role).encode())


def still_allowed(role: str) -> bool:
    """Whether the caller of a long-lived request (a websocket) may still act as `role`: resolved
    afresh, so a token revoked or expired since the socket opened no longer counts."""
    g.pop("actor", None)
    return allowed(current_actor(), role)


def allowed(actor: Actor | None, role: str) -> bool:
    return actor is not None and ROLE_RANK[actor.role] >= ROLE_RANK[role]


def require(role: str, page: bool = False) -> Callable:
    """Decorator: 401 without credentials, 403 with too weak a role, CSRF for cookie changes."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            refusal = check(role, page)
            return refusal if refusal is not None else view(*args, **kwargs)

        wrapped.required_role = role  # read by the test that walks every route
        return wrapped

    return decorator


def check(role: str, page: bool = False) -> Any:
    """The refusal response for the current request, or None when it may go on."""
    actor = current_actor()
    if actor is None and page and request.accept_mimetypes.accept_html:
        from flask import redirect, url_for

        return redirect(url_for("pages.login", next=request.path))
    refused = role_refusal(actor, role)
    if refused is not None:
        return refuse(*refused)
    if request.method in UNSAFE_METHODS and g.get("auth_via") == "cookie":
        sent = request.headers.get("X-CSRF-Token", "") or _form_csrf()
        if not sent or not hmac.compare_digest(sent.encode(), session.get("csrf", "").encode()):
            return refuse(403, "csrf", "This change is missing its CSRF token: reload the page and try again.")
    return None


def _form_csrf() -> str:
    """The csrf field of a form posted without the header; "" for a urlencoded body too large to
    be one of our forms (or of unknown length), which is not decoded at all: Werkzeug decodes
    such a body whole, and 18 MB of it held every request of the door's one worker for 5 s."""
    length = request.content_length
    if request.mimetype == "application/x-www-form-urlencoded" and (length is None or length > CSRF_FORM_MAX_BYTES):
        return ""
    return request.form.get("csrf", "")


def role_refusal(actor: Actor | None, role: str) -> tuple[int, str, str] | None:
    """(status, result, message) when `actor` may not act as `role`, else None."""
    if actor is None:
        return 401, "unauthorized", "Sign in first: a bearer token or a PIN login is needed."
    if not allowed(actor, role):
        return 403, "forbidden", f"This needs the {role} role; you are signed in as {actor.role}."
    return None


def refuse(status: int, result: str, message: str) -> Any:
    """A refusal in the form the caller reads: JSON for the API and sockets, an error page otherwise."""
    if request.path.startswith("/api/") or request.path.startswith("/ws/") or request.accept_mimetypes.best == "application/json":
        response = jsonify({"result": result, "message": message})
        response.status_code = status
        return response
    abort(status, message)
