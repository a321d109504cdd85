// The kiosk facing the queue: scan (scanner, camera or typed code) -> POST /api/checkins ->
// a full-screen greeting or refusal with its own colour and sound -> back to "Scan your ticket".

import { $, guestsText, h, setText, uuid } from "./dom.js";
import { post } from "./api.js";
import { listenForScans } from "./scanner.js";
import { CameraScanner } from "./camera.js";
import { Outbox } from "./outbox.js";
import { beep, setSoundEnabled, unlockOnGesture } from "./sounds.js";
import { LiveSocket } from "./live.js";
import { isOtherEvening } from "./evening.js";

const REQUEST_TIMEOUT = 4000; // ms: longer than this and the person in front of us is told we saved it
const SLOW_AFTER = 300;       // ms before "Checking…" shows: a fast answer should not flicker
const SHOW_FOR = { checked_in: 4000, already_checked_in: 5000, saved: 6000 };
const SHOW_REFUSAL = 6500;
// The same code again within this time is the scanner reading one ticket twice (a ticket held
// under a presentation-mode scanner): its "Already checked in" replaced the person's own welcome.
const REREAD_WINDOW = 3000;
// Two people's scans moments apart (two scanners feeding one kiosk): the second answer replaced
// the first within a few hundred ms, before its person could read it. An answer now stays up this
// long before the next one takes its place; the next waits, in the order the answers came.
const READ_AT_LEAST = 1500;
// Saved scans go before a fresh one (the last places of a full venue are theirs), but a fresh scan
// waits for them at most this long: on a slow network the queue at the door must not stall.
const SAVED_FIRST_FOR = 2000;

