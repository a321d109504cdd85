"""PIN guessing from many addresses (session 21): a change of address no longer buys a fresh guess.

Each browser below connects from its own loopback address (127.0.x.y are all this machine), so the
server sees the addresses a guesser on the venue Wi-Fi would show it."""

from __future__ import annotations

import re
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from conftest import PINS


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FromAddress(HTTPAdapter):
    """Connects from the given local address."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def pin_from(server: Any, address: str, pin: str) -> requests.Response:
    """A browser at `address` opens /login and posts a PIN; the answer (not followed)."""
    browser = requests.Session()
    browser.mount("http://", FromAddress(address))
    page = browser.get(server.url + "/login", timeout=10).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    return browser.post(server.url + "/login", data={"pin": pin, "csrf": csrf}, allow_redirects=False, timeout=10)


def test_a_guesser_changing_address_with_every_pin_gets_thirty_a_minute_not_all(server):
    """Was: every PIN from an address not seen for five minutes was tried, 300 addresses 300 PINs."""
    clock = server.state.login_limiter.clock = Clock()
    statuses = [pin_from(server, f"127.0.{1 + i // 200}.{2 + i % 200}", f"{i:04d}").status_code for i in range(120)]
    assert statuses.count(401) == 30 and statuses.count(429) == 90, statuses
    assert statuses[:30] == [401] * 30
    held = pin_from(server, "127.0.9.9", PINS["volunteer"])  # the right PIN, from a new address, mid-attack
    assert held.status_code == 429 and "pairing link" in held.text
    assert 0 < int(held.headers["Retry-After"]) <= 60


def test_after_the_guessing_stops_a_volunteer_gets_in_within_a_minute(server):
    """The limit that no address resets lifts once the wrong PINs leave its minute."""
    clock = server.state.login_limiter.clock = Clock()
    for i in range(40):
        pin_from(server, f"127.0.3.{2 + i}", "0000")
    assert pin_from(server, "127.0.9.9", PINS["volunteer"]).status_code == 429
    clock.now += 61
    assert pin_from(server, "127.0.9.9", PINS["volunteer"]).status_code == 302


def test_a_few_guessing_addresses_still_leave_room_for_a_volunteers_phone(server):
    """Ten addresses guessing as fast as they are let take the shared 20 a minute; a phone that has
    not tried still gets its PIN tried (the newcomers' places), as before."""
    server.state.login_limiter.clock = Clock()
    guessers = [f"127.0.4.{i}" for i in range(2, 12)]
    assert [pin_from(server, a, "0000").status_code for _ in range(3) for a in guessers] == [401] * 20 + [429] * 10
    assert pin_from(server, "127.0.9.9", PINS["volunteer"]).status_code == 302
