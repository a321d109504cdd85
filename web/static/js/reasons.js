// Why the door said no, in a volunteer's words. The server's `message` speaks to the person at
// the kiosk ("... Please see a volunteer."): the wrong sentence on the volunteers' own screens.

import { clockTime } from "./dom.js";

const REASONS = {
  already_checked_in: "already checked in",
  unknown_code: "ticket not found for tonight",
  invalid_code: "not a valid ticket (altered or made up)",
  not_attending: "not coming on the list (cancelled, declined or waitlisted)",
  capacity_reached: "the venue is full",
  too_many_attempts: "too many unknown codes from that station",
};

/** "not a valid ticket (altered or made up)": a phrase to follow a colon; `data` is an API answer's body. */
export function refusalReason(data) {
  const result = data && typeof data.result === "string" ? data.result : "";
  if (result === "already_checked_in" && data.checked_in_at) return `already checked in at ${clockTime(data.checked_in_at)}`;
  if (result === "unknown_code" && typeof data.evening?.date === "string") return `a ticket for another evening (${data.evening.date})`;
  if (result === "capacity_reached" && data.more > 0 && data.remaining > 0) { // more guests for someone in
    return `${data.more} more guest${data.more > 1 ? "s" : ""} and only ${places(data.remaining)} left`;
  }
  if (result === "capacity_reached" && data.party > 1 && data.remaining > 0) {
    return `a party of ${data.party} and only ${places(data.remaining)} left`;
  }
  return REASONS[result] || (typeof data?.message === "string" && data.message) || "refused";
}

/** "1 place", "2 places". */
function places(count) {
  return `${count} place${count > 1 ? "s" : ""}`;
}

/** The same as a sentence of its own: "The venue is full." */
export function refusalSentence(data) {
  const reason = refusalReason(data);
  return `${reason.charAt(0).toUpperCase()}${reason.slice(1)}${/[.!?]$/.test(reason) ? "" : "."}`;
}
