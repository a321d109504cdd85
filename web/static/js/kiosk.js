// The kiosk facing the queue: scan (scanner, camera or typed code) -> POST /api/checkins ->
// a full-screen greeting or refusal with its own colour and sound -> back to "Scan your ticket".

import { $, setText, uuid } from "./dom.js";
import { post } from "./api.js";
import { listenForScans } from "./scanner.js";
import { CameraScanner } from "./camera.js";
import { Outbox } from "./outbox.js";
import { beep, setSoundEnabled, unlockOnGesture } from "./sounds.js";

const REQUEST_TIMEOUT = 4000; // ms: longer than this and the person in front of us is told we saved it
const SLOW_AFTER = 300;       // ms before "Checking…" shows: a fast answer should not flicker
const SHOW_FOR = { checked_in: 4000, already_checked_in: 5000, saved: 6000 };
const SHOW_REFUSAL = 6500;

const TITLES = {
  already_checked_in: "Already checked in",
  unknown_code: "Ticket not found",
  invalid_code: "Not a valid ticket",
  not_attending: "Ticket not active",
  capacity_reached: "The venue is full",
  too_many_attempts: "Please wait a moment",
  saved: "Scan saved",
  signed_out: "Kiosk signed out",
};
const ICONS = {
  checked_in: "✓", already_checked_in: "↻", unknown_code: "?", invalid_code: "✕", not_attending: "!",
  capacity_reached: "■", too_many_attempts: "…", saved: "⇅", signed_out: "!",
};
// Our own tickets (kiosk/tickets.py): a burst of this shape is whole and can go at once.
const TICKET_SHAPE = /^K[0-9A-Z]{1,6}-[0-9A-Z]{8}-[0-9A-Z]{13}$/i;
const SAVED_MESSAGE = "Saved your scan — the network is slow, we'll confirm in a moment.";
const SIGNED_OUT_MESSAGE = "Your scan is saved. Please ask a volunteer to sign this kiosk in again.";

const main = $("#kiosk");
const view = { idle: $("#idle-view"), result: $("#result-view"), icon: $("#result-icon"), title: $("#result-title"),
  message: $("#result-message"), sub: $("#result-sub"), pending: $("#pending"), toast: $("#toast") };
let lastScan = 0;       // sequence number of the newest scan
let lastShown = 0;      // the newest scan whose answer is on screen: older answers must not cover it
let backToIdle = null;
let signedOut = false;

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
  if (!code) return;
  const seq = ++lastScan;
  const item = { code, station: station(), nonce: uuid() };
  const slow = setTimeout(() => { if (seq === lastScan) showChecking(); }, SLOW_AFTER);
  const outcome = await send(item);
  clearTimeout(slow);
  if (outcome.kind === "answer") {
    outbox.kick(); // the network works: anything still waiting can go now
    if (seq >= lastShown) showAnswer(outcome.answer.data, seq);
  } else {
    signedOut = outcome.kind === "signed_out";
    outbox.add(item);
    if (seq >= lastShown) showSaved(outcome.kind, seq);
  }
  recordTiming(code, via, startedAt, outcome);
}

/** One attempt: {kind: "answer"} when the server decided, else why we must try again later. */
async function send(item) {
  let answer;
  try {
    answer = await post("/api/checkins", item, { timeout: REQUEST_TIMEOUT });
  } catch {
    return { kind: "lost" }; // no answer: network down, server gone, or too slow
  }
  if (answer.status >= 500) return { kind: "lost", answer };
  if (answer.status === 401 || answer.status === 403) return { kind: "signed_out", answer };
  return { kind: "answer", answer };
}

// --- what the queue sees ---

function showAnswer(data, seq) {
  const result = typeof data.result === "string" ? data.result : "error";
  const first = firstName(data.attendee);
  if (result === "checked_in") {
    show(result, seq, first ? `Welcome, ${first}!` : "Welcome!", "Your badge is printing.", "Pick it up at the printer.");
  } else {
    const title = TITLES[result] || "Please see a volunteer";
    show(result, seq, title, data.message || "Please see a volunteer.", "");
  }
}

