"""HTTPS on the venue LAN: phones only allow the camera on a secure page.

Uses the organiser's certificate when the config names one; otherwise a
self-signed certificate for this laptop's names and addresses is made on first run
and kept beside the database. Each phone accepts it once (the pairing page says so).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
from pathlib import Path

from .config import Settings
from .network import lan_addresses


def ensure_certificate(settings: Settings) -> tuple[Path, Path]:
    """(certfile, keyfile): the configured pair, or a generated self-signed one."""
    if settings.certfile and settings.keyfile:
        return settings.certfile, settings.keyfile
    folder = settings.database.parent
    cert, key = folder / "kiosk-cert.pem", folder / "kiosk-key.pem"
    if not (cert.is_file() and key.is_file()):
        _write_self_signed(cert, key)
    return cert, key


def _write_self_signed(cert_path: Path, key_path: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Meetup kiosk")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=825))
            .add_extension(x509.SubjectAlternativeName(_names()), critical=False)
            .sign(key, hashes.SHA256()))
    key_path.parent.mkdir(parents=True, exist_ok=True)
    _write_private(key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _write_private(path: Path, data: bytes) -> None:
    """Write `data` to a file only its owner can read, from its first byte: written with the umask's
    mode (0644) and narrowed afterwards, the key was readable by the laptop's other users meanwhile."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        os.fchmod(out.fileno(), 0o600)  # a key file left from before keeps its mode through O_CREAT
        out.write(data)


def _names() -> list:
    from cryptography import x509

    hosts = {"localhost", socket.gethostname()}
    addresses = {"127.0.0.1", *lan_addresses()}
    return [x509.DNSName(h) for h in sorted(hosts)] + [x509.IPAddress(ipaddress.ip_address(a)) for a in sorted(addresses)]
