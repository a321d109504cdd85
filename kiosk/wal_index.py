"""Whether the COMMIT about to run will start the WAL afresh (and so wait for the disk).

Why: the server commits on the gevent hub without an fsync (``kiosk.checkpoints``),
except for one commit after each complete checkpoint: that one rewrites the WAL's
header, and SQLite fsyncs the header inside the COMMIT before writing any frame.
That commit must run in a real thread, or the whole door stops for the fsync.
Whoever checkpointed (the server's own thread, `kiosk import`'s automatic
checkpoint, `kiosk forget`, an sqlite3 shell), the WAL-index in the ``-shm`` file
says it: the WAL restarts when every frame in it has been copied back
(``mxFrame == nBackfill``) as the writer's transaction began.

The WAL-index layout is part of SQLite's file format (https://sqlite.org/walformat.html):
two copies of a 48-byte header, ``mxFrame`` at byte 16 of the first, then the
checkpoint information, ``nBackfill`` at byte 96; both 32-bit, in the machine's own
byte order. They are read while holding the write lock (after ``BEGIN
IMMEDIATE``), when no other connection can change ``mxFrame``; ``nBackfill`` can
only grow towards it meanwhile, which at worst sends a commit to a thread needlessly.
"""

from __future__ import annotations

import mmap
import struct
from pathlib import Path

MX_FRAME, N_BACKFILL = 16, 96
_U32 = struct.Struct("=I")


class WalIndex:
    """A read-only view of one database's ``-shm`` file."""

    def __init__(self, database: Path) -> None:
        self.path = Path(f"{database}-shm")
        self._view: mmap.mmap | None = None

    def restarts_on_commit(self) -> bool:
        """True when the open write transaction's COMMIT will write a new WAL header (or when
        the WAL-index cannot be read, to be safe)."""
        frames = self._frames()
        return frames is None or frames[0] == frames[1]

    def unchecked_frames(self) -> int:
        """Frames in the WAL not yet copied into the database file (0 when unknown)."""
        frames = self._frames()
        return frames[0] - frames[1] if frames else 0

    def _frames(self) -> tuple[int, int] | None:
        """(mxFrame, nBackfill), or None while the WAL-index cannot be read."""
        view = self._mapped()
        if view is None:
            return None
        return _U32.unpack_from(view, MX_FRAME)[0], _U32.unpack_from(view, N_BACKFILL)[0]

    def close(self) -> None:
        if self._view is not None:
            self._view.close()
            self._view = None

    def _mapped(self) -> mmap.mmap | None:
        """The mapping of the ``-shm`` file, made once: it stays the same file for as long as the
        store's own writer connection is open (SQLite makes it anew only after every connection
        has closed). None while it cannot be read."""
        if self._view is None:
            try:
                with open(self.path, "rb") as f:
                    self._view = mmap.mmap(f.fileno(), N_BACKFILL + 4, access=mmap.ACCESS_READ)
            except (OSError, ValueError):  # no -shm (yet), or shorter than a header
                return None
        return self._view
