// The evening a page was drawn for. Its name, date, schedule and sponsors come from the server
// once, with the page; the counts come live. When the server restarts on another evening (the
// config moved on to next month, or last month's config was started by mistake and then
// corrected), a page left open went on showing last month's name and schedule over this month's
// counts, and the console last month's arrivals. The headcount names the evening it counts
// (`event_slug`): a page that sees another one is out of date and loads itself again.

const drawnFor = document.querySelector('meta[name="evening"]')?.content || "";

/** True when `counts` (a headcount) are of another evening than the one this page shows. */
export function isOtherEvening(counts) {
  return Boolean(drawnFor && counts && typeof counts.event_slug === "string" && counts.event_slug !== drawnFor);
}

/** Load the page again (it is drawn for the evening the server serves now) when `counts` say so. */
export function followEvening(counts) {
  if (!isOtherEvening(counts)) return false;
  location.reload();
  return true;
}
