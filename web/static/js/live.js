// A websocket that comes back by itself. Venue Wi-Fi drops, laptops sleep, the server restarts:
// every screen reconnects with growing, jittered delays (so 50 phones do not reconnect in step)
// and calls onOpen again, which is where pages resynchronise their state.

export function wsUrl(path) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

export class LiveSocket {
  /**
   * @param {string} path e.g. "/ws/headcount" (same origin: the session cookie authenticates it)
   * @param {object} handlers onMessage(data), onOpen(isReconnect), onStatus("open"|"connecting"|"closed")
   */
  constructor(path, { onMessage, onOpen, onStatus, json = true, minDelay = 500, maxDelay = 15000 } = {}) {
    Object.assign(this, { path, onMessage, onOpen, onStatus, json, minDelay, maxDelay });
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
    const ws = new WebSocket(wsUrl(this.path));
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.addEventListener("open", () => {
      this.failures = 0;
      this.onStatus?.("open");
      this.onOpen?.(this.openedOnce);
      this.openedOnce = true;
    });
    ws.addEventListener("message", (event) => this.receive(event.data));
    ws.addEventListener("close", () => {
      if (this.ws !== ws) return; // an old socket we already replaced
      this.ws = null;
      if (!this.stopped) this.scheduleReconnect();
    });
    // "error" is always followed by "close": reconnecting is handled there.
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

  reconnectNow() {
    clearTimeout(this.timer);
    if (this.ws && this.ws.readyState === WebSocket.CONNECTING) return;
    this.connect();
  }
}
