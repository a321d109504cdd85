"""Tickets: compact signed codes, QR images and the printable sheet."""

from __future__ import annotations

import json
import re
import unicodedata

import pytest
import zxingcpp
from PIL import Image

from conftest import FIXTURES, run_kiosk, write_config
from kiosk import tickets
from kiosk.ticket_images import file_name, qr_image, qr_version, ticket_image
from printers import fonts

SECRET = b"test-secret-not-for-production"


def test_codes_are_upper_case_alphanumeric_and_fit_qr_version_2_at_m():
    for event_id in (1, 12, 4000):
        code = tickets.new_code(SECRET, event_id)
        assert re.fullmatch(r"[0-9A-Z-]+", code)
        assert qr_version(code) <= 3
        assert tickets.verify(SECRET, code).genuine


def test_every_single_character_change_is_detected():
    code = tickets.new_code(SECRET, 7)
    for i, ch in enumerate(code):
        if ch == "-":
            continue
        for other in "0Z":
            if other != ch:
                altered = code[:i] + other + code[i + 1:]
                assert not tickets.verify(SECRET, altered).genuine, altered


def test_qr_image_decodes_to_the_code_in_alphanumeric_mode():
    code = tickets.new_code(SECRET, 3)
    results = zxingcpp.read_barcodes(qr_image(code))
    assert [r.text for r in results] == [code]
    assert results[0].symbology_identifier == "]Q1"


def test_generated_secret_is_kept_and_reused(tmp_path):
    secret_file = tmp_path / "kiosk.db.secret"
    first = tickets.load_or_create_secret(None, secret_file)
    assert len(first) >= 32 and secret_file.stat().st_mode & 0o077 == 0
    assert tickets.load_or_create_secret(None, secret_file) == first
    assert tickets.load_or_create_secret("configured", secret_file) == b"configured"


