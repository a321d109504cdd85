"""Door codes printed by ticketing platforms, as keys the attendee store can look up.

The importer and the scanner both come through here, so a code read off a
platform's ticket at the door produces exactly the key that was stored when the
attendee list was imported. Keys are namespaced strings:

- ``eventbrite:<digits>``  the barcode on an Eventbrite ticket (order id + attendee id + "001")
- ``luma:<guest key>``     the ``pk`` of a Luma check-in link (case-sensitive, e.g. ``g-XyZ789``)
- ``tito:<REFERENCE>``     a Tito ticket reference, upper-cased (``GIAO-1``)
- ``tito:<slug>``          the QR code on a Tito ticket: the ticket's slug (``ti_pX9tJEguENQbdPOdhq66Vtw``,
  case-sensitive), also read from its link ``https://ti.to/tickets/<slug>``
- ``pretix:<secret>``      the QR content of a pretix ticket (case-sensitive)
- ``code:<CODE>``          a ticket code column of a plain CSV/XLSX list, upper-cased

What a barcode scanner adds is taken off first: a leading AIM symbology identifier
(``]Q1`` for QR, ``]C0`` for Code 128). A scanner typing with Caps Lock on inverts
the case of every letter; where the inverted reading is still unambiguous it is
accepted (see ``luma_key_from_url`` and ``caps_lock_keys``).

Everything here is pure and total: hostile input (huge, binary, SQL, URLs to
elsewhere) yields ``None`` or ``[]``, never an exception.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "MAX_SCAN_LENGTH",
    "caps_lock_keys",
    "eventbrite_barcode_key",
    "eventbrite_key",
    "luma_key",
    "luma_key_from_url",
    "plain_key",
    "pretix_key",
    "scan_keys",
    "tito_key",
    "tito_slug_key",
    "tito_slug_key_from_url",
    "without_aim_prefix",
]

# A scanner never produces more than a few hundred characters for a ticket; anything longer
# is noise or an attack, and is rejected before any parsing work is done.
MAX_SCAN_LENGTH = 512

_EVENTBRITE_DIGITS = re.compile(r"[0-9]{8,40}")
_EVENTBRITE_ID = re.compile(r"[0-9]{1,20}")
_LUMA_HOSTS = frozenset({"luma.com", "www.luma.com", "lu.ma", "www.lu.ma"})
_LUMA_EVENT_PATH = re.compile(r"/check-in/evt-[A-Za-z0-9]{1,64}/?")
_LUMA_GUEST_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{2,63}")
_LUMA_BARE_KEY = re.compile(r"g-[A-Za-z0-9]{4,63}")
# A ticket's reference is its order's reference and a serial ("GIAO-1"), or the order's reference
# alone when the order holds one ticket ("GIAO"), as Tito's help says of the attendee's Reference
# (help.tito.io, "Attendee management").
_TITO_REFERENCE = re.compile(r"[A-Z0-9]{3,8}-[0-9]{1,5}|(?=[0-9]*[A-Z])[A-Z0-9]{3,8}")
# A Tito ticket's slug, what the QR code on its ticket holds and the end of the export's "Unique Ticket
# URL" (https://ti.to/tickets/ti_pX9tJEguENQbdPOdhq66Vtw), as check-in tools built on Tito read it.
_TITO_SLUG = re.compile(r"ti_[A-Za-z0-9_]{4,80}")
_TITO_HOSTS = frozenset({"ti.to", "www.ti.to"})
_TITO_TICKET_PATH = re.compile(r"/tickets/(ti_[A-Za-z0-9_]{4,80})/?")
_PRETIX_SECRET = re.compile(r"[A-Za-z0-9+/=]{8,256}")
_PLAIN_CODE = re.compile(r"[A-Z0-9][A-Z0-9._:/+=#-]{0,127}")
_WHITESPACE = re.compile(r"\s+")
# "]" + symbology + modifier, e.g. "]Q1" (QR), "]C0" (Code 128), "]d2" (Data Matrix), "]E0" (EAN-13)
_AIM_PREFIX = re.compile(r"\][A-Za-z][0-9A-Za-z](?=\S)")


def without_aim_prefix(scanned: str) -> str:
    """The read without a scanner's AIM symbology identifier in front.

    Scanners with "transmit AIM ID" switched on put it before every code. No code of any
    platform (nor ours) starts with "]", so taking it off never changes a real code."""
    found = _AIM_PREFIX.match(scanned)
    return scanned[found.end():] if found else scanned


def eventbrite_key(order_number: str, attendee_number: str) -> str | None:
    """Key of the barcode Eventbrite prints for one ticket: order id + attendee id + "001"."""
    order, attendee = order_number.strip(), attendee_number.strip()
    if not (_EVENTBRITE_ID.fullmatch(order) and _EVENTBRITE_ID.fullmatch(attendee)):
        return None
    return eventbrite_barcode_key(f"{order}{attendee}001")


def eventbrite_barcode_key(barcode: str) -> str | None:
    """Key of an Eventbrite barcode as listed in a report's "Barcode #" column or scanned."""
    digits = barcode.strip()
    if not _EVENTBRITE_DIGITS.fullmatch(digits):
        return None
    return f"eventbrite:{digits}"


