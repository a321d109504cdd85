"""Lists that said less than they seemed to: Meetup exports without an RSVP, Meetup lists keyed by
"Member ID", Eventbrite reports in the organiser's language, pretix check-in lists in Spanish, and
an Eventbrite summary report whose attendee was renamed.

Each test writes a small file shaped like the real export (its source is named in the test) and
imports it the way an organiser does: `kiosk import` on the command line, or an upload to a real
server, then scans at the door.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_kiosk, write_config

from kiosk.importers import ImportFileError, read_attendee_file

SECRET_A = "hk3dmt8zq2ypw7vxbn4c6rfsgu9ejakq"
SECRET_B = "u7pz2kwr9mh4dxqtb6ns3gcv8yjfea5e"


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    """A throwaway export for one test."""
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def upload(server, path: Path):
    """The organiser's upload of one file, source detected."""
    with path.open("rb") as fh:
        return server.post("/api/imports", files={"file": (path.name, fh)}, data={"source": "auto"})


def by_name(server) -> dict[str, dict]:
    return {a["name"]: a for a in server.get("/api/attendees?limit=500", "volunteer").json()["attendees"]}


def listed(config: Path) -> list[dict]:
    """Everyone the kiosk knows, as `kiosk attendees --format json` prints them."""
    return json.loads(run_kiosk(config, "attendees", "--format", "json").stdout)


# --- 1. Meetup exports that cannot say who is coming -----------------------------------------

# Meetup Pro's "Registration responses" download: the Pro network's questions for everyone who
# answered them, waitlisted and "No" RSVPs included, with no RSVP column and no member id. Header
# as estyxx/meetup-export (README.md) quotes it from a real export.
REGISTRATION_RESPONSES = (
    '"updatedAt","chapter.name","event.title","First name","Last name","Organization name",'
    '"Main reason for attending"\n'
    '"2024-09-01T10:00:00Z","Django London","Django London Sept","Ada","Lovelace","Engines","Talks"\n'
    '"2024-09-02T11:00:00Z","Django London","Django London Sept","Grace","Hopper","Navy","Pizza"\n')

# Meetup's group membership list ("Members | Download membership list"), header and first row as
# fagan2888/meetup_cumulative_growth_plotter (README.md) shows it: one row per member of the group,
# RSVP totals over all events, nothing about this event.
MEMBER_LIST = (
    "Name\tUser ID\tTitle\tMember ID\tLocation\tJoined Group on\tLast visited group on\t"
    "Last Attended\tTotal RSVPs\tRSVPed Yes\tRSVPed Maybe\tRSVPed No\tMeetups attended\tNo shows\t"
    "Intro\tPhoto\tAssistant Organizer\tMailing List\tURL of Member Profile\r\n"
    "Ian Ozsvald\tuser 12537919\t\t12537919\tLondon\t04/24/2014\t06/22/2015\t06/20/2015\t 14\t14\t0\t0"
    "\t13\t0\tYes\tYes\tYes\tNo\thttp://www.meetup.com/PyData-London-Meetup/members/12537919/ \r\n")


@pytest.mark.parametrize(("name", "text", "encoding", "words"), [
    ("registration_responses.csv", REGISTRATION_RESPONSES, "utf-8", "Registration responses"),
    ("PyData-London-Meetup_Member_List_on_07-30-15.xls", MEMBER_LIST, "utf-16", "member list"),
    # An attendee download whose RSVP column was deleted: its No and Waitlist rows would get in.
    ("trimmed.xls", "Name\tUser ID\tGuests\tRSVPed on\r\nAda Lovelace\tuser 1\t0\t2024-09-01\r\n",
     "utf-16", "RSVP"),
], ids=["registration-responses", "member-list", "rsvp-column-deleted"])
def test_a_meetup_list_without_rsvps_imports_nobody_and_says_why(name: str, text: str, encoding: str,
                                                                  words: str, tmp_path: Path) -> None:
    """These were imported as plain lists with everyone attending, though Meetup's own file holds
    the people who said No and the waitlist."""
    config = write_config(tmp_path / "door")
    path = write(tmp_path, name, text, encoding)
    result = run_kiosk(config, "import", str(path), check=False)
    assert result.returncode != 0
    assert f"{name} line 1:" in result.stderr and words in result.stderr
    assert "Nothing was imported." in result.stderr
    assert listed(config) == []


