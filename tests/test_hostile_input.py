"""Whatever a stranger scans or uploads: a refusal, never a 500, never a partial import."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk import importers
from kiosk.audit import CLI

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))

scanned_text = st.one_of(
    st.text(max_size=300),
    st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
    st.sampled_from(["' OR 1=1 --", "'; DROP TABLE attendees; --", "<img src=x onerror=alert(1)>",
                     "K1-AAAAAAAA-AAAAAAAAAAAAA", "https://lu.ma/check-in/evt-x?pk=' OR 1=1", "\u202e\u200b",
                     "ｋ１－", "A" * 100_000, "%s%s%n", "{{7*7}}", "../../etc/passwd"]),
)
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | scanned_text,
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                           max_leaves=5)


@pytest.fixture(scope="module")
def door_server(tmp_path_factory):
    from conftest import start_in_process, write_config

    srv = start_in_process(write_config(tmp_path_factory.mktemp("fuzz"), max_failed_scans=100_000))
    srv.seed_demo()
    yield srv
    srv.stop()


@SETTINGS
@given(code=json_values, station=json_values, nonce=json_values)
def test_any_scan_is_refused_cleanly(door_server, code, station, nonce):
    response = door_server.post("/api/checkins", "kiosk", json={"code": code, "station": station, "nonce": nonce})
    assert response.status_code in (400, 404, 422), response.text
    body = response.json()
    assert body["result"] in ("invalid_code", "unknown_code", "bad_request")
    assert body["message"]
    assert door_server.get("/api/headcount", None).json()["checked_in"] == 0


@pytest.mark.parametrize("nonce", ["\x1b", "\u200b", "\x00\x7f"])
def test_a_nonce_of_nothing_printable_is_no_nonce(door_server, nonce):
    """Cleaned to "", such a nonce was stored as "" and the second scan of the same read broke the
    scan log's unique key: a 500. It is no nonce: each scan is answered afresh, neither a replay."""
    scan = {"code": f"not a ticket {nonce!r}", "station": "fuzz-door", "nonce": nonce}
    answers = [door_server.post("/api/checkins", "kiosk", json=scan) for _ in range(2)]
    assert [answer.status_code for answer in answers] == [422, 422], [answer.text for answer in answers]
    assert all(answer.json()["result"] == "invalid_code" for answer in answers)


@SETTINGS
@given(query=scanned_text)
def test_any_search_answers(door_server, query):
    response = door_server.get("/api/attendees", "volunteer", params={"q": query[:2000]})
    assert response.status_code == 200
    assert isinstance(response.json()["attendees"], list)


def _fingerprint(store) -> str:
    with store.read() as db:
        rows = db.execute("SELECT * FROM attendees ORDER BY id").fetchall()
        codes = db.execute("SELECT * FROM door_codes ORDER BY code").fetchall()
    return hashlib.sha256(repr([tuple(r) for r in rows + codes]).encode()).hexdigest()


csv_cell = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)
csv_files = st.one_of(
    st.binary(max_size=2000),
    st.lists(st.lists(csv_cell, min_size=1, max_size=5), min_size=1, max_size=8).map(
        lambda rows: "\n".join(",".join(row) for row in [["Name", "Email", "Company"], *rows]).encode("utf-8")),
    st.lists(st.lists(csv_cell, min_size=1, max_size=5), min_size=0, max_size=8).map(
        lambda rows: "\n".join("\t".join(row) for row in rows).encode("utf-16")),
)


@SETTINGS
@given(content=csv_files, name=st.sampled_from(["list.csv", "meetup.xls", "guests.xlsx", "x.txt"]))
def test_an_import_either_succeeds_whole_or_changes_nothing(door_server, content, name):
    door = door_server.state.door
    before = _fingerprint(door.store)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        try:
            summary = door.import_file(path, "auto", CLI)
        except importers.ImportFileError as exc:
            assert name in str(exc)
            assert _fingerprint(door.store) == before
            return
    assert summary.added + summary.updated + summary.unchanged >= 1
