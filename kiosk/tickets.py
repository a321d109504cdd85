"""Ticket codes: compact, verifiable, unforgeable.

A code looks like ``K3-7GQ2MXA1-4TZ9P8W2KQH7R``: ``K`` + the event id in base 36,
a random 8-character serial, and 13 characters (65 bits) of HMAC-SHA256 over both,
keyed with a per-event key derived from the installation's secret. Only upper-case
letters, digits and ``-`` are used so the QR is encoded in alphanumeric mode: at
error correction M it fits QR version 2 (25x25 modules), which a phone screen
scans in one go. The MAC is checked before the database is touched, so a forged or
altered code is refused as ``invalid_code`` and never counts as a guess that hit.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U to misread
SERIAL_LEN = 8  # 40 random bits: two of 10,000 attendees share one about once in 20,000 lists
MAC_LEN = 13
CODE_RE = re.compile(rf"^K([0-9A-Z]{{1,6}})-([{ALPHABET}]{{{SERIAL_LEN}}})-([{ALPHABET}]{{{MAC_LEN}}})$")
OURS_RE = re.compile(rf"^K[0-9A-Z]{{1,6}}-[0-9A-Z]{{{SERIAL_LEN}}}")
# One of our codes typed by hand from a ticket: dashes left out or typed as spaces.
TYPED_RE = re.compile(rf"^K[ -]*([0-9A-Z]{{1,6}})[ -]*([0-9A-Z]{{{SERIAL_LEN}}})[ -]*([0-9A-Z]{{{MAC_LEN}}})$")
# Letters the alphabet leaves out because they are misread for digits (Crockford's base 32).
_MISREAD = str.maketrans("OIL", "011")
_MAC_BITS = 5 * MAC_LEN


def load_or_create_secret(configured: str | None, secret_file: Path) -> bytes:
    """The config's secret if set; else one generated on first run and kept beside the database."""
    if configured:
        return configured.encode()
    if not secret_file.exists():
        _write_secret(secret_file)
    value = secret_file.read_text(encoding="ascii").strip()
    if len(value) < 32:
        raise ValueError(f"{secret_file} holds no usable secret: delete it to make a new one "
                         "(every ticket printed so far would then need printing again)")
    return value.encode()


def _write_secret(secret_file: Path) -> None:
    """Write to a private temporary file, fsync, then link into place: a crash or a second
    process starting at the same moment never sees an empty or half-written secret."""
    secret_file.parent.mkdir(parents=True, exist_ok=True)
    temporary = secret_file.with_name(f".{secret_file.name}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, (secrets.token_urlsafe(32) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(temporary, secret_file)  # fails if another process got there first: theirs wins
    except FileExistsError:
        pass
    finally:
        temporary.unlink()


def derive_key(master: bytes, purpose: str) -> bytes:
    """A key per purpose (an event's tickets, the session cookie) from the one secret."""
    return hmac.new(master, purpose.encode(), hashlib.sha256).digest()


def _b36(n: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


@functools.lru_cache(maxsize=64)
def _event_signer(master: bytes, event_id: int) -> "hmac.HMAC":
    """An HMAC keyed for the event's tickets, copied for each code: keying it again on every
    scan cost more than the MAC itself."""
    return hmac.new(derive_key(master, f"tickets/event/{event_id}"), digestmod=hashlib.sha256)


_DIGIT_PAIRS = [a + b for a in ALPHABET for b in ALPHABET]  # every 10-bit number as two digits


def _mac(master: bytes, event_id: int, serial: str) -> str:
    """The first 65 bits of the HMAC as 13 base-32 digits (what base64.b32encode gives, in our
    alphabet, without its pure-Python loop: this runs on every scan)."""
    signer = _event_signer(master, event_id).copy()
    signer.update(f"{event_id}:{serial}".encode())
    digest = signer.digest()
    bits = int.from_bytes(digest[:9], "big") >> (72 - _MAC_BITS)
    pairs = _DIGIT_PAIRS  # 13 digits: the top one, then six pairs of two (10 bits each)
    return (ALPHABET[bits >> 60] + pairs[(bits >> 50) & 1023] + pairs[(bits >> 40) & 1023] + pairs[(bits >> 30) & 1023]
            + pairs[(bits >> 20) & 1023] + pairs[(bits >> 10) & 1023] + pairs[bits & 1023])


def new_code(master: bytes, event_id: int) -> str:
    """A fresh signed code for one attendee of an event."""
    serial = "".join(secrets.choice(ALPHABET) for _ in range(SERIAL_LEN))
    return f"K{_b36(event_id)}-{serial}-{_mac(master, event_id, serial)}"


@dataclass(frozen=True)
class Verdict:
    """What a scanned string is: ours and genuine (event_id set), ours but forged, or not ours."""

    ours: bool
    genuine: bool
    event_id: int | None = None


def as_typed(master: bytes, text: str) -> str | None:
    """The code a person meant when typing one of ours by hand: "k1 7gq2mxa1 4tz9p8w2kqh7r",
    "K17GQ2MXA14TZ9P8W2KQH7R" (no dashes: the lengths say where they go), an O typed for a 0 or an
    I or L for a 1. None unless that is a genuine code: only its MAC decides, so nothing that is
    not one of our tickets (another platform's code) is ever rewritten into one."""
    upper = text.upper()
    if CODE_RE.match(upper):
        return None
    m = TYPED_RE.match(upper)
    if not m:
        return None
    candidate = f"K{m.group(1)}-{m.group(2).translate(_MISREAD)}-{m.group(3).translate(_MISREAD)}"
    return candidate if verify(master, candidate).genuine else None


def verify(master: bytes, text: str) -> Verdict:
    """Check a scanned string against our code format and MAC, without touching the database."""
    if not OURS_RE.match(text):
        return Verdict(ours=False, genuine=False)
    m = CODE_RE.match(text)
    if not m:
        return Verdict(ours=True, genuine=False)
    event_id = int(m.group(1), 36)
    if _b36(event_id) != m.group(1):  # "K01-" for "K1-": the same MAC, but not a code we printed
        return Verdict(ours=True, genuine=False)
    expected = _mac(master, event_id, m.group(2))
    return Verdict(ours=True, genuine=hmac.compare_digest(expected, m.group(3)), event_id=event_id)
