// Search as you type, and what a volunteer can do from a result: check in (with "admit anyway"
// for people who are not on the list), undo (after a confirmation), reprint (also of a guest's
// badge, for a host whose guest lost or tore theirs), badge preview.
// Results are kept by attendee id so a live change patches one card instead of reshuffling.

import { h, setText, clockTime, debounce, guestsText, uuid } from "./dom.js";
import { get, post, del, messageOf, NetworkError } from "./api.js";
import { confirmDialog, showBadge } from "./modal.js";
import { refusalSentence } from "./reasons.js";

const NO_ANSWER = "No answer from the server. Check the Wi-Fi and try again.";
const REPRINT_UNANSWERED = "No answer from the server: the badge may be printing. Pressing the button again "
  + "does not print a second one.";
const LIMIT = 25;
// After a reprint or a check-in is answered, a tap within this time on Reprint, or on the Undo that
// now sits where "Check in" was, is the rest of a double or triple tap (answers take 50 ms at the
// door), not a new wish: it printed a second and third badge, or opened the undo dialog.
const SETTLE_MS = 800;
const PARTY_SETTLE_MS = 700; // spinner clicks on a Guests box closer than this are one correction
const PARTY_HINT = "Guests: a number from 0 to 99.";

export class Search {
  constructor({ input, list, status }) {
    Object.assign(this, { input, list, status });
    this.people = new Map(); // id -> attendee, for the cards on screen
    this.notes = new Map();  // id -> {message, tone}: what the last action said, kept across redraws
    this.reprints = new Map(); // "id:action" -> request_id of a reprint sent but not answered: a retry reuses it
    this.settleUntil = new Map(); // "id:action" -> when taps on that button count again (SETTLE_MS)
    this.busy = new Set(); // ids with an action on its way: their card's buttons stay disabled, also when redrawn
    this.regrouped = new Set(); // ids whose Guests box a volunteer opened or used: it stays, also at 0
    this.typedParty = new Map(); // id -> what was typed in the Guests box and not yet answered: kept across redraws
    this.partyTimers = new Map(); // id -> the pending correction of an arrived party (spinner clicks settle first)
    this.query = "";
    this.seq = 0;
    const run = debounce(() => this.run(this.input.value), 200);
    input.addEventListener("input", run);
    input.form?.addEventListener("submit", (event) => { event.preventDefault(); this.run(this.input.value); });
  }

  /** Show `text` in the box and search for it now (e.g. a name clicked in the live feed). */
  searchFor(text) {
    this.input.value = text;
    this.input.dispatchEvent(new Event("change", { bubbles: true })); // kept like a typed search (drafts.js)
    this.run(text);
    this.input.scrollIntoView({ block: "start", behavior: "smooth" });
  }

  refresh() {
    if (this.query) this.run(this.query);
  }

  async run(raw) {
    const query = String(raw).trim();
    this.query = query;
    const seq = ++this.seq; // answers can come back out of order: only the newest counts
    if (!query) {
      this.people.clear();
      this.list.replaceChildren();
      setText(this.status, "Type a few letters: accents and case do not matter.");
      return;
    }
    setText(this.status, "Searching…");
    let answer;
    try {
      answer = await get(`/api/attendees?q=${encodeURIComponent(query)}&limit=${LIMIT}`);
    } catch {
      if (seq === this.seq) setText(this.status, NO_ANSWER);
      return;
    }
    if (seq !== this.seq) return;
    if (!answer.ok) return setText(this.status, messageOf(answer));
    this.show(answer.data.attendees || [], query);
  }

  show(people, query) {
    if (query !== this.shownQuery) this.notes.clear(); // a fresh search starts with clean cards
    this.shownQuery = query;
    this.people = new Map(people.map((p) => [p.id, p]));
    this.list.replaceChildren(...people.map((p) => this.card(p)));
    const n = people.length;
    setText(this.status, n === 0 ? `No one matches “${query}”.`
      : n >= LIMIT ? `The first ${n} matches: type more to narrow it down.`
        : `${n} ${n === 1 ? "person matches" : "people match"} “${query}”.`);
  }

  /** A live change or an action's answer: redraw that person's card if it is on screen.
   * The live feed often echoes our own action: the action's message stays on the card. */
  update(person, message = "", tone = "") {
    if (!person || !this.people.has(person.id)) return;
    this.people.set(person.id, person);
    if (message) this.notes.set(person.id, { message, tone });
    else if (this.notes.get(person.id)?.message === NO_ANSWER) this.notes.delete(person.id); // the feed answered it
    this.cardOf(person)?.replaceWith(this.card(person));
  }

  /** A message on a card (kept if the card is redrawn). */
  say(person, message, tone) {
    this.notes.set(person.id, { message, tone });
    say(this.cardOf(person), message, tone);
  }

