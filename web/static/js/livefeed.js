// The volunteers' running list of what happens at the door, newest first.

import { h, clockTime, guestsText } from "./dom.js";
import { refusalReason } from "./reasons.js";

const MAX_ITEMS = 200; // a long evening on a phone: keep the page light

const ICONS = { checked_in: "✓", undone: "↺", walk_in: "+", note: "•", problem: "!" };
const TIMED = new Set(["checked_in", "undone", "walk_in", "party"]); // told with the time they happened

export class LiveFeed {
  /** onName(name): a name in the feed was tapped (the console searches for it). */
  constructor({ list, empty, onName }) {
    Object.assign(this, { list, empty, onName });
    this.seen = new Set(); // timed changes already listed (see repeated): a reconnect's catch-up may repeat some
  }

  /** One websocket message; returns true when it was something to list (false for a repeat). */
  add(message) {
    const person = message.attendee;
    if (this.repeated(message)) return false;
    switch (message.type) {
      case "checked_in":
        return this.item("checked_in", message.at, person, [message.station, message.manual ? "by a volunteer" : "", guestsText(person, "with ")]);
      case "undone":
        return this.item("undone", message.at, person, ["check-in undone", message.by ? `by ${message.by}` : ""]);
      case "party": // a volunteer set how many guests came with a host already in
        return this.item("party", message.at, person, [`now with ${guestsText(person) || "no guests"}`, message.by ? `by ${message.by}` : ""]);
      case "walk_in":
        // The party too: the headcount jumped by three for "walk-in, checked in" alone.
        return this.item("walk_in", message.at, person, [message.checked_in ? "walk-in, checked in" : "walk-in, registered",
          guestsText(person, "with ")]);
      case "import":
        return this.note("note", `Attendee list imported: ${message.added ?? 0} added, ${message.updated ?? 0} updated.`);
      case "refresh":
        return this.note("note", "The attendee list changed on the server.");
      case "late_refusal":
        return this.note("problem", lateRefusalText(message), message.at); // refused then, maybe told on a reconnect
      case "over_capacity": // a saved scan's person, let in on trust, took the room past its capacity
        return this.note("problem", `Venue over capacity: ${message.checked_in} in, capacity ${message.capacity}`, message.at);
      default:
        return false;
    }
  }

  /** A change with its time (an arrival, undo, walk-in or party corrected) is the same event however
   * often it is sent: one made while a reconnect's catch-up was being read came both live and in it. */
  repeated(message) {
    if (!message.at || !message.attendee || !TIMED.has(message.type)) return false;
    const key = `${message.type}:${message.attendee.id}:${message.at}`;
    if (this.seen.has(key)) return true;
    this.seen.add(key);
    if (this.seen.size > MAX_ITEMS * 2) this.seen.delete(this.seen.values().next().value); // oldest first
    return false;
  }

  item(kind, at, person, meta) {
    if (!person) return false;
    const name = h("button", { type: "button", class: "linklike feed-name", text: person.name || "(no name)",
      on: { click: () => this.onName?.(person.name || "") } });
    this.push(kind, at, h("span", { class: "feed-text" }, name,
      person.company ? h("span", { class: "feed-company", text: person.company }) : null,
      h("span", { class: "feed-meta", text: meta.filter(Boolean).join(" · ") })), person.id);
    return true;
  }

  note(kind, text, at = null) {
    this.push(kind, at, h("span", { class: "feed-text", text }));
    return true;
  }

  /** A note that says the same as the newest item replaces it: a phone on weak Wi-Fi reconnects
   * again and again, and one "Reconnected" each, with nothing between them, pushed the evening's
   * arrivals out of the feed. */
  noteOnce(kind, text) {
    const newest = this.list.firstElementChild;
    if (newest?.dataset.kind === kind && newest.querySelector(".feed-text")?.textContent === text) newest.remove();
    return this.note(kind, text);
  }

  push(kind, at, body, attendeeId) {
    const when = at ? new Date(at) : new Date();
    const entry = h("li", { class: "feed-item", dataset: { kind, attendeeId: attendeeId ?? "" } },
      h("time", { class: "feed-time", dateTime: when.toISOString(), text: clockTime(when.toISOString()) }),
      h("span", { class: "feed-icon", attrs: { "aria-hidden": "true" }, text: ICONS[kind] || "•" }),
      body);
    this.list.prepend(entry);
    while (this.list.children.length > MAX_ITEMS) this.list.lastElementChild.remove();
    this.empty.hidden = true;
  }
}

/** "A scan saved at door-1 at 18:42 was refused: not a valid ticket (Ada Lovelace)": the kiosk let
 * that person in on trust while the server was out of reach, so a volunteer should find them. */
function lateRefusalText(message) {
  const when = clockTime(message.saved_at);
  const where = `${message.station ? ` at ${message.station}` : ""}${when ? ` at ${when}` : ""}`;
  const who = message.attendee?.name || message.code;
  return `A scan saved${where} was refused: ${refusalReason(message)}${who ? ` (${who})` : ""}`;
}
