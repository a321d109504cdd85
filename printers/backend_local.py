"""Backends without a printer: a folder of jobs (the demo) and the bit bucket.

The file backend is what ``kiosk demo`` prints to: each job becomes
``<job_id>.bin`` (the exact ESC/POS bytes a printer would get) and, when the
caller passes the preview, ``<job_id>.png`` (what would come out). Files are
written to a temporary name and renamed (``atomic_write``, which ``kiosk export``
uses too), so a watcher never sees half a job.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from PIL import Image

from printers.status import PrinterError, PrinterStatus

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


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

    def status(self) -> PrinterStatus:
        """Online while a badge could be written: the folder, or the nearest folder above it that
        exists (``send`` makes the missing ones), takes a file. Tried for real, since permission
        bits tell root nothing (/proc and /sys look writable) and nothing of a read-only mount."""
        problem = cannot_write_in(self.path)
        if problem is None:
            return PrinterStatus(True, "ok", f"Badges are saved in {self.path}.")
        return PrinterStatus(False, "unknown", f"Cannot write badges to {self.path}: {problem}.")

    def _ensure_folder(self) -> None:
        """Create the folder on first use, durably (its name in its parent survives a power cut)."""
        if self.path.is_dir():
            return
        self.path.mkdir(parents=True, exist_ok=True)
        sync_folder(self.path.parent)


def cannot_write_in(path: Path) -> str | None:
    """Why no file could be made in the folder `path`, or in the nearest folder above it that exists
    (where the missing ones would be made), or None when one can (it is tried, and removed again)."""
    folder = path
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        return f"{folder} is a file, not a folder"
    try:
        with tempfile.TemporaryFile(dir=folder, prefix=".tmp-status-"):
            return None
    except OSError as exc:
        return exc.strerror or str(exc)


def atomic_write(path: Path, write: Callable[[BinaryIO], object], mode: int | None = None) -> None:
    """Write a file through a temporary file in its folder, fsynced, then renamed into place.

    Whoever reads `path` sees the old file or the new one, never half of one: a full disk or a
    crash mid-write leaves the previous file as it was. The file is on disk before the rename and
    the rename before we return, so a badge the queue calls printed, or a report the audit trail
    says was written, survives a power cut. `mode`: the new file's permissions (default 0600)."""
    path = Path(path)
    # the name's end in the temporary's, to tell whose it is; not all of it: a long name plus the
    # prefix would pass the file system's limit on a name (255 bytes) that the real name fits.
    # 100 bytes, not characters: 100 Japanese or Chinese letters are 300.
    end = os.fsencode(path.name)[-100:].decode("utf-8", "ignore")  # a letter cut in two is left out
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix="-" + end)
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
