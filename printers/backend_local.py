"""Backends without a printer: a folder of jobs (the demo) and the bit bucket.

The file backend is what ``kiosk demo`` prints to: each job becomes
``<job_id>.bin`` (the exact ESC/POS bytes a printer would get) and, when the
caller passes the preview, ``<job_id>.png`` (what would come out). Files are
written to a temporary name and renamed (``atomic_write``, which ``kiosk export``
uses too), so a watcher never sees half a job. A writer killed mid-badge (kill -9,
a power cut) leaves its temporary file behind; the print workers remove such
leftovers when they start (``FileBackend.remove_leftovers``).
"""

from __future__ import annotations

import errno
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from PIL import Image

from printers.status import PrinterError, PrinterStatus

log = logging.getLogger("kiosk.printers")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
TEMP_PREFIX = ".tmp-"
# A badge's temporary file, as atomic_write names it: the writer's pid (since this was added),
# tempfile's 8 random characters, then the end of the badge's own name.
_BADGE_TEMP = re.compile(r"\.tmp-(?:(?P<pid>[0-9]+)-)?[a-z0-9_]{8}-.+\.(?:png|bin)")
BADGE_ROOM = 256 * 1024  # bytes free the file printer needs to count as online: a badge's .bin and .png, with room to spare
LEFTOVER_AFTER = 30.0  # seconds untouched: a badge takes milliseconds to write, a slow disk a few seconds


def safe_stem(job_id: str) -> str:
    """A job id made safe as a file name (no folders, no dot files)."""
    stem = _UNSAFE.sub("_", str(job_id)).strip("._")
    return stem or "job"


class FileBackend:
    """Writes jobs into a folder, created on first use."""

    wants_preview = True
    draws = True

    def __init__(self, path: Path, profile: str = "TM-T20II") -> None:
        self.path, self.profile = Path(path), profile
        self.name = f"file {self.path}"

    def send(self, job: bytes, job_id: str, preview: Image.Image | None = None,
             delivered: Callable[[], None] | None = None) -> None:
        """``<job_id>.bin`` always, ``<job_id>.png`` when a preview is given."""
        stem = safe_stem(job_id)
        try:
            self._ensure_folder()
            if preview is not None:
                atomic_write(self.path / (stem + ".png"), lambda f: preview.save(f, format="PNG"))
            atomic_write(self.path / (stem + ".bin"), lambda f: f.write(job))
        except OSError as exc:
            raise PrinterError(f"Cannot write the badge to {self.path}: {exc.strerror or exc}.", "io_error") from exc

    def write_preview(self, job_id: str, preview: Image.Image) -> Path:
        """Store just ``<job_id>.png`` (when the job went out without it); returns its path."""
        name = safe_stem(job_id) + ".png"
        try:
            self._ensure_folder()
            atomic_write(self.path / name, lambda f: preview.save(f, format="PNG"))
        except OSError as exc:
            raise PrinterError(f"Cannot write the badge to {self.path}: {exc.strerror or exc}.", "io_error") from exc
        return self.path / name

    def remove_leftovers(self) -> list[str]:
        """Remove the half-written badges (``.tmp-*.png``/``.bin``) that a killed writer left in the
        folder, and return their names; called when the print workers start. Without it, every
        print process killed mid-badge added an empty or cut-off file that stayed there for good.

        Another process may be writing into the same folder right now (`kiosk printer test`, or a
        second kiosk whose file printer shares the folder), so a temporary file goes only when its
        writer is gone or it has not been touched for LEFTOVER_AFTER seconds (``is_leftover``)."""
        try:
            candidates = [entry for entry in os.scandir(self.path) if _BADGE_TEMP.fullmatch(entry.name)]
        except OSError:  # no folder yet (nothing was written), or it cannot be read: nothing to do
            return []
        removed = [entry.name for entry in candidates if is_leftover(entry) and _removed(entry)]
        if removed:
            log.warning("file printer: removed %d half-written badge file(s) left in %s by a stopped writer: %s",
                        len(removed), self.path, ", ".join(sorted(removed)))
        return removed

    def status(self) -> PrinterStatus:
        """Online while a badge could be written: the folder, or the nearest folder above it that
        exists (``send`` makes the missing ones), takes a file with room for a badge. Tried for
        real, since permission bits tell root nothing (/proc and /sys look writable) and nothing of
        a read-only mount; and with room, since an empty file fits on a full disk: the printer
        showed online between two failed badges, flickering on the console, and waited out its
        back-off (up to 30 s) once space was freed instead of printing at the next probe."""
        problem = cannot_write_in(self.path, room=BADGE_ROOM)
        if problem is None:
            return PrinterStatus(True, "ok", f"Badges are saved in {self.path}.")
        return PrinterStatus(False, "unknown", f"Cannot write badges to {self.path}: {problem}.")

    def _ensure_folder(self) -> None:
        """Create the folder on first use, durably (its name in its parent survives a power cut)."""
        if self.path.is_dir():
            return
        self.path.mkdir(parents=True, exist_ok=True)
        sync_folder(self.path.parent)