const TITLES = {
  already_checked_in: "Already checked in",
  unknown_code: "Ticket not found",
  invalid_code: "Not a valid ticket",
  not_attending: "Ticket not active",
  capacity_reached: "The venue is full",
  too_many_attempts: "Please wait a moment",
  saved: "Scan saved",
  signed_out: "Kiosk signed out",
  server_error: "The server could not check it",
};
const ICONS = {
  checked_in: "✓", already_checked_in: "↻", unknown_code: "?", invalid_code: "✕", not_attending: "!",
  capacity_reached: "■", too_many_attempts: "…", saved: "⇅", signed_out: "!",
};
// Our own tickets (kiosk/tickets.py): a burst of this shape is whole and can go at once.
const TICKET_SHAPE = /^K[0-9A-Z]{1,6}-[0-9A-Z]{8}-[0-9A-Z]{13}$/i;
// The start of one of them: a burst of this shape that pauses is waited for a little longer.
const TICKET_START = /^K[0-9A-Z]{0,6}(-[0-9A-Z]{0,8}(-[0-9A-Z]{0,12})?)?$/i;
// What a door code of any kind can be (kiosk/platform_codes.py): a scanner burst that is none of
// these as typed, but is as its keys read on a US keyboard, came from a scanner of another layout.
const DOOR_CODE_SHAPES = [
  /^[A-Z0-9][A-Z0-9._:/+=#-]{0,127}$/i, // ours, Tito references, Eventbrite barcodes, a list's codes
  /^[A-Za-z0-9+/=]{8,256}$/,            // pretix secrets
  /^ti_[A-Za-z0-9_]{4,80}$/,            // Tito ticket slugs
  /^https?:\/\/[!-~]+$/i,               // Luma check-in links, Tito ticket links
];
// Honest while the server is out of reach: the scan is kept, but nobody has checked the ticket yet.
const SAVED_MESSAGE = "Saved — we'll confirm as soon as the network is back.";
const SAVED_SUB = "Please go in; a volunteer may check your ticket.";
// Saved when the last headcount this kiosk heard had no place left: the person is not sent in (a
// saved scan is checked in past the capacity, so each "go in" said offline would fill the room more).
const SAVED_FULL_SUB = "The venue may be full: please see a volunteer.";
const SIGNED_OUT_MESSAGE = "Your scan is saved. Please ask a volunteer to sign this kiosk in again.";

const main = $("#kiosk");
const view = { idle: $("#idle-view"), result: $("#result-view"), icon: $("#result-icon"), title: $("#result-title"),
  message: $("#result-message"), sub: $("#result-sub"), signIn: $("#signin-link"), pending: $("#pending"),
  toast: $("#toast"), refusals: $("#late-refusals"), refusalsTitle: $("#late-refusals-title"),
  refusalsList: $("#late-refusals-list") };
let lastScan = 0;       // sequence number of the newest scan
const unanswered = new Map(); // scans sent and not answered yet: sequence number -> ticket (ticketKey)
const waitingScreens = []; // screens waiting for the answer on screen to have been up READ_AT_LEAST
let answerUpAt = -Infinity; // when the answer now on screen went up
let nextScreenTimer = null;
let backToIdle = null;
let signedOut = false;
let lastRead = { code: "", at: -Infinity }; // the newest code read, for REREAD_WINDOW
const lateRefusals = []; // saved scans the server refused later: listed until a volunteer dismisses them
// Tickets a fresh scan here just checked in (code -> when): a scan of the same ticket saved here
// earlier is that person's first try, not a second person, whatever the server answers it.
const checkedInHere = new Map();
let lastCounts = null; // the newest headcount heard (/ws/headcount, or a check-in's answer): kept through an outage

// Timings for the bench (bench/scan_to_greeting.py): key press to greeting on screen.
const metrics = [];
window.kioskMetrics = metrics;

// --- station: which door this kiosk is; shown in the audit trail and used to pick a printer ---

function station() {
  return localStorage.getItem("kiosk.station") || main.dataset.stationDefault || "door-1";
}

function setStation(name) {
  const clean = String(name || "").trim().slice(0, 40);
  if (clean) localStorage.setItem("kiosk.station", clean);
  setText($("#station-name"), station());
}

// --- scanning ---

/** Every way in (scanner, camera, typed) ends here. */
async function scan(raw, { startedAt = performance.now(), via = "typed" } = {}) {
  const code = String(raw).trim();
  if (!code || isReread(code)) return;
  const seq = ++lastScan;
  const item = { code, station: station(), nonce: uuid() };
  unanswered.set(seq, ticketKey(code));
  const slow = setTimeout(() => present(() => {
    if (seq === lastScan && unanswered.has(seq)) showChecking();
  }), SLOW_AFTER);
  const outOfReach = await outbox.sendFirst(SAVED_FIRST_FOR); // this ticket's own saved scan waits behind it (onItsWay)
  const outcome = await sendUnlessOutOfReach(item, outOfReach);
  clearTimeout(slow);
  unanswered.delete(seq);
  const timing = recordTiming(code, via, startedAt, outcome);
  if (outcome.kind === "answer") {
    heardCounts(outcome.answer.data.headcount);
    if (outcome.answer.data.result === "checked_in") checkedInNow(code);
    else if (outcome.answer.data.result === "capacity_reached") dropSaved(code);
    networkWorks();
    present(() => { showAnswer(outcome.answer.data); timeShown(timing); });
  } else {
    save(item);
    present(() => { showSaved(outcome.kind); timeShown(timing); });
  }
}

/**
 * Put a screen up as soon as the answer on screen has been up READ_AT_LEAST: every scan's person
 * sees their own answer, also the one whose answer came just before (or just after) another's.
 */
function present(render) {
  waitingScreens.push(render);
  showNextScreen();
}

function showNextScreen() {
  clearTimeout(nextScreenTimer);
  while (waitingScreens.length) {
    const wait = answerUpAt + READ_AT_LEAST - performance.now();
    if (wait > 0) {
      nextScreenTimer = setTimeout(showNextScreen, wait);
      return;
    }
    waitingScreens.shift()();
  }
}

/** The same code as the last one, this soon: the screen already answers it (or is checking it). */
function isReread(code) {
  const now = performance.now();
  const again = code === lastRead.code && now - lastRead.at < REREAD_WINDOW;
  lastRead = { code, at: again ? lastRead.at : now };
  return again;
}

/**
 * One attempt: {kind: "answer"} when the server decided, else why we must try again later.
 * `late`: the scan comes from the outbox, so the person was let in on trust earlier; the server
 * tells the volunteers if it refuses it (a stale CSRF token is renewed by api.js itself).
 */
async function send(item, late = false) {
  const body = { code: item.code, station: item.station, nonce: item.nonce };
  if (late) Object.assign(body, { late: true, saved_at: new Date(item.savedAt || Date.now()).toISOString() });
  let answer;
  try {
    answer = await post("/api/checkins", body, { timeout: REQUEST_TIMEOUT });
  } catch {
    return { kind: "lost" }; // no answer: network down, server gone, or too slow
  }
  // 503: busy for a moment (an import), so come back; any other 5xx: the server failed on it.
  if (answer.status >= 500) return { kind: answer.status === 503 ? "busy" : "failed", answer };
  // Too many unrecognised codes lately at this door: for a saved scan that is "wait", not a
  // verdict on the ticket (the person went in long ago; their ticket was never looked at). Only
  // this scan waits: the server answers, and the genuine tickets saved after it are taken.
  if (late && answer.status === 429) return { kind: "later", answer };
  const kind = answer.status === 401 || answer.status === 403 ? "signed_out" : "answer";
  setSignedOut(kind === "signed_out");
  return { kind, answer };
}

/**
 * A fresh scan's attempt, given up ({kind: "lost"}: saved at once, as offline) as soon as the saved
 * scans sent before it find the server out of reach. On lossy Wi-Fi where requests hang, the
 * person in front saw "Checking…" for up to 2 s of those and then up to 4 s of their own before
 * "Scan saved". Its request may still get through: the outbox sends it again with its nonce.
 */
async function sendUnlessOutOfReach(item, outOfReach) {
  if (outOfReach.aborted) return { kind: "lost" };
  const lost = new Promise((resolve) => outOfReach.addEventListener("abort", () => resolve({ kind: "lost" }), { once: true }));
  return Promise.race([send(item), lost]);
}

/** An answer came: what waits for the network (saved scans, the camera's socket) goes now, not
 * at the end of its back-off. */
function networkWorks() {
  outbox.kick();
  camera.networkBack();
}

/** Signed in again (an answer came): leave the signed-out screen, which waits for this. */
function setSignedOut(value) {
  if (value === signedOut) return;
  signedOut = value;
  if (!value && main.dataset.state === "signed_out") showIdle();
  showPending(outbox.count);
}

// --- what the queue sees ---

function showAnswer(data) {
  const result = typeof data.result === "string" ? data.result : "error";
  const first = firstName(data.attendee);
  if (result === "checked_in") {
    const party = guestsText(data.attendee, "with ");
    const message = party ? `You are checked in ${party}. Your badges are printing.` : "Your badge is printing.";
    show(result, first ? `Welcome, ${first}!` : "Welcome!", message, "Pick it up at the printer.");
  } else {
    const title = ticketOfAnotherEvening(data) ? "Ticket for another evening" : TITLES[result] || "Please see a volunteer";
    show(result, title, data.message || "Please see a volunteer.", "");
  }
}

function showSaved(kind) {
  if (kind === "signed_out") show("signed_out", TITLES.signed_out, SIGNED_OUT_MESSAGE, "");
  else show("saved", TITLES.saved, SAVED_MESSAGE, venueSeemsFull() ? SAVED_FULL_SUB : SAVED_SUB);
}

function heardCounts(counts) {
  if (counts && typeof counts === "object") lastCounts = counts;
}

/** Whether the last headcount heard had no place left (capacity set, none remaining). */
function venueSeemsFull() {
  return Boolean(lastCounts?.capacity) && typeof lastCounts.remaining === "number" && lastCounts.remaining <= 0;
}

/** The last greeting's timer must not put "Scan your ticket" up while this scan is checked: the
 * person in front would scan again. The answer starts its own timer. */
function showChecking() {
  clearTimeout(backToIdle);
  main.dataset.state = "checking";
  view.idle.hidden = true;
  view.result.hidden = false;
  setText(view.icon, "…");
  setText(view.title, "Checking…");
  setText(view.message, "");
  setText(view.sub, "");
  view.signIn.hidden = true;
}

function show(kind, title, message, sub) {
  answerUpAt = performance.now();
  main.dataset.state = kind in ICONS ? kind : "refused";
  setText(view.icon, ICONS[kind] || "!");
  setText(view.title, title);
  setText(view.message, message);
  setText(view.sub, sub);
  view.idle.hidden = true;
  view.result.hidden = false;
  beep(kind);
  clearTimeout(backToIdle);
  // Signed out, the kiosk can do nothing for the queue: the screen with its "Sign in" link stays
  // until an answer comes back (setSignedOut).
  view.signIn.hidden = kind !== "signed_out";
  if (kind !== "signed_out") backToIdle = setTimeout(showIdle, SHOW_FOR[kind] || SHOW_REFUSAL);
}

function showIdle() {
  main.dataset.state = "idle";
  view.result.hidden = true;
  view.idle.hidden = false;
  reloadIfOtherEvening();
}

// --- the evening ---

let servingAnotherEvening = false; // the server now serves another evening than this page shows (js/evening.js)

/**
 * Load the page again for the evening the server serves now, once nobody is reading it: not over
 * someone's greeting (nor a scan whose answer is still on its way or waiting its turn), the late
 * refusals a volunteer has not dismissed yet (they live in this page only), the settings or a
 * half-typed code. Saved scans wait in localStorage and survive it.
 */
function reloadIfOtherEvening() {
  const busy = main.dataset.state !== "idle" || unanswered.size || waitingScreens.length || lateRefusals.length
    || $("#settings-dialog").open || $("#manual-code").value;
  if (servingAnotherEvening && !busy) location.reload();
}

function watchEvening() {
  new LiveSocket("/ws/headcount", {
    heartbeat: true,
    onMessage: (counts) => {
      heardCounts(counts);
      servingAnotherEvening = isOtherEvening(counts);
      reloadIfOtherEvening();
    },
  }).start();
}

/** Whether a read could be a door code of any kind by its shape (spaces in a list's code are dropped). */
function isDoorCode(code) {
  return DOOR_CODE_SHAPES.some((shape) => shape.test(code.replace(/\s+/g, "")));
}

/** A ticket the server knows, of another evening than tonight's (last month's): not "Ticket not found". */
function ticketOfAnotherEvening(data) {
  return data.result === "unknown_code" && Boolean(data.evening && typeof data.evening === "object");
}

function firstName(attendee) {
  if (!attendee || typeof attendee !== "object") return "";
  // An empty first name is a ticket without a name (its "name" is an order or an email): "Welcome!"
  if (typeof attendee.first_name === "string") return attendee.first_name.trim();
  return typeof attendee.name === "string" ? attendee.name.trim().split(/\s+/)[0] : "";
}

/** A scan answered just now; its screen may wait for the one before it (timeShown completes it). */
function recordTiming(code, via, startedAt, outcome) {
  const entry = { code, via, keyAt: startedAt, answeredAt: performance.now(), shownAt: null, paintAt: null,
    result: outcome.answer?.data?.result || outcome.kind };
  metrics.push(entry);
  if (metrics.length > 500) metrics.shift();
  return entry;
}

function timeShown(entry) {
  entry.shownAt = performance.now();
  requestAnimationFrame(() => { entry.paintAt = performance.now(); });
}

// --- scans waiting for the network ---

/**
 * On flaky Wi-Fi a person's scan is saved, they scan again and this time it gets through: they
 * are in. Their saved scan, sent after it, was answered "already checked in" and listed as a
 * refusal for a volunteer to chase, on this screen and in the volunteers' feed. It has nothing
 * left to do: it leaves the outbox unsent.
 */
function checkedInNow(code) {
  const key = ticketKey(code);
  checkedInHere.set(key, Date.now());
  if (checkedInHere.size > 500) checkedInHere.delete(checkedInHere.keys().next().value);
  dropSaved(code);
}

/**
 * Forget the saved scans of a ticket whose person scanned again here and got the server's answer.
 * Checked in: nothing left to do (above). Refused for a full venue: they stand at the kiosk, not
 * inside, and a volunteer decides; their saved scan, sent after it, checked them in past the
 * capacity (a saved scan's person is taken to be inside) under the refusal on the screen.
 */
function dropSaved(code) {
  const key = ticketKey(code);
  outbox.drop((item) => ticketKey(item.code) === key);
}

/** A saved scan already on its way when the same ticket was checked in here by a fresh scan. */
function checkedInHereSince(item) {
  return checkedInHere.get(ticketKey(item.code)) >= (item.savedAt || 0);
}

/**
 * Keep a scan the server did not answer, unless a scan of the same ticket already waits here: that
 * is its person trying again (the screen said "Saved"), and the waiting one speaks for both. Both
 * used to be sent: the first was confirmed, the second came back "Already checked in" and was
 * listed as a refusal, here and in the volunteers' feed, for someone who had done nothing wrong.
 */
function save(item) {
  const key = ticketKey(item.code);
  if (!outbox.holds((waiting) => ticketKey(waiting.code) === key)) outbox.add(item);
}

/** Scans of one ticket have the same key (our codes are read in any case, as the server does). */
function ticketKey(code) {
  return code.toUpperCase();
}

const outbox = new Outbox({
  send: async (item) => {
    const outcome = await send(item, true);
    return { done: outcome.kind === "answer", failed: outcome.kind === "failed", later: outcome.kind === "later",
      busy: outcome.kind === "busy", answer: outcome.answer };
  },
  onChange: (count) => showPending(count),
  onSettled: (item, answer) => { networkWorks(); heardCounts(answer.data.headcount); settled(item, answer.data); },
  onGaveUp: (item) => addLateRefusal(item, { result: "server_error" }),
  heldBack: onItsWay,
});

/** A saved scan whose person scanned again here and is waiting for that answer: it speaks for
 * them (a welcome, not "Already checked in" after their saved scan took the place). */
function onItsWay(item) {
  return [...unanswered.values()].includes(ticketKey(item.code));
}

function showPending(count) {
  view.pending.hidden = count === 0;
  const what = count === 1 ? "1 scan" : `${count} scans`;
  setText(view.pending, signedOut ? `${what} waiting: kiosk signed out` : `${what} waiting for the network`);
}

/**
 * A saved scan finally got its answer. Never full screen: that person went in long ago, and
 * whoever stands at the kiosk now must not be greeted or refused in their place. A confirmation
 * is a passing note; a refusal stays listed until a volunteer dismisses it.
 */
function settled(item, data) {
  if (data.result === "checked_in" || (data.result === "already_checked_in" && checkedInHereSince(item))) confirmed(firstName(data.attendee) || "a saved scan");
  else addLateRefusal(item, data);
}

const CONFIRMED_NAMED = 3; // names a note of several confirmations lists; the rest are counted
const confirmedNow = [];   // who the confirmation note on screen names

/**
 * A saved scan confirmed. Saved scans go one after another once the network is back: each note
 * replaced the one before within a few ms, and after an outage "Confirmed: Ana is checked in." was
 * all anyone saw of eight confirmations. A note still up takes the newcomer in.
 */
function confirmed(name) {
  if (view.toast.hidden) confirmedNow.length = 0;
  confirmedNow.push(name);
  const named = confirmedNow.slice(0, CONFIRMED_NAMED);
  const others = confirmedNow.length - named.length;
  if (others) named.push(`${others} other${others === 1 ? "" : "s"}`);
  const who = named.length === 1 ? named[0] : `${named.slice(0, -1).join(", ")} and ${named.at(-1)}`;
  toast(`Confirmed: ${who} ${confirmedNow.length === 1 ? "is" : "are"} checked in.`);
}

function addLateRefusal(item, data) {
  const who = typeof data.attendee?.name === "string" && data.attendee.name ? data.attendee.name : item.code.slice(0, 40);
  lateRefusals.push({ who, why: ticketOfAnotherEvening(data) ? "Ticket for another evening" : TITLES[data.result] || "Refused" });
  showLateRefusals();
}

function showLateRefusals() {
  const n = lateRefusals.length;
  view.refusals.hidden = n === 0;
  setText(view.refusalsTitle, `${n === 1 ? "1 saved scan was" : `${n} saved scans were`} refused — see a volunteer`);
  view.refusalsList.replaceChildren(...lateRefusals.map(({ who, why }) =>
    h("li", {}, h("strong", { text: who }), ` — ${why}`)));
}

function dismissLateRefusals() {
  lateRefusals.length = 0;
  showLateRefusals();
  reloadIfOtherEvening();
}

function toast(text) {
  setText(view.toast, text);
  view.toast.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { view.toast.hidden = true; }, 6000);
}

