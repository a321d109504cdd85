// A websocket that comes back by itself. Venue Wi-Fi drops, laptops sleep, the server restarts:
// every screen reconnects with growing, jittered delays (so 50 phones do not reconnect in step)
// and calls onOpen again, which is where pages resynchronise their state.
//
// A socket can also die without closing: the access point forgets the phone, a NAT entry
// expires, the laptop sleeps. The page would show "Live" for many minutes while nothing arrives
// (a browser never sees websocket pings). The feeds send something at least every heartbeat
// (kiosk/live.py; the interval is in <meta name="live-heartbeat">), so a socket made with
// `heartbeat: true` that has been silent for a few heartbeats is dropped and replaced.

export function wsUrl(path) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

const MISSED_HEARTBEATS = 2.5; // silent this many heartbeats: the socket is dead, not the door quiet

/** How long a heartbeat socket may stay silent (ms), from the interval the server put in the page. */
function silenceLimit() {
  const seconds = Number(document.querySelector('meta[name="live-heartbeat"]')?.content);
  return seconds > 0 ? seconds * 1000 * MISSED_HEARTBEATS + 1000 : null;
}

export class LiveSocket {
  /**
   * @param {string|function} path e.g. "/ws/headcount" (same origin: the session cookie
   *   authenticates it); a function is asked again at each reconnect (e.g. to add ?since=)
   * @param {object} handlers onMessage(data), onOpen(isReconnect), onStatus("open"|"connecting"|"closed")
   * @param heartbeat the server sends at least one message per heartbeat: watch for silence
   */
  constructor(path, { onMessage, onOpen, onStatus, json = true, minDelay = 500, maxDelay = 15000, heartbeat = false } = {}) {
    Object.assign(this, { path, onMessage, onOpen, onStatus, json, minDelay, maxDelay });
    this.silenceLimit = heartbeat ? silenceLimit() : null;
    this.watchdog = null;
    this.ws = null;
    this.failures = 0;
    this.openedOnce = false;
    this.stopped = true;
    this.timer = null;
  }

  start() {
    this.stopped = false;
    this.connect();
    // A phone that wakes up or a laptop back on Wi-Fi should not wait out a long back-off.
    this.kick = () => { if (!this.isOpen && !this.stopped) this.reconnectNow(); };
    window.addEventListener("online", this.kick);
    document.addEventListener("visibilitychange", this.kick);
    return this;
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.watchdog);
    window.removeEventListener("online", this.kick);
    document.removeEventListener("visibilitychange", this.kick);
    if (this.ws) this.ws.close();
    this.ws = null;
    this.onStatus?.("closed");
  }

  get isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  send(data) {
    if (!this.isOpen) return false;
    this.ws.send(data);
    return true;
  }

  connect() {
    clearTimeout(this.timer);
    this.onStatus?.("connecting");
    const ws = new WebSocket(wsUrl(typeof this.path === "function" ? this.path() : this.path));
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.addEventListener("open", () => {
      this.failures = 0;
      this.watch(ws);
      this.onStatus?.("open");
      this.onOpen?.(this.openedOnce);
      this.openedOnce = true;
    });
    ws.addEventListener("message", (event) => {
      if (this.ws !== ws) return; // a socket we gave up on may still deliver: it is not ours any more
      this.watch(ws);
      this.receive(event.data);
    });
    ws.addEventListener("close", (event) => {
      if (this.ws !== ws) return; // an old socket we already replaced
      this.ws = null;
      clearTimeout(this.watchdog);
      this.closeCode = event.code;
      if (!this.stopped) this.scheduleReconnect();
    });
    // "error" is always followed by "close": reconnecting is handled there.
  }

  /** (Re)start the silence timer: `ws` heard from just now. */
  watch(ws) {
    if (!this.silenceLimit) return;
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => this.abandon(ws), this.silenceLimit);
  }

  /**
   * Give up on a socket that went silent. Its close handshake cannot complete over a dead
   * connection (the "close" event could take minutes), so forget it first and reconnect now.
   */
  abandon(ws) {
    if (this.ws !== ws) return;
    this.ws = null;
    ws.close();
    if (!this.stopped) this.connect();
  }

  receive(raw) {
    if (!this.json) return this.onMessage?.(raw);
    let data;
    try {
      data = JSON.parse(raw);
    } catch {
      return; // not ours to show
    }
    this.onMessage?.(data);
  }

  scheduleReconnect() {
    this.onStatus?.("connecting");
    const base = Math.min(this.maxDelay, this.minDelay * 2 ** this.failures);
    this.failures += 1;
    const delay = base * (0.8 + Math.random() * 0.4);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  /** The peer stopped answering though the socket looks open (a socket without heartbeats
   * cannot tell by itself): give it up and open another one now. */
  replace() {
    if (this.ws) this.abandon(this.ws);
  }

  reconnectNow() {
    clearTimeout(this.timer);
    if (this.ws && this.ws.readyState === WebSocket.CONNECTING) return;
    this.connect();
  }
}
