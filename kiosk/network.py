"""This laptop's addresses on the venue network, for pairing links and the certificate, and the
shape of a host name or address written in the config."""

from __future__ import annotations

import ipaddress
import re
import socket
from typing import Callable

_DOTTED_NUMBERS = re.compile(r"[0-9.]+")


def host_shape_problem(host: str, port_key: str, ipv6: bool = True) -> str | None:
    """What is wrong with `host` as a host name or IP address, if anything (said after "must be").

    A URL, a port written into the host or a mistyped address was taken, and failed only later
    and far away ("Name or service not known" at start-up, every badge failing at the printer),
    with no word of which setting was wrong. `port_key` names where the port goes instead.
    """
    what = "a host name or IP address" if ipv6 else "a host name or IPv4 address"
    if "://" in host or "/" in host:
        return f"{what}, not a URL"
    if re.fullmatch(r"[^:]+:\d*", host):
        return f"{what} without the port (put it in {port_key})"
    if ipv6 and host.startswith("[") and host.endswith("]") and _is_ip(host[1:-1]):
        return f"{what}: an IPv6 address without the brackets ({host[1:-1]})"
    if ":" in host and not (ipv6 and _is_ip(host)):
        return what if ipv6 else "an IPv4 address or a host name: python-escpos reaches network printers over IPv4 only"
    if any(ch.isspace() for ch in host):
        return f"{what} (no spaces)"
    if _DOTTED_NUMBERS.fullmatch(host) and not _is_ipv4(host):
        return f"{what} (an IPv4 address is four numbers from 0 to 255)"
    return None

def _is_ipv4(text: str) -> bool:
    """An IPv4 address as the socket calls read one: short forms such as 127.1 or 0 are addresses too."""
    return _parses(socket.inet_aton, text)


def _is_ip(text: str) -> bool:
    return _parses(ipaddress.ip_address, text)


def _parses(parse: Callable[[str], object], text: str) -> bool:
    try:
        parse(text)
    except (OSError, ValueError):
        return False
    return True


def lan_addresses() -> list[str]:
    """IPv4 addresses other than loopback, from the host name (no packet is sent to find them)."""
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return []
    return sorted({info[4][0] for info in infos if not info[4][0].startswith("127.")})
