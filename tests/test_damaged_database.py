"""`kiosk serve` refuses a damaged database file in one line naming storage.database.

Found by a crash-testing review (session 14): with a broken free-page list the server started
without a word, answered its first scans, then answered every scan with a 500 all evening."""

from __future__ import annotations

import struct
from pathlib import Path

from conftest import free_port, run_kiosk, write_config


def test_serve_refuses_a_database_whose_free_page_list_is_broken(tmp_path: Path) -> None:
    config = write_config(tmp_path / "door")
    listing = tmp_path / "list.csv"
    listing.write_text("Name,Email\n" + "".join(f"Person {n},p{n}@example.org\n" for n in range(300)), encoding="utf-8")
    run_kiosk(config, "import", str(listing))
    database = tmp_path / "door" / "data" / "kiosk.db"
    assert database.exists() and not Path(f"{database}-wal").exists()  # checkpointed into the file
    with database.open("r+b") as file:  # the header's first free-list page and count (SQLite's file format)
        file.seek(32)
        file.write(struct.pack(">II", 0x0FFFFFFF, 1))
    result = run_kiosk(config, "serve", "--port", str(free_port()), check=False, timeout=60)
    assert result.returncode != 0
    assert "storage.database" in result.stderr and "the file is damaged" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
