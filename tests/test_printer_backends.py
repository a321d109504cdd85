"""Printers at the door: jobs arrive whole, and a dead, silent or empty printer is reported fast."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from printers.badge import BadgeInfo
from printers.connections import PrinterError, open_backend
from printers.escpos_job import build_job, render_preview

try:
    from tests.escpos_decode import qr_texts
    from tests.fake_printer import FakePrinter
except ModuleNotFoundError:
    from escpos_decode import qr_texts
    from fake_printer import FakePrinter

pytestmark = pytest.mark.timeout(30)

INFO = BadgeInfo("Дмитрий Иванов", "Дмитрий", "Tecknuovo", "London Python Meetup",
                 "Thu 26 Nov 2026", "LPM-D1MA-77QX", "Thanks to Gamesys & Tecknuovo", "WALK-IN")
TIMEOUT = 1.5


@pytest.fixture(scope="module")
def job() -> bytes:
    """One real badge job for an 80 mm printer."""
    return build_job(INFO, "TM-T20II")


@pytest.fixture
def printer():
    """A fake port-9100 printer, answering status queries."""
    with FakePrinter() as fake:
        yield fake


def network(fake: FakePrinter, **extra: object):
    """A network backend pointed at the fake printer."""
    cfg = {"backend": "network", "host": fake.host, "port": fake.port, "timeout": TIMEOUT, "profile": "TM-T20II"}
    cfg.update(extra)
    return open_backend(cfg, Path("."))


def test_job_arrives_whole_in_one_connection(printer: FakePrinter, job: bytes) -> None:
    network(printer).send(job, "badge-1")
    assert printer.wait_for_jobs(1) == [job]
    assert qr_texts(printer.jobs[0]) == ["LPM-D1MA-77QX"]


def test_each_badge_is_its_own_job(printer: FakePrinter, job: bytes) -> None:
    backend = network(printer)
    for n in range(3):
        backend.send(job, f"badge-{n}")
    assert printer.wait_for_jobs(3) == [job] * 3


def test_status_of_a_ready_printer(printer: FakePrinter) -> None:
    status = network(printer).status()
    assert status.online and status.paper == "ok"
    assert printer.jobs == []  # a status check prints nothing


def test_paper_low_is_reported_but_still_prints(printer: FakePrinter, job: bytes) -> None:
    printer.paper = "low"
    backend = network(printer)
    assert backend.status().paper == "low"
    backend.send(job, "badge-low")
    assert printer.wait_for_jobs(1) == [job]


def test_paper_out_refuses_the_job_instead_of_losing_it(printer: FakePrinter, job: bytes) -> None:
    printer.paper = "out"
    backend = network(printer)
    with pytest.raises(PrinterError, match="paper") as err:
        backend.send(job, "badge-out")
    assert err.value.reason == "paper_out"
    status = backend.status()
    assert not status.online and status.paper == "out"
    assert printer.jobs == []


def test_cover_open_is_named(printer: FakePrinter, job: bytes) -> None:
    printer.cover_open = True
    with pytest.raises(PrinterError, match="cover is open"):
        network(printer).send(job, "badge-cover")


def test_printer_switched_off_fails_fast(job: bytes) -> None:
    with FakePrinter(mode="refusing") as fake:
        backend = network(fake)
        started = time.monotonic()
        with pytest.raises(PrinterError, match="refused") as err:
            backend.send(job, "badge-off")
        assert time.monotonic() - started < 1.0
        assert err.value.reason == "refused"
        status = backend.status()
        assert not status.online and "refused" in status.detail


def test_printer_back_on_prints_again(printer: FakePrinter, job: bytes) -> None:
    backend = network(printer)
    printer.refuse()
    with pytest.raises(PrinterError):
        backend.send(job, "badge-a")
    printer.resume()
    backend.send(job, "badge-b")
    assert printer.wait_for_jobs(1) == [job]


def test_silent_printer_is_reachable_with_unknown_paper_and_does_not_hang(job: bytes) -> None:
    with FakePrinter(mode="silent") as fake:
        backend = network(fake)
        started = time.monotonic()
        status = backend.status()
        assert time.monotonic() - started < TIMEOUT + 0.5
        assert status.online and status.paper == "unknown" and "does not report" in status.detail
        backend.send(job, "badge-silent")  # a printer that never answers status may still print
        assert fake.wait_for_jobs(1) == [job]


def test_printer_that_stops_reading_times_out(job: bytes) -> None:
    """A jammed printer accepts the connection and then takes no more data."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        accepted: list[socket.socket] = []
        threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
        cfg = {"backend": "network", "host": "127.0.0.1", "port": listener.getsockname()[1], "timeout": 0.5}
        backend = open_backend(cfg, Path("."))
        started = time.monotonic()
        with pytest.raises(PrinterError, match="stopped taking data") as err:
            backend.send(job * 2000, "badge-jam")  # far more than the socket buffers hold
        assert err.value.reason == "timeout"
        assert time.monotonic() - started < 5
        for conn in accepted:
            conn.close()


