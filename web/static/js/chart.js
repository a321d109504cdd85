// Arrivals per minute as bars in an inline SVG built with DOM calls (no chart library, no
// markup strings). Minutes without arrivals are drawn as gaps so the rhythm of the door shows.

import { h, svg, setText, clockTime } from "./dom.js";

const WINDOW_MINUTES = 90; // the busy part of an evening; older minutes scroll off
const BAR = 10;            // viewBox units per minute
const HEIGHT = 100;

/** per_minute: [{minute: "2026-11-26T18:31", arrivals: n}] (UTC minutes, as the API sends them). */
export function drawArrivals(container, summary, perMinute) {
  const minutes = fillGaps(perMinute);
  if (minutes.length === 0) {
    container.replaceChildren(h("p", { class: "muted small", text: "No arrivals yet." }));
    setText(summary, "");
    return;
  }
  const peak = Math.max(...minutes.map((m) => m.arrivals), 1);
  const width = Math.max(minutes.length, 30) * BAR; // a lone minute stays a bar, not a wall
  const chart = svg("svg", { viewBox: `0 0 ${width} ${HEIGHT}`, preserveAspectRatio: "none", class: "chart-svg",
    role: "img", "aria-label": `Arrivals per minute, peak ${peak}` });
  chart.append(svg("line", { x1: 0, x2: width, y1: HEIGHT - 0.5, y2: HEIGHT - 0.5, class: "chart-axis" }));
  minutes.forEach((m, i) => {
    if (!m.arrivals) return;
    const barHeight = Math.max(2, (m.arrivals / peak) * (HEIGHT - 6));
    chart.append(svg("rect", { x: i * BAR + 1, y: HEIGHT - barHeight, width: BAR - 2, height: barHeight, class: "chart-bar" },
      svg("title", { text: `${clockTime(m.at.toISOString())}: ${m.arrivals} arriv${m.arrivals === 1 ? "al" : "als"}` })));
  });
  const axis = h("div", { class: "chart-labels" },
    h("span", { text: clockTime(minutes[0].at.toISOString()) }),
    h("span", { text: `peak ${peak}/min` }),
    h("span", { text: clockTime(minutes[minutes.length - 1].at.toISOString()) }));
  container.replaceChildren(chart, axis);
  setText(summary, describe(minutes, peak));
}

/** Every minute from the first arrival to now (or the last arrival), zeros included. */
function fillGaps(perMinute) {
  const counts = new Map();
  for (const row of perMinute || []) {
    const at = new Date(`${row.minute}:00Z`);
    if (!Number.isNaN(at.getTime())) counts.set(at.getTime(), (counts.get(at.getTime()) || 0) + Number(row.arrivals || 0));
  }
  if (counts.size === 0) return [];
  const stamps = [...counts.keys()].sort((a, b) => a - b);
  const nowMinute = Math.floor(Date.now() / 60000) * 60000;
  const last = Math.max(stamps[stamps.length - 1], Math.min(nowMinute, stamps[stamps.length - 1] + WINDOW_MINUTES * 60000));
  const first = Math.max(stamps[0], last - (WINDOW_MINUTES - 1) * 60000);
  const out = [];
  for (let t = first; t <= last; t += 60000) out.push({ at: new Date(t), arrivals: counts.get(t) || 0 });
  return out;
}

function describe(minutes, peak) {
  const total = minutes.reduce((sum, m) => sum + m.arrivals, 0);
  const busiest = minutes.find((m) => m.arrivals === peak);
  const lastTen = minutes.slice(-10).reduce((sum, m) => sum + m.arrivals, 0);
  return `${total} arrivals shown · busiest minute ${clockTime(busiest.at.toISOString())} (${peak}) · last 10 minutes: ${lastTen}`;
}
