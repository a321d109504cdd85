// The volunteer console: live feed, search with actions, walk-ins, arrivals chart, printers and
// phone pairing. Everything live comes over /ws/live. A reconnect asks for what happened since
// the last message we got (?since=, the server's own clock), so arrivals made while the phone
// was off the Wi-Fi or the server was restarting still appear in the feed; printers, the chart
// and the open search are fetched again.

import { $, $$, clearOfStickyBar, h, setText, throttle, uuid } from "./dom.js";
import { get, post, messageOf, NetworkError } from "./api.js";
import { clearDrafts, keepDraft } from "./drafts.js";
import { LiveSocket } from "./live.js";
import { followEvening } from "./evening.js";
import { Search } from "./search.js";
import { refusalReason } from "./reasons.js";
import { LiveFeed } from "./livefeed.js";
import { drawArrivals } from "./chart.js";
import { Printers } from "./printers.js";

const search = new Search({ input: $("#search"), list: $("#results"), status: $("#search-status") });
const feed = new LiveFeed({ list: $("#feed"), empty: $("#feed-empty"), onName: (name) => search.searchFor(name) });
const printers = new Printers($("#printers"));

// --- counts ---

function renderCounts(counts) {
  if (!counts || typeof counts.checked_in !== "number") return;
  setText($("#count-expected"), counts.expected);
  setText($("#count-arrived"), counts.arrived_expected ?? "–");
  setText($("#count-inside"), counts.checked_in);
  setText($("#count-walkins"), counts.walk_ins);
  renderPlaces(counts);
}

/** Places left of the capacity, or how many over it: a saved scan's person, let in on trust, can
 * take the room past it, and "0 places left" then hid that the room holds more than it should. */
function renderPlaces({ capacity, checked_in: inside, remaining }) {
  const over = capacity ? inside - capacity : 0;
  setText($("#count-remaining"), !capacity ? "∞" : over > 0 ? over : remaining);
  setText($("#count-remaining-label"), !capacity ? "no capacity limit"
    : over > 0 ? `over capacity of ${capacity}` : `places left of ${capacity}`);
  $("#count-capacity-card").dataset.tone = !capacity ? "" : over > 0 ? "bad" : remaining <= capacity * 0.15 ? "warn" : "";
}

// --- fetched views (refreshed at most every few seconds while the door is busy) ---

async function loadArrivals() {
  try {
    const answer = await get("/api/arrivals");
    if (answer.ok) drawArrivals($("#chart"), $("#chart-summary"), answer.data.per_minute);
  } catch { /* the next change or reconnect tries again */ }
}

async function loadPrinters() {
  try {
    await printers.load(async () => {
      const answer = await get("/api/printers");
      return answer.ok ? answer.data.printers : null;
    });
  } catch { /* idem */ }
}

const arrivalsSoon = throttle(loadArrivals, 3000);
const printersSoon = throttle(loadPrinters, 3000); // queue counts move with every check-in

// --- live ---

// A console opened (or reloaded: phones discard tabs left in the background) mid-evening must not
// show an empty feed with people inside: its first connect asks for everything since before the
// evening, which the server sends from the database as it does after a reconnect (the latest 200).
const BEFORE_THE_EVENING = "1970-01-01T00:00:00+00:00";
let since = BEFORE_THE_EVENING; // server_time of the newest live message: where a (re)connect's catch-up starts

function livePath() {
  return `/ws/live?since=${encodeURIComponent(since)}`;
}

function onLive(message) {
  if (followEvening(message.headcount)) return; // the server moved to another evening: this page is last month's
  if (typeof message.server_time === "string") since = message.server_time;
  renderCounts(message.headcount);
  switch (message.type) {
    case "snapshot":
      if (Array.isArray(message.printers) && message.printers.length) message.printers.forEach((p) => printers.patch(p));
      return;
    case "printer":
      printers.patch(message);
      notePrinterProblem(message);
      return;
    case "print_queued":
      printersSoon();
      return;
    case "late_refusal":
    case "over_capacity":
      feed.add(message);
      return;
    case "import":
    case "refresh":
      feed.add(message);
      search.refresh();
      arrivalsSoon();
      return;
    default:
      if (feed.add(message)) {
        search.update(message.attendee);
        arrivalsSoon();
        printersSoon();
      }
  }
}

