"""What a barcode scanner in keyboard mode really types at the door, and how the kiosk reads it.

Caps Lock left on, AIM symbology identifiers, Tab and CR+LF terminators, slow Bluetooth links,
a US scanner on a German or French laptop, and whatever else gets scanned (a vCard, a Wi-Fi QR):
through POST /api/checkins on a real server, and through the real kiosk page in Chromium.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from playwright.sync_api import Page, expect

from browser import chromium, pw, signed_in_page, scanner_type  # noqa: F401
from conftest import FIXTURES, wait_until
from kiosk import platform_codes

IMPORTS = FIXTURES / "imports"
LUMA_URL = "https://luma.com/check-in/evt-NKXctR3fMVfX24o?pk=g-XyZ789AbCdEf"
LUMA_KEY = "luma:g-XyZ789AbCdEf"
PRETIX_SECRET = "hk3dmt8zq2ypw7vxbn4c6rfsgu9ejakq"
EVENTBRITE_BARCODE = "1121191224317645032101001"
VCARD = ["BEGIN:VCARD", "VERSION:3.0", "N:Doe;John;;;", "FN:John Doe", "TEL;TYPE=cell:+44 7700 900123", "END:VCARD"]
WIFI = "WIFI:S:Venue Guest;T:WPA;P:correct horse battery;;"


# --- the codes themselves (pure functions) ---

@pytest.mark.parametrize("scanned,expected", [
    ("]Q1K1-ABCDEFGH-0123456789ABC", "K1-ABCDEFGH-0123456789ABC"),
    ("]C0" + EVENTBRITE_BARCODE, EVENTBRITE_BARCODE),
    ("]d2hello", "hello"),
    ("]Q1", "]Q1"),              # nothing after it: not an identifier in front of a code
    ("]Q1 x", "]Q1 x"),
    ("K1-]Q1", "K1-]Q1"),        # only in front
    ("K1-]Q1X", "K1-]Q1X"),
    ("]]Q1K1", "]]Q1K1"),
])
def test_an_aim_identifier_is_taken_off_the_front_only(scanned: str, expected: str) -> None:
    assert platform_codes.without_aim_prefix(scanned) == expected


@pytest.mark.parametrize("code", [LUMA_URL, PRETIX_SECRET, EVENTBRITE_BARCODE, "GIAO-1", "g-XyZ789AbCdEf"])
@pytest.mark.parametrize("aim", ["]Q1", "]Q3", "]C0", "]z0"])
def test_a_platform_code_with_an_aim_identifier_gives_the_same_keys(code: str, aim: str) -> None:
    assert platform_codes.scan_keys(aim + code) == platform_codes.scan_keys(code) != []


@pytest.mark.parametrize("url", [
    LUMA_URL.swapcase(),                                            # HTTPS://LUMA.COM/CHECK-IN/EVT-nkx...?PK=G-xYz...
    "HTTPS://LU.MA/CHECK-IN/EVT-nkxCTr3FmvFx24O?PK=G-xYz789aBcDeF",
    " " + LUMA_URL.swapcase() + " ",
])
def test_a_luma_link_read_with_caps_lock_on_is_the_guests_link(url: str) -> None:
    assert platform_codes.scan_keys(url) == [LUMA_KEY]


def test_a_luma_key_read_with_caps_lock_on_is_the_guests_key() -> None:
    assert LUMA_KEY in platform_codes.scan_keys("G-xYz789aBcDeF")


@pytest.mark.parametrize("url", [
    "HTTPS://LUMA.COM/CHECK-IN/EVT-ABC?pk=G-XYZ",  # half inverted: neither reading is a Luma link
    "https://LUMA.COM/check-in/EVT-abc?PK=g-xyz",
    LUMA_URL.swapcase().replace("LUMA.COM", "EVIL.EXAMPLE"),
])
def test_a_link_that_is_no_luma_link_in_either_case_is_refused(url: str) -> None:
    assert platform_codes.scan_keys(url) == []


def test_caps_lock_keys_are_a_second_try_for_case_sensitive_secrets_only() -> None:
    assert platform_codes.caps_lock_keys(PRETIX_SECRET.swapcase()) == [f"pretix:{PRETIX_SECRET}"]
    assert platform_codes.caps_lock_keys("]Q1" + PRETIX_SECRET.swapcase()) == [f"pretix:{PRETIX_SECRET}"]
    for same_either_way in ("k1-abcdefgh-0123456789abc", "giao-1", EVENTBRITE_BARCODE, LUMA_URL.swapcase(), "1234-5678"):
        assert platform_codes.caps_lock_keys(same_either_way) == [], same_either_way


@pytest.mark.parametrize("junk", ["", "]", "]]]", "\x00", "\ud800", "🎟️" * 300, "A" * 5000, "\n".join(VCARD), WIFI,
                                  "]Q1" + "\x02", "HTTPS://" + "[" * 100, None, 42, ["]Q1"]])
def test_platform_codes_never_raise_on_junk(junk: Any) -> None:
    assert isinstance(platform_codes.scan_keys(junk), list)
    assert isinstance(platform_codes.caps_lock_keys(junk), list)


# --- POST /api/checkins on a real server ---

def import_lists(server: Any, *names: str) -> None:
    for name in names:
        with (IMPORTS / name).open("rb") as fh:
            response = server.post("/api/imports", files={"file": (name, fh)}, data={"source": "auto"})
        assert response.status_code == 200, response.text


@pytest.fixture
def door(server: Any) -> Any:
    """The demo evening plus the people of the Luma, pretix, Tito and Eventbrite lists."""
    import_lists(server, "luma.csv", "pretix_comma.csv", "tito.csv", "eventbrite.csv")
    return server


def own_code(server: Any) -> str:
    return server.people()[3]["ticket_code"]


@pytest.mark.parametrize("read", [
    pytest.param(lambda s: own_code(s).lower(), id="ours"),
    pytest.param(lambda s: LUMA_URL.swapcase(), id="luma-link"),
    pytest.param(lambda s: "giao-2", id="tito"),
    pytest.param(lambda s: PRETIX_SECRET.swapcase(), id="pretix"),
])
def test_caps_lock_on_at_the_kiosk_laptop(door: Any, read: Any) -> None:
    response = door.scan(read(door))
    assert (response.status_code, response.json()["result"]) == (201, "checked_in"), response.text


def give_door_codes(server: Any, codes: dict[str, int]) -> None:
    """Door codes (as a platform's list would bring) for people already on the list."""
    event_id = server.state.door.event.id
    with server.state.store.write() as db:
        for key, attendee_id in codes.items():
            db.execute("INSERT INTO door_codes (event_id, code, attendee_id) VALUES (?, ?, ?)", [event_id, key, attendee_id])


def test_a_caps_lock_reading_that_fits_two_people_lets_nobody_in(server: Any) -> None:
    """pretix secrets are case-sensitive: when the swapped reading of one person's secret is
    another person's secret, the guess cannot tell them apart (the exact reading still can)."""
    first, second = server.people()[40], server.people()[41]
    upper, lower = "AB12CD34EF56GH78JK90MN12PQ34RS56", "ab12cd34ef56gh78jk90mn12pq34rs56"
    give_door_codes(server, {platform_codes.pretix_key(upper): first["id"], platform_codes.pretix_key(lower): second["id"]})
    mixed = "Ab12cd34ef56gh78jk90mn12pq34rs56"
    give_door_codes(server, {platform_codes.pretix_key(mixed.swapcase()): first["id"]})  # one person, both ways
    assert server.scan(upper).json()["attendee"]["id"] == first["id"]  # exact readings: each their own
    assert server.scan(lower).json()["attendee"]["id"] == second["id"]
    refused = server.scan("Zz" + upper[2:])  # fits nobody exactly; swapped, nobody either
    assert (refused.status_code, refused.json()["result"]) == (404, "unknown_code")
    assert server.scan(mixed).json()["attendee"]["id"] == first["id"]  # the swap fits only one: let in


def test_the_most_specific_platform_key_wins(server: Any) -> None:
    """An all-digit barcode may be an Eventbrite ticket or a plain list's code: the order of
    scan_keys (most specific first) decides, not whichever row the database returns first."""
    keys = platform_codes.scan_keys(EVENTBRITE_BARCODE)
    assert len(keys) >= 2
    first, second = server.people()[50], server.people()[51]
    give_door_codes(server, {keys[-1]: first["id"], keys[0]: second["id"]})  # the less specific one stored first
    assert server.scan(EVENTBRITE_BARCODE).json()["attendee"]["id"] == second["id"]


@pytest.mark.parametrize("read", [
    pytest.param(lambda s: "]Q1" + LUMA_URL, id="luma-qr"),
    pytest.param(lambda s: "]Q1" + PRETIX_SECRET, id="pretix-qr"),
    pytest.param(lambda s: "]C0" + EVENTBRITE_BARCODE, id="eventbrite-code128"),
    pytest.param(lambda s: "]Q1" + own_code(s), id="ours"),
])
def test_an_aim_symbology_identifier_in_front(door: Any, read: Any) -> None:
    response = door.scan(read(door))
    assert (response.status_code, response.json()["result"]) == (201, "checked_in"), response.text


@pytest.mark.parametrize("around", ["{}\r\n", "{}\t", " {} ", "\t{}\n", "{}\r"])
def test_terminators_and_spaces_around_a_code(server: Any, around: str) -> None:
    person = server.people()[9]
    response = server.scan(around.format(person["ticket_code"]))
    assert response.status_code == 201, response.text
    assert response.json()["attendee"]["id"] == person["id"]


GARBAGE = {
    "vcard": "\r\n".join(VCARD), "wifi": WIFI, "2kb": "A1-" * 700, "emoji": "🎟️ K1-🎉", "controls": "\x02K1\x03\x1b[0m",
    "nul": "\x00", "bidi": "K1-\u202eCBA", "lone-surrogate": "\ud800", "aim-only": "]Q1", "zero-width": "K1\u200b-",
    "url": "https://example.com/check-in/evt-x?pk=g-abcd", "sql": "' OR 1=1 --", "empty": "", "spaces": "   ",
}


@pytest.mark.parametrize("name", GARBAGE)
def test_garbage_is_refused_in_one_sentence_and_the_door_goes_on(door: Any, name: str) -> None:
    response = door.scan(GARBAGE[name])
    assert 400 <= response.status_code < 500, response.text
    body = response.json()
    assert body["result"] in ("invalid_code", "unknown_code") and body["message"]
    assert door.scan(own_code(door)).status_code == 201  # the next real ticket is not held up


# --- the kiosk page in Chromium ---

def expect_greeted(page: Page, first_name: str) -> None:
    expect(page.locator("#result-title")).to_have_text(f"Welcome, {first_name}!")


def expect_state(page: Page, state: str) -> None:
    expect(page.locator("#kiosk")).to_have_attribute("data-state", state)


def scans(server: Any) -> list[tuple[str, str]]:
    with server.state.store.read() as db:
        return [(r["code"], r["result"]) for r in db.execute("SELECT code, result FROM scans ORDER BY id")]


def checked_in(server: Any, person: dict[str, Any]) -> bool:
    with server.state.store.read() as db:
        return bool(db.execute("SELECT checked_in_at FROM attendees WHERE id = ?", [person["id"]]).fetchone()[0])


def type_with_gaps(page: Page, text: str, gaps: Iterator[float]) -> None:
    """A scanner with its own rhythm: each key, then the next gap (seconds)."""
    for char in text:
        page.keyboard.type(char)
        time.sleep(next(gaps))


@pytest.fixture
def kiosk(door: Any, chromium: Any) -> Iterator[tuple[Page, Any]]:  # noqa: F811
    with signed_in_page(chromium, door, "kiosk") as (page, watch):
        # Let start-up requests finish: the server shares this process, and a stall of 250 ms
        # between two keys of the first scan would (rightly) split it.
        page.wait_for_load_state("networkidle")
        yield page, watch
        watch.assert_clean()


def test_caps_lock_scans_of_our_ticket_and_a_luma_link_greet(door: Any, kiosk: Any) -> None:
    page, _ = kiosk
    person = door.people()[12]
    scanner_type(page, person["ticket_code"].lower())
    expect_greeted(page, person["first_name"])
    scanner_type(page, LUMA_URL.swapcase())
    expect_greeted(page, "Grace")


def test_aim_identifier_in_front_of_our_ticket_is_taken_off_by_the_page(door: Any, kiosk: Any) -> None:
    page, _ = kiosk
    person = door.people()[13]
    scanner_type(page, "]Q1" + person["ticket_code"])
    expect_greeted(page, person["first_name"])
    assert scans(door)[-1] == (person["ticket_code"], "checked_in")


def test_tab_terminated_scans_keep_focus_where_it_was(door: Any, kiosk: Any) -> None:
    """Each Tab used to move focus on, to "Sign this kiosk out" after five scans."""
    page, _ = kiosk
    people = door.people()[20:26]
    for person in people:
        page.keyboard.type(person["ticket_code"], delay=5)
        page.keyboard.press("Tab")
        expect_greeted(page, person["first_name"])
        assert page.evaluate("document.activeElement === document.body")
    assert page.evaluate("window.kioskMetrics.at(-1).via") == "tab"
    assert all(checked_in(door, p) for p in people)


def test_the_lf_of_a_cr_lf_does_not_press_the_focused_button(door: Any, kiosk: Any) -> None:
    page, _ = kiosk
    person = door.people()[27]
    page.locator("#settings-button").focus()  # left there by a volunteer
    page.keyboard.type(person["ticket_code"], delay=5)
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    expect_greeted(page, person["first_name"])
    page.wait_for_timeout(300)
    assert not page.evaluate("document.querySelector('#settings-dialog').open")


def test_spaces_around_a_scan_and_a_code_scanned_into_a_box_with_text(door: Any, kiosk: Any) -> None:
    page, _ = kiosk
    first, second = door.people()[28], door.people()[29]
    scanner_type(page, f"  {first['ticket_code']} ")
    expect_greeted(page, first["first_name"])
    box = page.locator("#manual-code")
    box.fill("GIAO")  # someone had started typing
    box.focus()
    scanner_type(page, second["ticket_code"])
    expect_greeted(page, second["first_name"])
    expect(box).to_have_value("GIAO")


@pytest.mark.parametrize("low,high", [(0.020, 0.040), (0.038, 0.042)], ids=["20-40ms", "40ms"])
@pytest.mark.parametrize("enter", [True, False], ids=["enter", "no-suffix"])
def test_a_slow_bluetooth_scanner_with_stalls(door: Any, kiosk: Any, enter: bool, low: float, high: float) -> None:
    """20-40 ms a key, and two stalls of 120 ms in the middle: a Bluetooth link on a busy evening."""
    page, _ = kiosk
    person = door.people()[31]
    rng = random.Random(7)
    gaps = iter([0.120 if i in (6, 15) else rng.uniform(low, high) for i in range(64)])
    type_with_gaps(page, person["ticket_code"], gaps)
    if enter:
        page.keyboard.press("Enter")
    expect_greeted(page, person["first_name"])
    assert [code for code, _ in scans(door)] == [person["ticket_code"]]


@pytest.mark.parametrize("enter", [True, False], ids=["enter", "no-suffix"])
def test_two_codes_back_to_back_are_two_scans(door: Any, kiosk: Any, enter: bool) -> None:
    page, _ = kiosk
    first, second = door.people()[32], door.people()[33]
    scanner_type(page, first["ticket_code"], enter=enter)
    page.wait_for_timeout(40)
    scanner_type(page, second["ticket_code"], enter=enter)
    expect_greeted(page, second["first_name"])
    assert [code for code, _ in scans(door)] == [first["ticket_code"], second["ticket_code"]]


def test_two_platform_codes_50_ms_apart_are_two_scans(door: Any, kiosk: Any) -> None:
    """Not ours, so each waits a moment after its Enter for a next line; 50 ms later is a new scan."""
    page, _ = kiosk
    scanner_type(page, "GIAO-2")
    page.wait_for_timeout(50)
    scanner_type(page, "]C0" + EVENTBRITE_BARCODE)
    wait_until(lambda: len(scans(door)) == 2, what="both scans answered")
    assert [result for _, result in scans(door)] == ["checked_in", "checked_in"], scans(door)


def test_a_person_typing_with_nothing_focused_is_not_a_scan(door: Any, kiosk: Any) -> None:
    page, _ = kiosk
    person = door.people()[34]
    page.keyboard.type(person["ticket_code"], delay=90)
    page.keyboard.press("Enter")
    page.wait_for_timeout(500)
    expect_state(page, "idle")
    assert scans(door) == []


# A US-layout scanner "types" key positions; the laptop's layout turns them into these characters.
GERMAN = {"Z": "Y", "Y": "Z", "-": "ß"}
FRENCH = {"A": "Q", "Q": "A", "Z": "W", "W": "Z", "M": "?", "-": ")",
          **dict(zip("1234567890", "&é\"'(-è_çà"))}


def key_position(char: str) -> tuple[str, bool]:
    """The physical key (KeyboardEvent.code) and Shift a US scanner uses for a character."""
    if char.isalpha():
        return f"Key{char.upper()}", char.isupper()
    if char.isdigit():
        return f"Digit{char}", False
    return {"-": ("Minus", False)}[char]


def scan_on_layout(page: Page, code: str, layout: dict[str, str]) -> None:
    """Trusted key events (CDP) as Chromium gets them from a US scanner on another layout."""
    cdp = page.context.new_cdp_session(page)
    try:
        for char in code + "\r":
            key_code, shift = ("Enter", False) if char == "\r" else key_position(char)
            key = "Enter" if char == "\r" else layout.get(char, char)
            event = {"key": key, "code": key_code, "modifiers": 8 if shift else 0}
            cdp.send("Input.dispatchKeyEvent", {"type": "keyDown", "text": "\r" if char == "\r" else key,
                                                "windowsVirtualKeyCode": 13 if char == "\r" else 0, **event})
            cdp.send("Input.dispatchKeyEvent", {"type": "keyUp", **event})
            time.sleep(0.004)
    finally:
        cdp.detach()


@pytest.mark.parametrize("layout", [GERMAN, FRENCH], ids=["de-qwertz", "fr-azerty"])
def test_a_us_scanner_on_a_german_or_french_laptop(door: Any, kiosk: Any, layout: dict[str, str]) -> None:
    page, _ = kiosk
    person = next(p for p in door.people() if set(p["ticket_code"]) & set(layout))
    assert person["ticket_code"].translate(str.maketrans(layout)) != person["ticket_code"]
    scan_on_layout(page, person["ticket_code"], layout)
    expect_greeted(page, person["first_name"])
    assert scans(door) == [(person["ticket_code"], "checked_in")]


def test_a_vcard_is_one_refusal_and_the_kiosk_goes_on(door: Any, kiosk: Any) -> None:
    """The scanner types Enter at each line break: six lines used to be six refused 'guesses'."""
    page, _ = kiosk
    page.keyboard.type("\n".join(VCARD) + "\n", delay=3)  # Playwright presses Enter for each "\n"
    expect_state(page, "invalid_code")
    expect(page.locator("#result-message")).to_have_text("This code is not a valid ticket. Please see a volunteer.")
    page.wait_for_timeout(400)
    assert [result for _, result in scans(door)] == ["invalid_code"]
    expect_state(page, "idle")  # by itself, after the refusal's few seconds
    person = door.people()[35]
    scanner_type(page, person["ticket_code"])
    expect_greeted(page, person["first_name"])


@pytest.mark.parametrize("junk", [WIFI, "A1-" * 700], ids=["wifi", "2kb"])
def test_other_junk_scanned_at_the_kiosk_is_refused_on_screen(door: Any, kiosk: Any, junk: str) -> None:
    page, _ = kiosk
    scanner_type(page, junk, delay=0)
    expect_state(page, "invalid_code")
    expect(page.locator("#result-title")).to_have_text("Not a valid ticket")
    assert len(scans(door)) == 1


def test_a_scanned_wifi_code_or_business_card_is_not_kept_in_the_scan_log(server: Any) -> None:
    """The log keeps ticket-shaped reads whole, anything else only by its start and length; a
    retry of the same junk with its nonce is still answered from the log, not a 500."""
    card = "\r\n".join(VCARD)
    for junk in (WIFI, card):
        for _ in range(2):
            answer = server.scan(junk, nonce="junk-" + junk[:4])
            assert (answer.status_code, answer.json()["result"]) == (422, "invalid_code"), answer.text
    logged = [code for code, _ in scans(server)]
    assert len(logged) == 2  # each retry answered from the first
    assert not [code for code in logged if "horse" in code or "7700" in code]
    assert logged[0] == f"{WIFI[:16]}… ({len(WIFI)} characters)"
    luma = server.scan(LUMA_URL)
    assert scans(server)[-1][0] == LUMA_URL, luma.text  # a ticket's shape: kept whole