def is_leftover(entry: os.DirEntry[str]) -> bool:
    """Whether a badge's temporary file belongs to no writer any more: the process named in it is
    gone, or it has not been touched for LEFTOVER_AFTER seconds (a name from before the pid was
    in it, or a pid the system has given to another process since)."""
    match = _BADGE_TEMP.fullmatch(entry.name)
    pid = match["pid"] if match else None
    if pid is not None and not _process_exists(int(pid)):
        return True
    try:
        return time.time() - entry.stat(follow_symlinks=False).st_mtime > LEFTOVER_AFTER
    except OSError:  # gone already: its writer renamed it into place
        return False


def _process_exists(pid: int) -> bool:
    """Whether process `pid` exists (True when we cannot tell: then only the file's age counts)."""
    if pid == os.getpid() or os.name != "posix":  # os.kill(pid, 0) on Windows would end the process
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError, ValueError):  # EPERM: it exists, under another user; a number no pid can be
        pass
    return True


def _removed(entry: os.DirEntry[str]) -> bool:
    """Unlink one leftover; False when it is gone already or cannot be removed (it stays)."""
    try:
        os.unlink(entry.path)
    except OSError:
        return False
    return True


def cannot_write_in(path: Path, room: int = 0) -> str | None:
    """Why no file (of `room` bytes) could be made in the folder `path`, or in the nearest folder
    above it that exists (where the missing ones would be made), or None when one can (it is
    tried, and removed again)."""
    folder = path
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        return f"{folder} is a file, not a folder"
    try:
        with tempfile.TemporaryFile(dir=folder, prefix=".tmp-status-") as probe:
            if room:
                _take_room(probe.fileno(), room)
            return None
    except OSError as exc:
        return exc.strerror or str(exc)


def _take_room(fd: int, room: int) -> None:
    """Give the open file `room` bytes of real disk space, or raise OSError (ENOSPC on a full disk,
    at once: no fsync, which a probe every 2 s should not cost). Where the file system cannot
    allocate ahead (some network and FUSE mounts), one byte written is the test instead."""
    try:
        os.posix_fallocate(fd, 0, room)
    except AttributeError:  # no posix_fallocate (macOS, Windows)
        os.write(fd, b"\0")
    except OSError as exc:
        if exc.errno not in (errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
            raise
        os.write(fd, b"\0")


def atomic_write(path: Path, write: Callable[[BinaryIO], object], mode: int | None = None) -> None:
    """Write a file through a temporary file in its folder, fsynced, then renamed into place.

    Whoever reads `path` sees the old file or the new one, never half of one: a full disk or a
    crash mid-write leaves the previous file as it was. The file is on disk before the rename and
    the rename before we return, so a badge the queue calls printed, or a report the audit trail
    says was written, survives a power cut. `mode`: the new file's permissions (default 0600)."""
    path = Path(path)
    # the name's end in the temporary's, to tell whose it is; not all of it: a long name plus the
    # prefix would pass the file system's limit on a name (255 bytes) that the real name fits.
    # 100 bytes, not characters: 100 Japanese or Chinese letters are 300. Our pid in it tells
    # whoever finds it after a kill -9 that nobody is writing it any more (FileBackend.remove_leftovers).
    end = os.fsencode(path.name)[-100:].decode("utf-8", "ignore")  # a letter cut in two is left out
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix="-" + end)
    try:
        with os.fdopen(fd, "wb") as f:
            if mode is not None:
                os.fchmod(f.fileno(), mode)
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    sync_folder(path.parent)


def sync_folder(folder: Path) -> None:
    """fsync a folder, so the names just written or renamed in it survive a power cut."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class NoneBackend:
    """Prints nothing, always ready: for doors without a printer."""

    wants_preview = False
    draws = False
    name = "none"

    def __init__(self, profile: str = "TM-T20II") -> None:
        self.profile = profile

    def send(self, job: bytes, job_id: str, preview: Image.Image | None = None,
             delivered: Callable[[], None] | None = None) -> None:
        """Discard the job."""

    def status(self) -> PrinterStatus:
        """Always online: there is nothing to go wrong."""
        return PrinterStatus(True, "ok", "No printer is configured; badges are not printed.")
