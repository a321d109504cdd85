"""A US-layout scanner (most ship set to US) on a French or German laptop, scanning other platforms'
codes. Our own tickets were already read back from the keys' positions; every other code was
refused: an Eventbrite barcode arrived as "&&é&&(...", a Tito reference as "GIQO)&" (French) or
"GIAOß1" (German), a Luma link as "httpsM!!lu,q;co,!...". None of those can be a door code of
any kind, while the same keys read as on a US keyboard are one, so that reading is sent now.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from browser import chromium, pw, signed_in_page  # noqa: F401  (fixtures)
from test_scanner_input import EVENTBRITE_BARCODE, LUMA_URL, door, import_lists, scans  # noqa: F401

# What a US keyboard's keys type, unshifted and shifted ("code": characters), for the keys these codes use.
US = {**{f"Key{c}": c.lower() + c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
      **{f"Digit{d}": d + s for d, s in zip("1234567890", "!@#$%^&*()")},
      "Minus": "-_", "Equal": "=+", "Semicolon": ";:", "Period": ".>", "Slash": "/?"}
# What the same keys type on a French (AZERTY) and a German (QWERTZ) laptop.
FRENCH = {**{f"Key{c}": c.lower() + c for c in "BCDEFGHIJKLNOPRSTUVXY"},
          "KeyA": "qQ", "KeyQ": "aA", "KeyW": "zZ", "KeyZ": "wW", "KeyM": ",?", "Semicolon": "mM",
          **{f"Digit{d}": f + d for d, f in zip("1234567890", "&é\"'(-è_çà")},
          "Minus": ")°", "Equal": "=+", "Period": ";.", "Slash": "!§"}
GERMAN = {**US, "KeyY": "zZ", "KeyZ": "yY", "Minus": "ß?", "Equal": "´`", "Semicolon": "öÖ", "Slash": "-_",
          "Period": ".:", **{f"Digit{d}": d + s for d, s in zip("1234567890", "!\"§$%&/()=")}}


def us_key(char: str) -> tuple[str, bool]:
    """The key (KeyboardEvent.code) and Shift a US scanner presses for a character."""
    return next((code, chars.index(char) == 1) for code, chars in US.items() if char in chars)


def scan_on_laptop(page: Page, code: str, layout: dict[str, str]) -> None:
    """Trusted key events (CDP) as Chromium gets them from a US scanner on a laptop of `layout`, then Enter."""
    cdp = page.context.new_cdp_session(page)
    try:
        for char in code:
            key_code, shift = us_key(char)
            key = layout[key_code][1 if shift else 0]
            event = {"key": key, "code": key_code, "modifiers": 8 if shift else 0}
            cdp.send("Input.dispatchKeyEvent", {"type": "keyDown", "text": key, **event})
            cdp.send("Input.dispatchKeyEvent", {"type": "keyUp", **event})
            time.sleep(0.004)
        enter = {"key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13}
        cdp.send("Input.dispatchKeyEvent", {"type": "keyDown", "text": "\r", **enter})
        cdp.send("Input.dispatchKeyEvent", {"type": "keyUp", **enter})
    finally:
        cdp.detach()


@pytest.mark.parametrize("layout", [FRENCH, GERMAN], ids=["fr-azerty", "de-qwertz"])
@pytest.mark.parametrize("code,name", [(EVENTBRITE_BARCODE, "Welcome"), ("GIAO-2", "Welcome, Grace!"),
                                       (LUMA_URL, "Welcome, Grace!")], ids=["eventbrite", "tito", "luma"])
def test_a_us_scanner_on_a_french_or_german_laptop_reads_platform_codes(door, chromium, layout, code, name):
    with signed_in_page(chromium, door, "kiosk") as (page, watch):
        page.wait_for_load_state("networkidle")
        scan_on_laptop(page, code, layout)
        expect(page.locator("#result-title")).to_contain_text(name)
        assert scans(door) == [(code, "checked_in")]
        watch.assert_clean()


def test_a_scanner_set_to_french_on_a_french_laptop_is_read_as_typed(door, chromium):
    """Set up right, an AZERTY scanner types digits with Shift: their US reading ("!@#...") is no
    code, the typed one is, and the typed one is sent as before."""
    on_french_keys = {chars[i]: (code, i == 1) for code, chars in FRENCH.items() for i in (0, 1)}
    with signed_in_page(chromium, door, "kiosk") as (page, watch):
        page.wait_for_load_state("networkidle")
        cdp = page.context.new_cdp_session(page)
        for char in EVENTBRITE_BARCODE:
            key_code, shift = on_french_keys[char]
            event = {"key": char, "code": key_code, "modifiers": 8 if shift else 0}
            cdp.send("Input.dispatchKeyEvent", {"type": "keyDown", "text": char, **event})
            cdp.send("Input.dispatchKeyEvent", {"type": "keyUp", **event})
            time.sleep(0.004)
        cdp.send("Input.dispatchKeyEvent", {"type": "keyDown", "key": "Enter", "code": "Enter", "text": "\r",
                                            "windowsVirtualKeyCode": 13})
        expect(page.locator("#result-title")).to_contain_text("Welcome")
        assert scans(door) == [(EVENTBRITE_BARCODE, "checked_in")]
        watch.assert_clean()
