"""`kiosk printer status` during a jam: the print process heard the printer answer, so its silence
now is trouble. Before, the command started afresh, took the silence for a model that never
answers status, and said "online" while the badges waited behind the jam."""

from __future__ import annotations

from pathlib import Path

from conftest import Server, run_kiosk, wait_until, write_config

try:
    from tests.fake_printer import FakePrinter
    from tests.test_printer_jam import assert_printed_once, printer_of
except ImportError:  # run from inside tests/
    from fake_printer import FakePrinter
    from test_printer_jam import assert_printed_once, printer_of


def test_printer_status_during_a_jam_says_not_answering_not_online(make_server) -> None:
    with FakePrinter() as fake:
        srv: Server = make_server(printer=fake.config(timeout=1.0))
        code = srv.people()[0]["ticket_code"]
        assert srv.scan(code).status_code == 201
        assert_printed_once(fake, [code])
        wait_until(lambda: printer_of(srv)["answers_status"] is True, what="the printer known to answer")
        fake.mode = "silent"  # jammed: it stops answering
        status = run_kiosk(srv.config_path, "printer", "status", check=False)
        # The test badge too: it went into the jammed printer's buffer and was reported "sent".
        test = run_kiosk(srv.config_path, "printer", "test", check=False)
        jobs = len(fake.jobs)
    assert status.returncode == 1, status.stdout
    assert "default: NOT ANSWERING" in status.stdout and "stopped answering" in status.stdout, status.stdout
    assert "online" not in status.stdout
    assert test.returncode == 1 and "stopped answering" in test.stderr, (test.stdout, test.stderr)
    assert jobs == 1  # only the badge printed before the jam


def test_printer_status_of_a_model_that_never_answers_still_says_online(tmp_path: Path) -> None:
    """No print process has heard it answer (no database even): silence is the model, not a jam."""
    with FakePrinter(mode="silent") as fake:
        config = write_config(tmp_path, printer=f'backend = "network"\nhost = "127.0.0.1"\nport = {fake.port}\ntimeout = 2')
        status = run_kiosk(config, "printer", "status", check=False)
    assert status.returncode == 0 and "default: online, paper unknown" in status.stdout, status.stdout
    assert "does not report its status" in status.stdout
