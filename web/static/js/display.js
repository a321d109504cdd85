// The public door display: counts only, live from /ws/headcount. It never asks for anything
// else: no names, no search, nothing a passer-by should not see.

import { $, setText } from "./dom.js";
import { LiveSocket } from "./live.js";
import { followEvening } from "./evening.js";

const AMBER_FROM = 0.85; // "nearly full" from 85% of capacity
const door = $("#door");

function render(counts) {
  if (!counts || typeof counts.checked_in !== "number" || followEvening(counts)) return;
  const { checked_in: inside, expected = 0, capacity = 0, walk_ins: walkIns = 0 } = counts;
  setText($("#checked-in"), inside);
  setText($("#expected"), expected);
  setText($("#walk-ins"), walkIns);
  setText($("#capacity"), capacity ? capacity : "no limit");
  setText($("#remaining"), capacity ? Math.max(capacity - inside, 0) : "–");
  renderBar(inside, expected, capacity);
}

/** Against capacity when there is one (amber near it, red at it); else against the RSVP list. */
function renderBar(inside, expected, capacity) {
  const limit = capacity || expected;
  const ratio = limit ? inside / limit : 0;
  const level = !capacity ? "ok" : ratio >= 1 ? "full" : ratio > AMBER_FROM ? "near" : "ok";
  door.dataset.level = level;
  // CSSOM, not a style attribute: the page's Content-Security-Policy forbids inline styles.
  $("#bar-fill").style.setProperty("--fill", String(Math.min(ratio, 1)));
  const bar = $("#bar");
  bar.setAttribute("aria-valuenow", String(Math.round(ratio * 100)));
  const percent = `${Math.round(ratio * 100)}%`;
  const text = !limit ? "" : capacity
    ? (level === "full" ? `Full: ${inside} of ${capacity} places` : `${percent} of ${capacity} places taken`)
    : `${percent} of the RSVP list has arrived`;
  setText($("#capacity-text"), text);
}

let wasOpen = false;

function showConnection(state) {
  const label = $("#connection");
  label.dataset.state = state;
  wasOpen ||= state === "open";
  setText(label, state === "open" ? "Live" : wasOpen ? "Reconnecting…" : "Connecting…");
}

new LiveSocket("/ws/headcount", { onMessage: render, onStatus: showConnection, heartbeat: true }).start();
