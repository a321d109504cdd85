"""Which columns of a list say whether someone is coming, and what a row's say together.

A plain list reads every such column. A platform's export is read by its own status columns
(Eventbrite's Attendee Status, Tito's Void Status, Meetup's RSVP...), but a list trimmed from one
or added to by the organiser may carry another: an "RSVP" of No beside Eventbrite's numbers, a
"Status" of Cancelled in a Tito list. Such a column's refusal refuses there too
(:func:`other_refusals`): read by the platform's columns alone, everyone was let in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from .common import Columns, header_key, is_attending, says_no
from .reading import Row

# Besides the obvious ones, the status titles platform exports use, for a list trimmed from one
# (Eventbrite's "Attendee Status", Meetup's "RSVP", Luma's "approval_status", Tito's "Ticket State").
# And the titles an organiser gives a hand-made sheet's yes/no column ("Going?", "Will attend": "Not
# attending"), which were not read at all: everyone marked No was let in. Not a bare "Attendance":
# in a community's sheet that is as often a count of evenings come to, and its 0 would turn
# first-timers away at the door.
STATUS_TITLES = ("Status", "RSVP", "Attending", "Attendance status", "Registration status",
                 "Approval status", "Approval_status", "State", "Attendee status", "RSVP status",
                 "Ticket status", "Ticket state", "Order status", "Payment status",
                 "Going", "Coming", "Will attend", "Attend")
# An attendee or order status titled in another language, as reports exported in the organiser's
# language write it (Eventbrite translates its report's titles): German "Teilnehmerstatus", Dutch
# "Status deelnemer", Portuguese "Status do participante", French "Statut du participant", Italian
# "Stato del partecipante". A status word counts only beside a word for the attendee, the
# registration, the order or the ticket: Spanish and Portuguese "Estado" and Italian "Stato" alone
# are a state or country in an address ("Kuwait" holds "wait"), and "Membership status" or "Email
# status" in an English list say nothing about coming ("Expired", "Pending"). French "Statut" alone
# is the attendee's, as "Status" is.
_STATUS_WORD = re.compile(r"status|\bstatut\b|\bstato\b|\bestado\b")
_STATUS_OF = re.compile(r"teiln|anmeld|bestell|buchung|deelne|inschrijv|aanmeld|particip|partecip|inscri|iscri|"
                        r"asist|pedido|entrada|ingresso|registr|reserv|réserv|prenot|commande|billet|bigliett|"
                        r"ordine|ticket|attendee|attendance|rsvp|order|booking")
# Statuses that say nothing about coming: a payment or a check-in; read only when nothing else is.
_STATUS_OTHER_WORDS = ("zahlung", "pago", "pagamento", "paiement", "betaling", "payment", "check-in",
                       "checkin")
# A form's question whether the person comes to the event ("Will you attend?", "Are you coming?",
# "Can you make it on the 12th?", "Are you going?"), answered Yes / No / "No, I can't make it". Only a question that
# ends there: "Have you attended before?", "Are you coming by car?" or "Will you attend the dinner
# after the talks?" ask something else, and their "No" is no refusal.
_ATTEND_QUESTION = re.compile(
    r"^(?:will you (?:be )?|are you (?:still )?|can you (?:still )?|would you (?:be able to )?|do you (?:still )?plan to )"
    r"(?:attend(?:ing)?|come|coming|going|make it|be there|join us)"
    r"(?: (?:the |this |our |tonight's )?(?:event|meetup|meet-up|evening|session|talks?))?"
    r"(?: on [^?]*| tonight)?\s*\??$")


# A column titled with the refusal itself, filled in for whom it applies: a sheet's "Cancelled" ticked
# (Yes, x, TRUE) or dated for those who cancelled. Read as a status, "Yes" was a yes and let them in.
REFUSAL_TITLES = ("Cancelled", "Canceled", "Cancellation", "Declined", "Withdrawn", "Not coming")
_REFUSAL_KEYS = frozenset(header_key(title) for title in REFUSAL_TITLES)
_NOT_FILLED_IN = frozenset({"n/a", "na", "-", "none"})


def status_columns(columns: Columns) -> list[int]:
    """Every column that says whether someone is coming: a list merged from two (a "Status" of
    Member/Guest beside an "RSVP" of Yes/No) or a form's "Will you attend?" must not have its
    no hidden by the first status column found."""
    found = [columns.find(title) for title in (*STATUS_TITLES, *REFUSAL_TITLES)] + _localised_statuses(columns) + [
        index for index, key in enumerate(columns.keys) if _ATTEND_QUESTION.search(key)]
    return list(dict.fromkeys(index for index in found if index is not None))


def status_cells(columns: Columns, row: Row, indices: Iterable[int]) -> tuple[str, ...]:
    """The row's statuses in those columns, a refusal column's as its title when it is filled in
    ("Cancelled" for a "Cancelled" of Yes or 2026-11-20; "" for No, blank or n/a)."""
    return tuple(_as_status(columns, index, columns.cell(row, index)) for index in indices)


def _as_status(columns: Columns, index: int, cell: str) -> str:
    """A cell as a status: a refusal column's filled-in cell is that refusal, any other cell itself."""
    if columns.unasked[index] not in _REFUSAL_KEYS:
        return cell
    return "" if says_no(cell) or cell.casefold() in _NOT_FILLED_IN or not cell else columns.titles[index].strip().rstrip("?")


def judged_status(cells: tuple[str, ...]) -> str:
    """The status a row is judged by: the first that refuses entry, else the first filled."""
    filled = [cell for cell in cells if cell]
    return next((cell for cell in filled if not is_attending(cell)), filled[0] if filled else "")


def _localised_statuses(columns: Columns) -> list[int]:
    """The status columns of a list titled in another language: the attendee's own status, a
    status of something else (a payment, a check-in) never."""
    return [index for index, key in enumerate(columns.keys)
            if _STATUS_WORD.search(key) and (key == "statut" or _STATUS_OF.search(key))
            and not any(word in key for word in _STATUS_OTHER_WORDS)]


def other_refusals(columns: Columns, own: Iterable[int | None]) -> Callable[[Row], str]:
    """For a platform's export: a row's refusal ("No", "Cancelled") in a status column its parser
    does not read itself (`own`), or "" when none refuses.

    A payment's or a check-in's status is left to the platform's own columns, which already say
    whether a payment went through (a "Pending" payment of someone paying at the door is no no)."""
    skipped = set(own)
    others = [index for index in status_columns(columns) if index not in skipped
              and not any(word in columns.keys[index] for word in _STATUS_OTHER_WORDS)]

    def refusal(row: Row) -> str:
        """The first of the row's other statuses that refuses entry, "" when none does."""
        return next((cell for cell in status_cells(columns, row, others) if cell and not is_attending(cell)), "")

    return refusal