def test_the_registration_responses_refusal_points_to_the_attendee_list(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError) as caught:
        read_attendee_file(write(tmp_path, "responses.csv", REGISTRATION_RESPONSES))
    assert caught.value.line == 1 and "RSVP" in caught.value.reason


# --- 2. Meetup lists keyed by Member ID with an "RSVP Status" ---------------------------------

MEMBER_ID_LIST = ("Name,Member ID,RSVP Status,What company do you work for?\n"
                  "Ada Lovelace,12537919,Yes,Engines\n"
                  "Grace Hopper,23456789,Waitlist,US Navy\n"
                  "Alan Turing,34567890,No,Bletchley\n")


def test_a_member_id_list_with_rsvp_status_is_meetup_and_a_re_import_updates(empty_server,
                                                                             tmp_path: Path) -> None:
    """It was read as a plain list keyed by name: a corrected name made a second Ada."""
    first = upload(empty_server, write(tmp_path, "v1.csv", MEMBER_ID_LIST)).json()
    assert (first["source"], first["added"], first["not_attending"]) == ("meetup", 3, 2)
    ada = by_name(empty_server)["Ada Lovelace"]
    assert empty_server.scan(ada["ticket_code"]).status_code == 201
    grace = by_name(empty_server)["Grace Hopper"]
    refused = empty_server.scan(grace["ticket_code"])
    assert (refused.status_code, refused.json()["result"]) == (409, "not_attending")
    renamed = MEMBER_ID_LIST.replace("Ada Lovelace", "Augusta Ada King")
    second = upload(empty_server, write(tmp_path, "v2.csv", renamed)).json()
    assert (second["added"], second["updated"], second["kept_check_ins"]) == (0, 1, 1)
    people = by_name(empty_server)
    assert "Ada Lovelace" not in people and people["Augusta Ada King"]["id"] == ada["id"]
    assert people["Augusta Ada King"]["checked_in_at"]


@pytest.mark.parametrize(("status", "attending"), [
    ("YES", True), ("NO", False), ("WAITLIST", False), ("Going", True), ("Not going", False)])
def test_meetup_rsvp_status_words_decide_the_door(status: str, attending: bool, tmp_path: Path) -> None:
    path = write(tmp_path, "rsvps.csv", f"Name,Member ID,RSVP Status\nAda Lovelace,7,{status}\n")
    batch = read_attendee_file(path)
    (ada,) = batch.people
    assert (batch.source, ada.external_id, ada.attending) == ("meetup", "meetup:7", attending)


def test_a_club_list_with_its_own_member_numbers_stays_a_plain_list(tmp_path: Path) -> None:
    """Only Meetup's numeric member ids make a "Member ID, RSVP Status" list a Meetup list."""
    path = write(tmp_path, "club.csv", "Name,Member ID,RSVP Status\nAda Lovelace,M-001,Yes\n")
    assert read_attendee_file(path).source == "csv"


def test_a_bad_member_id_below_a_good_one_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "rsvps.csv", "Name,Member ID,RSVP Status\nAda Lovelace,7,Yes\n"
                                        "Grace Hopper,user x,Yes\n")
    with pytest.raises(ImportFileError) as caught:
        read_attendee_file(path)
    assert caught.value.line == 3 and "member id" in caught.value.reason


# --- 3. Eventbrite reports in the organiser's language ---------------------------------------

