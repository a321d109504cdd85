"""An Eventbrite report with one Barcode # cell that is no barcode (session 23b).

"see email" in one row's Barcode # refused the whole report ("line 3: the barcode 'see email' is
not an Eventbrite barcode. Nothing was imported."), although that row's Order # and Attendee #
give the barcode printed on the ticket. The row is now imported with its printed barcode, and the
import warns about the cell it left out.
"""

from __future__ import annotations

from pathlib import Path

from conftest import run_kiosk
from test_imports import upload_text

HEAD = "Order #,Order Date,First Name,Last Name,Email,Quantity,Ticket Type,Attendee #,Barcode #,Attendee Status\n"
ADA = "1000000001,2026-11-01,Ada,Lovelace,ada@example.org,1,General,2000000001,10000000012000000001001,Attending\n"
ANA = "1000000002,2026-11-01,Ana,Souza,ana@example.org,1,General,2000000002,see email,Attending\n"
ANA_PRINTED_BARCODE = "10000000022000000002001"  # Order # + Attendee # + 001


def test_a_row_whose_barcode_cell_is_no_barcode_is_imported_with_its_printed_barcode(empty_server, tmp_path: Path) -> None:
    answer = upload_text(empty_server, tmp_path, "eventbrite.csv", HEAD + ADA + ANA)
    assert answer.status_code == 200, answer.text
    assert answer.json()["warnings"][0].startswith(
        "line 3: the barcode 'see email' is not an Eventbrite barcode; Ana Souza was imported without it")
    greeted = empty_server.scan(ANA_PRINTED_BARCODE)
    assert greeted.status_code == 201 and greeted.json()["attendee"]["name"] == "Ana Souza"


def test_kiosk_import_warns_and_a_barcode_only_report_still_refuses(empty_server, tmp_path: Path) -> None:
    """`kiosk import` says it on stderr; a report without an Attendee #, where the barcode is
    the ticket itself, still refuses such a row (there is nothing else to key it on)."""
    path = tmp_path / "eventbrite.csv"
    path.write_text(HEAD + ADA + ANA, encoding="utf-8")
    result = run_kiosk(empty_server.config_path, "import", str(path), check=False)
    assert result.returncode == 0, result.stderr
    assert "Warning: line 3: the barcode 'see email' is not an Eventbrite barcode; Ana Souza" in result.stderr
    barcode_only = ("First Name,Last Name,Email,Barcode #,Attendee Status\n"
                    "Ada,Lovelace,ada@example.org,10000000012000000001001,Attending\n"
                    "Ana,Souza,ana@example.org,see email,Attending\n")
    refused = upload_text(empty_server, tmp_path, "barcodes.csv", barcode_only, source="eventbrite")
    assert refused.status_code == 422
    assert "line 3: the barcode 'see email' is not an Eventbrite barcode" in refused.text
