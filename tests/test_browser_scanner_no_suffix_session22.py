"""Two people's codes scanned moments apart by a scanner set up without an Enter suffix (many ship
like this): the kiosk splits scans by the pause between them. A code that looks like the start of
one of our tickets ("K7QX-1", a Tito reference; "K-1001" from a plain list) waits through a stall of
up to 1.5 s for its rest, and the next person's code, 0.3-1 s later, was taken for that rest: both
went as one refused scan ("K7QX-1GIAO-1": "Ticket not found"), and neither person got in.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from browser import chromium, poll, pw, scanner_type, signed_in_page  # noqa: F401  (fixtures)
from conftest import wait_until
from test_scanner_input import import_lists, scans


@pytest.mark.parametrize("gap_ms", [300, 1000])
def test_two_tito_references_moments_apart_are_two_scans(server: Any, chromium: Any, gap_ms: int) -> None:
    import_lists(server, "tito.csv")  # José Álvarez holds K7QX-1, Ada Lovelace GIAO-1
    with signed_in_page(chromium, server, "kiosk") as (page, watch):
        page.wait_for_load_state("networkidle")
        scanner_type(page, "K7QX-1", enter=False, delay=4)
        page.wait_for_timeout(gap_ms)  # the next person steps up
        scanner_type(page, "GIAO-1", enter=False, delay=4)
        wait_until(lambda: len(scans(server)) >= 2, what="two scans answered")
        # two requests at once: the server may take either first
        assert sorted(scans(server)) == [("GIAO-1", "checked_in"), ("K7QX-1", "checked_in")]
        poll(page, lambda: page.evaluate("window.kioskMetrics.length") == 2, "both answers on the page")
        assert [m["result"] for m in page.evaluate("window.kioskMetrics")] == ["checked_in", "checked_in"]
        watch.assert_clean()


def test_a_tito_reference_then_one_of_our_tickets_moments_apart_are_two_scans(server: Any, chromium: Any) -> None:
    import_lists(server, "tito.csv")
    person = server.people()[6]
    with signed_in_page(chromium, server, "kiosk") as (page, watch):
        page.wait_for_load_state("networkidle")
        scanner_type(page, "K7QX-1", enter=False, delay=4)
        page.wait_for_timeout(500)
        scanner_type(page, person["ticket_code"], enter=False, delay=4)
        wait_until(lambda: len(scans(server)) >= 2, what="two scans answered")
        assert sorted(scans(server)) == sorted([("K7QX-1", "checked_in"), (person["ticket_code"], "checked_in")])
        watch.assert_clean()


def test_a_ticket_with_a_stall_in_it_is_still_one_scan_after_such_a_code(server: Any, chromium: Any) -> None:
    """The stall a busy laptop makes mid-ticket is still waited through: only a burst that comes out
    no whole ticket is cut at its pauses."""
    import_lists(server, "tito.csv")
    person = server.people()[5]
    code = person["ticket_code"]
    with signed_in_page(chromium, server, "kiosk") as (page, watch):
        page.wait_for_load_state("networkidle")
        scanner_type(page, code[:12], enter=False, delay=4)
        page.wait_for_timeout(600)
        scanner_type(page, code[12:], enter=False, delay=4)
        expect(page.locator("#result-title")).to_have_text(f"Welcome, {person['first_name']}!")
        assert scans(server) == [(code, "checked_in")]
        watch.assert_clean()
