"""Someone without a QR code types theirs at the kiosk from the printed ticket or the email, the
way people type: without the dashes, with spaces, in lower case, an O for a 0."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from browser import chromium, pw, signed_in_page  # noqa: F401  (fixtures)


def type_code(page: Page, text: str) -> None:
    box = page.get_by_label("No QR code? Type your ticket code")
    box.click()
    box.press_sequentially(text, delay=120)  # a person's pace: not a scanner burst
    page.get_by_role("button", name="Check in", exact=True).click()


def as_typed(code: str, how: str) -> str:
    k, serial, mac = code.split("-")
    if how == "no dashes":
        return code.replace("-", "")
    if how == "spaces, lower case":
        return f"{k} {serial} {mac}".lower()
    # the alphabet has no O, I or L: each 0 and 1 after the event's part typed as a letter
    return f"{k}-{serial}-{mac}".replace("0", "O").replace("1", "I").replace("KI-", "K1-", 1)


@pytest.mark.parametrize("how", ["no dashes", "spaces, lower case", "letters for digits"])
def test_a_code_typed_as_people_type_it_checks_them_in(server, chromium, how):
    people = [p for p in server.people() if how != "letters for digits"
              or any(ch in "01" for ch in p["ticket_code"].split("-", 1)[1])]
    person = people[0]
    with signed_in_page(chromium, server, "kiosk") as (page, watch):
        type_code(page, as_typed(person["ticket_code"], how))
        expect(page.locator("#result-title")).to_have_text(f"Welcome, {person['first_name']}!")
        assert server.get(f"/api/attendees/{person['id']}").json()["attendee"]["checked_in_at"]
        watch.assert_clean()


def test_a_mistyped_code_is_still_refused(server, chromium):
    """Only a code whose MAC holds is rewritten: one wrong character stays somebody else's code."""
    code = server.people()[0]["ticket_code"].replace("-", "")
    wrong = code[:-1] + ("X" if code[-1] != "X" else "Y")
    with signed_in_page(chromium, server, "kiosk") as (page, watch):
        type_code(page, wrong)
        expect(page.locator("#result-title")).to_have_text("Ticket not found")
        assert server.get("/api/headcount", None).json()["checked_in"] == 0
        watch.assert_clean()
