"""A platform list with one row whose door code cannot be read (session 23b).

A Luma export whose qr_code_url held a check-in link without its `?pk=` part, or a pretix list
with one odd Secret, refused the whole file ("line 3: the qr_code_url ... is not a Luma check-in
link. Nothing was imported."): 237 guests kept out over one link the organiser cannot fix. The row
is now imported without that code and the import says so, by line and name; a column none of whose
codes is usable is still the wrong file, refused at its line.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from browser import chromium, new_context, pin_login, pw  # noqa: F401
from conftest import run_kiosk
from test_imports import upload_text

LUMA_HEAD = "\ufeffguest_id,name,first_name,last_name,email,approval_status,qr_code_url,ticket_name\n"
ADA_LINK = "https://lu.ma/check-in/evt-jan?pk=g-AAA111"
GRACE_LINK = "https://lu.ma/check-in/evt-jan?pk=g-CCC333"
BROKEN_LINK = "https://lu.ma/check-in/evt-jan"  # no ?pk=: names the event, not a guest


def luma_rows(ada_link: str = ADA_LINK, ana_link: str = BROKEN_LINK, grace_link: str = GRACE_LINK) -> str:
    """Three approved guests; Ana's link (line 3) is broken unless given."""
    return (LUMA_HEAD
            + f"gst-a1,Ada Lovelace,Ada,Lovelace,ada@example.org,approved,{ada_link},Standard\n"
            + f"gst-b2,Ana Souza,Ana,Souza,ana@example.org,approved,{ana_link},Standard\n"
            + f"gst-c3,Grace Hopper,Grace,Hopper,grace@example.org,approved,{grace_link},Standard\n")


def test_kiosk_import_takes_a_luma_list_with_one_broken_link_and_warns_naming_the_guest(
        empty_server, tmp_path: Path) -> None:
    """`kiosk import` refused all three guests over Ana's link; now all three are in, the warning
    names line 3 and Ana, and she gets in with the kiosk's own ticket while the others' QR scan."""
    path = tmp_path / "luma.csv"
    path.write_text(luma_rows(), encoding="utf-8")
    result = run_kiosk(empty_server.config_path, "import", str(path), check=False)
    assert result.returncode == 0, result.stderr
    assert ("Warning: line 3: the qr_code_url 'https://lu.ma/check-in/evt-jan' is not a Luma check-in link; "
            "Ana Souza was imported without it") in result.stderr
    people = {p["name"]: p for p in empty_server.people()}
    assert sorted(people) == ["Ada Lovelace", "Ana Souza", "Grace Hopper"]
    assert empty_server.scan(ADA_LINK).status_code == 201
    assert empty_server.scan(BROKEN_LINK).status_code != 201  # the event's link is no one's ticket
    assert empty_server.scan(people["Ana Souza"]["ticket_code"]).json()["message"] == \
        "Welcome, Ana! Your badge is printing."


def test_a_luma_list_of_only_broken_links_is_still_refused_as_the_wrong_file(empty_server, tmp_path: Path) -> None:
    """Every link without its guest: the wrong export or column, refused at its first line as before,
    while the same file with one good link is taken."""
    every_link_broken = luma_rows(BROKEN_LINK, BROKEN_LINK, BROKEN_LINK)
    refused = upload_text(empty_server, tmp_path, "luma.csv", every_link_broken)
    assert refused.status_code == 422
    assert "line 2: the qr_code_url 'https://lu.ma/check-in/evt-jan' is not a Luma check-in link" in refused.text
    assert "Nothing was imported." in refused.text and empty_server.people() == []
    taken = upload_text(empty_server, tmp_path, "luma.csv", luma_rows(ADA_LINK, BROKEN_LINK, BROKEN_LINK))
    assert taken.status_code == 200, taken.text
    assert [w.split(";")[0] for w in taken.json()["warnings"]] == [
        "line 3: the qr_code_url 'https://lu.ma/check-in/evt-jan' is not a Luma check-in link",
        "line 4: the qr_code_url 'https://lu.ma/check-in/evt-jan' is not a Luma check-in link"]


def test_a_pretix_list_with_one_odd_secret_is_imported_and_the_api_answer_warns(empty_server, tmp_path: Path) -> None:
    """POST /api/imports answers `warnings`, one per row imported without its code; the secret is never echoed."""
    text = ("Order code,Attendee name,Product,Secret,E-mail\n"
            "ABC12,Ada Lovelace,Regular,hk3dmt8zq2ypw7vxbn4c6rfsgu9ejakq,ada@example.org\n"
            "ABC12,Grace Hopper,Regular,not a secret!,grace@example.com\n")
    answer = upload_text(empty_server, tmp_path, "pretix.csv", text)
    assert answer.status_code == 200, answer.text
    assert answer.json()["warnings"] == [
        "line 3: the Secret is not a pretix ticket secret; Grace Hopper was imported without it: that code will "
        "not scan at the door, the kiosk's own ticket and a search by name will"]
    assert "not a secret!" not in answer.text
    assert empty_server.scan("hk3dmt8zq2ypw7vxbn4c6rfsgu9ejakq").status_code == 201


def test_a_reimport_with_a_broken_link_keeps_the_code_stored_by_the_earlier_list(empty_server, tmp_path: Path) -> None:
    """Ada's link broken in the later export: she is updated, and her Luma QR, good in the first
    export, still scans rather than being replaced by no code at all."""
    first = upload_text(empty_server, tmp_path, "v1.csv", luma_rows(ana_link="https://lu.ma/check-in/evt-jan?pk=g-BBB222"))
    assert first.status_code == 200 and first.json()["warnings"] == []
    again = upload_text(empty_server, tmp_path, "v2.csv", luma_rows(ada_link=BROKEN_LINK).replace("Ada Lovelace,Ada", "Ada King,Ada"))
    assert again.status_code == 200, again.text
    assert "Ada King was imported without it" in again.json()["warnings"][0]
    checked_in = empty_server.scan(ADA_LINK)
    assert checked_in.status_code == 201 and checked_in.json()["attendee"]["name"] == "Ada King"


def test_the_organizer_page_shows_the_warning_after_the_import(empty_server, chromium, tmp_path: Path) -> None:
    """The organiser uploading on the page sees which guest came in without a code, not just the counts."""
    path = tmp_path / "luma.csv"
    path.write_text(luma_rows(), encoding="utf-8")
    page = new_context(chromium, empty_server).new_page()
    pin_login(page, "organizer")
    page.locator("#import-file").set_input_files(path)
    page.get_by_role("button", name="Import").click()
    status = page.locator("#import-status")
    expect(status).to_contain_text(re.compile(r"Imported from luma: 3 added"))
    expect(status).to_contain_text("Warning: line 3: the qr_code_url")
    expect(status).to_contain_text("Ana Souza was imported without it")