@pytest.mark.parametrize("mode", ["normal", "silent"])
def test_printer_that_hangs_up_in_the_middle_of_a_badge_fails_the_job(job: bytes, mode: str) -> None:
    """The whole badge fits in the socket buffers, so a finished write proves nothing."""
    with FakePrinter(mode=mode, drop_after=2000) as fake:
        with pytest.raises(PrinterError) as failed:
            network(fake).send(job, "job-1")
    assert failed.value.reason == "dropped" and "dropped the connection" in str(failed.value)


def test_printer_that_hangs_up_instead_of_answering_is_still_asked_next_time(job: bytes) -> None:
    with FakePrinter(drop_after=1) as fake:
        backend = network(fake)
        with pytest.raises(PrinterError) as failed:
            backend.send(job, "job-1")
        assert failed.value.reason == "dropped"
        fake.drop_after, fake.paper = None, "out"
        with pytest.raises(PrinterError) as refused:  # not mistaken for a printer that never answers
            backend.send(job, "job-2")
        assert refused.value.reason == "paper_out" and fake.jobs == []


def test_a_whole_badge_is_confirmed_and_recorded_exactly(printer: FakePrinter, job: bytes) -> None:
    network(printer).send(job, "job-1")
    assert printer.wait_for_jobs(1) == [job]
    assert printer.status_queries.count(1) == 2  # asked before the badge and again after it


def test_file_backend_writes_job_and_preview(tmp_path: Path, job: bytes) -> None:
    backend = open_backend({"backend": "file", "path": "badges"}, tmp_path)
    assert backend.wants_preview
    backend.send(job, "42-1", preview=render_preview(INFO, "TM-T20II"))
    assert (tmp_path / "badges" / "42-1.bin").read_bytes() == job
    with Image.open(tmp_path / "badges" / "42-1.png") as png:
        assert png.width == 576
    assert backend.status().online
    assert sorted(p.name for p in (tmp_path / "badges").iterdir()) == ["42-1.bin", "42-1.png"]


def test_file_backend_keeps_job_ids_inside_its_folder(tmp_path: Path, job: bytes) -> None:
    backend = open_backend({"backend": "file", "path": str(tmp_path / "out")}, Path("/nonexistent"))
    backend.send(job, "../../etc/passwd")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["etc_passwd.bin"]


def dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def left(path: Path, content: bytes = b"", age: float = 0.0) -> Path:
    """A file at `path` holding `content`, last written `age` seconds ago."""
    path.write_bytes(content)
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def test_file_backend_removes_half_written_badges_whose_writer_is_gone(tmp_path: Path, job: bytes) -> None:
    """A print process killed mid-badge left `.tmp-*.png` / `.bin` files in the folder for good.
    Removed: its own temporary names whose writer is gone or that are long untouched; kept: real
    badges, other files, and what a live writer (this process, another one) may be writing now."""
    from printers.backend_local import LEFTOVER_AFTER

    backend = open_backend({"backend": "file", "path": "badges"}, tmp_path)
    backend.send(job, "job-000001", preview=render_preview(INFO, "TM-T20II"))
    folder = tmp_path / "badges"
    badges = {path.name: path.read_bytes() for path in folder.iterdir()}
    gone, alive, long_ago = dead_pid(), os.getppid(), LEFTOVER_AFTER + 60
    leftovers = [
        left(folder / f".tmp-{gone}-ab3_x9zq-job-000002.png"),  # its writer was killed just now: empty
        left(folder / f".tmp-{gone}-k2j4h5g6-job-000002.bin", b"\x1b@half"),
        left(folder / f".tmp-{alive}-q1w2e3r4-job-000003.png", b"\x89PNG", age=long_ago),  # untouched for long
        left(folder / ".tmp-zx81ab12-job-000004.png", age=long_ago),  # named before the pid was in it
    ]
    kept = [
        left(folder / f".tmp-{alive}-m5n6b7v8-job-000005.png", b"\x89PNG"),  # another process writes it now
        left(folder / f".tmp-{os.getpid()}-c4d5e6f7-job-000006.bin"),       # so may we
        left(folder / ".tmp-p0o9i8u7-job-000007.png"),                      # old name, just written
        left(folder / f".tmp-{gone}-l1k2j3h4-report.json", age=long_ago),  # not a badge's
        left(folder / ".tmp-status-abcd1234", age=long_ago),
        left(folder / "notes.png", age=long_ago),
    ]

    removed = backend.remove_leftovers()

    assert sorted(removed) == sorted(path.name for path in leftovers)
    assert not any(path.exists() for path in leftovers)
    assert all(path.exists() for path in kept)
    assert {name: (folder / name).read_bytes() for name in badges} == badges
    assert backend.remove_leftovers() == []


