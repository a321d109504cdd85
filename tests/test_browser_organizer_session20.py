"""The organizer page's upload of a list too large to take (session 20)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from browser import chromium, new_context, pin_login, pw  # noqa: F401
from kiosk.importers.reading import MAX_FILE_BYTES


def test_a_list_over_the_size_limit_is_refused_naming_the_file_and_the_limit(empty_server, chromium,
                                                                              tmp_path: Path) -> None:
    """A list over 20 MB was answered "The data value transmitted exceeds the capacity limit.":
    no file, no limit, no word that nothing was imported, where `kiosk import` names all three."""
    big = tmp_path / "everyone.csv"
    big.write_bytes(b"Name\n" + b"Ada Lovelace\n" * (MAX_FILE_BYTES // 13 + 1000))
    page = new_context(chromium, empty_server).new_page()
    pin_login(page, "organizer")
    page.locator("#import-file").set_input_files(big)
    page.get_by_role("button", name="Import").click()
    status = page.locator("#import-status")
    expect(status).to_contain_text("everyone.csv")
    expect(status).to_contain_text("the limit is 20 MB")
    expect(status).to_contain_text("Nothing was imported.")
    assert empty_server.people() == []
