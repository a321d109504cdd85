// What a volunteer typed and has not sent yet, kept in this tab's sessionStorage: a sign-in that
// ended mid-evening (the session's 16 hours, a revoked pairing, a changed PIN) sends them to the
// login page and back, and the walk-in they were typing is still there. sessionStorage belongs to
// this tab alone and goes when the tab is closed; signing out clears it (clearDrafts).

const PREFIX = "console.draft.";

function read(key) {
  try {
    const value = JSON.parse(sessionStorage.getItem(PREFIX + key) || "null");
    return value && typeof value === "object" ? value : null;
  } catch {
    return null;
  }
}

function write(key, value) {
  try {
    sessionStorage.setItem(PREFIX + key, JSON.stringify(value));
  } catch { /* storage full or refused: the draft is simply not kept */ }
}

/** Fill `form`'s text fields from the draft kept under `key`, and keep them there as they are typed. */
export function keepDraft(form, key) {
  const fields = Array.from(form.elements).filter((field) => field.name && field.tagName === "INPUT"
    && !["submit", "button", "hidden", "file", "checkbox", "radio", "password"].includes(field.type));
  const saved = read(key);
  if (saved) for (const field of fields) if (typeof saved[field.name] === "string") field.value = saved[field.name];
  const save = () => {
    const values = Object.fromEntries(fields.map((field) => [field.name, field.value]));
    if (fields.some((field) => field.value !== field.defaultValue)) write(key, values);
    else clearDraft(key);
  };
  form.addEventListener("input", save);
  form.addEventListener("change", save);
  form.addEventListener("reset", () => clearDraft(key));
}

/** The draft under `key` was sent (or given up): forget it. */
export function clearDraft(key) {
  try {
    sessionStorage.removeItem(PREFIX + key);
  } catch { /* nothing kept */ }
}

/** Signing out: nothing typed here is left for whoever signs in next on this phone. */
export function clearDrafts() {
  try {
    for (const key of Object.keys(sessionStorage)) if (key.startsWith(PREFIX)) sessionStorage.removeItem(key);
  } catch { /* nothing kept */ }
}
