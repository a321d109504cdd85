// Scans the server has not confirmed yet. A scan is never lost: it waits in localStorage (so it
// survives a reload or a crashed tab) and is sent again with the same nonce until the server
// answers. The nonce makes a repeat safe: a scan that did reach the server is answered from
// its first result instead of being counted twice.

const KEY = "kiosk.outbox.v1";
const MIN_DELAY = 500;
const MAX_DELAY = 15000;

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
   * @param send async (scan) => {done: boolean, answer}; done=false means "no answer, try later"
   * @param onChange (count) => void, whenever the number of waiting scans changes
   * @param onSettled (scan, answer) => void, when a waiting scan finally got its answer
   */
  constructor({ send, onChange, onSettled }) {
    Object.assign(this, { send, onChange, onSettled });
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

  async flush() {
    if (this.flushing) {
      this.again = true; // a scan was added mid-flush: look once more when this round ends
      return;
    }
    this.flushing = true;
    this.again = false;
    try {
      for (const scan of load()) { // oldest first: the order people arrived in
        const { done, answer } = await this.send(scan);
        if (!done) {
          this.failures += 1;
          this.flushSoon();
          return;
        }
        this.remove(scan.nonce);
        this.failures = 0;
        this.onSettled?.(scan, answer);
      }
    } finally {
      this.flushing = false;
    }
    if (this.again && this.count) this.flushSoon(0);
  }
}
