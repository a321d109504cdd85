"""The self-signed certificate's private key on a shared laptop (session 21)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from kiosk import tls


def test_the_private_key_is_never_readable_by_other_users(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The key was written with the umask's mode (0644) and narrowed to 0600 only afterwards, so
    another user of the laptop could read it meanwhile. Any narrowing afterwards is taken away here:
    what is left is the mode the file was written with."""
    monkeypatch.setattr(Path, "chmod", lambda *args, **kwargs: None)
    old_umask = os.umask(0o022)
    try:
        tls._write_self_signed(tmp_path / "cert.pem", tmp_path / "key.pem")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE((tmp_path / "key.pem").stat().st_mode) == 0o600
    assert load_pem_private_key((tmp_path / "key.pem").read_bytes(), password=None) is not None


def test_a_key_file_left_readable_from_before_is_made_private_when_written_again(tmp_path: Path) -> None:
    """O_CREAT keeps an existing file's mode: a key file someone left at 0644 is narrowed too."""
    key = tmp_path / "key.pem"
    key.write_text("old")
    key.chmod(0o644)
    tls._write_self_signed(tmp_path / "cert.pem", key)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and key.read_bytes().startswith(b"-----BEGIN PRIVATE KEY")
