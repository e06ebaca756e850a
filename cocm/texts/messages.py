"""One small typed function per kind of message; each renders ``templates/<lang>/<kind>.txt``.

Rules every text follows (DESIGN section 6): no diagnosis, score or instrument name; first name
only, and ``first_name=None`` (a clinic that turns names off) renders without one. Budgets:
English within 2 GSM-7 segments, Spanish within 3 segments; the tests hold every kind to them.
A first name that would break the budget (a long or accented one) is shortened to its first word,
or left out (``_with_name``).
"""

from __future__ import annotations

from cocm.texts import items
from cocm.texts.render import render
from cocm.texts.segments import within_budget


def _with_name(kind: str, lang: str, first_name: str | None, allowance: int = 0, **context) -> str:
    """``kind`` rendered with the first name if it fits the budget, else with its first word,
    else without a name: the greeting gives way, never the content."""
    tried = []
    name = (first_name or "").strip()
    for candidate in (name, name.split(" ")[0], None):
        if candidate in tried or candidate == "":
            continue
        tried.append(candidate)
        text = render(kind, lang, first_name=candidate, **context)
        if candidate is None or within_budget(text, lang, allowance):
            return text
    return render(kind, lang, first_name=None, **context)


def _item_context(lang: str, instrument_code: str, item_number: int) -> dict[str, object]:
    numbers = items.scored_numbers(instrument_code)
    if item_number not in numbers:
        raise ValueError(f"{instrument_code} has no scored item {item_number}")
    return {
        "position": numbers.index(item_number) + 1,
        "total": len(numbers),
        "item": items.item_text(instrument_code, item_number, lang),
        "legend": items.legend(instrument_code, item_number, lang),
    }


def welcome(
    lang: str,
    first_name: str | None,
    clinic_name: str,
    care_manager_name: str | None,
    cadence_days: int,
) -> str:
    """At enrollment: who will be in touch, how often we text, how to get help or stop."""
    return _with_name(
        "welcome",
        lang,
        first_name,
        clinic_name=clinic_name,
        care_manager_name=care_manager_name,
        cadence_days=cadence_days,
    )


def checkin_open(
    lang: str, first_name: str | None, instrument_code: str, link: str | None = None
) -> str:
    """Opens a check-in: greeting, stem, the first item and how to answer.

    ``link``, a one-time portal link, is added on a last line and may cost one more segment;
    the caller keeps the text without it when even so it would not fit
    (``cocm.portal.links.opening_text``).
    """
    first = items.scored_numbers(instrument_code)[0]
    context = _item_context(lang, instrument_code, first)
    return _with_name(
        "checkin_open",
        lang,
        first_name,
        allowance=1 if link else 0,
        stem=items.stem(instrument_code, lang),
        link=link,
        **context,
    )


def next_item(lang: str, instrument_code: str, item_number: int) -> str:
    """The next item of an open check-in (``item_number`` is the 1-based item number)."""
    return render("next_item", lang, **_item_context(lang, instrument_code, item_number))


def reask(lang: str, instrument_code: str, item_number: int) -> str:
    """The same item again, after an answer we could not read, with a hint."""
    return render("reask", lang, **_item_context(lang, instrument_code, item_number))


def reminder(lang: str, first_name: str | None, instrument_code: str, item_number: int) -> str:
    """The one reminder of an unanswered check-in, repeating the item it waits on."""
    context = _item_context(lang, instrument_code, item_number)
    return _with_name("reminder", lang, first_name, **context)


def checkin_complete(lang: str, first_name: str | None) -> str:
    """Thanks the patient once every item is answered."""
    return _with_name("checkin_complete", lang, first_name)


def safety_reply(lang: str) -> str:
    """The risk protocol's reply: 988 call or text, 911 in danger, the care team will call."""
    return render("safety_reply", lang)


def help_text(lang: str, clinic_name: str, clinic_phone: str) -> str:
    """The answer to HELP / INFO: clinic name and phone, crisis lines, STOP to opt out.

    Named ``help_text`` rather than ``help`` so it does not shadow the builtin.
    """
    return render("help", lang, clinic_name=clinic_name, clinic_phone=clinic_phone)


def optout_confirm(lang: str, clinic_name: str, clinic_phone: str) -> str:
    """Confirms an opt-out (STOP and its synonyms)."""
    return render("optout_confirm", lang, clinic_name=clinic_name, clinic_phone=clinic_phone)


def optin_confirm(lang: str, clinic_name: str) -> str:
    """Confirms an opt-in (START, UNSTOP, or YES while opted out)."""
    return render("optin_confirm", lang, clinic_name=clinic_name)


def contact_confirm_request(
    lang: str, first_name: str | None, clinic_name: str, contact_when: str
) -> str:
    """Asks the patient to confirm the next contact; ends "Reply C to confirm or R to ..."."""
    return _with_name(
        "contact_confirm_request",
        lang,
        first_name,
        clinic_name=clinic_name,
        contact_when=contact_when,
    )


def contact_reask(lang: str) -> str:
    """Repeats the C / R choice after a reply we could not read."""
    return render("contact_reask", lang)


def contact_confirmed(lang: str, contact_when: str | None) -> str:
    """Acknowledges a confirmed contact date."""
    return render("contact_confirmed", lang, contact_when=contact_when)


def contact_reschedule_ack(lang: str, clinic_phone: str) -> str:
    """Acknowledges a request to reschedule; staff follow up."""
    return render("contact_reschedule_ack", lang, clinic_phone=clinic_phone)


def unknown_number(lang: str, clinic_phone: str | None = None) -> str:
    """The reply to a number we do not know: no PHI, just "please call your clinic"."""
    return render("unknown_number", lang, clinic_phone=clinic_phone)


def no_open_conversation(lang: str, clinic_phone: str) -> str:
    """Acknowledges free text that arrives while nothing is being asked."""
    return render("no_open_conversation", lang, clinic_phone=clinic_phone)


def needs_person_ack(lang: str, clinic_phone: str) -> str:
    """Tells the patient the conversation waits and a person will contact them."""
    return render("needs_person_ack", lang, clinic_phone=clinic_phone)


def staff_page(lang: str, link: str, drill: bool = False) -> str:
    """A page to staff about an urgent item: no PHI, only a link; drills say so first."""
    return render("staff_page", lang, link=link, drill=drill)


def portal_code(lang: str, code: str, minutes: int = 10) -> str:
    """A one-time portal sign-in code (six digits)."""
    return render("portal_code", lang, code=code, minutes=minutes)


def expired(lang: str, clinic_phone: str) -> str:
    """Optional notice that an unfinished check-in has closed (the engine does not send it)."""
    return render("expired", lang, clinic_phone=clinic_phone)
