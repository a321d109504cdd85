"""`kiosk printer test` and `kiosk printer status`, as an organiser checks the printer before doors."""

from __future__ import annotations

from conftest import free_port, run_kiosk, wait_until, write_config
from escpos_decode import qr_texts
from fake_printer import FakePrinter


def test_printer_test_writes_a_badge_to_the_file_printer(tmp_path):
    config = write_config(tmp_path, printer='backend = "file"\npath = "badges"')
    result = run_kiosk(config, "printer", "test")
    assert "test badge sent" in result.stdout
    assert (tmp_path / "badges" / "test-badge.bin").stat().st_size > 1000
    assert (tmp_path / "badges" / "test-badge.png").exists()


def test_printer_test_and_status_against_a_network_printer(tmp_path):
    with FakePrinter() as fake:
        config = write_config(tmp_path, printer=f'backend = "network"\nhost = "127.0.0.1"\nport = {fake.port}\ntimeout = 2')
        status = run_kiosk(config, "printer", "status")
        assert "online" in status.stdout and "paper ok" in status.stdout
        run_kiosk(config, "printer", "test")
        jobs = fake.wait_for_jobs(1)
        assert qr_texts(jobs[-1]) == ["K0-TEST0000-0000000000000"]


def test_a_switched_off_printer_is_reported_with_exit_code_1(tmp_path):
    config = write_config(tmp_path, printer=f'backend = "network"\nhost = "127.0.0.1"\nport = {free_port()}\ntimeout = 1')
    status = run_kiosk(config, "printer", "status", check=False)
    assert status.returncode == 1 and "NOT ANSWERING" in status.stdout and "refused" in status.stdout
    test = run_kiosk(config, "printer", "test", check=False)
    assert test.returncode == 1 and "refused" in test.stderr


def test_no_printer_is_not_reported_as_a_printer_that_answers(tmp_path):
    config = write_config(tmp_path, printer='backend = "none"')
    for command in ("status", "test"):
        result = run_kiosk(config, "printer", command, check=False)
        assert result.returncode == 1 and "no printer" in result.stderr and "online" not in result.stdout


def test_status_tells_of_a_printer_that_answers_but_fails_every_badge(make_server):
    """A printer that hangs up mid-badge still answers a status query, so `printer status` said
    "online" (exit 0) while no badge printed. It now says the last badge failed, with the print
    process's reason, and exits 1, until a badge prints again."""
    with FakePrinter(drop_after=2000) as fake:
        srv = make_server(printer=fake.config(timeout=1))
        person = srv.people()[0]
        assert srv.scan(person["ticket_code"]).status_code == 201
        wait_until(lambda: any(p["last_error"] for p in srv.get("/api/printers").json()["printers"]), timeout=10)
        failing = run_kiosk(srv.config_path, "printer", "status", check=False)
        assert failing.returncode == 1, failing.stdout
        line, = failing.stdout.strip().splitlines()
        assert line.startswith("default: online, paper ok, but its last badge failed at ")
        assert line.endswith(f"The printer at 127.0.0.1:{fake.port} dropped the connection in the middle of the job.")

        fake.drop_after = None  # mended: the badge goes out again, and the error is over
        fake.wait_for_jobs(1, timeout=30)
        wait_until(lambda: not any(p["last_error"] for p in srv.get("/api/printers").json()["printers"]), timeout=10)
        mended = run_kiosk(srv.config_path, "printer", "status")
        assert mended.stdout.strip() == f"default: online, paper ok (The printer at 127.0.0.1:{fake.port} is ready.)"
