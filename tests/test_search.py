"""Finding someone at the volunteer desk: the spellings people type, and the order of what comes back."""

from __future__ import annotations

import sqlite3

from kiosk.db import Store
from kiosk.textnorm import fold, fold_spelled_out


def _walk_in(server, name: str, email: str | None = None, company: str | None = None) -> int:
    answer = server.post("/api/attendees", "volunteer", json={"name": name, "email": email, "company": company})
    assert answer.status_code == 201, answer.text
    return answer.json()["attendee"]["id"]


def _names(server, query: str) -> list[str]:
    answer = server.get("/api/attendees", "volunteer", params={"q": query})
    assert answer.status_code == 200
    return [person["name"] for person in answer.json()["attendees"]]


def test_umlauts_written_out_find_the_name(server):
    _walk_in(server, "Jürgen Müller", company="Bäckerei Köhler")
    _walk_in(server, "Søren Jørgensen")
    for query in ("mueller", "Mueller", "muller", "Müller", "juergen mueller", "koehler"):
        assert "Jürgen Müller" in _names(server, query), query
    assert "Søren Jørgensen" in _names(server, "joergensen")
    assert "Søren Jørgensen" in _names(server, "jorgensen")
    assert "Jürgen Müller" not in _names(server, "muellerr")


def _starts_a_word(name: str, prefix: str) -> bool:
    return any(word.startswith(prefix) for word in fold(name).replace("-", " ").split())


def test_people_whose_words_start_with_the_query_come_before_mid_word_matches(server):
    """"le" typed for Lê must not be buried under everyone whose email is at example.org."""
    _walk_in(server, "Lê Thị Hoa", email="hoa@gmail.com")
    _walk_in(server, "Jean-Luc Picard", email="jl@starfleet.org")
    for query in ("le", "lê"):
        found = _names(server, query)
        order = [_starts_a_word(name, "le") for name in found]
        assert True in order and False in order, found  # both kinds are in the demo evening
        assert order == sorted(order, reverse=True), f"{query}: word-start matches must all come first: {found}"
    assert _names(server, "lê")[0].startswith("Lê"), "typed accents count: Lê before Lefèvre"
    assert _names(server, "luc")[0] == "Jean-Luc Picard"


def search_text_of_an_older_database(tmp_path, name: str, stored: str, user_version: int) -> list[str]:
    """The search text a person stored by an older version (`stored`, schema `user_version`) has
    once the database is opened by this one."""
    store = Store(tmp_path / "old.db")
    with store.write() as db:
        db.execute("INSERT INTO events (slug, name, starts_at, created_at) VALUES ('e', 'E', '2026-01-01T18:00:00+00:00', 'now')")
        db.execute("INSERT INTO attendees (event_id, external_id, ticket_code, name, search_text, created_at, updated_at) "
                   "VALUES (1, 'x', 'CODE1', ?, ?, 'now', 'now')", [name, stored])
    store.close()
    with sqlite3.connect(tmp_path / "old.db") as conn:
        conn.execute(f"PRAGMA user_version = {user_version}")
    reopened = Store(tmp_path / "old.db")
    with reopened.read() as db:
        text = db.execute("SELECT search_text FROM attendees").fetchone()[0]
    reopened.close()
    return text.split()


def test_a_database_from_the_previous_version_gets_the_new_search_text(tmp_path):
    words = search_text_of_an_older_database(tmp_path, "Jürgen Müller", "jurgen muller", 1)
    assert "mueller" in words and "muller" in words


def test_spelling_out_leaves_names_without_umlauts_alone():
    assert fold_spelled_out("Ada Lovelace") == ""
    assert fold_spelled_out("Åsa Öberg") == "aasa oeberg"
    assert fold_spelled_out("Mu\u0308ller") == "mueller"  # typed on a Mac: u + combining diaeresis