def test_kiosk_tickets_writes_one_png_each_and_a_sheet_whose_codes_check_in(tmp_path):
    config = write_config(tmp_path)
    run_kiosk(config, "demo", "--no-serve")
    everyone = json.loads(run_kiosk(config, "attendees", "--format", "json").stdout)
    people = everyone  # one PNG per attendee, as the contract says, those not coming included
    out = tmp_path / "tickets"
    result = run_kiosk(config, "tickets", str(out))
    assert f"Wrote {len(people)} tickets" in result.stdout and "Left out" not in result.stdout
    assert any(p["status"] != "attending" for p in people)
    pngs = sorted(out.glob("*.png"))
    assert len(pngs) == len(people)
    by_code = {p["ticket_code"]: p for p in people}
    for png in pngs[:25]:
        decoded = zxingcpp.read_barcodes(Image.open(png))
        assert len(decoded) == 1 and decoded[0].text in by_code
        assert png.name.startswith(f"{by_code[decoded[0].text]['id']:04d}-")
    sheet = (out / "sheet.pdf").read_bytes()
    pages = re.findall(rb"/Type\s*/Page(?!s)", sheet)
    assert sheet.startswith(b"%PDF") and len(pages) == -(-len(people) // 9)


def test_tickets_can_leave_out_people_not_coming_and_a_rerun_leaves_no_stale_file(tmp_path):
    config = write_config(tmp_path)
    plain = (FIXTURES / "imports" / "plain.csv").read_text(encoding="utf-8")
    run_kiosk(config, "import", str(FIXTURES / "imports" / "plain.csv"))
    people = {p["name"]: p for p in json.loads(run_kiosk(config, "attendees", "--format", "json").stdout)}
    out = tmp_path / "tickets"
    result = run_kiosk(config, "tickets", "--coming-only", str(out))
    assert "Wrote 6 tickets" in result.stdout and "Left out 1 person" in result.stdout and "cancelled" in result.stdout
    cancelled = people["Νίκος Παπαδόπουλος"]["id"]
    assert len(list(out.glob("*.png"))) == 6 and not list(out.glob(f"{cancelled:04d}-*"))
    assert (out / f"{people['王小明']['id']:04d}-王小明.png").exists()

    renamed = tmp_path / "renamed.csv"
    renamed.write_text(plain.replace("Ada Lovelace,", "Ada King Lovelace,"), encoding="utf-8")
    run_kiosk(config, "import", str(renamed))
    run_kiosk(config, "tickets", "--coming-only", str(out))
    ada = [f.name for f in out.glob(f"{people['Ada Lovelace']['id']:04d}-*.png")]
    assert ada == [f"{people['Ada Lovelace']['id']:04d}-ada-king-lovelace.png"]
    assert len(list(out.glob("*.png"))) == 6

    everyone = run_kiosk(config, "tickets", str(out))
    assert "Wrote 7 tickets" in everyone.stdout and len(list(out.glob("*.png"))) == 7
    assert (out / f"{cancelled:04d}-νίκος-παπαδόπουλος.png").exists()
    again = run_kiosk(config, "tickets", "--coming-only", str(out))  # back to those coming: the cancelled ticket goes
    assert "removed 1 ticket" in again.stdout and len(list(out.glob("*.png"))) == 6


@pytest.mark.parametrize("name,slug", [
    ("Sérgio Gonçalves", "sergio-goncalves"), ("Γιώργος Παπαδόπουλος", "γιώργος-παπαδόπουλος"),
    ("Сергей Иванов", "сергей-иванов"), ("陈静", "陈静"), ("../../etc/passwd", "etc-passwd"),
    (".hidden", "hidden"), ("🦄", "attendee"), ("a\\b/c", "a-b-c")])
def test_ticket_file_names_keep_every_script_and_never_leave_the_folder(name, slug):
    assert file_name({"id": 42, "name": name}) == unicodedata.normalize("NFC", f"0042-{slug}.png")


def ink_columns(image: Image.Image, top: int, bottom: int) -> tuple[int, int]:
    """Leftmost and rightmost columns with ink between two rows."""
    box = image.crop((0, top, image.width, bottom)).point(lambda v: 255 if v < 128 else 0).getbbox()
    assert box is not None, "no ink there"
    return box[0], box[2]


def test_a_60_character_name_stays_inside_the_ticket_and_the_qr_still_reads():
    name = "Maximilian Alexander Bartholomew Fitzgerald-Worthington Jr."
    assert len(name) >= 59
    code = tickets.new_code(SECRET, 3)
    image = ticket_image({"name": name, "ticket_code": code}, "London Tech Meetup: November", "Thu 26 Nov 2026")
    left, right = ink_columns(image, 95, 200)
    assert left >= 20 and right <= image.width - 20  # the name's ink, with a margin on both sides
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [code]


def test_an_emoji_no_font_draws_is_left_out_of_the_ticket_not_printed_as_a_box():
    if not fonts.missing_chars("🦄"):
        pytest.skip("this machine has a colour-emoji font: nothing to leave out")
    code = tickets.new_code(SECRET, 3)
    with_emoji = ticket_image({"name": "Ada 🦄 Lovelace", "ticket_code": code}, "Meetup", "Thu 26 Nov 2026")
    without = ticket_image({"name": "Ada Lovelace", "ticket_code": code}, "Meetup", "Thu 26 Nov 2026")
    assert with_emoji.tobytes() == without.tobytes()


def test_a_serial_that_collides_is_drawn_again(server, monkeypatch):
    taken = server.people()[0]["ticket_code"]
    fresh = tickets.new_code(SECRET, server.state.door.event.id)
    drawn = iter([taken, taken, fresh])
    monkeypatch.setattr(tickets, "new_code", lambda master, event_id: next(drawn))
    response = server.post("/api/attendees", "volunteer", json={"name": "Late Comer"})
    assert response.status_code == 201
    assert response.json()["attendee"]["ticket_code"] == fresh


def test_mac_digits_are_base32_of_the_hmac_as_first_issued() -> None:
    """The MAC is written without base64's slow loop; it must stay the exact string tickets carry."""
    import base64
    import hashlib
    import hmac as hmac_lib

    from kiosk import tickets as t

    def reference(master: bytes, event_id: int, serial: str) -> str:
        key = t.derive_key(master, f"tickets/event/{event_id}")
        digest = hmac_lib.new(key, f"{event_id}:{serial}".encode(), hashlib.sha256).digest()
        return base64.b32encode(digest).decode().translate(
            str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", t.ALPHABET))[:t.MAC_LEN]

    for i in range(300):
        master, serial = f"secret-{i}".encode() * 3, f"{i:08d}"
        assert t._mac(master, i * 7, serial) == reference(master, i * 7, serial)
