"""The seed evening: a monthly London meetup with 237 people coming.

The names are generated deterministically from international name lists (accents,
Greek, Cyrillic, Chinese, Vietnamese) so every demo and every test sees the same
room; a few people declined or are waitlisted, so the door has someone to refuse.
"""

from __future__ import annotations

import random

from .importers import ImportBatch, ImportedPerson
from .names import split_name

ATTENDING = 237
NOT_ATTENDING = 14
SPEAKERS = [("Priya Raman", "Gamesys"), ("Tomás Ó Briain", "Tecknuovo")]

FIRST = [
    "Sérgio", "João", "Zoë", "Chloé", "Łukasz", "Anaïs", "Björn", "Søren", "Ángel", "Ayşe", "Çağla", "Renée",
    "Olivia", "Amelia", "Oliver", "George", "Harry", "Isla", "Noah", "Mohammed", "Aisha", "Fatima", "Kwame",
    "Chidi", "Ngozi", "Siobhán", "Niamh", "Seán", "Rhys", "Dafydd", "Ioana", "Radu", "Katarzyna", "Piotr",
    "Hiroshi", "Yuki", "Min-jun", "Ji-woo", "Arjun", "Ananya", "Rohan", "Lucía", "Mateo", "Giulia", "Francesco",
    "Élodie", "Rémi", "Ingrid", "Lars", "Aoife", "Zsófia", "Bence", "Mihály", "Jürgen", "Dóra", "Thảo", "Minh",
]
LAST = [
    "Gonçalves", "Müller", "Papadopoulos", "Nowak", "Smith", "Jones", "Williams", "Brown", "Taylor", "Okafor",
    "Mensah", "Kowalski", "Ó Súilleabháin", "Fernández", "García", "Rossi", "Bianchi", "Dubois", "Lefèvre",
    "Johansson", "Nielsen", "Yılmaz", "Öztürk", "Sato", "Tanaka", "Kim", "Park", "Patel", "Sharma", "Khan",
    "Ahmed", "Hughes", "Evans", "Novák", "Dvořák", "Horváth", "Popescu", "Ionescu", "Schäfer", "Weiß",
]
GREEK_FIRST = ["Γιώργος", "Ελένη", "Δημήτρης", "Μαρία"]
GREEK_LAST = ["Παπαδόπουλος", "Οικονόμου", "Γεωργίου", "Νικολάου"]
CYRILLIC_FIRST = ["Дмитрий", "Анна", "Ольга", "Сергей"]
CYRILLIC_LAST = ["Иванов", "Смирнова", "Кузнецов", "Попова"]
CHINESE_FULL = ["王小明", "李华", "张伟", "陈静", "刘洋", "杨帆"]
VIETNAMESE_FULL = ["Nguyễn Thị Minh Khai", "Trần Văn Hùng", "Lê Thị Thu Hà", "Phạm Quốc Bảo", "Đặng Thùy Trâm"]
COMPANIES = [
    "Gamesys", "Tecknuovo", "Monzo", "Wise", "Revolut", "Deliveroo", "Ocado Technology", "BBC", "Financial Times",
    "The Guardian", "Skyscanner", "Starling Bank", "Arm", "DeepMind", "Improbable", "Citymapper", "Babylon", None,
    None, None, "Freelance", "Imperial College London", "UCL", "King's College London", "Thoughtworks", "Sky",
]


def _name(rng: random.Random, i: int) -> str:
    """A full name as the list writes it; every seventh is Greek, Cyrillic, Chinese or Vietnamese."""
    kind = i % 7
    if kind == 3:
        return f"{rng.choice(GREEK_FIRST)} {rng.choice(GREEK_LAST)}"
    if kind == 4:
        return f"{rng.choice(CYRILLIC_FIRST)} {rng.choice(CYRILLIC_LAST)}"
    if kind == 5 and i % 2:
        return rng.choice(CHINESE_FULL)
    if kind == 5:
        return rng.choice(VIETNAMESE_FULL)
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def demo_batch(seed: int = 2026) -> ImportBatch:
    """The seed evening's attendee list, as if imported from the meetup's platform."""
    rng = random.Random(seed)
    people: list[ImportedPerson] = []
    for n, (name, company) in enumerate(SPEAKERS, start=1):
        people.append(_person(n, name, company, True, "speaker"))
    for n in range(len(SPEAKERS) + 1, ATTENDING + NOT_ATTENDING + 1):
        name = _name(rng, n)
        attending = n <= ATTENDING
        people.append(_person(n, name, rng.choice(COMPANIES), attending, "attendee"))
    return ImportBatch(source="demo", path="demo", people=people)


def _person(n: int, name: str, company: str | None, attending: bool, role: str) -> ImportedPerson:
    """One row as a one-name-column platform gives it: first and last worked out as an import does."""
    first, last = split_name(name)
    slug = "".join(ch for ch in name.replace(" ", ".", 1).lower() if ch.isascii() and (ch.isalnum() or ch == "."))
    email = f"{slug.strip('.') or 'guest'}{n}@example.org"
    status = "Yes" if attending else ("Waitlist" if n % 2 else "No")
    return ImportedPerson(line=n + 1, name=name, first_name=first, last_name=last, email=email, company=company,
                          attending=attending, platform_status=status, external_id=f"demo:{n}", codes=[],
                          role=role, ticket_type="Speaker" if role == "speaker" else "RSVP")
