"""Number form fields that take ASCII digits only, within stated bounds.

Django's IntegerField and DecimalField accept any Unicode digit (Arabic-Indic 100 is 100) and,
on SQLite, integers up to 2**63 - 1. An admin typing into a money or credits field
should see exactly what is stored: ASCII digits, an optional sign, a stated range.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms

_INTEGER_RE = re.compile(r"[+-]?[0-9]+")
_DECIMAL_RE = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
MSG_ASCII = "Enter a number with the digits 0-9 only."


def _ascii_text(value: Any, pattern: re.Pattern[str]) -> Any:
    if value in (None, "") or isinstance(value, int | Decimal):
        return value
    text = str(value).strip()
    if not pattern.fullmatch(text):
        raise forms.ValidationError(MSG_ASCII, code="invalid")
    return text


class AsciiIntegerField(forms.IntegerField):
    """An IntegerField that needs ``min_value`` and ``max_value`` and ASCII digits."""

    def __init__(self, *, min_value: int, max_value: int, **kwargs: Any) -> None:
        super().__init__(min_value=min_value, max_value=max_value, **kwargs)

    def to_python(self, value: Any) -> int | None:
        return super().to_python(_ascii_text(value, _INTEGER_RE))


class AsciiDecimalField(forms.DecimalField):
    """A DecimalField that needs ``min_value`` and ``max_value`` and ASCII digits."""

    def __init__(self, *, min_value: Decimal, max_value: Decimal, **kwargs: Any) -> None:
        super().__init__(min_value=min_value, max_value=max_value, **kwargs)

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        return super().to_python(_ascii_text(value, _DECIMAL_RE))
