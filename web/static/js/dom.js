// Building DOM nodes without innerHTML: attendee names come from imports and are hostile.
// Every string passed here ends up as a text node or an attribute value, never as markup.

/**
 * h("button", {class: "primary", text: "Go", on: {click}, dataset: {id: 3}, attrs: {type: "button"}}, child...)
 * Children may be nodes, strings (become text nodes), or null/false (skipped).
 */
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  applyProps(node, props);
  append(node, children);
  return node;
}

/** The same for SVG elements (charts), which need their namespace. */
export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "text") node.textContent = String(value);
    else if (value !== null && value !== undefined) node.setAttribute(name, String(value));
  }
  append(node, children);
  return node;
}

function applyProps(node, props) {
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") node.textContent = String(value);
    else if (key === "class") node.className = Array.isArray(value) ? value.filter(Boolean).join(" ") : value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "on") for (const [type, fn] of Object.entries(value)) node.addEventListener(type, fn);
    else if (key === "attrs") for (const [name, v] of Object.entries(value)) { if (v !== null && v !== undefined && v !== false) node.setAttribute(name, v === true ? "" : String(v)); }
    else node[key] = value; // plain properties: hidden, disabled, type, value, href ...
  }
}

function append(node, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/**
 * Scrolling to something (a section link, focus() on a field, scrollIntoView) stops below a sticky
 * top bar, whatever height it wraps to: the search box a name in the live feed fills, and the
 * field a form sends the volunteer back to, used to end up behind it on a phone.
 */
export function clearOfStickyBar(bar) {
  if (!bar) return;
  // CSSOM, not a style attribute: the Content-Security-Policy forbids inline styles.
  const measure = () => document.documentElement.style.setProperty("--sticky-bar", `${bar.offsetHeight}px`);
  measure();
  new ResizeObserver(measure).observe(bar);
}

/** Replace an element's content with text (never markup). */
export function setText(node, text) {
  if (node) node.textContent = text === null || text === undefined ? "" : String(text);
}

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

/** "18:42" in the browser's time zone, from an ISO 8601 timestamp. */
export function clockTime(iso) {
  if (!iso) return "";
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return "";
  return when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/** Wait `ms` after the last call before running fn (search as you type). */
export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** Run fn at most once per `ms`, trailing: bursts of live events cause one refresh, not fifty. */
export function throttle(fn, ms) {
  let timer = null;
  return () => {
    if (timer) return;
    timer = setTimeout(() => { timer = null; fn(); }, ms);
  };
}

/** A random UUID; crypto.randomUUID only exists on secure pages, phones on plain http lack it. */
export function uuid() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** "2 guests" (after `prefix`) for a host who brings guests (Meetup's Guests, a +1 column), else "". */
export function guestsText(person, prefix = "") {
  const count = Number.isInteger(person?.guests) ? person.guests : 0;
  return count > 0 ? `${prefix}${count} guest${count > 1 ? "s" : ""}` : "";
}