def luma_key(guest_key: str) -> str | None:
    """Key of a Luma guest key (the ``pk`` of a check-in link), kept case-sensitive."""
    key = guest_key.strip()
    if not _LUMA_GUEST_KEY.fullmatch(key):
        return None
    return f"luma:{key}"


def luma_key_from_url(url: str) -> str | None:
    """Key of a Luma check-in link such as ``https://luma.com/check-in/evt-AbC?pk=g-XyZ``.

    Only Luma's own hosts and check-in path are accepted, so a link to anywhere
    else can never impersonate a guest. A link read with Caps Lock on
    (``HTTPS://LUMA.COM/CHECK-IN/EVT-aBc?PK=G-xYz``) is read back with every letter's
    case swapped: the lower-case path and ``pk`` prove which of the two readings is
    the link (never both), and the swap restores the case-sensitive guest key exactly.
    """
    return _luma_key_from_url(url) or _luma_key_from_url(url.swapcase())


def _luma_key_from_url(url: str) -> str | None:
    """The body of luma_key_from_url, for one reading of the link."""
    text = url.strip()
    if len(text) > MAX_SCAN_LENGTH or not text.isascii() or _WHITESPACE.search(text):
        return None
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
        port = parts.port
        query = parse_qs(parts.query, keep_blank_values=False, strict_parsing=False)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or host not in _LUMA_HOSTS or port:
        return None
    if parts.username or parts.password or not _LUMA_EVENT_PATH.fullmatch(parts.path):
        return None
    keys = query.get("pk", [])
    if len(keys) != 1:
        return None
    return luma_key(keys[0])


def tito_key(reference: str) -> str | None:
    """Key of a Tito ticket reference ("GIAO-1", or "GIAO" for an order of one ticket); people type
    it at the door in any case."""
    ref = reference.strip().upper()
    if not _TITO_REFERENCE.fullmatch(ref):
        return None
    return f"tito:{ref}"


def tito_slug_key(slug: str) -> str | None:
    """Key of a Tito ticket's slug, the QR code on its ticket; kept case-sensitive, as it is random.

    It cannot meet a reference's key: those are upper-case and never hold an underscore."""
    value = slug.strip()
    if not _TITO_SLUG.fullmatch(value):
        return None
    return f"tito:{value}"


def tito_slug_key_from_url(url: str) -> str | None:
    """Key of a Tito ticket link, ``https://ti.to/tickets/ti_...``: the export's "Unique Ticket URL",
    and what a phone's camera or a scanner reads where the QR holds the link. Only Tito's own host,
    so a link to anywhere else never stands for a ticket."""
    text = url.strip()
    if len(text) > MAX_SCAN_LENGTH or not text.isascii() or _WHITESPACE.search(text):
        return None
    try:
        parts = urlsplit(text)
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or host not in _TITO_HOSTS or port or parts.username:
        return None
    found = _TITO_TICKET_PATH.fullmatch(parts.path)
    return tito_slug_key(found.group(1)) if found else None


def pretix_key(secret: str) -> str | None:
    """Key of a pretix ticket secret; secrets are case-sensitive, so no case folding."""
    value = secret.strip()
    if not _PRETIX_SECRET.fullmatch(value):
        return None
    return f"pretix:{value}"


def plain_key(code: str) -> str | None:
    """Key of a ticket code from a plain list: upper-cased, spaces dropped, so typing is forgiving."""
    if len(code) > MAX_SCAN_LENGTH:
        return None
    value = _WHITESPACE.sub("", code).upper()
    if not value.isascii() or not _PLAIN_CODE.fullmatch(value):
        return None
    return f"code:{value}"


