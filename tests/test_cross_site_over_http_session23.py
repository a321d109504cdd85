"""Another site's page signing a console out over plain HTTP (session 23).

Browsers send Sec-Fetch-Site only to 127.0.0.1 and under HTTPS. A volunteer's phone on the plain
HTTP LAN address sends none, and a page of another site that posted a form to /logout was believed
like a script: the answer's Set-Cookie deleted the phone's session (measured with Chromium: POST
/logout with `Origin: http://127.0.0.1:<port>`, no Sec-Fetch-Site, no cookie; 302 and
`kiosk_session=; Max-Age=0`). Its Origin says where it comes from: now it is refused (403)."""

from __future__ import annotations

import functools
import http.server
import re
import socket
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests
from werkzeug.serving import make_server

from browser import PINS, chromium, pw  # noqa: F401  (fixtures)
from conftest import write_config
from kiosk import config
from kiosk.app import create_app
from kiosk.network import lan_addresses

EVIL = "http://evil.example"


def volunteer_browser(url: str) -> requests.Session:
    browser = requests.Session()
    csrf = re.search(r'name="csrf" value="([^"]+)"', browser.get(url + "/login", timeout=10).text).group(1)
    assert browser.post(url + "/login", data={"csrf": csrf, "pin": PINS["volunteer"]}, allow_redirects=False,
                        timeout=10).status_code == 302
    return browser


def test_a_sign_out_posted_by_another_sites_page_without_sec_fetch_site_is_refused(server):
    browser = volunteer_browser(server.url)
    for cookies in (None, browser.cookies):  # SameSite=Lax keeps the cookie off it; a page on another port sends it
        answer = requests.post(server.url + "/logout", headers={"Origin": EVIL}, cookies=cookies,
                               allow_redirects=False, timeout=10)
        assert answer.status_code == 403 and "Set-Cookie" not in answer.headers
    assert browser.get(server.url + "/api/csrf", timeout=10).json()["role"] == "volunteer"


def test_our_own_page_and_a_script_still_sign_out_over_plain_http(server):
    for headers in ({"Origin": server.url}, {}):
        browser = volunteer_browser(server.url)
        answer = browser.post(server.url + "/logout", headers=headers, allow_redirects=False, timeout=10)
        assert answer.status_code == 302
        assert browser.get(server.url + "/api/csrf", timeout=10).json()["role"] is None


def lan_address() -> str | None:
    """An IPv4 address of this machine that is not loopback: from its name, else the one a UDP
    socket would send from (connect() on UDP picks a route and sends nothing)."""
    if lan_addresses():
        return lan_addresses()[0]
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))
            address = probe.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") else address


@pytest.fixture
def lan_server(tmp_path: Path) -> Iterator[str]:
    """The app on this machine's LAN address (plain HTTP, as a volunteer's phone reaches it)."""
    address = lan_address()
    if address is None:
        pytest.skip("this machine has no LAN address")
    app = create_app(config.load(write_config(tmp_path / "lan")))
    httpd = make_server(address, 0, app, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://{address}:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()
    app.extensions["kiosk"].stop.set()
    app.extensions["kiosk"].store.close()


@pytest.fixture
def evil_site(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """Another site: a plain web server on 127.0.0.1 serving the files of a folder."""
    folder = tmp_path / "evil"
    folder.mkdir()
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield folder, f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


def test_another_sites_page_cannot_sign_out_a_console_on_the_lan_address(lan_server: str, evil_site: Any, chromium):
    folder, evil = evil_site
    (folder / "index.html").write_text(
        f'<form method="post" action="{lan_server}/logout"></form><script>document.forms[0].submit()</script>')
    context = chromium.new_context()
    try:
        console = context.new_page()
        console.goto(lan_server + "/login?next=/volunteer")
        console.get_by_label("PIN").fill(PINS["volunteer"])
        console.get_by_role("button", name="Sign in").click()
        console.wait_for_url(re.compile(r"/volunteer$"))

        attack = context.new_page()
        with attack.expect_response(lambda r: r.url.endswith("/logout")) as answer:
            attack.goto(evil + "/index.html")
        assert answer.value.status == 403
        assert console.evaluate("fetch('/api/csrf').then(r => r.json())")["role"] == "volunteer"
    finally:
        context.close()
