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

/** Whether a scan may be sent now: never answered without a decision, or its back-off is over. */
function isDue(scan, now = Date.now()) {
  return !(scan.retryAt > now);
}

/** The back-off after `n` tries in a row without a decision (1 s, 2 s, 4 s... 15 s, give or take a fifth). */
function backOff(n) {
  return Math.min(MAX_DELAY, MIN_DELAY * 2 ** n) * (0.8 + Math.random() * 0.4);
}

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
   * @param send async (scan) => {done, answer, failed, later, busy}: done when the server decided; else
   *   `failed` when it answered but could not decide (a server error: counts towards giving up),
   *   `later` when it asked for this scan again later (429: the scans after it may go now),
   *   `busy` when it asked for patience (503: the rest of the round waits too),
   *   none when it was out of reach (try again, no limit)
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
    const wait = delay ?? backOff(this.failures);
    this.timer = setTimeout(() => this.flush(), wait);
  }

  /**
   * Send the waiting scans now, before a fresh scan goes: they were at the door first, and with a
   * capacity the last places are theirs (the kiosk told them to go in). Resolves when this round
   * is over or after `limit` ms, whichever comes first, so a slow network never stalls the queue.
   * Scans held back (heldBack) are not waited for: the fresh scan speaks for them. Nor are scans
   * still in their back-off after an answer without a decision (a 500 sent before every fresh
   * scan was given up after six people, within seconds): they keep their schedule.
   * Resolves to a signal that aborts when this round finds the server out of reach (a request
   * got no answer), also after `limit`: the fresh scan need not wait for its own answer then.
   */
  async sendFirst(limit) {
    if (!load().some((scan) => isDue(scan) && !this.heldBack(scan))) return new AbortController().signal; // nothing may go now
    clearTimeout(this.timer);
    let timer;
    const enough = new Promise((resolve) => { timer = setTimeout(resolve, limit); });
    const round = this.flush();
    const outOfReach = this.reach.signal; // this round's, also when it was under way already
    await Promise.race([round, enough]);
    clearTimeout(timer);
    return outOfReach;
  }

  /** One round of sending (the round already under way, if any); resolves when it is over. */
  flush() {
    if (this.flushing) return this.round; // a scan added meanwhile is due when it ends (scheduleNext)
    this.reach = new AbortController(); // aborted when this round finds the server out of reach
    this.round = this.sendAll();
    return this.round;
  }

  async sendAll() {
    this.flushing = true;
    let blocked = false; // out of reach or busy: the round stopped
    let heldUp = false;  // some scan was held back
    try {
      for (const scan of load()) { // oldest first: the order people arrived in
        if (!load().some((s) => s.nonce === scan.nonce)) continue; // dropped meanwhile (drop())
        if (!isDue(scan)) continue; // its own back-off is not over: scheduled below
        if (this.heldBack(scan)) {
          heldUp = true; // not now: the next round
          continue;
        }
        const { done, answer, failed, later, busy } = await this.send(scan);
        if (done) {
          this.remove(scan.nonce);
          this.onSettled?.(scan, answer);
        } else if (later) {
          this.retryLater(scan); // this one only: the scans saved after it (genuine tickets) are taken
        } else if (failed) {
          if (!this.countServerError(scan, answer)) this.retryLater(scan); // this one failed; the next may not
        } else if (busy) {
          this.retryLater(scan);
          blocked = true;
          break; // busy: the rest would fare no better this round
        } else {
          blocked = true;
          this.reach.abort();
          break; // out of reach: the rest would fare no better this round
        }
      }
    } finally {
      this.flushing = false;
    }
    this.failures = blocked || heldUp ? this.failures + 1 : 0;
    this.scheduleNext(blocked, heldUp);
  }

  /**
   * The next round: at the round's back-off if it stopped (out of reach, busy); else when the
   * first scan that may go is due: at once for one added during the round or whose back-off ended
   * while the others went (else nothing sent it until a fresh scan came), and at the round's
   * back-off at the latest if one was held back.
   */
  scheduleNext(blocked, heldUp) {
    if (blocked) return this.flushSoon();
    const now = Date.now();
    const untilDue = Math.min(...load().filter((s) => !this.heldBack(s)).map((s) => Math.max(0, (s.retryAt || 0) - now)));
    const delay = heldUp ? Math.min(untilDue, backOff(this.failures)) : untilDue;
    if (delay < Infinity) this.flushSoon(delay);
  }

  /** The server answered `scan` without a decision: it waits its own back-off, which grows each time. */
  retryLater(scan) {
    const retries = (scan.retries || 0) + 1;
    const retryAt = Date.now() + backOff(retries);
    save(load().map((s) => (s.nonce === scan.nonce ? { ...s, retries, retryAt } : s))); // kept across a reload too
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
