// Badge printers: online or not, paper, the last error and the queue. The whole list comes from
// GET /api/printers; "printer" websocket messages patch one printer as its state changes.

import { h, clockTime } from "./dom.js";

export class Printers {
  constructor(list) {
    this.list = list;
    this.byName = new Map();
    this.fetching = []; // one list per GET /api/printers in flight: the patches that arrived meanwhile
  }

  /**
   * Fetch the whole list with `fetchList` (async, the printers or null). A "printer" message that
   * arrives while the request is out may be newer than its answer: a printer that went offline
   * just then showed "Online" until its next change. Such patches are applied again on top.
   */
  async load(fetchList) {
    const meanwhile = [];
    this.fetching.push(meanwhile);
    try {
      const printers = await fetchList();
      if (printers) this.replace(printers, meanwhile);
    } finally {
      this.fetching.splice(this.fetching.indexOf(meanwhile), 1);
    }
  }

  replace(printers, patches = []) {
    this.byName = new Map((printers || []).map((p) => [p.name, p]));
    for (const printer of patches) this.merge(printer);
    this.render();
  }

  patch(printer) {
    if (!printer?.name) return;
    for (const meanwhile of this.fetching) meanwhile.push(printer);
    this.merge(printer);
    this.render();
  }

  merge(printer) {
    this.byName.set(printer.name, { ...this.byName.get(printer.name), ...printer });
  }

  render() {
    if (this.byName.size === 0) {
      this.list.replaceChildren(h("li", { class: "muted small", text: "No printer is configured." }));
      return;
    }
    this.list.replaceChildren(...[...this.byName.values()].map(card));
  }
}

/** A printer that answers but whose last badge failed (it hung up or stopped reading mid-badge) is
 * not "Online" beside its error: it is not printing, and its badges wait for the next try. One that
 * says its paper ran out answers too: "Offline" sent volunteers to its cable and power switch. */
function stateWord(p) {
  if (p.paper === "out") return "Out of paper";
  if (p.online === false) return "Offline";
  if (p.online && p.last_error) return "Online, not printing";
  return p.online ? "Online" : "Unknown";
}

function card(p) {
  const health = p.online === false ? "bad" : p.paper === "out" ? "bad" : p.paper === "low" || p.last_error ? "warn" : p.online ? "good" : "";
  const queue = p.queue || {};
  const queueText = [`${queue.queued ?? 0} waiting`, `${queue.printing ?? 0} printing`,
    queue.oldest_queued_at ? `oldest from ${clockTime(queue.oldest_queued_at)}` : ""].filter(Boolean).join(" · ");
  return h("li", { class: "printer", dataset: { health } },
    h("p", { class: "printer-name" }, h("strong", { text: p.name }), " ",
      h("span", { class: "muted small", text: [p.backend, p.profile].filter(Boolean).join(" · ") })),
    h("p", { class: "printer-state" },
      h("span", { class: "tag", dataset: { tone: p.online === false ? "bad" : p.last_error ? "warn" : p.online ? "good" : "" },
        text: stateWord(p) }),
      h("span", { class: "tag", dataset: { tone: p.paper === "out" ? "bad" : p.paper === "low" ? "warn" : "" }, text: `Paper: ${p.paper || "unknown"}` }),
      p.busy ? h("span", { class: "tag", dataset: { tone: "info" }, text: "Printing" }) : null),
    h("p", { class: "small", text: `Queue: ${queueText}` }),
    p.last_error ? h("p", { class: "printer-error small", text: p.last_error }) : null);
}