def scan_keys(scanned: str) -> list[str]:
    """Store keys to try, most specific first, for what a scanner (or a volunteer) entered.

    Returns ``[]`` for anything that cannot be a platform code. Several keys come
    back when a string fits more than one platform (an all-digit barcode may also be
    a plain list's code); the store looks them up in order.
    """
    try:
        return _scan_keys(scanned)
    except Exception:  # noqa: BLE001 - hostile input must never take the door down
        return []


def _scan_keys(scanned: str) -> list[str]:
    """The body of scan_keys, free to raise on surprises that scan_keys swallows."""
    text = _scanned_text(scanned)
    if not text:
        return []
    if "://" in text:  # a link read with Caps Lock on has every letter's case swapped, its pk's too
        key = luma_key_from_url(text) or luma_key_from_url(text.swapcase()) or tito_slug_key_from_url(text) \
            or tito_slug_key_from_url(text.swapcase())
        return [key] if key else []
    candidates: list[str | None] = []
    if text.isdigit():
        candidates.append(eventbrite_barcode_key(text))
    if _LUMA_BARE_KEY.fullmatch(text):
        candidates.append(luma_key(text))
    elif _LUMA_BARE_KEY.fullmatch(text.swapcase()):  # "G-..." is a Luma key read with Caps Lock on
        candidates.append(luma_key(text.swapcase()))
    candidates.append(tito_key(text) if "-" in text else None)
    candidates.append(tito_slug_key(text) or tito_slug_key(text.swapcase()))  # "TI_..." was read with Caps Lock on
    candidates.append(pretix_key(text))
    candidates.append(plain_key(text))
    candidates.append(tito_key(text))  # an order's reference alone ("GIAO"): a plain code's shape too
    candidates.append(_tito_key_typed_without_dash(text))
    candidates.extend(_zero_padding_keys(text))
    return list(dict.fromkeys(key for key in candidates if key))


_TITO_WITHOUT_DASH = re.compile(r"([A-Za-z]{3,8})\s*([0-9]{1,5})")


def _tito_key_typed_without_dash(text: str) -> str | None:
    """A Tito reference typed at the door without its dash ("GIAO1", "giao 1" for GIAO-1); less
    specific than a plain list's own code of that shape, so tried after it."""
    match = _TITO_WITHOUT_DASH.fullmatch(text)
    return tito_key(f"{match.group(1)}-{match.group(2)}") if match else None


PADDED_DIGITS = 10  # a list's number codes shown with leading zeros, up to this many digits


def _zero_padding_keys(text: str) -> list[str | None]:
    """A short number read with or without the leading zeros a spreadsheet showed (00123 / 123):
    the list stores what its sheet showed, a mail merge may print the bare number. Least
    specific, so tried last."""
    if not text.isdigit() or len(text) > PADDED_DIGITS:
        return []
    bare = text.lstrip("0") or "0"
    return [plain_key(bare)] + [plain_key(bare.zfill(width)) for width in range(len(bare) + 1, PADDED_DIGITS + 1)]


def link_keys(scanned: str) -> list[str]:
    """The plain-list key of a web link that is not Luma's, for a list whose ticket codes are links.

    Kept out of ``scan_keys``: a link nobody's list holds is no ticket at all (invalid, and logged
    only by its first characters), not an unknown one."""
    text = _scanned_text(scanned)
    if "://" not in text or luma_key_from_url(text):
        return []
    key = plain_key(text)
    return [key] if key else []


def caps_lock_keys(scanned: str) -> list[str]:
    """Keys of the same read with every letter's case swapped (a scanner typing with Caps Lock on),
    for the case-sensitive codes only (pretix secrets) and only where they differ from scan_keys.

    Nothing in a pretix secret tells which reading is the real one, so these are a second
    try for the lookup: safe only when the two readings do not lead to two different people.
    Everything else needs no second try: our codes, Tito references and plain codes are
    upper-cased anyway, and a Luma link or key says by its shape which reading it is."""
    try:
        text = _scanned_text(scanned)
        if not text or "://" in text or text == text.swapcase():
            return []
        key = pretix_key(text.swapcase())
        return [key] if key and key not in scan_keys(text) else []
    except Exception:  # noqa: BLE001 - hostile input must never take the door down
        return []


def _scanned_text(scanned: object) -> str:
    """The read as a string worth parsing: stripped, without an AIM prefix; "" when it cannot be a code."""
    if not isinstance(scanned, str):
        return ""
    text = without_aim_prefix(scanned.strip())
    if len(text) > MAX_SCAN_LENGTH or not text.isprintable():
        return ""
    return text