def test_a_stray_file_with_a_huge_number_never_keeps_the_printer_from_starting(tmp_path: Path, job: bytes) -> None:
    """A file in the folder named like a temporary badge, with a number no pid can be, made
    os.kill raise OverflowError: the print process failed to start again and again, and no badge
    printed until someone found the file. Such a file is judged by its age alone; and a cleanup
    that fails for any other reason leaves the printer printing."""
    from printers.backend_local import LEFTOVER_AFTER
    from printers.service import remove_leftovers

    backend = open_backend({"backend": "file", "path": "badges"}, tmp_path)
    folder = tmp_path / "badges"
    folder.mkdir()
    young = left(folder / ".tmp-99999999999999999999-abcdefgh-x.png")
    old = left(folder / ".tmp-99999999999-abcdefgh-job-000001.png", age=LEFTOVER_AFTER + 60)
    assert backend.remove_leftovers() == [old.name]
    assert young.exists() and not old.exists()

    class Failing:
        def remove_leftovers(self) -> None:
            raise PermissionError("the folder cannot be listed")

    remove_leftovers(Failing())  # logged, not raised
    backend.send(job, "job-000002")
    assert (folder / "job-000002.bin").read_bytes() == job


def test_file_backend_without_its_folder_has_nothing_to_remove(tmp_path: Path) -> None:
    assert open_backend({"backend": "file", "path": "badges"}, tmp_path).remove_leftovers() == []


def test_none_backend_discards_and_is_ready(job: bytes) -> None:
    backend = open_backend({"backend": "none"}, Path("."))
    backend.send(job, "x")
    assert backend.status().online


@pytest.mark.parametrize("cfg,key", [
    ({"backend": "laser"}, "printer.backend"),
    ({"backend": "network"}, "printer.host"),
    ({"backend": "network", "host": "10.0.0.9", "port": "nine"}, "printer.port"),
    ({"backend": "network", "host": "10.0.0.9", "port": 0}, "printer.port"),
    ({"backend": "network", "host": "10.0.0.9", "port": 70000}, "printer.port"),
    ({"backend": "network", "host": "10.0.0.9", "timeout": 0}, "printer.timeout"),
    ({"backend": "network", "host": "10.0.0.9", "profile": "TM-T2000"}, "printer.profile"),
    ({"backend": "usb", "vendor_id": "zz", "product_id": "0x0202"}, "printer.vendor_id"),
    ({"backend": "usb", "vendor_id": "0x04b8"}, "printer.product_id"),
    ({"backend": "serial"}, "printer.device"),
    ({"backend": "serial", "device": "/dev/ttyS0", "baudrate": -1}, "printer.baudrate"),
    ({"backend": "cups"}, "printer.queue"),
    ({"backend": "file", "path": ""}, "printer.path"),
])
def test_bad_config_names_the_key(cfg: dict, key: str) -> None:
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        open_backend(cfg, Path("."))


def test_file_path_that_is_a_file_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "badges").write_text("not a folder")
    with pytest.raises(ValueError, match=r"printer\.path"):
        open_backend({"backend": "file", "path": "badges"}, tmp_path)


def test_config_errors_use_the_table_name() -> None:
    with pytest.raises(ValueError, match=r"printers\.door2\.port"):
        open_backend({"backend": "network", "host": "h", "port": -5}, Path("."), prefix="printers.door2")


def test_connecting_nowhere_does_not_happen_at_open(job: bytes) -> None:
    """Backends connect per job: a printer switched on after the kiosk is simply found."""
    with FakePrinter(mode="refusing") as fake:
        backend = network(fake)  # no error yet
        fake.resume()
        backend.send(job, "late")
        assert fake.wait_for_jobs(1) == [job]


