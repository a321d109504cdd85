// USB and Bluetooth barcode scanners pretend to be keyboards: they "type" the code very fast,
// usually followed by Enter (or Tab). We listen on the whole window (the kiosk never depends on a
// focused text box) and tell a scanner from a person by the time between keys.
// A burst typed into a text box is taken back out of it: the scanner's text is not the person's.
// Boxes marked [data-no-scan] (the settings dialog) belong to a volunteer typing: there only a
// burst ending with Enter counts as a scan, so the Enter never submits the volunteer's form.
//
// What real scanners add around a code, and what we do with it:
// - a terminator: Enter, Tab, or CR+LF (two Enters). It ends the burst and is swallowed, so focus
//   never wanders (a Tab walks to "Sign this kiosk out"; the LF's Enter would then press it).
// - an AIM symbology identifier ("]Q1" for QR, "]C0" for Code 128): stripped. No code of any kind
//   starts with "]", so this never changes a real code.
// - a keyboard layout that is not the scanner's (a US scanner on a German or French laptop):
//   the text arrives as "K1ßABZ..." or "K&)...". Each key's physical position (event.code) is read
//   as on a US keyboard too; when only that reading is a whole ticket by its shape, or the only one
//   that could be a door code at all (an Eventbrite barcode typed as "&é..."), it is the one sent.
//   Our tickets carry a MAC, so a wrong rebuild can only be refused, never admit anyone.
// - a code with line breaks (a vCard, a Wi-Fi QR with a note): the scanner types Enter inside it.
//   Lines that follow each other at scanner speed are one read and go as one (refused) scan, not
//   one refusal per line (each counts as a guessed code, and a few vCards lock the door's limit).

const DEFAULTS = {
  maxGap: 60,     // ms: the typical (median) gap of a scanner burst; USB scanners send a key every
                  // 1-20 ms, Bluetooth ones 20-40 ms; a person is rarely under 80 ms
  minLength: 4,   // shorter bursts are chance (a person's quick double key)
  silence: 80,    // ms of quiet that ends a burst (scanners set up without an Enter suffix)
  firstKeyGrace: 250, // ms: the first key of a burst may lag behind the rest (a Bluetooth link waking up)
  loneKeyWait: 2000,  // ms: a lone key further ahead still starts the burst when only with it the burst is a whole code
  longSilence: 250,   // ms of quiet before sending a burst that does not look complete (see isComplete)
  nextLine: 40,   // ms (at least): how long after Enter more keys still belong to the same read
  isComplete: () => true, // (code) => whether a burst is a whole code by its shape: nothing can follow it
  isPartial: () => false,  // (code) => whether a burst is the start of such a code: the rest is still to come
  isCode: () => false,     // (code) => whether a read could be a door code of any kind (a platform's too)
  partialWait: 1500,  // ms a burst that is the start of a whole code waits through a stall for its rest
};

const AIM_PREFIX = /^\][A-Za-z][0-9A-Za-z](?=\S)/;

// What each key types on a US keyboard, unshifted and shifted (letters are handled apart).
const US_KEYS = {
  Backquote: "`~", Minus: "-_", Equal: "=+", BracketLeft: "[{", BracketRight: "]}", Backslash: "\\|",
  Semicolon: ";:", Quote: "'\"", Comma: ",<", Period: ".>", Slash: "/?", Space: "  ",
  Digit1: "1!", Digit2: "2@", Digit3: "3#", Digit4: "4$", Digit5: "5%", Digit6: "6^", Digit7: "7&",
  Digit8: "8*", Digit9: "9(", Digit0: "0)", NumpadSubtract: "--", NumpadDecimal: "..",
};

/** The character a key types on a US keyboard (what a scanner set to US layout means), or "". */
export function usLayoutChar(code, shift) {
  const letter = /^Key([A-Z])$/.exec(code);
  if (letter) return shift ? letter[1] : letter[1].toLowerCase();
  const keypad = /^Numpad([0-9])$/.exec(code);
  if (keypad) return keypad[1];
  const pair = US_KEYS[code];
  return pair ? pair[shift ? 1 : 0] : "";
}

/** The text a key typed, if it typed one character (an emoji is one character in two code units). */
function typedChar(key) {
  return typeof key === "string" && [...key].length === 1 ? key : "";
}

/** A read without the spaces around it and a scanner's AIM symbology identifier in front. */
export function cleanRead(text) {
  return text.trim().replace(AIM_PREFIX, "");
}

/**
 * The code a burst stands for: the text as typed, unless only the US-layout reading of the same
 * keys is a whole code by its shape (a scanner whose layout differs from the laptop's), or only it
 * could be a door code at all (isCode). A US scanner on a French laptop typed an Eventbrite barcode
 * as "&&é&&(...", a Tito reference as "GIQO)&", a Luma link as "httpsM!!lu,q;co,...": no code of
 * any kind, refused. Where both readings could be codes (letters only, "A" and "Q" swapped), the
 * typed one is kept: a scanner set to the laptop's layout types that.
 */
