// USB and Bluetooth barcode scanners pretend to be keyboards: they "type" the code very fast,
// usually followed by Enter. We listen on the whole window (the kiosk never depends on a
// focused text box) and tell a scanner from a person by the time between keys.

const DEFAULTS = {
  maxGap: 35,     // ms between keys: scanners send a key every 1-20 ms, people rarely under 50 ms
  minLength: 4,   // shorter bursts are chance (a person's quick double key)
  silence: 80,    // ms of quiet that ends a burst from a scanner set up without an Enter suffix
};

/**
 * Calls onScan(code, {startedAt, via}) for each scanner burst; startedAt is the
 * performance.now()-based time of the key that ended it (the Enter keydown, or the last key).
 * `input` (optional) is the visible text box: a burst typed into it is removed from it again.
 * Returns a function that stops listening.
 */
export function listenForScans(onScan, { input = null, ...options } = {}) {
  const { maxGap, minLength, silence } = { ...DEFAULTS, ...options };
  let buffer = "";
  let lastAt = -Infinity;
  let silenceTimer = null;
  let intoInput = false;

  function reset() {
    buffer = "";
    intoInput = false;
    clearTimeout(silenceTimer);
  }

  function finish(endedAt, via) {
    const code = buffer;
    const typedIntoInput = intoInput;
    reset();
    if (typedIntoInput && input) input.value = ""; // the scanner's text is not the person's
    onScan(code, { startedAt: endedAt, via });
  }

  function onKeyDown(event) {
    if (event.isComposing || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target instanceof Element && event.target.closest("[data-no-scan]")) return;
    const now = event.timeStamp || performance.now();
    if (event.key === "Enter") {
      if (buffer.length >= minLength && now - lastAt <= silence) {
        event.preventDefault(); // keep the manual form from submitting the same text again
        finish(now, "enter");
      } else {
        reset();
      }
      return;
    }
    if (event.key.length !== 1) return; // Shift, Tab, arrows: not part of a code
    if (now - lastAt > maxGap) reset(); // too slow: a person, or the first key of a new burst
    lastAt = now;
    buffer += event.key;
    intoInput ||= input !== null && event.target === input;
    clearTimeout(silenceTimer);
    silenceTimer = setTimeout(() => {
      if (buffer.length >= minLength) finish(lastAt, "silence");
      else reset();
    }, silence);
  }

  // Capture phase: we see the keys before any focused element can stop them.
  window.addEventListener("keydown", onKeyDown, true);
  return () => window.removeEventListener("keydown", onKeyDown, true);
}