class SlowSerialLine:
    """A pseudo-terminal standing in for a serial printer on a 9,600-baud line: the far end takes
    960 bytes a second once the kernel's own buffer is full, and answers every DLE EOT "ready"."""

    def __init__(self, bytes_per_second: int = 960) -> None:
        import os
        import tty

        self._os = os
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        self.received = bytearray()
        self.pace = bytes_per_second
        self._closing = False
        self._reader = threading.Thread(target=self._take, daemon=True)
        self._reader.start()

    def _take(self) -> None:
        while not self._closing:
            try:
                chunk = self._os.read(self.master, max(1, self.pace // 10))
            except OSError:
                return
            if not chunk:
                return
            self.received.extend(chunk)
            if b"\x10\x04" in chunk:
                self._os.write(self.master, b"\x12")  # online, no error; paper present
            time.sleep(0.1)

    def close(self) -> None:
        """Stop the reader before its descriptor is closed: a reader that went on reading a closed
        descriptor's number read whatever file the process opened next under that number (the
        escpos profile file, which then failed to parse, in every later test that drew a badge)."""
        self._closing = True
        self._os.close(self.slave)  # a read waiting on the line ends (EIO)
        self._reader.join(timeout=5)
        self._os.close(self.master)


ROOT = Path(__file__).resolve().parent.parent
SEND_ON_SERIAL = """
import sys, time
from pathlib import Path
from printers.connections import open_backend
backend = open_backend({"backend": "serial", "device": sys.argv[1], "baudrate": 9600, "timeout": 3.0}, Path("."))
started = time.monotonic()
backend.send(b"\\x1b@" + bytes(range(256)) * 96, "job-000001")
print(time.monotonic() - started)
"""


def test_a_serial_printer_on_a_slow_line_gets_the_whole_badge():
    """pyserial's write timeout bounds the whole write: with the printer's 3 s it failed every badge
    that takes longer than that to cross the line, which at 9,600 baud is every badge.

    The print process sends; here a process of its own does, as pyserial's select() cannot take the
    high descriptor numbers a long test run reaches."""
    pytest.importorskip("serial")
    line = SlowSerialLine()
    job = b"\x1b@" + bytes(range(256)) * 96  # 24 KB: the largest badges, about 6 KB past the kernel's buffer
    try:
        sent = subprocess.run([sys.executable, "-c", SEND_ON_SERIAL, line.path], cwd=ROOT, capture_output=True,
                              text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert sent.returncode == 0, sent.stderr[-2000:]
        assert float(sent.stdout.strip().splitlines()[-1]) > 3.0, "the line must be slower than the printer's timeout"
        line.pace = 1_000_000  # the far end now reads what the kernel still holds, at once
        deadline = time.monotonic() + 10
        while len(line.received) < len(job) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert job in bytes(line.received)
    finally:
        line.close()


def test_the_print_watchdog_waits_longer_than_a_badge_takes_on_a_slow_serial_line():
    from printers.backend_devices import LARGEST_JOB_BYTES, serial_write_seconds
    from printers.supervisor import HANG_FLOOR, hang_after

    class Printer:
        def __init__(self, backend: str, **options: object) -> None:
            self.backend, self.options = backend, options

    slow = hang_after([Printer("serial", device="/dev/ttyS0", baudrate=9600, timeout=3.0)])
    assert slow > serial_write_seconds(LARGEST_JOB_BYTES, 9600, 3.0) > 50
    assert hang_after([Printer("serial", device="/dev/ttyS0", baudrate=115200, timeout=3.0)]) == HANG_FLOOR


def test_a_slow_printer_that_keeps_reading_gets_each_badge_once(job: bytes, monkeypatch) -> None:
    """A printer on a slow link (a 9,600-baud printer behind a serial-to-network box) that answers
    status: the answer's deadline used to run from the end of our write, so a badge that took
    longer to cross failed, already on its way to the paper, and was sent again and again.
    Found by a printer-failure review (session 14): 5 copies of one badge in 55 s."""
    from printers import backend_network

    monkeypatch.setattr(backend_network, "RECEIPT_TIMEOUT", 1.0)  # the job below takes about 3 s to cross
    with FakePrinter(read_bytes_per_s=len(job) / 3) as slow:
        backend = network(slow)
        assert backend.status().online
        started = time.monotonic()
        backend.send(job, "badge-slow")
        assert time.monotonic() - started > 2
        assert slow.wait_for_jobs(1) == [job]


def test_a_printer_that_stops_reading_in_the_middle_of_a_badge_fails_the_job(job: bytes) -> None:
    """It answered before the job: silence after part of it is a jam, not a slow link, and the wait
    for a slow printer never turns into a wait for ever."""
    with FakePrinter(read_bytes_per_s=0.001) as stuck:  # reads its first bytes, then nothing for hours
        backend = network(stuck)
        assert backend.status().online
        started = time.monotonic()
        with pytest.raises(PrinterError, match="has not read the badge|stopped taking data"):
            backend.send(job, "badge-stuck")
        assert time.monotonic() - started < TIMEOUT + 5