export function bestReading(typed, physical, isComplete, isCode = () => false) {
  const text = cleanRead(typed);
  if (isComplete(text)) return text;
  const rebuilt = cleanRead(physical);
  if (isComplete(rebuilt)) return rebuilt;
  return isCode(rebuilt) && !isCode(text) ? rebuilt : text;
}

/**
 * Calls onScan(code, {startedAt, via}) for each scanner burst; startedAt is the
 * performance.now()-based time of the key that ended it (the Enter or Tab keydown, or the last key).
 * Returns a function that stops listening.
 */
export function listenForScans(onScan, options = {}) {
  const { maxGap, minLength, silence, firstKeyGrace, loneKeyWait, longSilence, nextLine, isComplete, isPartial, isCode, partialWait } =
    { ...DEFAULTS, ...options };
  let typed = "";         // the burst as the laptop's layout typed it
  let physical = "";      // the same keys read as on a US keyboard ("" where a key has no US character)
  let gaps = [];
  let lastAt = -Infinity;
  let silenceTimer = null;
  let field = null;       // the text box the burst went into, if any
  let fieldBefore = "";   // what it held before the burst
  let guarded = false;    // the burst went into a [data-no-scan] box: only an Enter ends it as a scan
  let lines = [];         // earlier lines of a read with line breaks in it, waiting for the rest
  let lineTimer = null;
  let lineWait = 0;       // ms after the last line's terminator within which a key continues the read
  let endedAt = -Infinity; // when the last scan ended (the LF of a CR+LF comes right after it)
  let lone = null;        // a single key that came too long before this burst to be surely part of it
  let stalls = [];        // pauses longer than longSilence bridged inside the burst (see readings)

  function reset() {
    typed = physical = "";
    lone = null;
    gaps = [];
    stalls = [];
    field = null;
    guarded = false;
    clearTimeout(silenceTimer);
  }

  // The median, not every gap: the first key of a burst often lags (a Bluetooth link waking up,
  // a busy page), and one slow key must not cut a ticket code in two or make it look typed.
  function looksScanned() {
    if (typed.length < minLength) return false;
    return median(gaps) <= maxGap;
  }

  /**
   * The code the burst stands for. A first key that came more than firstKeyGrace ahead of the rest
   * (a busy machine, a Bluetooth link waking up) is put back in front when only with it the burst is
   * a whole code by its shape: the first scan after a page load arrived as "1-3V9G..." and was
   * refused as "Ticket not found". A person's stray key cannot make a ticket out of a burst that
   * is not one (the code's MAC is checked), so this never admits anyone by mistake.
   */
  function reading(keys = typed, usKeys = physical, front = lone) {
    const own = bestReading(keys, usKeys, isComplete, isCode);
    if (!front || isComplete(own)) return own;
    const joined = bestReading(front.typed + keys, front.physical + usKeys, isComplete, isCode);
    return isComplete(joined) ? joined : own;
  }

  /**
   * The scans a burst ended by silence stands for, each with when it ended. A pause bridged because
   * the burst looked like the start of one of our tickets (stallAllowed) was a stall only if the
   * burst is a whole ticket with it; otherwise it was the quiet between two people's scans (a Tito
   * reference "K7QX-1", then "GIAO-1" half a second later, went as one refused "K7QX-1GIAO-1"),
   * and each part is a scan of its own. A part too short to be a scan (a person's stray key) is no scan.
   */
  function readings() {
    const whole = reading();
    if (!stalls.length || isComplete(whole)) return [{ code: whole, at: lastAt }];
    const cuts = [...stalls, { typed: typed.length, physical: physical.length, at: lastAt }];
    return cuts.map((cut, i) => {
      const from = i ? cuts[i - 1] : { typed: 0, physical: 0 };
      const keys = typed.slice(from.typed, cut.typed);
      const code = reading(keys, physical.slice(from.physical, cut.physical), i ? null : lone);
      return { code, at: cut.at, keys };
    }).filter((part, i) => i === 0 || part.keys.length >= minLength);
  }

  /**
   * How long a pause may be inside this burst. A scanner burst that is the start of one of our
   * tickets by its shape waits longer: on a busy laptop a stall of 300 ms in the middle of a code
   * sent "K1-CZYHMCGP-R2E35GB" as one (refused) scan and the rest as another.
   */
  function stallAllowed() {
    if (typed.length === 1) return firstKeyGrace;
    return looksScanned() && startsACode() ? Math.max(partialWait, longSilence) : longSilence;
  }

  /** Whether the burst, as typed or as its keys read on a US keyboard, is the start of a whole code
   * (with the lone key held in front of it, if any: both lags come together on a busy laptop). */
  function startsACode() {
    const front = lone || { typed: "", physical: "" };
    return [typed, physical, front.typed + typed, front.physical + physical].some((text) => isPartial(cleanRead(text)));
  }

  function send(code, endedAtTime, via) {
    clearTimeout(lineTimer);
    lines = [];
    endedAt = Math.max(endedAt, endedAtTime);
    onScan(code, { startedAt: endedAtTime, via });
  }

  function finish(endedAtTime, via) {
    const [first, ...later] = readings();
    const code = [...lines, first.code].join("\n");
    if (field) field.value = fieldBefore;
    reset();
    send(code, later.length ? first.at : endedAtTime, via);
    later.forEach((part) => send(part.code, part.at, via));
  }

  /**
   * A terminator ended a scanner burst. A whole ticket goes at once (no delay at the door);
   * anything else waits a moment in case the scanner goes on typing the next line of the same read.
   */
  function endLine(now, via) {
    const line = reading();
    const lineField = field, lineBefore = fieldBefore;
    lineWait = Math.max(nextLine, 3 * median(gaps));
    reset();
    if (lineField) lineField.value = lineBefore;
    endedAt = now;
    if (!lines.length && isComplete(line)) return send(line, now, via);
    lines.push(line);
    clearTimeout(lineTimer);
    lineTimer = setTimeout(() => send(lines.join("\n"), now, via), lineWait);
  }

  function onTerminator(event, now) {
    const via = event.key === "Enter" ? "enter" : "tab";
    const recent = now - lastAt <= Math.max(longSilence, stallAllowed());
    if (recent && looksScanned() && (via === "enter" || !guarded)) {
      event.preventDefault(); // keep the manual form from submitting, and focus where it is
      endLine(now, via);
    } else if (typed.length < minLength && (now - endedAt <= longSilence || lines.length)) {
      event.preventDefault(); // the LF of a CR+LF, or a suffix after the code: part of the scan
      if (field) field.value = fieldBefore;
      reset();
    } else if (via === "enter") {
      reset(); // a person pressing Enter in the text box: the form handles it
    }
  }

  function onKeyDown(event) {
    if (event.isComposing || event.ctrlKey || event.metaKey || event.altKey) return;
    const now = event.timeStamp || performance.now();
    if (event.key === "Enter" || event.key === "Tab") return onTerminator(event, now);
    const char = typedChar(event.key);
    const usChar = usLayoutChar(event.code, event.shiftKey);
    if (!char && !usChar) return; // Shift, arrows: not part of a code ("Dead" keys are: see usChar)
    // The first key after a line's Enter, judged by its own time (a busy page may run the timer late).
    if (lines.length && !typed && now - endedAt > lineWait) flushLines();
    const gap = now - lastAt;
    // A pause ends what came before; a single key followed a little late by more keys may
    // still be the start of this burst (so the first character is never lost).
    if (gap > stallAllowed()) holdLoneKey(gap);
    else if (!guarded && looksScanned() && isComplete(reading())) finish(lastAt, "silence"); // two codes back to back, no suffix
    else if (typed) bridge(gap);
    if (!typed) startBurst(event.target, lone);
    clearTimeout(lineTimer); // more keys right after an Enter: the next line of the same read
    lastAt = now;
    typed += char || usChar;
    physical += usChar || char;
    clearTimeout(silenceTimer);
    // Quiet after a burst: a scanner without an Enter suffix has finished. A burst that is not a
    // whole code by its shape gets a longer pause first: a scanner that stalls for 100 ms in
    // the middle of a code must not send it in two halves. Anything else stays in the buffer;
    // the gap before the next key decides whether it belongs to it.
    silenceTimer = setTimeout(function quiet() {
      if (guarded || !looksScanned()) return flushLines();
      const waited = performance.now() - lastAt;
      const allowed = stallAllowed();
      if (isComplete(reading()) || waited >= allowed) return finish(lastAt, "silence");
      silenceTimer = setTimeout(quiet, allowed - waited);
    }, silence);
  }

  /** A key after a short gap, or after a pause waited through (stallAllowed): noted, so the burst
   * can be cut there again if it does not come out a whole code (readings). */
  function bridge(gap) {
    gaps.push(gap);
    if (gap > longSilence) stalls.push({ typed: typed.length, physical: physical.length, at: lastAt });
  }

  /** Lines of a read waiting for more, when what followed them was not scanner typing after all. */
  function flushLines() {
    if (lines.length) send(lines.join("\n"), endedAt, "enter");
  }

  /** A pause ends the burst; a lone key before it is held (see reading), as long as it is recent. */
  function holdLoneKey(gap) {
    const held = typed.length === 1 && gap <= loneKeyWait && !guarded ? { typed, physical, field, fieldBefore } : null;
    reset();
    lone = held;
  }

  /** Remember where a burst is typed (its first key is not in the box yet: this is keydown). */
  function startBurst(target, held) {
    const box = target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement ? target : null;
    field = box;
    fieldBefore = box ? box.value : "";
    if (held && held.field === box) fieldBefore = held.fieldBefore; // the lone key went into the box too
    guarded = target instanceof Element && target.closest("[data-no-scan]") !== null;
  }

  // Capture phase: we see the keys before any focused element can stop them.
  window.addEventListener("keydown", onKeyDown, true);
  return () => {
    window.removeEventListener("keydown", onKeyDown, true);
    clearTimeout(silenceTimer);
    clearTimeout(lineTimer);
  };
}

function median(values) {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
