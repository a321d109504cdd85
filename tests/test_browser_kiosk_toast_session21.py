"""The "Confirmed: … is checked in" note over a kiosk that also lists saved scans refused later.

The note was fixed to the top of the screen, centred on the whole window: on a phone on its side
(and on a laptop) it lay over the top of the late refusals' column for its 6 s, their heading and
first lines hidden just when a volunteer looks at them. It now sits over the answer's own area.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from browser import chromium, pw, scanner_type, signed_in_page  # noqa: F401  (fixtures)
from test_browser_kiosk_late_refusals_session20 import FORGED, box, overlaps


@pytest.mark.parametrize("width,height", [(844, 390), (1280, 720)])
def test_the_confirmation_note_leaves_the_late_refusals_in_view(server, chromium, width, height):
    person = server.post("/api/attendees", json={"name": "Wolfeschlegelsteinhausen-Bergerdorff Featherstonehaugh",
                                                 "check_in": False}).json()["attendee"]
    with signed_in_page(chromium, server, "kiosk", viewport={"width": width, "height": height},
                        has_touch=height < 500) as (page, watch):
        page.route("**/api/checkins", lambda route: route.abort("connectionrefused"))
        for code in [*FORGED, person["ticket_code"]]:
            scanner_type(page, code)
        expect(page.locator("#pending")).to_contain_text(f"{len(FORGED) + 1}")
        page.unroute("**/api/checkins")
        page.evaluate("dispatchEvent(new Event('online'))")
        expect(page.locator("#toast")).to_have_text("Confirmed: Wolfeschlegelsteinhausen-Bergerdorff is checked in.", timeout=20_000)
        expect(page.locator("#late-refusals")).to_contain_text(f"{len(FORGED)} saved scans were refused")
        note, refusals = box(page, "#toast"), box(page, "#late-refusals")
        assert not overlaps(note, refusals), (note, refusals)
        assert note["right"] - note["left"] > 100 and note["top"] >= 0  # still a note one can read
        watch.assert_clean()
