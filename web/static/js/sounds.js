// Short beeps made with WebAudio: no audio files to load, distinct patterns per answer so a
// volunteer facing the queue hears a refusal without looking at the screen.

// [frequency Hz (0 = pause), seconds, waveform]
const PATTERNS = {
  checked_in: [[880, 0.09, "sine"], [1320, 0.16, "sine"]],
  already_checked_in: [[740, 0.12, "sine"], [0, 0.05], [740, 0.12, "sine"]],
  unknown_code: [[330, 0.3, "triangle"]],
  invalid_code: [[220, 0.18, "square"], [0, 0.06], [220, 0.18, "square"]],
  not_attending: [[392, 0.14, "triangle"], [262, 0.26, "triangle"]],
  capacity_reached: [[196, 0.14, "square"], [0, 0.05], [196, 0.14, "square"], [0, 0.05], [196, 0.14, "square"]],
  too_many_attempts: [[150, 0.45, "sawtooth"]],
  saved: [[523, 0.08, "sine"], [0, 0.06], [523, 0.08, "sine"]],
  error: [[250, 0.3, "square"]],
};

let context = null;
let enabled = true;

export function setSoundEnabled(on) {
  enabled = on;
}

function audio() {
  if (!context) {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return null;
    context = new Ctx();
  }
  // Autoplay rules keep the context suspended until a key press or a tap; try each time.
  if (context.state === "suspended") context.resume().catch(() => {});
  return context;
}

/** Unlock audio on the first user gesture (a scanner's key press counts as one). */
export function unlockOnGesture() {
  const unlock = () => audio();
  window.addEventListener("keydown", unlock, { once: true, capture: true });
  window.addEventListener("pointerdown", unlock, { once: true, capture: true });
}

export function beep(kind) {
  if (!enabled) return;
  const pattern = PATTERNS[kind] || PATTERNS.error;
  try {
    const ctx = audio();
    if (!ctx) return;
    let t = ctx.currentTime + 0.01;
    for (const [freq, seconds, wave] of pattern) {
      if (freq > 0) tone(ctx, freq, t, seconds, wave);
      t += seconds;
    }
  } catch {
    // Sound is a nicety: a browser without audio still shows the colour and the message.
  }
}

function tone(ctx, freq, start, seconds, wave) {
  const osc = ctx.createOscillator();
  const gain = ctx.createGain();
  osc.type = wave;
  osc.frequency.value = freq;
  // A short attack and release: square waves that start or stop abruptly click.
  gain.gain.setValueAtTime(0.0001, start);
  gain.gain.exponentialRampToValueAtTime(0.25, start + 0.01);
  gain.gain.setValueAtTime(0.25, start + seconds - 0.02);
  gain.gain.exponentialRampToValueAtTime(0.0001, start + seconds);
  osc.connect(gain).connect(ctx.destination);
  osc.start(start);
  osc.stop(start + seconds + 0.01);
}
