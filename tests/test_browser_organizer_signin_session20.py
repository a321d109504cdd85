"""The organizer's sign-in ends with a list chosen for import: the page says so and offers a sign-in
that leaves it as it is, and the same Import button then imports the file."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from browser import PINS, chromium, new_context, pin_login, pw, watch_page  # noqa: F401  (fixtures)


def test_an_import_refused_for_an_ended_sign_in_goes_through_after_signing_in_in_a_new_tab(empty_server, chromium, tmp_path):
    listing = tmp_path / "tonight.csv"
    listing.write_text("Name,Email\nAda Lovelace,ada@example.org\nGrace Hopper,grace@example.org\n", encoding="utf-8")
    context = new_context(chromium, empty_server)
    try:
        page = context.new_page()
        watch = watch_page(page)
        pin_login(page, "organizer")
        page.locator("#import-file").set_input_files(listing)
        context.clear_cookies()  # the browser let the session's cookie go
        page.get_by_role("button", name="Import", exact=True).click()
        status = page.locator("#import-status")
        expect(status).to_contain_text("Your sign-in has ended")
        with context.expect_page() as opened:
            status.get_by_role("link", name="Sign in again in a new tab").click()
        login = opened.value
        login.get_by_label("PIN").fill(PINS["organizer"])
        login.get_by_role("button", name="Sign in").click()
        login.wait_for_url(re.compile(r"/organizer$"))
        assert empty_server.people() == []

        page.get_by_role("button", name="Import", exact=True).click()  # the file is still chosen
        expect(status).to_contain_text("Imported from csv: 2 added")
        assert sorted(p["name"] for p in empty_server.people()) == ["Ada Lovelace", "Grace Hopper"]
        watch.assert_clean()
    finally:
        context.close()
