"""Typed errors raised by the API client.

None of these ever contain the API key: messages are built from the response
body and the request method/path only (never headers or full URLs with
credentials).
"""

from __future__ import annotations

from vitable_config.errors import UserError


class ApiError(UserError):
    """The API answered with an error status."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        method: str = "",
        path: str = "",
        app_error_code: str | None = None,
        trace_id: str | None = None,
    ) -> None:
        self.status = status
        self.method = method
        self.path = path
        self.app_error_code = app_error_code
        self.trace_id = trace_id
        self.message = message
        super().__init__(str(self))
        self.message = message  # the server's message (UserError set the summary)

    def __str__(self) -> str:
        where = f"{self.method} {self.path} " if self.method else ""
        code = f" [{self.app_error_code}]" if self.app_error_code else ""
        trace = f" (trace {self.trace_id})" if self.trace_id else ""
        return f"{where}-> {self.status}{code}: {self.message}{trace}"

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}({self.status}, {self.message!r}, app_error_code={self.app_error_code!r})"

    def format(self) -> str:
        return f"error: {self}"


class BadRequestError(ApiError):
    """400."""


class AuthenticationError(ApiError):
    """401: missing or unknown API key."""


class PermissionDeniedError(ApiError):
    """403."""


class NotFoundError(ApiError):
    """404."""


class ConflictError(ApiError):
    """409 (overlap, or plan_year_locked)."""


class ValidationFailedError(ApiError):
    """422."""


class RateLimitedError(ApiError):
    """429 that survived all retries."""


class ServerError(ApiError):
    """5xx that survived all retries."""


class UnexpectedResponseError(ApiError):
    """A 2xx response whose body is not the documented shape (bad JSON, missing fields)."""


class ResponseTooLargeError(UnexpectedResponseError):
    """A response body larger than ``ClientSettings.max_response_bytes`` (not read further)."""


class _PlainUserError(UserError):
    """A user error whose text is the whole message (no located problems)."""

    def __str__(self) -> str:
        return self.message

    def format(self) -> str:
        return f"error: {self.message}"


class TransportError(_PlainUserError):
    """The request could not be completed (connection refused, DNS, TLS) and
    definitely did not reach the server's write path (safe to retry a GET/PUT)."""


class UnreachableError(TransportError):
    """The API's host cannot be reached at all (connection refused, unknown host)."""


class OutcomeUnknownError(_PlainUserError):
    """A non-idempotent request (POST) was sent and we do not know whether it
    was committed: timeout, dropped connection after sending, or 5xx.

    The caller must resolve this by reading (e.g. list plan years by natural
    key) before deciding to retry. Never retry a POST blindly.
    """

    def __init__(self, method: str, path: str, reason: str) -> None:
        self.method = method
        self.path = path
        self.reason = reason
        super().__init__(f"{method} {path}: outcome unknown ({reason})")


class InsecureTransportError(_PlainUserError):
    """Plain http:// to a non-loopback host without --insecure."""


STATUS_ERRORS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: ValidationFailedError,
    429: RateLimitedError,
}


def error_for_status(status: int) -> type[ApiError]:
    if status >= 500:
        return ServerError
    return STATUS_ERRORS.get(status, ApiError)
