"""A CUPS queue paused or rejecting jobs holds the badges in the kiosk's queue, not in CUPS.

CUPS takes a job into a paused queue and keeps it there: the kiosk handed each badge to `lp`,
counted it printed, and the person waited for a badge held in CUPS (where undo cannot cancel it,
and another printer, free, could not take it). The probe read `lpstat -p` in the user's language
("deaktiviert" on a German laptop: online) and never asked whether the queue accepts jobs.

`lp` and `lpstat` are small scripts on PATH here that behave like CUPS's for one queue, `badges`,
whose state a file holds: `lpstat` answers in German unless run in the C locale, as CUPS does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import wait_until

pytestmark = pytest.mark.timeout(60)

LPSTAT = r"""#!/bin/sh
state=$(cat "{state}")
en=yes; [ "$LC_ALL" = C ] || en=no
case "$*" in *-r*) echo "scheduler is running"; exit 0;; esac
if [ "$state" = paused ]; then
  [ $en = yes ] && printf 'printer badges disabled since Sat 28 Nov 2026 -\n\tPaused\n' \
               || printf 'Drucker badges ist deaktiviert seit Sat 28 Nov 2026 -\n\tPaused\n'
else
  [ $en = yes ] && echo 'printer badges is idle.  enabled since Sat 28 Nov 2026' \
               || echo 'Drucker badges ist im Leerlauf.  aktiviert seit Sat 28 Nov 2026'
fi
case "$*" in *-a*)
  if [ "$state" = rejecting ]; then
    [ $en = yes ] && printf 'badges not accepting requests since Sat 28 Nov 2026 -\n\tRejecting Jobs\n' \
                 || printf 'badges akzeptiert keine Anfragen seit Sat 28 Nov 2026 -\n\tRejecting Jobs\n'
  else
    [ $en = yes ] && echo 'badges accepting requests since Sat 28 Nov 2026' \
                 || echo 'badges akzeptiert Anfragen seit Sat 28 Nov 2026'
  fi;;
esac
"""
# lp takes a job into a paused queue, as CUPS does; a rejecting queue refuses it.
LP = r"""#!/bin/sh
if [ "$(cat "{state}")" = rejecting ]; then echo 'lp: Destination "badges" is not accepting jobs.' >&2; exit 1; fi
n=$(ls "{jobs}" | wc -l); cat > "{jobs}/job-$n.bin"; echo "request id is badges-$n (1 file(s))"
"""


@pytest.fixture
def cups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """Fake `lp` and `lpstat` first on PATH, in German; the queue's state file and its jobs' folder."""
    tools, jobs, state = tmp_path / "bin", tmp_path / "cups-jobs", tmp_path / "queue-state"
    tools.mkdir()
    jobs.mkdir()
    state.write_text("enabled")
    for name, script in (("lpstat", LPSTAT), ("lp", LP)):
        (tools / name).write_text(script.format(state=state, jobs=jobs))
        (tools / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{tools}:{__import__('os').environ['PATH']}")
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    return state, jobs


def _card(srv) -> dict:
    return srv.get("/api/printers", "volunteer").json()["printers"][0]


def _status(srv, attendee_id: int) -> str:
    with srv.state.store.read() as db:
        return db.execute("SELECT status FROM print_jobs WHERE attendee_id = ?", [attendee_id]).fetchone()[0]


@pytest.mark.parametrize("state, says", [("paused", "is paused"), ("rejecting", "is rejecting jobs")])
def test_a_badge_waits_in_the_kiosk_while_the_cups_queue_is_paused_or_rejecting(make_server, cups, state, says):
    """Nothing goes to lp while the queue cannot print; the console says why; it prints once enabled."""
    state_file, jobs = cups
    srv = make_server(printer='backend = "cups"\nqueue = "badges"')
    wait_until(lambda: _card(srv)["online"], what="the queue seen accepting jobs")
    state_file.write_text(state)  # paused in CUPS mid-evening
    person = srv.people()[3]
    assert srv.scan(person["ticket_code"]).status_code == 201

    card = wait_until(lambda: (c := _card(srv))["online"] is False and c, timeout=10, what="the queue shown unusable")
    assert says in card["detail"]
    assert _status(srv, person["id"]) == "queued" and list(jobs.iterdir()) == []

    state_file.write_text("enabled")
    wait_until(lambda: _status(srv, person["id"]) == "printed", timeout=15, what="the badge printed")
    assert len(list(jobs.iterdir())) == 1


def test_a_cups_that_does_not_answer_is_said_so_and_gets_no_badge(cups):
    """lpstat hanging (a CUPS stuck or overloaded): the status says CUPS did not answer, and no badge
    is handed to lp meanwhile (it would hang as well)."""
    from printers.backend_devices import CupsBackend
    from printers.status import PrinterError

    state_file, jobs = cups
    lpstat = Path(__import__("shutil").which("lpstat"))
    lpstat.write_text("#!/bin/sh\nsleep 5\n")
    backend = CupsBackend("badges", timeout=1.0)
    assert backend.status().detail == "CUPS did not answer about badges."
    with pytest.raises(PrinterError, match="did not answer"):
        backend.send(b"\x1b@badge", "job-000001")
    assert list(jobs.iterdir()) == []
