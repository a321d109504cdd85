"""The file printer's folder on a disk that fills up mid-evening.

Found by a crash-testing review (session 19): the status probe made an empty file, which fits on a
full disk, so the printer showed online between two failed badges ("Badges are saved in ...") and
offline after each: the console's card flickered, and once space was freed the badges waited out
the back-off (up to 30 s) instead of printing at the next probe. Now the probe needs room for a
badge, and the printer shows offline, saying why, until there is some.
"""

from __future__ import annotations

import time

from conftest import wait_until
from printers.backend_local import FileBackend
from test_door_failures import fill, tmpfs


def test_a_file_printer_on_a_full_disk_is_offline_and_says_so(tmp_path):
    with tmpfs(tmp_path / "small", "1m") as disk:
        backend = FileBackend(disk / "badges")
        filler = fill(disk)
        status = backend.status()
        assert not status.online and "No space left" in status.detail, status.detail
        filler.unlink()
        assert backend.status().online


def test_at_the_door_the_printer_stays_offline_while_its_disk_is_full_and_prints_soon_after(make_server, tmp_path):
    with tmpfs(tmp_path / "small", "1m") as disk:
        srv = make_server(printer=f'backend = "file"\npath = "{disk / "badges"}"')
        try:
            filler = fill(disk)
            people = srv.people()
            for person in people[:2]:
                assert srv.scan(person["ticket_code"]).status_code == 201
            wait_until(lambda: srv.get("/api/printers", "volunteer").json()["printers"][0]["last_error"],
                       what="the failed badge shown")
            shown = []
            for _ in range(60):  # 12 s: several probes, while the back-off grows past the probe's 2 s
                shown.append(srv.get("/api/printers", "volunteer").json()["printers"][0]["online"])
                time.sleep(0.2)
            assert shown == [False] * len(shown), shown
            filler.unlink()
            freed = time.monotonic()
            wait_until(lambda: srv.get("/api/printers", "volunteer").json()["printers"][0]["queue"]["printed"] == 2,
                       timeout=10, what="both badges printed once there is room")
            assert time.monotonic() - freed < 5, "printed at the next probe, not after the back-off"
            assert len(list((disk / "badges").glob("job-*.bin"))) == 2
        finally:
            srv.stop()
