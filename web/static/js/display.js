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
  renderPlaces(inside, capacity);
  renderBar(inside, expected, capacity);
}

/** Places left, or how many over when a saved scan's person (let in on trust) took the room past
 * its capacity: "0 places left" then hid that the room holds more than it should. */
function renderPlaces(inside, capacity) {
  const over = capacity ? inside - capacity : 0;
  setText($("#remaining-label"), over > 0 ? "Over capacity" : "Places left");
  setText($("#remaining"), !capacity ? "–" : over > 0 ? over : capacity - inside);
}

/** How full the room is: "ok", "near" (amber), "full" (red) or "over" (red, past the capacity). */
function levelOf(ratio, capacity) {
  if (!capacity) return "ok";
  return ratio > 1 ? "over" : ratio === 1 ? "full" : ratio > AMBER_FROM ? "near" : "ok";
}

/** The line under the bar: against capacity when there is one; else against the RSVP list. */
function capacityText(level, inside, capacity, percent) {
  if (level === "over") return `Over capacity: ${inside} in, ${capacity} places`;
  if (level === "full") return `Full: ${inside} of ${capacity} places`;
  return capacity ? `${percent} of ${capacity} places taken` : `${percent} of the RSVP list has arrived`;
}

/** Against capacity when there is one (amber near it, red at it and past it); else against the RSVP list. */
function renderBar(inside, expected, capacity) {
  const limit = capacity || expected;
  const ratio = limit ? inside / limit : 0;
  const level = levelOf(ratio, capacity);
  door.dataset.level = level;
  // CSSOM, not a style attribute: the page's Content-Security-Policy forbids inline styles.
  $("#bar-fill").style.setProperty("--fill", String(Math.min(ratio, 1)));
  const percent = Math.round(ratio * 100);
  const text = limit ? capacityText(level, inside, capacity, `${percent}%`) : "";
  const bar = $("#bar");
  // A meter's value stays within its 0-100 (a room past its capacity is a full bar); the words say the rest.
  bar.setAttribute("aria-valuenow", String(Math.min(percent, 100)));
  if (text) bar.setAttribute("aria-valuetext", text);
  else bar.removeAttribute("aria-valuetext");
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
