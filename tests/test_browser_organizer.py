"""The organizer page: upload an attendee list, tokens (create, revoke), audit trail, export link."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from browser import chromium, new_context, pin_login, pw, watch_page  # noqa: F401

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "imports"


def test_import_tokens_audit_and_export(server, chromium):
    context = new_context(chromium, server)
    page = context.new_page()
    watch = watch_page(page)
    pin_login(page, "organizer")

    page.locator("#import-file").set_input_files(FIXTURES / "plain.csv")
    page.locator("#import-source").select_option("auto")
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#import-status")).to_contain_text(re.compile(r"Imported from \w+: \d+ added"))
    assert server.get("/api/attendees?q=lovelace").json()["attendees"][0]["name"] == "Ada Lovelace"
    # the imported list's own codes work at the door
    assert server.scan("DOOR-0001").json()["result"] == "checked_in"

    page.locator("#token-role").select_option("kiosk")
    page.locator("#token-label").fill("door-2 scanner")
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#token-value")
    expect(token).to_have_text(re.compile(r"^kk_"))
    new_token = token.inner_text()
    row = page.locator("#tokens tr", has_text="door-2 scanner")
    expect(row).to_contain_text("live")
    ok = server.client(None).post(server.url + "/api/checkins", json={"code": "DOOR-0002"},
                                  headers={"Authorization": f"Bearer {new_token}"}, timeout=10)
    assert ok.status_code == 201

    row.get_by_role("button", name="Revoke").click()
    page.locator("#confirm-dialog").get_by_role("button", name="Revoke").click()
    expect(row).to_contain_text("revoked")
    refused = server.client(None).post(server.url + "/api/checkins", json={"code": "DOOR-0003"},
                                       headers={"Authorization": f"Bearer {new_token}"}, timeout=10)
    assert refused.status_code == 401

    audit = page.locator("#audit")
    expect(audit).to_contain_text("import")
    expect(audit).to_contain_text("plain.csv")
    # (token_create / token_revoke are recorded without an event id, so the event's /api/audit omits them)
    # the report of the evening the page shows, whichever the server serves by the time it is pressed
    assert page.locator("#export-csv").get_attribute("href") == "/api/export?event=2026-11-26-test-meetup"
    with page.expect_download() as download:
        page.locator("#export-csv").click()
    assert "Ada Lovelace" in Path(download.value.path()).read_text(encoding="utf-8")
    watch.assert_clean()
    context.close()
