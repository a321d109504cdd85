"""`kiosk serve` and `kiosk demo` as an organiser runs them: real processes on 127.0.0.1."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import time

import pytest
import requests

from conftest import ROOT, KioskProcess, free_port, kiosk_cmd, write_config


def wait_for(url: str, timeout: float = 30, **kw) -> requests.Response:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return requests.get(url, timeout=2, **kw)
        except (requests.RequestException, OSError):  # OSError: the certificate is not written yet
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_serve_with_https_makes_a_certificate_for_this_laptop(tmp_path):
    port = free_port()
    config = write_config(tmp_path, port=port)
    config.write_text(config.read_text().replace("[server]\n", "[server]\nhttps = true\n"))
    proc = KioskProcess(config, port)
    proc.proc = subprocess.Popen(kiosk_cmd("--config", str(config), "serve"), cwd=ROOT, start_new_session=True,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        cert = tmp_path / "data" / "kiosk-cert.pem"
        response = wait_for(f"https://127.0.0.1:{port}/api/headcount", verify=str(cert))
        assert response.status_code == 200 and response.json()["checked_in"] == 0
        assert cert.exists() and (tmp_path / "data" / "kiosk-key.pem").stat().st_mode & 0o077 == 0
        cookie = requests.get(f"https://127.0.0.1:{port}/login", verify=str(cert), timeout=5).headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie
    finally:
        proc.stop()


def test_demo_prints_urls_and_tokens_and_serves_the_seed_evening(tmp_path):
    port = free_port()
    config = write_config(tmp_path, port=port, printer='backend = "file"\npath = "badges"')
    proc = subprocess.Popen(kiosk_cmd("--config", str(config), "demo"), cwd=ROOT, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        while not any("/pair?token=" in line and "organizer" in line for line in lines):
            line = proc.stdout.readline()
            assert line, "demo exited early:\n" + "".join(lines)
            lines.append(line)
        text = "".join(lines)
        assert "Demo evening" in text and "volunteer token:" in text
        kiosk_link = re.search(r"kiosk\s+(http://\S+/pair\?token=\S+)", text).group(1)
        session = requests.Session()
        page = wait_for(kiosk_link, timeout=30)
        assert page.status_code == 200
        response = session.get(kiosk_link, timeout=5)
        assert response.url.endswith("/kiosk") and "Test Meetup" in response.text
        headcount = requests.get(f"http://127.0.0.1:{port}/api/headcount", timeout=5).json()
        assert headcount["expected"] == 237
        token = re.search(r"kiosk token: (\S+)", text).group(1)
        code = re.search(r"A ticket code to type or scan: (\S+)", text).group(1)
        answer = requests.post(f"http://127.0.0.1:{port}/api/checkins", json={"code": code, "station": "door-1"},
                               headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert answer.status_code == 201
        deadline = time.monotonic() + 15
        while not list((tmp_path / "badges").glob("*.bin")) and time.monotonic() < deadline:
            time.sleep(0.2)  # the .bin is written last (after its .png preview)
        assert len(list((tmp_path / "badges").glob("*.bin"))) == 1
        assert len(list((tmp_path / "badges").glob("*.png"))) == 1
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)


def test_a_second_server_on_the_same_database_refuses_to_start_and_a_killed_one_lets_go(kiosk_process):
    """Two servers would run two print processes on one queue: badges printed twice."""
    proc, _ = kiosk_process(seed=False)
    second = subprocess.run(kiosk_cmd("--config", str(proc.config_path), "serve", "--port", str(free_port())),
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert second.returncode == 2
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1 and "already serving" in lines[0] and str(proc.proc.pid) in lines[0], second.stderr
    assert "Serving on" not in second.stdout
    demo = subprocess.run(kiosk_cmd("--config", str(proc.config_path), "demo", "--port", str(free_port())),
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert demo.returncode == 2 and "already serving" in demo.stderr and "token" not in demo.stdout
    with sqlite3.connect(proc.config_path.parent / "data" / "kiosk.db") as db:  # nothing seeded, no token made
        assert db.execute("SELECT count(*) FROM tokens WHERE label = 'demo'").fetchone()[0] == 0
    proc.kill()  # SIGKILL: no chance to clean up, yet the lock goes with the process
    again = KioskProcess(proc.config_path, free_port()).start()
    try:
        assert requests.get(again.url + "/api/headcount", timeout=5).status_code == 200
    finally:
        again.stop()


def test_stopping_the_server_prints_no_traceback(tmp_path):
    """Every evening ends with Ctrl-C or SIGTERM: the organiser's terminal must stay clean."""
    port = free_port()
    proc = KioskProcess(write_config(tmp_path, port=port), port).start()
    assert requests.get(proc.url + "/api/headcount", timeout=5).status_code == 200
    os.killpg(proc.proc.pid, signal.SIGTERM)
    _, stderr = proc.proc.communicate(timeout=20)
    assert proc.proc.returncode == 0
    assert b"Traceback" not in stderr and b"Exception ignored" not in stderr, stderr.decode()[-2000:]


def test_a_restart_right_after_a_crash_waits_for_the_old_worker_to_let_go(tmp_path):
    """A killed master's worker lingers a second or two, holding the lock and the port."""
    import socket
    import threading

    from kiosk import process_locks, server

    database = tmp_path / "kiosk.db"
    old_lock = process_locks.hold(process_locks.serving(database))
    old_port = socket.socket()
    old_port.bind(("127.0.0.1", 0))
    old_port.listen()
    port = old_port.getsockname()[1]
    threading.Timer(1.0, lambda: (old_lock.close(), old_port.close())).start()
    started = time.monotonic()
    held = process_locks.hold_serving(database)
    server.check_address("127.0.0.1", port)
    assert held is not None and 0.8 < time.monotonic() - started < process_locks.STARTUP_WAIT
    held.close()


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def test_serving_on_an_ipv6_address_prints_links_a_browser_opens(tmp_path):
    """`server.host` takes IPv6 without brackets; the printed links need them (`http://::1:8080/kiosk`
    was printed, which no browser opens)."""
    if not _ipv6_loopback():
        pytest.skip("no IPv6 loopback here")
    port = free_port()
    config = write_config(tmp_path, port=port)
    proc = subprocess.Popen(kiosk_cmd("--config", str(config), "serve", "--host", "::1"), cwd=ROOT,
                            start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline()
        assert f"http://[::1]:{port}/kiosk" in line, line
        display = re.search(r"display (\S+)", line).group(1)
        assert wait_for(display, timeout=30).status_code == 200
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
