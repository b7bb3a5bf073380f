"""Names and short texts people type and others read: one normal form, nothing hidden.

A business name shown in a model's consent inbox must look like what it is: "Demo\u200b
Boutique" (a zero-width space) or a right-to-left override must not pass for the approved
"Demo Boutique". Every such text is therefore NFKC-normalised (compatibility forms such as
full-width letters fold to their plain form), refused when it holds control, format,
private-use, surrogate or unassigned characters, and refused when nothing would be seen once
rendered (only spaces, combining marks or blank "letters" such as U+3164 HANGUL FILLER).
Minimum lengths count visible characters, not code points.
"""

from __future__ import annotations

import unicodedata
from enum import StrEnum

from modelsnapper.errors import DomainError

# Categories no name or short text needs: Cc control, Cf format (zero-width, bidi
# overrides, soft hyphen), Co private use, Cs surrogates, Cn unassigned.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Cn"}
# Letters and symbols that render as nothing (Unicode's Default_Ignorable set and the
# fillers that impersonation tricks use): a name of these alone is blank.
_BLANK_CHARACTERS = frozenset(
    "\u115f\u1160\u17b4\u17b5\u180e\u2800\u3164\uffa0\u034f\u2060\u2061\u2062\u2063\u2064"
)
# Prose (intended use, report reasons) may keep line breaks and tabs.
_PROSE_ALLOWED_CONTROLS = frozenset("\n\t")


class TextCode(StrEnum):
    """The refusals of this module (``DomainError.code``)."""

    INVISIBLE = "invisible_characters"
    BLANK = "blank"
    TOO_LONG = "too_long"
    TOO_SHORT = "too_short"


MSG_INVISIBLE = (
    "The {label} contains invisible or control characters (for example zero-width spaces or "
    "text-direction marks). Type it again without them."
)
MSG_BLANK = "Enter a {label}."
MSG_TOO_LONG = "Use at most {limit} characters for the {label}."
MSG_TOO_SHORT = "The {label} needs at least {minimum} visible characters (you typed {count})."


def _is_visible(char: str) -> bool:
    if char.isspace() or char in _BLANK_CHARACTERS:
        return False
    # Marks (M*) combine with the letter before; C* (controls, format, unassigned) show nothing.
    return unicodedata.category(char)[0] not in "MC"


def visible_length(value: str) -> int:
    """How many characters would be seen: no spaces, combining marks or blank fillers."""
    return sum(1 for char in value if _is_visible(char))


def _refuse_hidden(value: str, *, label: str, field: str | None, allowed: frozenset[str]) -> None:
    for char in value:
        if char not in allowed and unicodedata.category(char) in _REFUSED_CATEGORIES:
            raise DomainError(
                MSG_INVISIBLE.format(label=label), code=TextCode.INVISIBLE, field=field
            )


def clean_name(
    value: str | None, *, label: str = "name", field: str | None = "name", max_length: int = 120
) -> str:
    """One line: NFKC, runs of whitespace become one space, nothing hidden, not blank."""
    text = unicodedata.normalize("NFKC", value or "")
    _refuse_hidden(text, label=label, field=field, allowed=frozenset())
    text = " ".join(text.split())
    if visible_length(text) == 0:
        raise DomainError(MSG_BLANK.format(label=label), code=TextCode.BLANK, field=field)
    if len(text) > max_length:
        raise DomainError(
            MSG_TOO_LONG.format(limit=max_length, label=label), code=TextCode.TOO_LONG, field=field
        )
    return text


def clean_prose(
    value: str | None,
    *,
    label: str,
    field: str | None,
    max_length: int,
    min_visible: int = 1,
) -> str:
    """Several lines allowed: NFKC, trimmed, nothing hidden, at least ``min_visible`` seen."""
    text = unicodedata.normalize("NFKC", value or "").replace("\r\n", "\n").strip()
    _refuse_hidden(text, label=label, field=field, allowed=_PROSE_ALLOWED_CONTROLS)
    count = visible_length(text)
    if count == 0 and min_visible > 0:
        raise DomainError(MSG_BLANK.format(label=label), code=TextCode.BLANK, field=field)
    if count < min_visible:
        raise DomainError(
            MSG_TOO_SHORT.format(label=label, minimum=min_visible, count=count),
            code=TextCode.TOO_SHORT,
            field=field,
        )
    if len(text) > max_length:
        raise DomainError(
            MSG_TOO_LONG.format(limit=max_length, label=label), code=TextCode.TOO_LONG, field=field
        )
    return text
