"""The report and `kiosk attendees` list names in the order an organiser reads them: Élodie among the Es."""

from __future__ import annotations

import csv
import io
import json

from conftest import run_kiosk, write_config

NAMES = ["Zsófia Novák", "Élodie Evans", "Łukasz Sato", "Anna Berg", "Fiona Lee", "Mark Lamb", "Çağla Kaya", "Dan Cole"]
IN_ORDER = ["Anna Berg", "Çağla Kaya", "Dan Cole", "Élodie Evans", "Fiona Lee", "Łukasz Sato", "Mark Lamb", "Zsófia Novák"]


def test_names_with_accented_first_letters_are_listed_among_their_letters(tmp_path):
    config = write_config(tmp_path)
    people = tmp_path / "people.csv"
    people.write_text("name,email\n" + "".join(f"{n},p{i}@example.org\n" for i, n in enumerate(NAMES)), encoding="utf-8")
    run_kiosk(config, "import", str(people))
    run_kiosk(config, "export", str(tmp_path / "r.csv"))
    report = list(csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text(encoding="utf-8"))))
    assert [row["name"] for row in report] == IN_ORDER
    listed = json.loads(run_kiosk(config, "attendees", "--format", "json").stdout)
    assert [person["name"] for person in listed] == IN_ORDER