// --- the camera ---

const camera = new CameraScanner({
  video: $("#camera-video"),
  onCode: (code) => scan(code, { via: "camera" }),
  onStatus: (state, message) => {
    const button = $("#camera-toggle");
    const on = ["on", "starting", "offline"].includes(state);
    button.setAttribute("aria-pressed", String(on));
    setText($("#camera-toggle-label"), on ? "Camera on" : "Camera off");
    setText($("#camera-status"), state === "off" ? "" : message);
    $("#camera-status").dataset.state = state;
  },
});

async function toggleCamera() {
  if (camera.running) {
    camera.stop();
    localStorage.setItem("kiosk.camera", "off");
  } else {
    localStorage.setItem("kiosk.camera", "on");
    await camera.start();
  }
}

/** On unless switched off here before; "auto" means: if this device has a camera. */
async function startCameraIfWanted() {
  const wanted = localStorage.getItem("kiosk.camera");
  if (wanted === "on" || (wanted === null && await CameraScanner.available())) await camera.start();
}

// --- settings (station name, sound) ---

function setUpSettings() {
  const dialog = $("#settings-dialog");
  const stationInput = $("#station-input");
  const soundInput = $("#sound-input");
  const sound = localStorage.getItem("kiosk.sound") !== "off";
  setSoundEnabled(sound);
  soundInput.checked = sound;
  $("#settings-button").addEventListener("click", () => {
    stationInput.value = station();
    dialog.showModal();
  });
  // Save is the form's only submit button, so Enter in the station field saves; Cancel and Escape
  // close the dialog and change nothing.
  $("#settings-cancel").addEventListener("click", closeSettings);
  $("#settings-form").addEventListener("submit", () => {
    setStation(stationInput.value);
    localStorage.setItem("kiosk.sound", soundInput.checked ? "on" : "off");
    setSoundEnabled(soundInput.checked);
  });
}

function closeSettings() {
  const dialog = $("#settings-dialog");
  if (dialog.open) dialog.close();
}

// --- start ---

function start() {
  const fromUrl = new URLSearchParams(location.search).get("station");
  if (fromUrl) setStation(fromUrl); // e.g. a paired phone opened with ?station=door-2
  setStation(station());
  setUpSettings();
  unlockOnGesture();
  listenForScans((code, info) => {
    closeSettings(); // a scan while a volunteer has the settings open: the person must see their answer
    scan(code, info);
  }, { isComplete: (code) => TICKET_SHAPE.test(code), isPartial: (code) => TICKET_START.test(code), isCode: isDoorCode });
  $("#manual-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("#manual-code");
    const code = input.value;
    input.value = "";
    scan(code, { via: "typed" });
  });
  $("#camera-toggle").addEventListener("click", toggleCamera);
  $("#late-refusals-dismiss").addEventListener("click", dismissLateRefusals);
  outbox.start();
  startCameraIfWanted();
  watchEvening();
}

start();
