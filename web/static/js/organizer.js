// The organizer page: import, export, tokens and the audit trail.

import { $, clearOfStickyBar, h, setText } from "./dom.js";
import { get, post, del, request, messageOf, NetworkError, SIGNED_OUT } from "./api.js";
import { confirmDialog } from "./modal.js";

const NO_ANSWER = "No answer from the server. Try again.";

function say(node, text, tone) {
  node.dataset.tone = tone;
  setText(node, text);
}

/**
 * A 401: this browser's sign-in ended while the page was open. Signing in again in a new tab keeps
 * this one as it is (the file chosen, the label typed); then the same button works (api.js renews
 * the CSRF token of the new sign-in by itself).
 */
function sayAnswer(node, answer, text, tone) {
  if (answer.status !== 401) return say(node, text, tone);
  node.dataset.tone = "bad";
  node.replaceChildren(`${SIGNED_OUT} `, h("a", { href: "/login?next=/organizer", target: "_blank", rel: "noopener",
    text: "Sign in again in a new tab" }), ": this page keeps what you chose.");
}

// --- import ---

async function importList(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const status = $("#import-status");
  const button = form.querySelector("button[type=submit]");
  const tooLarge = oversized(form);
  if (tooLarge) return say(status, tooLarge, "bad");
  button.disabled = true;
  say(status, "Importing…", "");
  try {
    const answer = await request("POST", "/api/imports", { form: new FormData(form), timeout: 120000 });
    const d = answer.data;
    sayAnswer(status, answer, answer.ok
      ? `Imported from ${d.source}: ${d.added} added, ${d.updated} updated, ${d.unchanged} unchanged, ${d.not_attending} not attending, ${d.kept_check_ins} check-ins kept.${d.merged ? ` ${d.merged} already listed by another platform's list with the same email: one person each, checked in by either ticket.` : ""}${missingSentence(d)}${d.encoding_note ? " " + d.encoding_note : ""}${importedBeforeSentence(d)}${warningsSentence(d)}`
      : refusal(form, answer), answer.ok ? ((d.missing && !d.missing_removed) || d.imported_before || (d.warnings || []).length ? "" : "good") : "bad");
    if (answer.ok) loadAudit();
  } catch (err) {
    if (!(err instanceof NetworkError)) throw err;
    say(status, NO_ANSWER, "bad");
  } finally {
    button.disabled = false;
  }
}

/** Why a list is refused before it is sent: over the size the server reads, said as `kiosk import` says it. */
function oversized(form) {
  const file = form.elements.file.files[0];
  const limit = Number(form.dataset.maxBytes);
  if (!file || !limit || file.size <= limit) return "";
  const mb = (bytes) => (bytes / 1048576).toFixed(1);
  return `${file.name}: is too large (${mb(file.size)} MB; the limit is ${Math.floor(limit / 1048576)} MB). Nothing was imported.`;
}

/** The server's refusal; one it gave before reading the file (its size) is told with the file's name. */
function refusal(form, answer) {
  const file = form.elements.file.files[0];
  return answer.status === 413 && file ? `${file.name}: ${messageOf(answer)}` : messageOf(answer);
}

/** People of earlier lists who are not in this file: kept, or marked not attending. */
function missingSentence(d) {
  if (!d.missing) return "";
  const more = d.missing - d.missing_names.length;
  const names = d.missing_names.join(", ") + (more ? ` and ${more} more` : "");
  const [people, were] = d.missing === 1 ? ["person", "was"] : ["people", "were"];
  return d.missing_removed
    ? ` ${d.missing} ${people} from earlier lists not in this file ${were} marked not attending: ${names}${d.missing_still_coming ? ` (${d.missing_still_coming} of them still expected: another platform's list has them coming)` : ""}.`
    : ` ${d.missing} ${people} from earlier lists not in this file ${were} left as they were (still expected): ${names}. If they cancelled, import again with the box above ticked.`;
}

/** The same file went into another evening before: most likely last month's list, by mistake. */
function importedBeforeSentence(d) {
  if (!d.imported_before) return "";
  return ` This same file was imported before into ${d.imported_before}, not tonight's evening. If it was that evening's list, import tonight's list again with the box above ticked: the people it added will be marked not attending.`;
}

/** Rows imported without their platform code (one odd Luma link, one bad pretix secret), by line and name. */
function warningsSentence(d) {
  return (d.warnings || []).map((warning) => ` Warning: ${warning}.`).join("");
}

// --- tokens ---

async function loadTokens() {
  try {
    const answer = await get("/api/tokens");
    if (!answer.ok) return say($("#token-status"), messageOf(answer), "bad");
    $("#tokens").replaceChildren(...answer.data.tokens.map(tokenRow));
  } catch {
    say($("#token-status"), NO_ANSWER, "bad");
  }
}

function tokenRow(t) {
  const revoke = t.revoked_at ? null : h("button", { type: "button", class: "button ghost small danger-text", text: "Revoke",
    on: { click: () => revokeToken(t) } });
  return h("tr", { dataset: { id: t.id } },
    h("td", { text: t.id }), h("td", { text: t.role }), h("td", { text: t.label || "" }),
    h("td", { text: shortTime(t.created_at) }), h("td", { text: t.revoked_at ? `revoked ${shortTime(t.revoked_at)}` : "live" }),
    h("td", {}, revoke));
}

async function createToken(event) {
  event.preventDefault();
  const form = event.currentTarget;
  try {
    const answer = await post("/api/tokens", { role: form.elements.role.value, label: form.elements.label.value.trim() });
    if (!answer.ok) return sayAnswer($("#token-status"), answer, messageOf(answer), "bad");
    setText($("#token-value"), answer.data.token);
    $("#token-new").hidden = false;
    say($("#token-status"), "", "");
    form.reset();
    loadTokens();
    loadAudit();
  } catch {
    say($("#token-status"), NO_ANSWER, "bad");
  }
}

async function revokeToken(t) {
  const sure = await confirmDialog({ title: "Revoke this token?", ok: "Revoke",
    text: `Token ${t.id} (${t.role}${t.label ? `, ${t.label}` : ""}) stops working at once, and so do browsers paired with it.` });
  if (!sure) return;
  try {
    const answer = await del(`/api/tokens/${t.id}`);
    sayAnswer($("#token-status"), answer, answer.ok ? `Token ${t.id} revoked.` : messageOf(answer), answer.ok ? "good" : "bad");
    loadTokens();
    loadAudit();
  } catch {
    say($("#token-status"), NO_ANSWER, "bad");
  }
}

// --- audit ---

async function loadAudit() {
  try {
    const answer = await get("/api/audit");
    if (answer.ok) $("#audit").replaceChildren(...answer.data.audit.map(auditRow));
  } catch { /* the refresh button tries again */ }
}

function auditRow(entry) {
  const details = entry.details && Object.keys(entry.details).length ? JSON.stringify(entry.details) : "";
  return h("tr", {},
    h("td", { text: shortTime(entry.at) }), h("td", { text: `${entry.role} (${entry.actor})` }),
    h("td", { text: entry.action }), h("td", { text: entry.attendee_id ?? "" }),
    h("td", { class: "details", text: details }));
}

function shortTime(iso) {
  if (!iso) return "";
  const when = new Date(iso);
  return Number.isNaN(when.getTime()) ? iso : when.toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

clearOfStickyBar($(".topbar"));
$("#import-form").addEventListener("submit", importList);
$("#token-form").addEventListener("submit", createToken);
$("#audit-refresh").addEventListener("click", loadAudit);
loadTokens();
loadAudit();