function showSaved(kind, seq) {
  if (kind === "signed_out") show("signed_out", seq, TITLES.signed_out, SIGNED_OUT_MESSAGE, "");
  else show("saved", seq, TITLES.saved, SAVED_MESSAGE, "You can go in.");
}

function showChecking() {
  main.dataset.state = "checking";
  view.idle.hidden = true;
  view.result.hidden = false;
  setText(view.icon, "…");
  setText(view.title, "Checking…");
  setText(view.message, "");
  setText(view.sub, "");
}

function show(kind, seq, title, message, sub) {
  lastShown = seq;
  main.dataset.state = kind in ICONS ? kind : "refused";
  setText(view.icon, ICONS[kind] || "!");
  setText(view.title, title);
  setText(view.message, message);
  setText(view.sub, sub);
  view.idle.hidden = true;
  view.result.hidden = false;
  beep(kind);
  clearTimeout(backToIdle);
  backToIdle = setTimeout(showIdle, SHOW_FOR[kind] || SHOW_REFUSAL);
}

function showIdle() {
  main.dataset.state = "idle";
  view.result.hidden = true;
  view.idle.hidden = false;
}

function firstName(attendee) {
  if (!attendee || typeof attendee !== "object") return "";
  const first = typeof attendee.first_name === "string" ? attendee.first_name.trim() : "";
  if (first) return first;
  return typeof attendee.name === "string" ? attendee.name.trim().split(/\s+/)[0] : "";
}

function recordTiming(code, via, startedAt, outcome) {
  const shownAt = performance.now();
  const entry = { code, via, keyAt: startedAt, shownAt, paintAt: null, result: outcome.answer?.data?.result || outcome.kind };
  metrics.push(entry);
  if (metrics.length > 500) metrics.shift();
  requestAnimationFrame(() => { entry.paintAt = performance.now(); });
}

// --- scans waiting for the network ---

const outbox = new Outbox({
  send: async (item) => {
    const outcome = await send(item);
    signedOut = outcome.kind === "signed_out";
    return { done: outcome.kind === "answer", answer: outcome.answer };
  },
  onChange: (count) => showPending(count),
  onSettled: (item, answer) => settled(answer.data),
});

function showPending(count) {
  view.pending.hidden = count === 0;
  const what = count === 1 ? "1 scan" : `${count} scans`;
  setText(view.pending, signedOut ? `${what} waiting: kiosk signed out` : `${what} waiting for the network`);
}

/** A saved scan finally got its answer: greet if nobody else is on screen, else a quiet note. */
function settled(data) {
  const first = firstName(data.attendee);
  if (main.dataset.state === "idle") {
    showAnswer(data, lastShown); // not a new sequence number: a scan in flight still wins
    setText(view.sub, "Confirmed now.");
    return;
  }
  const note = data.result === "checked_in" ? `Confirmed: ${first || "a saved scan"} is checked in.`
    : `A saved scan: ${data.message || data.result}`;
  toast(note);
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
    button.setAttribute("aria-pressed", String(state === "on" || state === "starting"));
    setText($("#camera-toggle-label"), state === "on" || state === "starting" ? "Camera on" : "Camera off");
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
  $("#settings-form").addEventListener("submit", (event) => {
    if (event.submitter?.value !== "save") return; // Cancel closes the dialog and changes nothing
    setStation(stationInput.value);
    localStorage.setItem("kiosk.sound", soundInput.checked ? "on" : "off");
    setSoundEnabled(soundInput.checked);
  });
}

// --- start ---

function start() {
  const fromUrl = new URLSearchParams(location.search).get("station");
  if (fromUrl) setStation(fromUrl); // e.g. a paired phone opened with ?station=door-2
  setStation(station());
  setUpSettings();
  unlockOnGesture();
  listenForScans((code, info) => scan(code, info), { input: $("#manual-code"), isComplete: (code) => TICKET_SHAPE.test(code) });
  $("#manual-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("#manual-code");
    const code = input.value;
    input.value = "";
    scan(code, { via: "typed" });
  });
  $("#camera-toggle").addEventListener("click", toggleCamera);
  outbox.start();
  startCameraIfWanted();
}

start();