// The problem each printer last put in the feed: a printer retrying the same badge sends the same
// error every few seconds, and one line each pushed the evening's arrivals out of the feed.
const printerProblems = new Map();

function notePrinterProblem(message) {
  const problem = message.online === false || message.last_error ? message.last_error || "offline" : "";
  if (problem && problem !== printerProblems.get(message.name)) feed.note("problem", `Printer ${message.name}: ${problem}`);
  printerProblems.set(message.name, problem);
}

function showConnection(state) {
  const label = $("#connection");
  if (state === "connecting" && label.dataset.state === "signed-out") return; // until a sign-in opens it again
  label.dataset.state = state;
  setText(label, state === "open" ? "Live" : state === "connecting" ? "Reconnecting…" : "Offline");
  if (state === "connecting") noticeSignedOut();
}

const CONSOLE_ROLES = ["volunteer", "organizer"];
let askingWhoWeAre = false;

/**
 * A browser cannot see why a websocket was refused, so a phone whose pairing was revoked or
 * whose session ended would say "Reconnecting…" forever. Ask the server who this session is
 * (GET /api/csrf); signed out, say so, with the way back in. Offline, the question fails
 * quietly and the label stays "Reconnecting…", which is then the truth.
 */
async function noticeSignedOut() {
  if (askingWhoWeAre) return;
  askingWhoWeAre = true;
  try {
    const answer = await get("/api/csrf");
    const label = $("#connection");
    if (answer.ok && !CONSOLE_ROLES.includes(answer.data.role) && label.dataset.state !== "open") showSignedOut();
  } catch (err) {
    if (!(err instanceof NetworkError)) throw err;
  } finally {
    askingWhoWeAre = false;
  }
}

const SIGN_IN = "/login?next=/volunteer";

function showSignedOut() {
  const label = $("#connection");
  label.dataset.state = "signed-out";
  label.replaceChildren("Signed out: ", h("a", { href: SIGN_IN, text: "Sign in" }));
}

/**
 * An action was refused 401: this browser's sign-in ended while the page stayed open (its 16
 * hours, a revoked pairing, a changed PIN), and the live socket it opened before may still say
 * "Live". Say so at the top, with the way back in; the socket is replaced, so it carries no more
 * names to a signed-out phone and says "Live" again once someone signs in (here or in another tab).
 * What was typed is kept in this tab (drafts.js) across the login page.
 */
function onSignedOut() {
  showSignedOut();
  live.replace();
}

function onOpen(isReconnect) {
  if (!isReconnect) return;
  feed.noteOnce("note", "Reconnected: what happened meanwhile is listed above.");
  search.refresh();
  loadArrivals();
  loadPrinters();
}

// --- walk-ins ---

// Letters that carry no accent to drop but are typed as others on a phone (kiosk/textnorm.py):
// "Lukasz" is "Łukasz", "Soren" is "Søren", and "Mueller" is "Müller" written out; an iPhone
// types O’Neill for O'Neill.
const PLAIN_LETTERS = { ø: "o", đ: "d", ł: "l", æ: "ae", œ: "oe", ı: "i", þ: "th", ß: "ss", "’": "'", "‘": "'", "ʼ": "'" };
const SPELLED_OUT = { ä: "ae", ö: "oe", ü: "ue", ø: "oe", å: "aa" };

/** Case and accents ignored, as the server's search does: "zoe walker" is "Zoë Walker". */
function folded(text) {
  return String(text || "").toLowerCase().replace(/[øđłæœıþß’‘ʼ]/g, (c) => PLAIN_LETTERS[c])
    .normalize("NFKD").replace(/\p{M}/gu, "").replace(/\s+/g, " ").trim();
}

/** The same name, folded, however its umlauts were typed ("Jürgen Müller", "Juergen Mueller"). */
function sameName(a, b) {
  const spellings = (text) => [folded(text),
    folded(String(text || "").toLowerCase().normalize("NFC").replace(/[äöüøå]/g, (c) => SPELLED_OUT[c]))];
  const theirs = spellings(b);
  return spellings(a).some((spelling) => theirs.includes(spelling));
}

