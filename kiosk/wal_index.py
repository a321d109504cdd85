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

The ``-shm`` file is opened once per process and stays open until the last WalIndex of that
database closes (`_SharedFile`). SQLite's WAL locks are POSIX locks on that file, and closing
*any* descriptor of a file releases every lock the process holds on it: reading the header
through a file opened and closed each time let a second process take the write lock while this
one held it (both committed, one's rows were lost), and let a restarted print process think
nobody used the WAL-index and rebuild it under the server, which died of SIGBUS.
"""

from __future__ import annotations

import mmap
import os
import struct
from pathlib import Path

from printers.offload import real_lock

MX_FRAME, N_BACKFILL = 16, 96
_U32 = struct.Struct("=I")


class WalIndex:
    """A read-only view of one database's ``-shm`` file."""

    def __init__(self, database: Path) -> None:
        self.path = Path(f"{database}-shm")
        self._file: _SharedFile | None = None

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
        if self._file is None:
            self._file = _SharedFile.open(self.path)
        view = self._file.view() if self._file is not None else None
        if view is None:
            return None
        return _U32.unpack_from(view, MX_FRAME)[0], _U32.unpack_from(view, N_BACKFILL)[0]

    def close(self) -> None:
        """Let go of the file; its descriptor closes with the last user (after the store's connections)."""
        if self._file is not None:
            self._file.release()
            self._file = None


class _SharedFile:
    """One ``-shm`` file's descriptor and mapping, shared by this process's WalIndex objects of that
    database and closed only when the last of them closes (see the module docstring)."""

    _open: dict[Path, "_SharedFile"] = {}
    _guard = real_lock()

    def __init__(self, path: Path, fd: int) -> None:
        self.path, self.fd, self.users = path, fd, 1
        self._view: mmap.mmap | None = None

    @classmethod
    def open(cls, path: Path) -> "_SharedFile | None":
        """The shared file, opened now if this is its first user; None while there is no ``-shm`` yet."""
        with cls._guard:
            shared = cls._open.get(path)
            if shared is not None:
                shared.users += 1
                return shared
            try:
                fd = os.open(path, os.O_RDONLY)
            except OSError:
                return None
            shared = cls._open[path] = cls(path, fd)
            return shared

    def view(self) -> mmap.mmap | None:
        """The mapping of the first header bytes, made once; None while the file is shorter. The
        mapping stays valid: SQLite makes the file anew only after every connection has closed."""
        if self._view is None:
            try:
                self._view = mmap.mmap(self.fd, N_BACKFILL + 4, access=mmap.ACCESS_READ)
            except (OSError, ValueError):
                return None
        return self._view

    def release(self) -> None:
        with self._guard:
            self.users -= 1
            if self.users > 0:
                return
            del self._open[self.path]
            if self._view is not None:
                self._view.close()
            os.close(self.fd)
