// Our own confirmation dialog (a <dialog>), not window.confirm(): it says what will happen in
// words the volunteer can read on a phone, and tests can drive it like any other element.

import { $, setText } from "./dom.js";

/** Resolves true when the volunteer confirms, false on Cancel or Escape. */
export function confirmDialog({ title, text, ok = "Confirm" }) {
  const dialog = $("#confirm-dialog");
  setText($("#confirm-title"), title);
  setText($("#confirm-text"), text);
  setText($("#confirm-ok"), ok);
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.showModal();
    $("#confirm-cancel").focus(); // the safe choice is the default one
  });
}

/** The badge exactly as it will print, from GET /api/attendees/<id>/badge.png. */
export function showBadge(person) {
  const dialog = $("#badge-dialog");
  const img = $("#badge-img");
  setText($("#badge-title"), `Badge: ${person.name}`);
  img.src = `/api/attendees/${encodeURIComponent(person.id)}/badge.png?t=${Date.now()}`;
  dialog.showModal();
}