/**
 * People already on tonight's list with this name or email, those with the email first: a walk-in
 * is often someone who lost their ticket. Both are looked up: with an email typed (their own, not
 * the one they registered with), only the email was, and someone on the list by name was
 * registered a second time without a word.
 */
async function sameNameOrEmail(name, email) {
  const lookUps = await Promise.all([email, name].filter(Boolean).map(
    (text) => get(`/api/attendees?q=${encodeURIComponent(text)}&limit=50`)));
  const found = new Map(lookUps.flatMap((answer) => (answer.ok ? answer.data.attendees || [] : []).map((p) => [p.id, p])));
  return [...found.values()].filter((p) => sameEmail(p, email) || sameName(p.name, name))
    .sort((a, b) => sameEmail(b, email) - sameEmail(a, email));
}

function sameEmail(person, email) {
  return Boolean(email) && folded(person.email) === folded(email);
}

function walkInBody(form, checkIn) {
  const value = (field) => form.elements[field].value.trim() || null;
  return { name: form.elements.name.value.trim(), email: value("email"), company: value("company"),
    guests: Number(form.elements.guests.value) || 0, check_in: checkIn };
}

/**
 * A walk-in being registered: its details, who matched them before we sent it, and the id that
 * names this one registration (sent as request_id, the same on every retry). When an answer is
 * lost the server may well have registered them: the next press looks before it sends again.
 */
let attempt = null;

function attemptFor(details) {
  if (attempt?.details !== details) attempt = { details, before: null, uncertain: false, requestId: uuid() };
  return attempt;
}

