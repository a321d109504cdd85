// Webcam scanning: a few frames a second go as JPEG over the /ws/camera websocket and the
// server answers {"codes": [...]} (zxing-cpp decodes far more reliably than anything we
// could ship as plain JS). Decoded codes are handed on like a scanner's key-in.

import { LiveSocket } from "./live.js";

const FRAME_INTERVAL = 250;   // ms: ~4 frames a second is plenty for a ticket held still
const MAX_WIDTH = 960;        // px: larger frames decode no better and cost Wi-Fi
const ANSWER_TIMEOUT = 2000;  // ms: send a new frame even if an answer got lost
const REPEAT_WINDOW = 5000;   // ms: a ticket held up keeps decoding; submit it once
// The server answers every frame. This many answers lost in a row on a socket that still looks
// open: the Wi-Fi dropped it without a close (a phone as a kiosk), so open another one.
const MAX_LOST_ANSWERS = 3;
const CAMERA_ON = "Camera on: hold your QR code up to it.";
// The server reads the frames: without the network the camera reads nothing, and the page must not
// invite the queue to hold their codes up to it (it went on saying CAMERA_ON through an outage).
const NO_NETWORK = "No network: the camera cannot read codes.";

export class CameraScanner {
  /**
   * @param video a <video> element to preview the camera in
   * @param onCode (code) => void, once per ticket shown
   * @param onStatus (state, message) => void; state: starting|on|offline|off|denied|none|unavailable|error
   *   ("offline": on, but the server that reads the frames is out of reach)
   */
  constructor({ video, onCode, onStatus }) {
    Object.assign(this, { video, onCode, onStatus });
    this.stream = null;
    this.starting = false; // waiting for getUserMedia: a camera can take seconds, a prompt longer
    this.attempt = 0;      // which start() is the current one: stop() makes any pending one stale
    this.unpluggedOn = false; // the camera went away while on: start again when a camera comes back
    this.refusedOn = false;   // permission was refused: start once it is granted in the browser's settings
    this.socket = null;
    this.timer = null;
    this.waitingSince = 0;
    this.lostAnswers = 0; // frames in a row that got no answer
    this.last = { code: null, at: 0 };
    this.canvas = document.createElement("canvas");
    navigator.mediaDevices?.addEventListener?.("devicechange", () => this.devicesChanged());
    watchCameraPermission((state) => this.permissionChanged(state));
  }

  /** On, or on its way: a press of the button while the camera starts switches it off. */
  get running() {
    return this.stream !== null || this.starting;
  }

  /** Whether this device has a camera at all (labels stay hidden until permission is given). */
  static async available() {
    if (!navigator.mediaDevices?.enumerateDevices) return false;
    try {
      const devices = await navigator.mediaDevices.enumerateDevices();
      return devices.some((d) => d.kind === "videoinput");
    } catch {
      return false;
    }
  }

  async start() {
    if (this.running) return true;
    if (!navigator.mediaDevices?.getUserMedia) {
      this.onStatus("unavailable", "The camera needs a secure (https) page on this device. Use the scanner or type your code.");
      return false;
    }
    this.onStatus("starting", "Starting the camera…");
    const stream = await this.open();
    if (!stream) return false;
    this.stream = stream;
    Object.assign(this, { unpluggedOn: false, refusedOn: false });
    stream.getVideoTracks().forEach((track) => track.addEventListener("ended", () => this.unplugged(stream)));
    this.video.srcObject = this.stream;
    this.video.hidden = false;
    await this.video.play().catch(() => {}); // muted + playsinline: allowed without a gesture
    if (this.stream !== stream) return false; // switched off or unplugged meanwhile
    this.socket = new LiveSocket("/ws/camera", {
      onMessage: (answer) => this.receive(answer),
      onStatus: (state) => this.socketChanged(state),
    }).start();
    this.timer = setInterval(() => this.sendFrame(), FRAME_INTERVAL);
    this.onStatus("on", CAMERA_ON);
    return true;
  }

  /** The frames' socket opened, or is trying to again (the first try is still "on": it opens in a moment). */
  socketChanged(state) {
    if (state !== "open") Object.assign(this, { waitingSince: 0, lostAnswers: 0 });
    if (!this.socket || !this.stream) return; // starting, or being switched off
    if (state === "open") this.onStatus("on", CAMERA_ON);
    else this.onStatus("offline", NO_NETWORK);
  }

  /**
   * The server answered the page just now. The frames' socket retries with growing delays while the
   * server is out of reach: after a restart the camera went on saying "No network: the camera cannot
   * read codes." for up to 15 s after scans were answered again. It tries again at once.
   */
  networkBack() {
    if (this.socket && !this.socket.isOpen) this.socket.reconnectNow();
  }

