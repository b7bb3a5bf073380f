"""The one domain error type services raise; views turn it into a message."""

from __future__ import annotations


class DomainError(Exception):
    """A refused action, with a message that is safe to show the user."""

    def __init__(self, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