# Eventbrite titles its report in the organiser's language. No real localised header was found in
# public sources, so these rows follow the shape the reports are said to have ("Bestellnr.",
# "Estado del asistente"...): what matters is that the status column is found and its refusals kept.
LOCALISED = {
    "de": ("Bestellnr.,Bestelldatum,Vorname,Nachname,E-Mail,Anzahl,Ticketart,Teilnehmer-Nr.,"
           "Teilnehmerstatus", "Erstattet"),
    "es": ("Nº de pedido,Fecha del pedido,Nombre,Apellidos,Correo electrónico,Cantidad,"
           "Tipo de entrada,Nº de asistente,Estado del asistente", "Reembolsado"),
    "fr": ("N° de commande,Date de la commande,Prénom,Nom,E-mail,Quantité,Type de billet,"
           "N° de participant,Statut du participant", "Remboursé"),
    "it": ("N. ordine,Data ordine,Nome,Cognome,E-mail,Quantità,Tipo di biglietto,N. partecipante,"
           "Stato del partecipante", "Rimborsato"),
    "nl": ("Bestelnummer,Besteldatum,Voornaam,Achternaam,E-mail,Aantal,Tickettype,Deelnemernummer,"
           "Status deelnemer", "Terugbetaald"),
    "pt": ("Nº do pedido,Data do pedido,Nome,Sobrenome,E-mail,Quantidade,Tipo de ingresso,"
           "Nº do participante,Status do participante", "Reembolsado"),
}


@pytest.mark.parametrize("language", sorted(LOCALISED))
def test_a_localised_eventbrite_report_keeps_its_refunds_out(language: str, empty_server,
                                                             tmp_path: Path) -> None:
    """The status column went unread: a refunded ticket was let in."""
    header, refunded = LOCALISED[language]
    text = (f"{header}\n"
            "11211912243,2026-11-01,Ada,Lovelace,ada@example.org,1,GA,17645032101,OK\n"
            f"11211912250,2026-11-02,Miles,O'Brien,miles@example.org,1,GA,17645032199,{refunded}\n")
    summary = upload(empty_server, write(tmp_path, f"eventbrite_{language}.csv", text)).json()
    assert (summary["added"], summary["not_attending"]) == (2, 1)
    people = by_name(empty_server)
    assert people["Ada Lovelace"]["status"] == "attending"
    refused = empty_server.scan(people["Miles O'Brien"]["ticket_code"])
    assert (refused.status_code, refused.json()["result"]) == (409, "not_attending")


@pytest.mark.parametrize("header", ["Name,Estado,Email", "Name,Estado civil,Email"])
def test_a_spanish_estado_alone_is_not_an_attendee_status(header: str, tmp_path: Path) -> None:
    """"Estado" alone is a state or province in an address: "Cancún" must not refuse anyone."""
    path = write(tmp_path, "list.csv", f"{header}\nAda Lovelace,Cancelado Sur,ada@example.org\n")
    assert read_attendee_file(path).people[0].attending


# --- 4. pretix check-in list in Spanish ------------------------------------------------------

# pretix's CSV check-in list (src/pretix/plugins/checkinlists/exporters.py, CSVCheckinList) in the
# Spanish of src/pretix/locale/es/LC_MESSAGES/django.po (commit 0031abf3): "Order code" -> "Código de
# la orden", "Attendee name" -> "Nombre del participante", "Attendee name: {part}" -> "Nombre del
# participante: {part}" with "Given name" -> "Nombre" and "Family name" -> "Apellido", "Product" ->
# "Producto", "Price" -> "Precio", "Secret" -> "Secreto", and the paid column as "Pagado".
PRETIX_ES = ("Código de la orden,Nombre del participante,Nombre del participante: Nombre,"
             "Nombre del participante: Apellido,Producto,Precio,Pagado,Secreto,E-mail,Compañía\n"
             f"ABC12,Ana María López García,Ana María,López García,Entrada,0.00,Sí,{SECRET_A},"
             "ana@example.es,Engines\n"
             f"QWE7R,Grace Hopper,Grace,Hopper,Entrada,10.00,No,{SECRET_B},grace@example.com,Navy\n")


