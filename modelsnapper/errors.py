"""The one domain error type services raise; views turn it into a message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class DomainError(Exception):
    """A refused action, with a message that is safe to show the user.

    ``code`` is one of the raising module's ``…Code`` StrEnum members (compare with
    them, never with bare strings); ``field`` names the input the refusal is about,
    when there is one, so a form can show it there (``add_to_form``).
    """

    def __init__(self, message: str, *, code: str = "invalid", field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


class _Form(Protocol):
    @property
    def fields(self) -> Mapping[str, object]: ...

    def add_error(self, field: str | None, error: str) -> None: ...


def add_to_form(form: _Form, error: DomainError, *, or_non_field: bool = True) -> bool:
    """Shows ``error`` on its field when the form has that field (else, with
    ``or_non_field``, above the form). True when the form now holds the error."""
    if error.field and error.field in form.fields:
        form.add_error(error.field, error.message)
        return True
    if or_non_field:
        form.add_error(None, error.message)
        return True
    return False
