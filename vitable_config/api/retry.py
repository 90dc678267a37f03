"""Retry policy: which failures are retried, and how long to wait.

The decision is a pure function of the HTTP method, the status (or the
transport exception) and the response headers, so it is unit-testable without
a network. The waiting is done by :mod:`tenacity` (:meth:`RetryPolicy.retrying`).

Rules:

* GET and PUT (idempotent) are retried on 408, 429, 5xx and on connection
  errors, timeouts and dropped connections.
* POST is never retried blindly. It is retried only when the server
  demonstrably did not process it: the connection could not be opened
  (nothing was sent), or the server answered 429. Once a POST was sent, a
  timeout, a dropped connection, a 408 or a 5xx means *outcome unknown*.
* ``x-should-retry: true|false`` from the server overrides the default (for a
  POST, ``false`` on a 5xx still means outcome unknown, just not retried).
* ``retry-after-ms`` / ``Retry-After`` (seconds or an HTTP date) set the wait;
  a hint longer than ``max_retry_after`` is not waited for.
"""

from __future__ import annotations

import email.utils
import enum
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import tenacity

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

# Transport errors raised before any byte of the request reached the server.
NOT_SENT_ERRORS: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)
# Errors in our own request construction / configuration: never retried.
CONFIG_ERRORS: tuple[type[Exception], ...] = (
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
    httpx.ProxyError,
)


class Decision(enum.Enum):
    """What to do with one failed attempt."""

    RETRY = "retry"  # safe to try again
    FAIL = "fail"  # definite failure: raise the typed error
    UNKNOWN = "unknown"  # a non-idempotent request may have been committed


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Backoff and limits. Tests pass tiny waits to stay fast."""

    max_retries: int = 5
    wait_initial: float = 0.25
    wait_max: float = 8.0
    wait_jitter: float = 0.5
    total_timeout: float = 60.0
    max_retry_after: float = 60.0

    @property
    def attempts(self) -> int:
        return self.max_retries + 1

    def retrying(self) -> tenacity.AsyncRetrying:
        """A tenacity loop: retry on :class:`RetrySignal`, at most ``attempts`` times,
        never starting a wait that would end past ``total_timeout``."""
        return tenacity.AsyncRetrying(
            retry=tenacity.retry_if_exception_type(RetrySignal),
            stop=(
                tenacity.stop_after_attempt(self.attempts)
                | tenacity.stop_before_delay(self.total_timeout)
            ),
            wait=_ServerHintOrBackoff(
                tenacity.wait_exponential(multiplier=self.wait_initial, max=self.wait_max)
                + tenacity.wait_random(0, self.wait_jitter)
            ),
            reraise=True,
        )


class RetrySignal(Exception):
    """Raised inside one attempt when another attempt is allowed.

    ``final`` is what the caller sees if no attempt is left; ``delay`` is the
    server's Retry-After hint in seconds (None: exponential backoff with jitter).
    """

    def __init__(self, final: Exception, delay: float | None) -> None:
        super().__init__(str(final))
        self.final = final
        self.delay = delay


class _ServerHintOrBackoff(tenacity.wait.wait_base):
    """Wait what the server asked for (Retry-After), else the jittered backoff."""

    def __init__(self, backoff: tenacity.wait.wait_base) -> None:
        self.backoff = backoff

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None and outcome.failed else None
        if isinstance(exc, RetrySignal) and exc.delay is not None:
            return exc.delay
        return float(self.backoff(retry_state))


def is_idempotent(method: str) -> bool:
    return method.upper() in IDEMPOTENT_METHODS


def should_retry_header(headers: Mapping[str, str]) -> bool | None:
    """The server's ``x-should-retry`` hint, or None when absent or unclear."""
    value = headers.get("x-should-retry")
    if value is None:
        return None
    value = value.strip().lower()
    if value == "true":
        return True
    if value == "false":
        return False
    return None


def retry_after_seconds(headers: Mapping[str, str], *, now: datetime | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After``, or None."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            value = float(millis) / 1000.0
        except ValueError:
            value = -1.0
        if value >= 0:
            return value
    raw = headers.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        seconds = float(raw)
    except ValueError:
        pass
    else:
        return seconds if seconds >= 0 else None
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())


def decide_status(method: str, status: int, headers: Mapping[str, str]) -> Decision:
    """Decide what a non-2xx response means for this method."""
    hint = should_retry_header(headers)
    ambiguous = status == 408 or status >= 500
    if hint is True:
        return Decision.RETRY
    if hint is False:
        if ambiguous and not is_idempotent(method):
            return Decision.UNKNOWN
        return Decision.FAIL
    if status == 429:
        return Decision.RETRY  # the server refused before processing: safe for POST too
    if ambiguous:
        return Decision.RETRY if is_idempotent(method) else Decision.UNKNOWN
    return Decision.FAIL


def is_permanent_tls_failure(exc: BaseException) -> bool:
    """A certificate that fails verification, or a plain-http server behind an https
    URL: retrying cannot fix either, so they fail at once."""
    cause: BaseException | None = exc
    for _ in range(5):
        cause = cause.__cause__ or cause.__context__ if cause is not None else None
        if cause is None:
            return False
        if isinstance(cause, ssl.SSLCertVerificationError):
            return True
        if isinstance(cause, ssl.SSLError) and cause.reason == "WRONG_VERSION_NUMBER":
            return True
    return False


def decide_transport_error(method: str, exc: Exception) -> Decision:
    """Decide what a transport exception means for this method."""
    if isinstance(exc, httpx.ConnectError) and is_permanent_tls_failure(exc):
        return Decision.FAIL
    if isinstance(exc, NOT_SENT_ERRORS):
        return Decision.RETRY
    if isinstance(exc, CONFIG_ERRORS):
        return Decision.FAIL
    if isinstance(exc, httpx.TransportError):
        return Decision.RETRY if is_idempotent(method) else Decision.UNKNOWN
    return Decision.FAIL


def _causes(exc: BaseException, depth: int = 6) -> list[BaseException]:
    chain: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and len(chain) < depth:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    return chain


def unreachable_reason(exc: BaseException) -> tuple[str, bool] | None:
    """Why the API's host cannot be reached at all, and whether a quick retry may help:
    ``("connection refused", True)``, ``("unknown host", False)``; None for other failures.

    Nothing was sent in either case. A refused connection may be a server restarting,
    so it gets a few quick retries (see ``VitableClient``); a name that does not
    resolve gets none, unless the resolver itself failed temporarily.
    """
    if not isinstance(exc, httpx.ConnectError):
        return None
    for cause in _causes(exc)[1:]:
        if isinstance(cause, socket.gaierror):
            if cause.errno == socket.EAI_AGAIN:
                return "the host name could not be resolved (temporary DNS failure)", True
            return "unknown host", False
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused", True
    return None
