"""Pages left open while `kiosk serve` is restarted on another evening (the config moved on to next
month, or last month's config was started by mistake and corrected): they show the evening the
door now serves, not last month's name over this month's counts."""

from __future__ import annotations

import csv
import io

from playwright.sync_api import expect

from browser import chromium, new_context, pair, pw, watch_page  # noqa: F401
from conftest import KioskProcess, free_port, run_kiosk, write_config
from test_export import next_month

SWITCH = 30_000  # ms: the server restarts, and each page reconnects after its back-off


def test_open_pages_follow_the_server_to_next_months_evening(tmp_path, chromium):
    port = free_port()
    november = write_config(tmp_path, port=port)
    run_kiosk(november, "demo", "--no-serve")  # November's list
    tokens = {role: run_kiosk(november, "token", "create", "--role", role).stdout.strip().splitlines()[-1]
              for role in ("kiosk", "volunteer", "organizer")}
    server = KioskProcess(november, port).start()
    contexts = []
    try:
        server.tokens = tokens
        pages = {}
        for role in ("display", "kiosk", "volunteer", "organizer"):
            context = new_context(chromium, server)
            contexts.append(context)
            page = context.new_page()
            watch_page(page)
            if role == "display":
                page.goto("/display")
            else:
                pair(page, server, role)
            expect(page.locator("h1").first).to_have_text("Test Meetup")
            pages[role] = page
        expect(pages["display"].locator("#connection")).to_have_text("Live")
        expect(pages["volunteer"].locator("#connection")).to_have_text("Live")

        server.stop()
        server = KioskProcess(next_month(november), port).start()

        for role in ("display", "kiosk", "volunteer"):
            expect(pages[role].locator("h1").first).to_have_text("Test Meetup: December", timeout=SWITCH)
        expect(pages["display"].locator("#expected")).to_have_text("0")
        expect(pages["volunteer"].locator("#count-inside")).to_have_text("0")

        # The organizer page says November, and its report is November's, whatever the door serves now.
        organizer = pages["organizer"]
        expect(organizer.locator("h1").first).to_have_text("Test Meetup")
        report = organizer.request.get(organizer.locator("#export-csv").get_attribute("href"))
        assert report.ok and "2026-11-26" in report.headers["content-disposition"]
        assert len(list(csv.DictReader(io.StringIO(report.text())))) > 200
    finally:
        for context in contexts:
            context.close()
        server.stop()
