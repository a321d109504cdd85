// fetch() with the session's CSRF token, a timeout, and answers parsed into {status, ok, data}.
// The server answers every API error as JSON {result, message}; a fetch that never gets an
// answer (network down, server gone, timeout) throws NetworkError so callers can keep the work.

export class NetworkError extends Error {
  constructor(message, { timeout = false } = {}) {
    super(message);
    this.name = "NetworkError";
    this.timeout = timeout;
  }
}

/** The CSRF token the server put in <meta name="csrf-token">: cookie-authenticated changes need it. */
export function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content || "";
}

/**
 * Ask the server for the CSRF token of this browser's current session and keep it in the meta tag.
 * A sign-in in another tab starts a new session with a new token: a page opened before it still
 * holds the old one and would be refused ("csrf") on every change until someone reloads it.
 */
async function refreshCsrfToken(timeout) {
  const answer = await send("GET", "/api/csrf", {}, timeout);
  const token = answer.ok && typeof answer.data.csrf === "string" ? answer.data.csrf : "";
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (token && meta) meta.content = token;
  return token;
}

/**
 * request("POST", "/api/checkins", {json: {...}}) -> {status, ok, data}
 * Options: json (a body to send as JSON), form (FormData), timeout in ms.
 * A change refused for a stale CSRF token is sent once more with the session's current token.
 */
export async function request(method, url, { json, form, timeout = 8000 } = {}) {
  const headers = { Accept: "application/json" };
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form) {
    body = form; // the browser sets the multipart boundary itself
  }
  const unsafe = method !== "GET" && method !== "HEAD";
  if (unsafe) headers["X-CSRF-Token"] = csrfToken();
  const answer = await send(method, url, { headers, body }, timeout);
  // The browser's sign-in ended (its 16 hours, a revoked pairing, a changed PIN): pages offer the way back in.
  if (answer.status === 401) dispatchEvent(new Event("signed-out"));
  if (!unsafe || answer.status !== 403 || answer.data.result !== "csrf") return answer;
  const fresh = await refreshCsrfToken(timeout);
  if (!fresh) return answer;
  headers["X-CSRF-Token"] = fresh;
  return send(method, url, { headers, body }, timeout);
}

/** One fetch with a timeout: {status, ok, data}, or NetworkError when no answer came. */
async function send(method, url, { headers = { Accept: "application/json" }, body } = {}, timeout) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeout);
  let response;
  try {
    response = await fetch(url, { method, headers, body, credentials: "same-origin", signal: controller.signal, cache: "no-store" });
  } catch (err) {
    throw new NetworkError(controller.signal.aborted ? "The server did not answer in time." : "The network is not reachable.",
      { timeout: controller.signal.aborted });
  } finally {
    clearTimeout(timer);
  }
  return { status: response.status, ok: response.ok, data: await parseBody(response) };
}

async function parseBody(response) {
  const text = await response.text().catch(() => "");
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    // A proxy's HTML error page or similar: never render it, just say what happened.
    return { result: "http_error", message: `The server answered ${response.status}.` };
  }
}

export const get = (url, options) => request("GET", url, options);
export const post = (url, json, options = {}) => request("POST", url, { ...options, json });
export const del = (url, options) => request("DELETE", url, options);

/** A 401 on a page someone signed in to: the API's own words ("a bearer token...") are for scripts. */
export const SIGNED_OUT = "Your sign-in has ended: sign in again, then try once more.";

/** The message to show for an answer, with a fallback when the server sent none. */
export function messageOf(answer, fallback = "Something went wrong. Please try again.") {
  if (answer?.status === 401) return SIGNED_OUT;
  return (answer && answer.data && typeof answer.data.message === "string" && answer.data.message) || fallback;
}
