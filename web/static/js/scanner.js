// USB and Bluetooth barcode scanners pretend to be keyboards: they "type" the code very fast,
// usually followed by Enter. We listen on the whole window (the kiosk never depends on a
// focused text box) and tell a scanner from a person by the time between keys.
// A burst typed into a text box is taken back out of it: the scanner's text is not the person's.
// Boxes marked [data-no-scan] (the settings dialog) belong to a volunteer typing: there only a
// burst ending with Enter counts as a scan, so the Enter never submits the volunteer's form.

const DEFAULTS = {
  maxGap: 35,     // ms: the typical (median) gap of a scanner burst; scanners send a key every 1-20 ms
  minLength: 4,   // shorter bursts are chance (a person's quick double key)
  silence: 80,    // ms of quiet that ends a burst (scanners set up without an Enter suffix)
  firstKeyGrace: 250, // ms: the first key of a burst may lag behind the rest (a Bluetooth link waking up)
  longSilence: 250,   // ms of quiet before sending a burst that does not look complete (see isComplete)
  isComplete: () => true, // (code) => whether a burst is a whole code by its shape
};

/**
 * Calls onScan(code, {startedAt, via}) for each scanner burst; startedAt is the
 * performance.now()-based time of the key that ended it (the Enter keydown, or the last key).
 * Returns a function that stops listening.
 */
export function listenForScans(onScan, options = {}) {
  const { maxGap, minLength, silence, firstKeyGrace, longSilence, isComplete } = { ...DEFAULTS, ...options };
  let buffer = "";
  let gaps = [];
  let lastAt = -Infinity;
  let silenceTimer = null;
  let field = null;       // the text box the burst went into, if any
  let fieldBefore = "";   // what it held before the burst
  let guarded = false;    // the burst went into a [data-no-scan] box: only an Enter ends it as a scan

  function reset() {
    buffer = "";
    gaps = [];
    field = null;
    guarded = false;
    clearTimeout(silenceTimer);
  }

  // The median, not every gap: the first key of a burst often lags (a Bluetooth link waking up,
  // a busy page), and one slow key must not cut a ticket code in two or make it look typed.
  function looksScanned() {
    if (buffer.length < minLength) return false;
    const sorted = [...gaps].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] <= maxGap;
  }

  function finish(endedAt, via) {
    const code = buffer;
    if (field) field.value = fieldBefore;
    reset();
    onScan(code, { startedAt: endedAt, via });
  }

  function onKeyDown(event) {
    if (event.isComposing || event.ctrlKey || event.metaKey || event.altKey) return;
    const now = event.timeStamp || performance.now();
    if (event.key === "Enter") {
      if (now - lastAt <= longSilence && looksScanned()) {
        event.preventDefault(); // keep the manual form from submitting the same text again
        finish(now, "enter");
      } else {
        reset(); // a person pressing Enter in the text box: the form handles it
      }
      return;
    }
    if (event.key.length !== 1) return; // Shift, Tab, arrows: not part of a code
    const gap = now - lastAt;
    // A pause ends what came before; a single key followed a little late by more keys may
    // still be the start of this burst (so the first character is never lost).
    if (gap > (buffer.length === 1 ? firstKeyGrace : longSilence)) reset();
    else if (buffer) gaps.push(gap);
    if (!buffer) startBurst(event.target);
    lastAt = now;
    buffer += event.key;
    clearTimeout(silenceTimer);
    // Quiet after a burst: a scanner without an Enter suffix has finished. A burst that is not a
    // whole code by its shape gets a longer pause first: a scanner that stalls for 100 ms in
    // the middle of a code must not send it in two halves. Anything else stays in the buffer;
    // the gap before the next key decides whether it belongs to it.
    silenceTimer = setTimeout(function quiet() {
      if (guarded || !looksScanned()) return;
      const waited = performance.now() - lastAt;
      if (isComplete(buffer) || waited >= longSilence) return finish(lastAt, "silence");
      silenceTimer = setTimeout(quiet, longSilence - waited);
    }, silence);
  }

  /** Remember where a burst is typed (its first key is not in the box yet: this is keydown). */
  function startBurst(target) {
    const box = target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement ? target : null;
    field = box;
    fieldBefore = box ? box.value : "";
    guarded = target instanceof Element && target.closest("[data-no-scan]") !== null;
  }

  // Capture phase: we see the keys before any focused element can stop them.
  window.addEventListener("keydown", onKeyDown, true);
  return () => window.removeEventListener("keydown", onKeyDown, true);
}
