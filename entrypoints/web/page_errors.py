"""What a page raises to answer with the sign-in page or an error page instead of itself."""

from __future__ import annotations


class LoginRequired(Exception):
    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PageError(Exception):
    """Rendered as the error page with this status; `message` is already in both languages."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