async function registerWalkIn(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const status = $("#walkin-status");
  const body = walkInBody(form, event.submitter?.value !== "register");
  if (!body.name) {
    status.dataset.tone = "bad";
    setText(status, "A walk-in needs a name.");
    return form.elements.name.focus();
  }
  const buttons = $$("button[type=submit]", form);
  buttons.forEach((b) => { b.disabled = true; });
  const current = attemptFor(JSON.stringify([body.name, body.email, body.company, body.guests]));
  try {
    if (current.uncertain && await registeredAfterAll(form, body, current, status)) return;
    // The first press with these details looks for the same person on the list; pressing again registers anyway.
    if (current.before === null) {
      const already = await sameNameOrEmail(body.name, body.email);
      current.before = new Set(already.map((p) => p.id));
      if (already.length) {
        status.dataset.tone = "warn";
        const first = already[0];
        setText(status, `${first.name} is already on the list${first.checked_in_at ? " (checked in)" : ""}: their card is under Find someone. `
          + "If this is somebody else, press the button again to register them.");
        search.searchFor(sameEmail(first, body.email) ? body.email : body.name); // where their card is found
        return;
      }
    }
    await sendWalkIn(form, { ...body, request_id: current.requestId }, status);
  } catch (err) {
    if (!(err instanceof NetworkError)) throw err;
    current.uncertain = current.before !== null; // the POST may have gone out (a failed look-up sent nothing)
    status.dataset.tone = "bad";
    setText(status, current.uncertain
      ? `No answer from the server: ${body.name} may or may not be registered. Press the button again when the Wi-Fi is back: `
        + "we look first, so nobody is registered twice."
      : "No answer from the server. Nothing was registered: try again.");
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}

/**
 * After a lost answer: a walk-in with these details that was not there before we sent it is the
 * one we registered. Say so and finish, instead of registering them a second time.
 */
async function registeredAfterAll(form, body, current, status) {
  const ours = (await sameNameOrEmail(body.name, body.email)).find((p) => p.is_walk_in && !current.before.has(p.id));
  if (!ours) return false;
  const checkedIn = Boolean(ours.checked_in_at);
  status.dataset.tone = checkedIn || !body.check_in ? "good" : "warn";
  setText(status, `${ours.name} was registered${checkedIn ? " and checked in" : ", not checked in,"} after all`
    + (body.check_in && !checkedIn ? ": their card is under Find someone." : "."));
  if (body.check_in && !checkedIn) search.searchFor(ours.email || ours.name);
  finishWalkIn(form);
  return true;
}

/** "Zoë Walkington is", or "Zoë Walkington and 2 guests are": who a walk-in's answer is about. */
function partyOf(person) {
  if (!person.guests) return `${person.name} is`;
  return `${person.name} and ${person.guests} guest${person.guests === 1 ? "" : "s"} are`;
}

/** The walk-in was refused 401: nothing was registered; the form stays filled for after the sign-in. */
function signedOutWalkIn(status) {
  attempt = null; // its look-up for namesakes was refused too: the next press looks again
  status.dataset.tone = "bad";
  status.replaceChildren("Your sign-in has ended, so nothing was registered. ",
    h("a", { href: SIGN_IN, text: "Sign in again" }), ": what you typed here stays, then press the button again.");
}

/** The walk-in is done: an empty form for the next person, and no attempt left to retry. */
function finishWalkIn(form) {
  attempt = null;
  form.reset();
  form.elements.name.focus();
}

async function sendWalkIn(form, body, status) {
  const answer = await post("/api/attendees", body);
  if (answer.status === 401) return signedOutWalkIn(status);
  const checkedIn = answer.data.check_in === "checked_in";
  status.dataset.tone = answer.ok ? (checkedIn || !body.check_in ? "good" : "warn") : "bad";
  setText(status, !answer.ok ? messageOf(answer)
    : checkedIn ? `${partyOf(answer.data.attendee)} registered and checked in. ${body.guests ? "Badges" : "Badge"} printing.`
      : !body.check_in ? `${answer.data.attendee.name} is registered, not checked in.`
        : `${answer.data.attendee.name} is registered, not checked in: ${refusalReason({ ...answer.data, result: answer.data.check_in })}. `
          + "Their card is under Find someone, with Admit anyway.");
  // Not let in (the venue is full): their card in search offers "Admit anyway".
  if (answer.ok && answer.data.check_in && !checkedIn) search.searchFor(answer.data.attendee.email || answer.data.attendee.name);
  if (answer.ok) finishWalkIn(form);
}

// --- pairing phones ---

async function pair(role) {
  const status = $("#pair-status");
  setText(status, "Creating a pairing code…");
  let answer;
  try {
    answer = await post("/api/pairings", { role });
  } catch {
    return setText(status, "No answer from the server. Try again.");
  }
  if (!answer.ok) return setText(status, messageOf(answer));
  setText(status, "");
  // As an <img> with a data: URL: whatever the SVG holds, an image cannot run script.
  const qr = h("img", { src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(answer.data.qr_svg)}`,
    alt: `QR code that signs a phone in as ${role}`, class: "qr-img" });
  $("#pair-qr").replaceChildren(qr);
  setText($("#pair-role"), role);
  setText($("#pair-url"), answer.data.url); // text, not a link: opening it here would sign this browser out
  $("#pairing").hidden = false;
  showQr(qr);
}

/** On a phone the code appeared below the fold (50 px of it in view): the volunteer saw nothing
 * happen and the other phone had nothing to scan. Bring it into view, again once it has its size. */
function showQr(qr) {
  const bring = () => qr.scrollIntoView({ block: "center" });
  bring();
  qr.addEventListener("load", bring, { once: true });
}

async function copyPairLink() {
  const text = $("#pair-url").textContent;
  try {
    await navigator.clipboard.writeText(text); // only on https or localhost
    setText($("#pair-status"), "Link copied.");
  } catch {
    getSelection().selectAllChildren($("#pair-url")); // plain http: select it for a manual copy
    setText($("#pair-status"), "Selected: copy it with your device's copy command.");
  }
}

// --- start ---

clearOfStickyBar($(".topbar"));
keepDraft($("#walkin-form"), "walk-in");
keepDraft($("#search-form"), "search");
if ($("#search").value.trim()) search.run($("#search").value); // back from signing in: the search typed before
$("#walkin-form").addEventListener("submit", registerWalkIn);
$("#logout").form.addEventListener("submit", clearDrafts);
addEventListener("signed-out", onSignedOut);
$$("[data-pair]").forEach((b) => b.addEventListener("click", () => pair(b.dataset.pair)));
$("#pair-copy").addEventListener("click", copyPairLink);
const live = new LiveSocket(livePath, { onMessage: onLive, onOpen, onStatus: showConnection, heartbeat: true }).start();
loadArrivals();
loadPrinters();
setInterval(loadArrivals, 60000); // the chart's "now" moves on even when nobody arrives
