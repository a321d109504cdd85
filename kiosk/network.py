"""This laptop's addresses on the venue network, for pairing links and the certificate."""

from __future__ import annotations

import socket


def lan_addresses() -> list[str]:
    """IPv4 addresses other than loopback, from the host name (no packet is sent to find them)."""
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return []
    return sorted({info[4][0] for info in infos if not info[4][0].startswith("127.")})
