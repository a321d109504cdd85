"""A list whose barcode column is titled in another language checks people in by that barcode.

Found in session 23: Eventbrite writes its attendee report in the organiser's language. Only the
German titles are mapped to Eventbrite's own; a French or Spanish report is read as a plain list,
and its "N° de code-barres" / "N.º de código de barras" column was not taken for the ticket code:
everyone got the kiosk's own code, and every Eventbrite ticket scanned at the door was answered
"unknown_code". The barcode column is now the list's ticket code, so each ticket checks its holder in.
"""

from __future__ import annotations

import pytest

FRENCH = ("\ufeffN° de commande,Date de la commande,Prénom,Nom,E-mail,Quantité,Type de billet,N° de participant,"
          "N° de code-barres,Statut du participant\r\n"
          "1121191224,29/11/2024 22:28,Ada,Lovelace,ada@example.org,1,Admission générale,17645032101,"
          "112119122417645032101001,Participe\r\n"
          "1121191225,29/11/2024 22:29,Grace,Hopper,grace@example.org,1,Admission générale,17645032102,"
          "112119122517645032102001,Remboursé\r\n")
SPANISH = ("\ufeffN.º de pedido,Fecha del pedido,Nombre,Apellidos,Correo electrónico,Cantidad,Tipo de entrada,"
           "N.º de asistente,N.º de código de barras,Estado del asistente\r\n"
           "1121191224,29/11/2024 22:28,Ada,Lovelace,ada@example.org,1,General,17645032101,"
           "112119122417645032101001,Asistirá\r\n"
           "1121191225,29/11/2024 22:29,Grace,Hopper,grace@example.org,1,General,17645032102,"
           "112119122517645032102001,Reembolsado\r\n")


@pytest.mark.parametrize("report", [FRENCH, SPANISH], ids=["french", "spanish"])
def test_the_ticket_barcode_of_a_translated_report_checks_its_holder_in(empty_server, tmp_path, report):
    path = tmp_path / "rapport.csv"
    path.write_text(report, encoding="utf-8")
    with path.open("rb") as upload:
        answer = empty_server.post("/api/imports", files={"file": ("rapport.csv", upload)})
    assert answer.status_code == 200, answer.text
    arrived = empty_server.scan("112119122417645032101001")
    assert arrived.status_code == 201, arrived.text
    assert arrived.json()["attendee"]["name"] == "Ada Lovelace"
    refunded = empty_server.scan("112119122517645032102001")
    assert refunded.status_code == 409 and refunded.json()["result"] == "not_attending"


def test_a_column_without_barcode_in_its_title_is_no_code(empty_server, tmp_path):
    """Only a barcode's title is read as one: a member number stays a member number."""
    path = tmp_path / "people.csv"
    path.write_text("Nom,Prénom,N° de membre\nLovelace,Ada,4711\n", encoding="utf-8")
    with path.open("rb") as upload:
        assert empty_server.post("/api/imports", files={"file": ("people.csv", upload)}).status_code == 200
    assert empty_server.scan("4711").json()["result"] == "unknown_code"


def test_a_column_about_the_barcode_is_no_code(empty_server, tmp_path):
    """"Barcode scanned?" answered Yes on two rows is not two people with one ticket."""
    path = tmp_path / "people.csv"
    path.write_text("Name,Email,Barcode scanned?\nAda Lovelace,ada@example.org,Yes\nGrace Hopper,grace@example.org,Yes\n")
    with path.open("rb") as upload:
        answer = empty_server.post("/api/imports", files={"file": ("people.csv", upload)})
    assert answer.status_code == 200, answer.text
    assert answer.json()["added"] == 2