  /**
   * The camera's stream, or null when it could not start (the status says why) or was switched off
   * while it started. A slow camera said "Starting…" under a button already reading "Camera on";
   * a press then started a second one, and "Camera off" stopped only one of them: the webcam
   * stayed in use, its light on, with a socket and a frame timer left behind.
   */
  async open() {
    const attempt = ++this.attempt;
    this.starting = true;
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
      });
      if (attempt === this.attempt) return stream;
      stream.getTracks().forEach((t) => t.stop()); // switched off meanwhile
    } catch (err) {
      if (attempt === this.attempt) this.refused(describeError(err));
    } finally {
      if (attempt === this.attempt) this.starting = false;
    }
    return null;
  }

  /**
   * The camera went away while on (a USB cable pulled, its driver reset): the page went on saying
   * "Camera on: hold your QR code up to it" while nothing was scanned any more. Say so, and start
   * again by itself once a camera is plugged in (devicesChanged).
   */
  unplugged(stream) {
    if (this.stream !== stream) return;
    this.stop();
    this.unpluggedOn = true;
    this.onStatus("error", "Camera unplugged: plug it in again.");
  }

  /** The camera could not start: say why, and remember a refused permission (permissionChanged). */
  refused([state, message]) {
    this.refusedOn = state === "denied";
    this.onStatus(state, message);
  }

  /**
   * The camera permission changed in the browser's settings. Granted after it was refused here: the
   * page went on saying "Camera permission was refused" until someone pressed the button or reloaded,
   * so start now. Taken away while on (blocked, or reset to "ask"): Chromium ends the stream, and the
   * page said "Camera unplugged: plug it in again" (whichever of the two events comes first), so say
   * what happened; a press on the button asks again.
   */
  permissionChanged(state) {
    if (state === "granted") {
      if (this.refusedOn && !this.running) this.start();
      return;
    }
    if (!(this.stream || this.starting || this.unpluggedOn)) return;
    this.stop();
    this.refused(describeError({ name: "NotAllowedError" }));
  }

  /** A camera plugged in (or another one gone): back on if ours went away while it was on. */
  devicesChanged() {
    if (this.unpluggedOn && !this.running) this.start();
  }

  stop() {
    this.attempt += 1; // a start still waiting for the camera is not wanted any more
    this.starting = false;
    Object.assign(this, { unpluggedOn: false, refusedOn: false });
    clearInterval(this.timer);
    const socket = this.socket;
    this.socket = null; // first: its "closed" is no news to show (socketChanged)
    socket?.stop();
    this.stream?.getTracks().forEach((t) => t.stop());
    Object.assign(this, { stream: null, timer: null, waitingSince: 0 });
    this.video.srcObject = null;
    this.video.hidden = true;
    this.onStatus("off", "Camera off.");
  }

  sendFrame() {
    if (this.waitingSince && performance.now() - this.waitingSince < ANSWER_TIMEOUT) return; // busy
    if (this.waitingSince && this.answerLost()) return;
    if (document.hidden || !this.socket?.isOpen || this.video.readyState < 2) return;
    const { videoWidth: w, videoHeight: h } = this.video;
    if (!w || !h) return;
    const scale = Math.min(1, MAX_WIDTH / w);
    this.canvas.width = Math.round(w * scale);
    this.canvas.height = Math.round(h * scale);
    this.canvas.getContext("2d").drawImage(this.video, 0, 0, this.canvas.width, this.canvas.height);
    this.waitingSince = performance.now(); // one frame in flight: a slow server is not flooded
    this.canvas.toBlob((blob) => {
      if (blob && this.socket?.send(blob)) return;
      this.waitingSince = 0;
    }, "image/jpeg", 0.8);
  }

  /** The frame in flight was never answered; true when the socket was given up for it. */
  answerLost() {
    this.waitingSince = 0;
    this.lostAnswers += 1;
    if (this.lostAnswers < MAX_LOST_ANSWERS) return false;
    this.lostAnswers = 0;
    this.socket?.replace();
    return true;
  }

  receive(answer) {
    this.waitingSince = 0;
    this.lostAnswers = 0;
    for (const code of Array.isArray(answer?.codes) ? answer.codes : []) {
      if (typeof code !== "string" || !code.trim()) continue;
      const now = performance.now();
      const repeat = code === this.last.code && now - this.last.at < REPEAT_WINDOW;
      this.last = { code, at: now }; // still in view: keep it quiet for another window
      if (!repeat) this.onCode(code);
    }
  }
}

/**
 * Calls onChange(state) when the camera permission changes ("granted", "denied", "prompt"), where the
 * browser's permissions API can tell (Chromium can; browsers that cannot query "camera" never call it).
 */
function watchCameraPermission(onChange) {
  navigator.permissions?.query({ name: "camera" })
    .then((status) => status.addEventListener("change", () => onChange(status.state)))
    .catch(() => {});
}

function describeError(err) {
  switch (err?.name) {
    case "NotAllowedError":
    case "SecurityError":
      return ["denied", "Camera permission was refused. Use the scanner or type your code."];
    case "NotFoundError":
    case "OverconstrainedError":
      return ["none", "No camera found. Use the scanner or type your code."];
    case "NotReadableError":
      return ["error", "The camera is busy in another app."];
    default:
      return ["error", "The camera could not start. Use the scanner or type your code."];
  }
}
