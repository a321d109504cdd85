// Scans the server has not confirmed yet. A scan is never lost: it waits in localStorage (so it
// survives a reload or a crashed tab) and is sent again with the same nonce until the server
// answers. The nonce makes a repeat safe: a scan that did reach the server is answered from
// its first result instead of being counted twice.

const KEY = "kiosk.outbox.v1";
const MIN_DELAY = 500;
const MAX_DELAY = 15000;
// A scan the server keeps failing on (HTTP 500: a bug, not a busy moment) is given up after this
// many answers (about half a minute of back-off), so it neither loops all evening nor holds up
// the scans saved after it. "No answer at all" never counts: the network may come back any time.
const MAX_SERVER_ERRORS = 6;

function load() {
  try {
    const items = JSON.parse(localStorage.getItem(KEY) || "[]");
    return Array.isArray(items) ? items : [];
  } catch {
    return [];
  }
}

function save(items) {
  localStorage.setItem(KEY, JSON.stringify(items));
}

export class Outbox {
  /**
   * @param send async (scan) => {done, answer, failed, later}: done when the server decided; else
   *   `failed` when it answered but could not decide (a server error: counts towards giving up),
   *   `later` when it asked for this scan again later (429: the scans after it may go now),
   *   none when it was out of reach or busy (try again, no limit)
   * @param onChange (count) => void, whenever the number of waiting scans changes
   * @param onSettled (scan, answer) => void, when a waiting scan finally got its answer
   * @param onGaveUp (scan, answer) => void, when the server failed on a scan MAX_SERVER_ERRORS times
   * @param heldBack (scan) => boolean: not to be sent now (tried again later), e.g. its person's
   *   fresh scan of the same ticket is on its way and answers for them
   */
  constructor({ send, onChange, onSettled, onGaveUp, heldBack = () => false }) {
    Object.assign(this, { send, onChange, onSettled, onGaveUp, heldBack });
    this.failures = 0;
    this.timer = null;
    this.flushing = false;
    window.addEventListener("online", () => this.flushSoon(0));
    // Another kiosk tab on this laptop changed the list.
    window.addEventListener("storage", (e) => { if (e.key === KEY) this.onChange?.(this.count); });
  }

  get count() {
    return load().length;
  }

  add(scan) {
    const items = load();
    if (!items.some((s) => s.nonce === scan.nonce)) items.push({ ...scan, savedAt: Date.now() });
    save(items);
    this.onChange?.(items.length);
    this.flushSoon();
  }

  remove(nonce) {
    const items = load().filter((s) => s.nonce !== nonce);
    save(items);
    this.onChange?.(items.length);
  }

  /** Whether a scan `wanted(scan)` picks is waiting. */
  holds(wanted) {
    return load().some(wanted);
  }

  /** Forget the waiting scans `unneeded(scan)` picks, unsent (the ticket was settled another way). */
  drop(unneeded) {
    const items = load();
    const kept = items.filter((s) => !unneeded(s));
    if (kept.length === items.length) return;
    save(kept);
    this.onChange?.(kept.length);
  }

  /** Start sending what an earlier page left behind. */
  start() {
    this.onChange?.(this.count);
    if (this.count) this.flushSoon(0);
  }

  /** The network works again (a fresh scan got through): do not wait out the back-off. */
  kick() {
    if (this.count && !this.flushing) {
      this.failures = 0;
      this.flushSoon(0);
    }
  }

  flushSoon(delay) {
    clearTimeout(this.timer);
    const wait = delay ?? Math.min(MAX_DELAY, MIN_DELAY * 2 ** this.failures) * (0.8 + Math.random() * 0.4);
    this.timer = setTimeout(() => this.flush(), wait);
  }

  /**
   * Send the waiting scans now, before a fresh scan goes: they were at the door first, and with a
   * capacity the last places are theirs (the kiosk told them to go in). Resolves when this round
   * is over or after `limit` ms, whichever comes first, so a slow network never stalls the queue.
   * Scans held back (heldBack) are not waited for: the fresh scan speaks for them.
   */
  async sendFirst(limit) {
    if (!load().some((scan) => !this.heldBack(scan))) return; // nothing that may go now
    clearTimeout(this.timer);
    let timer;
    const enough = new Promise((resolve) => { timer = setTimeout(resolve, limit); });
    await Promise.race([this.flush(), enough]);
    clearTimeout(timer);
  }

  /** One round of sending (the round already under way, if any); resolves when it is over. */
  flush() {
    if (this.flushing) {
      this.again = true; // a scan was added mid-flush: look once more when this round ends
      return this.round;
    }
    this.round = this.sendAll();
    return this.round;
  }

  async sendAll() {
    this.flushing = true;
    this.again = false;
    let waiting = false; // some scan must be sent again later
    try {
      for (const scan of load()) { // oldest first: the order people arrived in
        if (!load().some((s) => s.nonce === scan.nonce)) continue; // dropped meanwhile (drop())
        if (this.heldBack(scan)) {
          waiting = true; // not now: the next round
          continue;
        }
        const { done, answer, failed, later } = await this.send(scan);
        if (done) {
          this.remove(scan.nonce);
          this.onSettled?.(scan, answer);
        } else if (later) {
          waiting = true; // this one only: the scans saved after it (genuine tickets) are taken
        } else if (failed) {
          waiting = !this.countServerError(scan, answer) || waiting; // this one failed; the next may not
        } else {
          waiting = true;
          break; // out of reach: the rest would fare no better this round
        }
      }
    } finally {
      this.flushing = false;
    }
    this.failures = waiting ? this.failures + 1 : 0;
    if (waiting) this.flushSoon();
    else if (this.again && this.count) this.flushSoon(0);
  }

  /** One more server error for `scan`; true when that was its last chance and it was given up. */
  countServerError(scan, answer) {
    const errors = (scan.errors || 0) + 1;
    if (errors >= MAX_SERVER_ERRORS) {
      this.remove(scan.nonce);
      this.onGaveUp?.(scan, answer);
      return true;
    }
    save(load().map((s) => (s.nonce === scan.nonce ? { ...s, errors } : s))); // kept across a reload too
    return false;
  }
}