  card(person) {
    const checkedIn = Boolean(person.checked_in_at);
    const status = checkedIn ? "checked-in" : person.status === "attending" ? "expected" : "not-attending";
    const details = [person.company, person.email].filter(Boolean).join(" · ");
    return h("li", { class: "person", dataset: { id: person.id, status } },
      h("div", { class: "person-main" },
        h("p", { class: "person-name", text: person.name }),
        details && h("p", { class: "person-details", text: details }),
        h("p", { class: "person-tags" }, ...tags(person))),
      h("div", { class: "person-actions" }, ...this.actions(person)),
      h("div", { class: "person-msg", attrs: { role: "status" }, dataset: { tone: this.notes.get(person.id)?.tone || "" },
        text: this.notes.get(person.id)?.message || "" }));
  }

  actions(person) {
    const button = (label, cls, fn, action = "") => h("button", { type: "button", class: `button ${cls}`, text: label,
      dataset: { action }, disabled: this.held(person, action), on: { click: () => fn(person) } });
    const list = person.checked_in_at
      ? [button("Undo", "ghost danger-text", (p) => this.undo(p), "undo"),
        button("Reprint", "ghost", (p) => this.reprint(p), "reprint")]
      : [button("Check in", "primary", (p) => this.checkIn(p))];
    if (person.checked_in_at && person.guests > 0) list.push(button("Guest badge", "ghost", (p) => this.reprint(p, true), "guest-badge"));
    list.push(button("Badge", "ghost", showBadge));
    if (person.guests > 0 || this.regrouped.has(person.id)) list.unshift(this.partyInput(person));
    else if (person.status === "attending" || person.checked_in_at) list.push(button("+ Guests", "ghost", (p) => this.openParty(p)));
    return list;
  }

  /** Someone the list gives no guests came with one: show the Guests box on their card. */
  openParty(person) {
    this.regrouped.add(person.id);
    this.update(person);
    this.cardOf(person)?.querySelector(".party-input")?.focus();
  }

  /** How many guests came with a host (Meetup's Guests): the list's number until a volunteer
   * changes it. Changed for someone already in, it corrects their party at once. */
  partyInput(person) {
    const input = h("input", { type: "number", class: "party-input", disabled: this.busy.has(person.id),
      value: this.typedParty.get(person.id) ?? String(person.guests ?? 0),
      attrs: { min: "0", max: "99", inputmode: "numeric", "aria-label": `Guests with ${person.name}` },
      on: {
        input: () => this.typedParty.set(person.id, input.value),
        change: () => { if (person.checked_in_at) this.setPartySoon(person); },
      } });
    return h("label", { class: "party" }, h("span", { text: "Guests" }), input);
  }

  /** Spinner clicks each fire "change": the correction is sent once they stop. */
  setPartySoon(person) {
    clearTimeout(this.partyTimers.get(person.id));
    this.partyTimers.set(person.id, setTimeout(() => { this.partyTimers.delete(person.id); this.setParty(person); }, PARTY_SETTLE_MS));
  }

  /** The guests typed on the card: a number, null when there is no box, NaN when it holds no count. */
  partyOf(person) {
    const box = this.cardOf(person)?.querySelector(".party-input");
    if (!box) return null;
    return /^[0-9]{1,2}$/.test(box.value.trim()) ? Number(box.value.trim()) : NaN;
  }

  async setParty(person, override = false) {
    const guests = this.partyOf(person);
    if (guests === null) return;
    if (Number.isNaN(guests)) return this.say(person, PARTY_HINT, "bad");
    this.regrouped.add(person.id);
    const answer = await this.act(person, () => post(`/api/attendees/${person.id}/checkin`, { guests, override, correction: true }));
    if (!answer) return;
    const data = answer.data;
    if (answer.ok) {
      this.typedParty.delete(person.id);
      this.update(data.attendee, `Party corrected: ${guestsText({ guests }) || "no guests"}.`, "info");
    } else if (data.result === "capacity_reached") this.offerOverride(person, refusalSentence(data), () => this.setParty(person, true));
    else this.say(person, messageOf(answer), "bad");
  }

  /** An action on `person` was just answered: their `action` button stays disabled for SETTLE_MS,
   * so the tail of a multi-tap lands on nothing (redrawn cards keep it disabled too). */
  settle(person, action) {
    const key = `${person.id}:${action}`;
    const until = performance.now() + SETTLE_MS;
    this.settleUntil.set(key, until);
    this.enableButtons(person);
    setTimeout(() => {
      if (this.settleUntil.get(key) !== until) return; // settled again since: that timer ends it
      this.settleUntil.delete(key);
      this.enableButtons(person);
    }, SETTLE_MS);
  }

  /** Enable the card's buttons (and Guests box), except one still settling after a multi-tap. */
  enableButtons(person) {
    this.cardOf(person)?.querySelectorAll("button, input").forEach((b) => { b.disabled = this.held(person, b.dataset.action); });
  }

  /**
   * Whether a button of the person's card must not take taps: an action on them is on its way, or
   * this button is settling after one (SETTLE_MS). On a slow connection the live feed's echo of a
   * check-in redrew the card before the answer came, with an enabled Undo where Check in was: the
   * second tap of a volunteer who saw nothing happen opened the undo dialog.
   */
  held(person, action = "") {
    return this.busy.has(person.id) || Boolean(action && this.settleUntil.has(`${person.id}:${action}`));
  }

