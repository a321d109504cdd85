"""Export variants seen in the wild that the importer once misread.

Each test builds a small file shaped like a real export (its source is named in the
test) and checks the people that come out: platform, name, email, company, status
and door codes.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from conftest import run_kiosk, write_config

from kiosk.importers import ImportFileError, read_attendee_file

SECRET_A = "hk3dmt8zq2ypw7vxbn4c6rfsgu9ejakq"
SECRET_B = "u7pz2kwr9mh4dxqtb6ns3gcv8yjfea5e"


def write(tmp_path: Path, name: str, text: str) -> Path:
    """A throwaway export for one test, UTF-8 as the platforms write it."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# pretix writes its check-in list in the language of the organiser who downloads it; the titles
# below are pretix's own translations (src/pretix/locale/<lang>/LC_MESSAGES/django.po, cited in
# kiosk/importers/pretix.py; the 2019 Italian file left "Attendee name" and "Product" untranslated).
PRETIX_TRANSLATED = {
    "nl": "Bestelcode;Naam van aanwezige;Product;Prijs;Ingecheckt;Geheim;E-mail;Bedrijf\n"
          f"ABC12;Ada Lovelace;Toegang;0,00;;{SECRET_A};ada@example.org;Engines\n",
    "pt_BR": "Código do pedido,Nome do participante,Produto,Preço,Secret,E-mail do participante,Empresa\n"
             f"ABC12,Ada Lovelace,Ingresso,\"0,00\",{SECRET_A},ada@example.org,Engines\n",
    "es": "Código de la orden,Nombre del participante,Producto,Precio,Secreto del ticket,"
          "Correo electrónico,Compañía\n"
          f"ABC12,Ada Lovelace,Entrada,0.00,{SECRET_A},ada@example.org,Engines\n",
    "it": "Codice ordine,Attendee name,Product,Price,Secret,E-mail,Azienda\n"
          f"ABC12,Ada Lovelace,Biglietto,0.00,{SECRET_A},ada@example.org,Engines\n",
}


@pytest.mark.parametrize("language", sorted(PRETIX_TRANSLATED))
def test_pretix_check_in_list_in_another_language(language: str, tmp_path: Path) -> None:
    """Dutch, Brazilian and Spanish exports were refused ("no name column"), and an Italian one
    was read as a plain list, losing its secrets and its company."""
    batch = read_attendee_file(write(tmp_path, f"{language}.csv", PRETIX_TRANSLATED[language]))
    (ada,) = batch.people
    assert batch.source == "pretix"
    assert (ada.name, ada.email, ada.company, ada.codes, ada.attending) == (
        "Ada Lovelace", "ada@example.org", "Engines", [f"pretix:{SECRET_A}"], True)
    assert ada.ticket_type in {"Toegang", "Ingresso", "Entrada", "Biglietto"}


@pytest.mark.parametrize(("paid", "attending"), [("Ja", True), ("Nee", False)])
def test_pretix_dutch_unpaid_order_is_refused(paid: str, attending: bool, tmp_path: Path) -> None:
    """pretix's Dutch _("No") is "Nee" (locale/nl django.po): "Betaald: Nee" must not get in."""
    path = write(tmp_path, "nl.csv", "Bestelcode,Naam van aanwezige,Product,Betaald\n"
                 f"ABC12,Ada Lovelace,Toegang,{paid}\n")
    assert read_attendee_file(path).people[0].attending is attending


# What organisers type under a list in Excel or Google Sheets before exporting it again.
@pytest.mark.parametrize("summary", [
    "Total,2,\n", ",,\nTotal:,,\n", "2 attendees,,\n", "Grand total,,\"1,234.00\"\n", ",Count,2\n",
])
def test_a_totals_line_under_a_list_is_no_one(summary: str, tmp_path: Path) -> None:
    """A trailing "Total,2" line was imported as an attendee called "Total"."""
    path = write(tmp_path, "list.csv", "Name,Email,Price\nAda Lovelace,ada@example.org,10.00\n"
                 "Alan Turing,alan@example.org,10.00\n" + summary)
    assert [person.name for person in read_attendee_file(path).people] == ["Ada Lovelace", "Alan Turing"]


