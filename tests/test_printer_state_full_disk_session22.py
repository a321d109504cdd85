"""A printer's trouble that comes while the disk is full is shown once there is room again.

Found by a crash-testing review (session 22): the print process changed a printer's shown state
in memory, then failed to store it (database or disk is full), and from then on found nothing new
to store: the state did not change again. A printer that ran out of paper while the laptop's disk
was full went on showing "Online, paper ok" on the console after the disk was freed, its badges
waiting unexplained; one that printed its last badge then showed "Printing" all evening.
"""

from __future__ import annotations

import pytest

from conftest import wait_until
from test_door_failures import Door, fill, tmpfs

try:
    from tests.fake_printer import FakePrinter
except ModuleNotFoundError:
    from fake_printer import FakePrinter

pytestmark = pytest.mark.timeout(90)


def test_paper_out_while_the_disk_is_full_is_shown_once_the_disk_has_room(tmp_path):
    with FakePrinter() as fake, tmpfs(tmp_path / "door" / "data", "8m") as disk:
        door = Door.start(tmp_path / "door", fake.config())
        try:
            wait_until(lambda: door.printer()["paper"] == "ok", timeout=15, what="the printer shown ready")
            filler = fill(disk)
            fake.paper = "out"
            # Each probe is a connection of its own. Two after the paper ran out: the first found
            # it (and could not store it), the second found nothing new to store.
            connections = fake.connections
            wait_until(lambda: fake.connections >= connections + 2, timeout=30,
                       what="the print process asking the printer twice")
            assert door.printer()["paper"] == "ok"  # what was stored before the disk filled
            filler.unlink()

            shown = wait_until(lambda: (lambda p: p if p["paper"] == "out" else None)(door.printer()),
                               timeout=15, what="the console showing the paper out")
            assert shown["online"] is False and "paper" in shown["last_error"]
        finally:
            door.proc.stop()