  cardOf(person) {
    return this.list.querySelector(`li[data-id="${Number(person.id)}"]`);
  }

  async checkIn(person, override = false) {
    const body = override ? { override: true } : {};
    const guests = this.partyOf(person);
    if (Number.isNaN(guests)) return this.say(person, PARTY_HINT, "bad");
    if (guests !== null && guests !== person.guests) body.guests = guests;
    const answer = await this.act(person, () => post(`/api/attendees/${person.id}/checkin`, body));
    if (!answer) return;
    this.settle(person, "undo");
    const data = answer.data;
    if (answer.status < 400) this.typedParty.delete(person.id);
    if (answer.status === 201) this.update(data.attendee, override ? "Admitted and checked in. Badge printing." : "Checked in. Badge printing.", "good");
    else if (data.result === "already_checked_in") this.update(data.attendee, refusalSentence(data), "info");
    else if (data.result === "not_attending" || data.result === "capacity_reached") this.offerOverride(person, refusalSentence(data), () => this.checkIn(person, true));
    else this.say(person, answer.status === 401 ? messageOf(answer) : refusalSentence(data), "bad");
  }

  /** 409 not_attending or capacity_reached: the volunteer may still let them in (a waitlisted
   * speaker's guest; someone just left a full room). The kiosk cannot judge that; they can. */
  offerOverride(person, message, admit) {
    const card = this.cardOf(person);
    if (!card) return;
    this.notes.delete(person.id);
    const box = card.querySelector(".person-msg");
    box.dataset.tone = "warn";
    box.replaceChildren(
      h("span", { text: `${message} ` }),
      h("button", { type: "button", class: "button small warn", text: "Admit anyway", on: { click: admit } }));
  }

  async undo(person) {
    const sure = await confirmDialog({
      title: "Undo this check-in?",
      text: `${person.name} will count as not arrived. A badge that has not printed yet is cancelled.`,
      ok: "Undo check-in",
    });
    if (!sure) return;
    const answer = await this.act(person, () => del(`/api/checkins/${person.id}`));
    if (!answer) return;
    if (answer.ok) this.update(answer.data.attendee, "Check-in undone.", "info");
    // Pressed again after "no answer" (the first undo went through), or undone at another phone:
    // what the volunteer wanted is done, and the card shows it.
    else if (answer.data.result === "not_checked_in") this.update(answer.data.attendee, "Check-in already undone.", "info");
    else this.say(person, messageOf(answer), "bad");
  }

  /**
   * A press names itself (request_id) until it is answered: pressed again after "no answer", it
   * is the same press sent again, and the server, which may have queued it, prints one badge.
   * Once answered, the next press is a new one: the volunteer wants another badge.
   */
  async reprint(person, guest = false) {
    const action = guest ? "guest-badge" : "reprint";
    const key = `${person.id}:${action}`;
    const requestId = this.reprints.get(key) || uuid();
    this.reprints.set(key, requestId);
    const answer = await this.act(person, () => post(`/api/attendees/${person.id}/badge`, { request_id: requestId, guest }),
      REPRINT_UNANSWERED);
    if (!answer) return;
    this.reprints.delete(key);
    this.settle(person, action);
    const sent = guest ? "A guest badge was sent to the printer." : "Badge sent to the printer.";
    this.say(person, answer.ok ? sent : messageOf(answer), answer.ok ? "good" : "bad");
  }

  /** Run one request with the card's buttons disabled; null when there was no answer. */
  async act(person, requestFn, unanswered = NO_ANSWER) {
    this.busy.add(person.id);
    this.enableButtons(person); // none, while busy
    try {
      return await requestFn();
    } catch (err) {
      if (!(err instanceof NetworkError)) throw err;
      this.say(person, unanswered, "bad");
      return null;
    } finally {
      this.busy.delete(person.id);
      this.enableButtons(person);
    }
  }
}

function tags(person) {
  const out = [];
  if (person.checked_in_at) {
    const where = person.checked_in_station ? ` · ${person.checked_in_station}` : "";
    out.push(tag(`Checked in ${clockTime(person.checked_in_at)}${where}`, "good"));
  } else if (person.status === "attending") {
    out.push(tag("Not arrived yet", ""));
  } else {
    out.push(tag(`Not attending${person.platform_status ? ` (${person.platform_status})` : ""}`, "warn"));
  }
  if (person.is_walk_in) out.push(tag("Walk-in", "info"));
  if (person.role && person.role !== "attendee") out.push(tag(person.role, "info"));
  if (person.guests) out.push(tag(guestsText(person, "+"), "info"));
  return out;
}

function tag(text, tone) {
  return h("span", { class: "tag", dataset: { tone }, text });
}

function say(card, message, tone) {
  const box = card?.querySelector(".person-msg");
  if (!box) return;
  box.dataset.tone = tone;
  setText(box, message);
}