def test_a_spanish_pretix_list_refuses_the_unpaid_and_opens_for_the_secret(empty_server,
                                                                          tmp_path: Path) -> None:
    """"Secreto" and "Pagado" went unread: the QR codes on the tickets were unknown at the door and
    an unpaid order would have got in; the name parts were ignored, so Ana María was "Ana"."""
    summary = upload(empty_server, write(tmp_path, "pretix_es.csv", PRETIX_ES)).json()
    assert (summary["source"], summary["added"], summary["not_attending"]) == ("pretix", 2, 1)
    refused = empty_server.scan(SECRET_B)
    assert (refused.status_code, refused.json()["result"]) == (409, "not_attending")
    welcome = empty_server.scan(SECRET_A)
    assert welcome.status_code == 201, welcome.text
    assert welcome.json()["message"].startswith("Welcome, Ana María!")


def test_spanish_name_parts_are_the_given_and_family_name(tmp_path: Path) -> None:
    ana, _ = read_attendee_file(write(tmp_path, "pretix_es.csv", PRETIX_ES)).people
    assert (ana.first_name, ana.last_name) == ("Ana María", "López García")
    assert ana.external_id.startswith("pretix:ABC12-secret-")


# --- 5. Eventbrite: a renamed attendee is the same ticket ------------------------------------

# Eventbrite's Attendee summary report (header as a PyCon Sweden script on GitHub lists it): no
# Attendee #, so a person was keyed on their order and their name, and a buyer's correction of the
# name made a second person and left the first one, checked in, in the list.
SUMMARY_HEADER = ("Order ID,Order Date,Attendee Status,Name,Email,Event Name,Ticket Quantity,"
                  "Ticket Type,Ticket Price,Buyer Name,Buyer Email\r\n")


def summary_row(order: str, name: str, email: str, status: str = "Attending") -> str:
    return f"{order},2026-11-01,{status},{name},{email},Meetup,1,GA,0,{name},{email}\r\n"


def test_a_renamed_attendee_in_a_summary_report_is_updated_not_added(empty_server,
                                                                    tmp_path: Path) -> None:
    v1 = SUMMARY_HEADER + summary_row("1234567890", "Jon Smyth", "jon@example.org") + summary_row(
        "1234567891", "Ada Lovelace", "ada@example.org")
    assert upload(empty_server, write(tmp_path, "v1.csv", "\ufeff" + v1)).json()["added"] == 2
    jon = by_name(empty_server)["Jon Smyth"]
    assert empty_server.scan(jon["ticket_code"]).status_code == 201
    v2 = v1.replace("Jon Smyth", "John Smith")
    second = upload(empty_server, write(tmp_path, "v2.csv", "\ufeff" + v2)).json()
    assert (second["added"], second["updated"], second["kept_check_ins"], second["missing"]) == (0, 1, 1, 0)
    people = by_name(empty_server)
    assert set(people) == {"John Smith", "Ada Lovelace"}
    assert people["John Smith"]["id"] == jon["id"] and people["John Smith"]["checked_in_at"]
    assert empty_server.get("/api/headcount", None).json()["expected"] == 2


def test_two_tickets_of_one_summary_order_stay_two_people(tmp_path: Path) -> None:
    text = SUMMARY_HEADER + summary_row("1234567890", "Ada Lovelace", "ada@example.org") + summary_row(
        "1234567890", "Grace Hopper", "ada@example.org")
    ada, grace = read_attendee_file(write(tmp_path, "summary.csv", text)).people
    assert ada.external_id != grace.external_id


def test_a_renamed_attendee_in_the_classic_report_keeps_the_attendee_number(tmp_path: Path) -> None:
    """The classic report keys on the Attendee #, and its barcode is Order # + Attendee # + 001:
    neither moves when the buyer edits the name."""
    header = "Order #,Order Date,First Name,Last Name,Email,Attendee #,Attendee Status\r\n"
    v1 = header + "11211912243,2026-11-01,Jon,Smyth,jon@example.org,17645032101,Attending\r\n"
    config = write_config(tmp_path / "door")
    run_kiosk(config, "import", str(write(tmp_path, "v1.csv", v1)))
    before = listed(config)
    run_kiosk(config, "import", str(write(tmp_path, "v2.csv", v1.replace("Jon,Smyth", "John,Smith"))))
    (after,) = listed(config)
    assert (after["id"], after["ticket_code"], after["name"]) == (
        before[0]["id"], before[0]["ticket_code"], "John Smith")
