"""How many SMS segments a text costs, and in which encoding it travels.

A text that uses only the GSM 03.38 alphabet travels as GSM-7: 160 septets in one segment,
153 per segment once it is split (the rest of each segment carries the concatenation header).
Characters of the extension table take two septets (escape + character), and a segment never
splits such a pair. Anything else (for Spanish: á, í, ó, ú; any emoji) sends the whole message
as UCS-2: 70 UTF-16 code units in one segment, 67 per segment once split, and a surrogate pair
is never split either.
"""

from __future__ import annotations

from functools import lru_cache

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

# What one text to a patient may cost: English 2 GSM-7 segments, Spanish 3 (UCS-2 for its
# accents). English must stay GSM-7: one accented name would turn it to UCS-2 and double the cost.
SEGMENT_BUDGET = {"en": 2, "es": 3}

_GSM7_SINGLE, _GSM7_MULTI = 160, 153
_UCS2_SINGLE, _UCS2_MULTI = 70, 67


# Texts repeat (the same opening goes to every patient of one first name and language): each
# distinct text is measured once. Pure functions of the text, so the cache changes no result.
@lru_cache(maxsize=8192)
def encoding(text: str) -> str:
    """``"GSM-7"`` when every character is in the GSM-7 alphabet, else ``"UCS-2"``."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        return "GSM-7"
    return "UCS-2"


def _units(text: str, gsm: bool) -> list[int]:
    """The size of each character in septets (GSM-7) or UTF-16 code units (UCS-2)."""
    if gsm:
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


@lru_cache(maxsize=8192)
def segments(text: str) -> int:
    """The number of segments ``text`` is sent in (an empty text still costs one)."""
    gsm = encoding(text) == "GSM-7"
    units = _units(text, gsm)
    single, multi = (_GSM7_SINGLE, _GSM7_MULTI) if gsm else (_UCS2_SINGLE, _UCS2_MULTI)
    if sum(units) <= single:
        return 1
    # Fill segments greedily; a two-unit character that does not fit starts the next segment.
    count, used = 1, 0
    for size in units:
        if used + size > multi:
            count, used = count + 1, 0
        used += size
    return count


def within_budget(text: str, lang: str, allowance: int = 0) -> bool:
    """Whether ``text`` fits ``lang``'s budget (plus ``allowance`` segments), in GSM-7 for
    English."""
    if lang == "en" and encoding(text) != "GSM-7":
        return False
    return segments(text) <= SEGMENT_BUDGET.get(lang, SEGMENT_BUDGET["en"]) + allowance