def test_a_totals_line_in_a_workbook_is_no_one(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in (["Name", "Email", "Paid"], ["Ada Lovelace", "ada@example.org", 10],
                ["Alan Turing", "alan@example.org", 10], [None, "Total", 20]):
        sheet.append(row)
    workbook.save(tmp_path / "list.xlsx")
    assert len(read_attendee_file(tmp_path / "list.xlsx").people) == 2


def test_someone_called_total_with_an_email_is_still_a_person(tmp_path: Path) -> None:
    path = write(tmp_path, "list.csv", "Name,Email\nAda Lovelace,ada@example.org\nTotal,total@example.org\n")
    assert [person.name for person in read_attendee_file(path).people] == ["Ada Lovelace", "Total"]


@pytest.mark.parametrize(("cell", "stored"), [  # the Email cell as the CSV file holds it
    ("Ada Lovelace <Ada@Example.org>", "ada@example.org"),  # copied from a mail program
    ('"""Lovelace, Ada"" <ada@example.org>"', "ada@example.org"),  # the same, CSV-quoted
    ("mailto:ada@example.org", "ada@example.org"),  # a spreadsheet's link cell, exported
    ("n/a", None),
])
def test_an_email_copied_from_a_mail_program_keeps_its_address(cell: str, stored: str | None,
                                                                tmp_path: Path) -> None:
    """"Name <address>" was dropped as no address; "mailto:..." was stored as the address."""
    path = write(tmp_path, "list.csv", f"Name;Email\nAda Lovelace;{cell}\n")
    assert read_attendee_file(path).people[0].email == stored


@pytest.mark.parametrize(("written", "name", "first", "last"), [
    ("Lovelace, Ada", "Ada Lovelace", "Ada", "Lovelace"),
    ("van der Berg, Jan", "Jan van der Berg", "Jan", "van der Berg"),
    ("Ada Lovelace, PhD", "Ada Lovelace, PhD", "Ada", "Lovelace, PhD"),
    ("Ada Lovelace, Acme", "Ada Lovelace, Acme", "Ada", "Lovelace, Acme"),  # a company after the name
    ("O'Brien-Smith, Mary Jo", "Mary Jo O'Brien-Smith", "Mary Jo", "O'Brien-Smith"),
    ('=HYPERLINK("x.test","hi")', '=HYPERLINK("x.test","hi")', '=HYPERLINK("x.test","hi")', ""),  # not a name
    ("Hopper, Grace, Rear Admiral", "Hopper, Grace, Rear Admiral", "Hopper,", "Grace, Rear Admiral"),
])
def test_a_name_written_family_name_first_greets_the_given_name(written: str, name: str, first: str,
                                                                last: str, tmp_path: Path) -> None:
    """A list sorted by surname ("Lovelace, Ada") was greeted at the door as "Lovelace,"."""
    quoted = written.replace('"', '""')
    path = write(tmp_path, "list.csv", f'Name,Email\n"{quoted}",ada@example.org\n')
    (person,) = read_attendee_file(path).people
    assert (person.name, person.first_name, person.last_name) == (name, first, last)


def test_an_order_level_list_counts_the_buyers_other_tickets_as_guests(tmp_path: Path) -> None:
    """Eventbrite's orders report has one row per order: Ana's second ticket was lost."""
    path = write(tmp_path, "orders.csv",
                 "Order #,Order Date,First Name,Last Name,Email,Quantity,Total Paid,Order Status,"
                 "Promo Code,Affiliate,Event Name,Event Date,Checked In\n"
                 '1001,"Sep 26, 2026 7:05 PM",Ana,Reyes,ana@example.org,2,$60.00,Attending,,,'
                 "Jazz Night,2026-10-03 21:00,No\n"
                 "1004,2026-09-27 09:30,Di,Bell,di@example.org,1,15.00,Refunded,,,Jazz Night,"
                 "2026-10-03 21:00,\n")
    ana, di = read_attendee_file(path).people
    assert (ana.guests, ana.attending) == (1, True)
    assert (di.guests, di.attending) == (0, False)


# The "Order positions" sheet of pretix's "Order data" export, as pretix/base/exporters/orderlist.py
# (iterate_positions) writes it: the order's Email (the buyer) comes before the Attendee email.
PRETIX_POSITIONS_HEADER = (
    "Event slug,Order code,Position ID,Status,Email,Phone number,Order date,Order time,Product,"
    "Variation,Price,Tax rate,Tax rule,Tax value,Attendee name,Attendee email,Company,Voucher,"
    "Pseudonymization ID,Ticket secret,Order comment,Company,Invoice address name\n")


def test_pretix_order_positions_export_keeps_each_attendees_own_email(tmp_path: Path) -> None:
    """Everyone in an order was given the buyer's address, though pretix lists their own."""
    path = write(tmp_path, "orders.csv", PRETIX_POSITIONS_HEADER
                 + f"meetup,ABC12,1,paid,buyer@example.org,,2026-11-01,10:00:00,Ticket,,0.00,0,,0,"
                   f"Ada Lovelace,ada@example.org,Engines,,X7YQ2,{SECRET_A},,,Bob Buyer\n"
                 + f"meetup,ABC12,2,paid,buyer@example.org,,2026-11-01,10:00:00,Ticket,,0.00,0,,0,"
                   f"Grace Hopper,,,,P9Z3K,{SECRET_B},,,Bob Buyer\n")
    batch = read_attendee_file(path)
    ada, grace = batch.people
    assert batch.source == "pretix"
    assert (ada.email, grace.email) == ("ada@example.org", "buyer@example.org")
    assert (ada.external_id, ada.codes) == ("pretix:ABC12-1", [f"pretix:{SECRET_A}"])


@pytest.mark.parametrize(("status", "attending"), [
    ("bezahlt", True), ("storniert", False), ("abgelaufen", False), ("ausstehend", False),
    ("betaald", True), ("geannuleerd", False), ("verlopen", False), ("openstaand", False),
    ("pagado", True), ("expirada", False), ("pendiente", False), ("pendente", False),
    ("payée", True), ("annulée", False), ("expirée", False), ("rejeté", False), ("denied", False),
])
def test_an_order_state_in_the_organisers_language_is_understood(status: str, attending: bool,
                                                                 tmp_path: Path) -> None:
    """pretix writes an order's state in the organiser's language: a German "storniert"
    (cancelled) order was let in."""
    path = write(tmp_path, "orders.csv", PRETIX_POSITIONS_HEADER
                 + f"meetup,ABC12,1,{status},ada@example.org,,2026-11-01,10:00:00,Ticket,,0.00,0,,0,"
                   f"Ada Lovelace,,,,X7YQ2,{SECRET_A},,,\n")
    assert read_attendee_file(path).people[0].attending is attending


def test_pretix_order_data_workbook_is_read_from_its_positions_sheet(tmp_path: Path) -> None:
    """pretix's "Order data" as Excel opens on its Orders sheet (one buyer per order, no
    secrets), which was imported as a plain list; the people are on "Order positions"."""
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.Workbook()
    orders = workbook.active
    orders.title = "Orders"
    orders.append(["Event slug", "Order code", "Order total", "Status", "Email", "Order date",
                   "Company", "Name"])
    orders.append(["meetup", "ABC12", 0, "paid", "buyer@example.org", "2026-11-01", "Buyer Corp",
                   "Bob Buyer"])
    positions = workbook.create_sheet("Order positions")
    positions.append(["Event slug", "Order code", "Position ID", "Status", "Email", "Product",
                      "Attendee name", "Attendee email", "Ticket secret"])
    for number, (name, email, secret) in enumerate(
            [("Ada Lovelace", "ada@example.org", SECRET_A), ("Grace Hopper", "", SECRET_B)], start=1):
        positions.append(["meetup", "ABC12", number, "paid", "buyer@example.org", "Ticket", name,
                          email, secret])
    workbook.save(tmp_path / "orders.xlsx")
    batch = read_attendee_file(tmp_path / "orders.xlsx")
    assert batch.source == "pretix"
    assert [(p.name, p.codes) for p in batch.people] == [
        ("Ada Lovelace", [f"pretix:{SECRET_A}"]), ("Grace Hopper", [f"pretix:{SECRET_B}"])]


def test_excel_for_mac_csv_is_read_as_mac_roman(tmp_path: Path) -> None:
    """Excel for Mac's old "Comma Separated Values" is MacRoman with lone-CR line ends: "José"
    came out as "JosŽ", and a file with "Å" was refused as not Windows-1252."""
    path = tmp_path / "mac.csv"
    path.write_bytes("Name,Company\rJosé Müller,Café Ñandú\rZoë Ångström,Straße\r".encode("mac_roman"))
    batch = read_attendee_file(path)
    assert batch.encoding == "mac_roman"
    assert [(p.name, p.company) for p in batch.people] == [
        ("José Müller", "Café Ñandú"), ("Zoë Ångström", "Straße")]
    imported = run_kiosk(write_config(tmp_path / "door"), "import", str(path))
    assert "read as Mac Roman" in imported.stdout  # a guessed encoding: the organiser is asked to look


def test_a_binary_byte_in_a_mac_file_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "mac.csv"
    path.write_bytes(b"Name,Email\rJos\x8e,jose@example.org\rBad\x01,x@example.org\r")
    with pytest.raises(ImportFileError) as caught:
        read_attendee_file(path)
    assert caught.value.line == 3


# Lists organisers make in their own language (header shapes as exports on GitHub write them).
@pytest.mark.parametrize("header", [
    "Nom;Prénom;Email;Téléphone;Entreprise",  # French: Nom is the family name beside Prénom
    "Prénom;Nom;Courriel;Téléphone;Entreprise",
    "Nome;Cognome;Email;Telefono;Azienda",  # Italian: Nome is the given name beside Cognome
    "Nombre;Apellidos;Correo electrónico;Teléfono;Empresa",
    "Voornaam;Achternaam;E-mailadres;Telefoon;Bedrijf",
    "Nome;Sobrenome;E-mail;Telefone;Empresa",
])
def test_a_list_in_another_language_splits_given_and_family_name(header: str, tmp_path: Path) -> None:
    """"Nom;Prénom" was read as a person called by their family name alone, "Nome;Cognome" lost
    the family name, and "Voornaam;Achternaam" was refused."""
    titles = header.split(";")
    given_first = titles[0] in ("Prénom", "Nome", "Nombre", "Voornaam")
    names = "Ada;Lovelace" if given_first else "Lovelace;Ada"
    path = write(tmp_path, "list.csv", f"{header}\n{names};ada@example.org;+44 20 7946 0000;Engines\n")
    (person,) = read_attendee_file(path).people
    assert (person.name, person.first_name, person.last_name, person.email, person.company) == (
        "Ada Lovelace", "Ada", "Lovelace", "ada@example.org", "Engines")


@pytest.mark.parametrize("header", ["Nom", "Nome", "Nombre"])
def test_a_name_word_alone_is_still_the_whole_name(header: str, tmp_path: Path) -> None:
    path = write(tmp_path, "list.csv", f"{header},Email\nAda Lovelace,ada@example.org\n")
    (person,) = read_attendee_file(path).people
    assert (person.name, person.first_name) == ("Ada Lovelace", "Ada")


# Registration forms exported as CSV. Google Forms: "Timestamp,Email Address" then one column per
# question. Microsoft Forms: "ID,Start time,Completion time,Email,Name" (the respondent's account,
# "anonymous,Anonymous" on a form open to anyone), then the questions (headers as seen on GitHub).
@pytest.mark.parametrize(("form", "name", "email", "company"), [
    ("Timestamp,Email Address,What is your name?,Where do you work?\n"
     "2026/11/20 10:00:01 AM GMT,ada@example.org,Ada Lovelace,Engines\n",
     "Ada Lovelace", "ada@example.org", "Engines"),
    ("ID,Start time,Completion time,Email,Name,Last modified time,Your name,Your email address,Company\n"
     "1,11/20/26 10:00,11/20/26 10:01,anonymous,Anonymous,,Ada Lovelace,ada@example.org,Engines\n",
     "Ada Lovelace", "ada@example.org", "Engines"),
    ("ID,Start time,Completion time,Email,Name,First name,Last name\n"
     "1,9/9/26 18:01,9/9/26 18:02,anonymous,Anonymous,Ada,Lovelace\n",
     "Ada Lovelace", None, None),
    ("ID,Start time,Completion time,Email,Name,Company\n"
     "1,9/9/26 18:01,9/9/26 18:02,ada@contoso.com,Ada Lovelace,Contoso\n",
     "Ada Lovelace", "ada@contoso.com", "Contoso"),
])
def test_a_registration_form_export_names_the_respondent(form: str, name: str, email: str | None,
                                                         company: str | None, tmp_path: Path) -> None:
    """A Google Form asking "What is your name?" was refused; an anonymous Microsoft Form
    imported everyone as "Anonymous", with no email."""
    (person,) = read_attendee_file(write(tmp_path, "form.csv", form)).people
    assert (person.name, person.email, person.company) == (name, email, company)


def test_a_workbooks_active_plain_list_wins_over_a_platform_sheet_behind_it(tmp_path: Path) -> None:
    """Only pretix's order summary gives way to another sheet: the sheet the organiser left
    open is the list they mean, even with a platform export pasted behind it."""
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.Workbook()
    workbook.active.title = "Door list"
    workbook.active.append(["Name", "Email"])
    workbook.active.append(["Ada Lovelace", "ada@example.org"])
    pasted = workbook.create_sheet("Eventbrite")
    pasted.append(["Order #", "First Name", "Last Name", "Attendee #", "Attendee Status"])
    pasted.append(["11211912243", "Grace", "Hopper", "17645032101", "Attending"])
    workbook.save(tmp_path / "list.xlsx")
    batch = read_attendee_file(tmp_path / "list.xlsx")
    assert (batch.source, [p.name for p in batch.people]) == ("xlsx", ["Ada Lovelace"])


# A Luma guest export whose registration questions are in Spanish (its header as a GitHub fixture has
# it): the company question was not found, and must not give way to the company's tax number.
LUMA_SPANISH = (
    "guest_id,name,first_name,last_name,email,phone_number,created_at,approval_status,checked_in_at,"
    "utm_source,qr_code_url,amount,amount_tax,amount_discount,currency,coupon_code,eth_address,"
    "solana_address,survey_response_rating,survey_response_feedback,ticket_type_id,ticket_name,"
    "{questions}\n"
    "gst-AAA,Ana López,Ana,López,ana@example.com,+51900000001,2026-01-01T00:00:00Z,approved,,,"
    "https://luma.com/check-in/evt-X1?pk=g-AAAA1,,,,,,,,,,ttype-x,Standard,{answers}\n")


@pytest.mark.parametrize(("questions", "answers", "company"), [
    ("¿Para qué empresa trabajas?,¿Cuál es tu cargo?,Nro. de DNI,Ruc de la empresa",
     "AcmeCorp,Developer,11111111,20111111111", "AcmeCorp"),
    ("Ruc de la empresa,¿Cuál es tu cargo?", "20111111111,Developer", None),
    ("Nome da empresa,Cargo", "Engenharia Ltda,Dev", "Engenharia Ltda"),
])
def test_a_company_question_in_another_language_is_the_company(questions: str, answers: str,
                                                               company: str | None,
                                                               tmp_path: Path) -> None:
    batch = read_attendee_file(write(tmp_path, "luma.csv", LUMA_SPANISH.format(
        questions=questions, answers=answers)))
    assert (batch.source, batch.people[0].company) == ("luma", company)


@pytest.mark.parametrize(("entries", "words"), [
    ({"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<x/>"},
     "OpenDocument spreadsheet"),
    ({"Index/Document.iwa": "x", "Metadata/Properties.plist": "x"}, "Apple Numbers"),
    ({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<x/>"}, "ZIP archive"),
])
def test_a_spreadsheet_kiosk_cannot_read_is_named_so_the_organiser_can_export_it(
        entries: dict[str, str], words: str, tmp_path: Path) -> None:
    """A LibreOffice .ods or a Numbers file was refused as "a ZIP archive"."""
    path = tmp_path / "list.ods"
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in entries.items():
            archive.writestr(name, text)
    with pytest.raises(ImportFileError) as caught:
        read_attendee_file(path)
    assert words in str(caught.value) and caught.value.line == 1


@pytest.mark.parametrize(("header", "first", "second", "source"), [
    ("Name,Email,Company", "Ada Lovelace,ada@example.org,Engines",
     "Alan Turing,alan@example.org,Bletchley", "csv"),
    ("Order #,First Name,Last Name,Email,Attendee #,Attendee Status",
     "11211912243,Ada,Lovelace,ada@example.org,17645032101,Attending",
     "11211912250,Alan,Turing,alan@example.org,17645032199,Attending", "eventbrite"),
])
def test_two_exports_pasted_together_keep_no_second_header(header: str, first: str, second: str,
                                                           source: str, tmp_path: Path) -> None:
    """The second export's title row became a person called "Name", or refused an Eventbrite
    file ("the 'Order #' value 'Order #' is not an Eventbrite number")."""
    path = write(tmp_path, "merged.csv", f"{header}\n{first}\n\n{header.upper()}\n{second}\n")
    batch = read_attendee_file(path)
    assert (batch.source, [p.line for p in batch.people]) == (source, [2, 5])


@pytest.mark.parametrize(("answer", "attending"), [("Yes", True), ("No", False)])
def test_a_form_question_title_with_a_question_mark_is_still_its_column(answer: str, attending: bool,
                                                                        tmp_path: Path) -> None:
    """A form's "Attending?" column was not read as the status: those who answered "No" got in."""
    path = write(tmp_path, "form.csv", f"Name?,Email,Company?,Attending?\nAda Lovelace,ada@example.org,"
                                       f"Engines,{answer}\n")
    (person,) = read_attendee_file(path).people
    assert (person.name, person.company, person.attending) == ("Ada Lovelace", "Engines", attending)
