"""The apply lock: one apply at a time per API base URL.

The API has no idempotency key, so two applies of the same config running at the
same time both see a plan year as absent and both create it. The lock closes that
window for every run that takes it:

* ``local`` (the default): an exclusive lock file per API base URL in the user's
  cache directory (``$XDG_CACHE_HOME/vitable-config/locks`` or
  ``~/.cache/vitable-config/locks``; ``%LOCALAPPDATA%`` on Windows,
  ``~/Library/Caches`` on macOS), held with :mod:`filelock`. It serialises the
  applies of one machine (all users sharing that cache directory).
* ``redis://[:password@]HOST:PORT[/DB]`` (or ``rediss://``): a lock on a Redis
  server the team already runs, through :class:`portalocker.RedisLock` (a pub/sub
  subscription: released by Redis as soon as the holder's connection goes, no
  lease to expire). It serialises the applies of every machine pointed at it.
* ``none``: no lock (a deliberate opt-out).

A lock held by another run is waited for up to ``timeout`` seconds; then
:class:`LockTimeoutError` (a :class:`~vitable_config.errors.UserError`). What the
lock cannot do: two machines that share no lock are not serialised. Their
duplicates are *detected* (apply's verification after writing, and ``plan``) and
reported, never prevented; see ``docs/reliability.md``.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from vitable_config.errors import UserError

LOCK_ENV = "VITABLE_CONFIG_LOCK"
DEFAULT_LOCK_TIMEOUT = 300.0
APP_DIR = "vitable-config"


class LockTimeoutError(UserError):
    """Another run held the apply lock for longer than the timeout."""


@dataclass(frozen=True, slots=True)
class LockSpec:
    """A parsed ``--lock`` value."""

    kind: str  # "local" | "redis" | "none"
    url: str | None = None  # the redis URL (kind "redis")

    @property
    def label(self) -> str:
        """How the lock is named in messages (never with a password)."""
        if self.kind == "redis" and self.url is not None:
            return redact_url(self.url)
        return self.kind


def parse_lock_spec(text: str | None) -> LockSpec:
    """``local`` (also for None/empty), ``none`` or ``redis://HOST:PORT[/DB]``."""
    value = (text or "").strip()
    if value in ("", "local"):
        return LockSpec("local")
    if value == "none":
        return LockSpec("none")
    parts = urlsplit(value)
    if parts.scheme in ("redis", "rediss"):
        if not parts.hostname:
            raise UserError(
                "--lock: a Redis URL needs a host, e.g. redis://HOST:6379/0; "
                f"got {redact_url(value)!r}"
            )
        try:
            _ = parts.port
        except ValueError:
            raise UserError(f"--lock: bad port in {redact_url(value)!r}") from None
        return LockSpec("redis", value)
    raise UserError(
        f"--lock: expected 'local', 'none' or redis://HOST:PORT[/DB], got {redact_url(value)!r}"
    )


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    netloc = f"{user}:***@{host}" if user else f":***@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def cache_dir() -> Path:
    """The user's cache directory for vitable-config."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / APP_DIR / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / APP_DIR
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / APP_DIR


def lock_name(base_url: str) -> str:
    """A stable name for the lock of one API (normalised base URL, hashed)."""
    normalised = base_url.strip().rstrip("/").lower()
    return "apply-" + hashlib.sha256(normalised.encode("utf-8")).hexdigest()[:24]


def local_lock_path(base_url: str) -> Path:
    return cache_dir() / "locks" / f"{lock_name(base_url)}.lock"


def _timeout_error(base_url: str, spec: LockSpec, timeout: float, where: str) -> LockTimeoutError:
    return LockTimeoutError(
        f"another apply against {base_url} holds the apply lock ({where}); waited "
        f"{timeout:g} s. Wait for it to finish and run apply again, or raise --lock-timeout"
    )


@contextmanager
def apply_lock(
    base_url: str,
    spec: LockSpec | str | None = None,
    *,
    timeout: float = DEFAULT_LOCK_TIMEOUT,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[LockSpec]:
    """Hold the apply lock for ``base_url`` for the duration of the ``with`` block.

    ``on_wait(message)`` is called once if the lock is held by another run and
    this one has to wait.
    """
    lock = spec if isinstance(spec, LockSpec) else parse_lock_spec(spec)
    if timeout < 0:
        raise UserError("--lock-timeout must be >= 0")
    if lock.kind == "none":
        yield lock
        return
    if lock.kind == "local":
        with _local_lock(base_url, lock, timeout, on_wait):
            yield lock
        return
    with _redis_lock(base_url, lock, timeout, on_wait):
        yield lock


@contextmanager
def _local_lock(
    base_url: str, spec: LockSpec, timeout: float, on_wait: Callable[[str], None] | None
) -> Iterator[None]:
    import filelock

    path = local_lock_path(base_url)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create the apply lock directory {path.parent}: {exc}") from None
    file_lock = filelock.FileLock(str(path))
    try:
        file_lock.acquire(timeout=0)
    except filelock.Timeout:
        if on_wait is not None:
            on_wait(
                f"waiting up to {timeout:g} s for another apply against {base_url} "
                f"to finish (lock {path})"
            )
        try:
            file_lock.acquire(timeout=timeout)
        except filelock.Timeout:
            raise _timeout_error(base_url, spec, timeout, f"lock file {path}") from None
    except OSError as exc:
        raise UserError(f"cannot take the apply lock {path}: {exc}") from None
    try:
        yield
    finally:
        file_lock.release()


@contextmanager
def _redis_lock(
    base_url: str, spec: LockSpec, timeout: float, on_wait: Callable[[str], None] | None
) -> Iterator[None]:
    try:
        import portalocker
        import redis
        from portalocker import exceptions as pl_exceptions
    except ImportError:
        raise UserError(
            "--lock redis://... needs the 'redis' and 'portalocker' packages: "
            "pip install 'vitable-config[redis]'"
        ) from None
    assert spec.url is not None
    connection = redis.Redis.from_url(spec.url, socket_connect_timeout=10, socket_timeout=30)
    channel = f"vitable-config:{lock_name(base_url)}"
    try:  # portalocker >= 4.2 can interrupt the main thread on a lost lock: not wanted
        lock = portalocker.RedisLock(
            channel, connection=connection, timeout=timeout, interrupt_on_lost=False
        )
    except TypeError:  # older portalocker: no such option (and no interrupt)
        lock = portalocker.RedisLock(channel, connection=connection, timeout=timeout)
    started = time.monotonic()
    try:
        # Unreachable Redis: fail now (the lock itself would retry until the timeout).
        connection.ping()
        try:
            lock.acquire(timeout=0, fail_when_locked=True)
        except pl_exceptions.AlreadyLocked:
            if on_wait is not None:
                on_wait(
                    f"waiting up to {timeout:g} s for another apply against {base_url} "
                    f"to finish (lock {spec.label})"
                )
            remaining = max(0.0, timeout - (time.monotonic() - started))
            try:
                lock.acquire(timeout=remaining, fail_when_locked=False)
            except pl_exceptions.AlreadyLocked:
                raise _timeout_error(base_url, spec, timeout, f"Redis {spec.label}") from None
    except redis.RedisError as exc:
        connection.close()
        raise UserError(
            f"cannot take the apply lock on Redis {spec.label}: {type(exc).__name__}: "
            f"{_redacted(str(exc), spec)}"
        ) from None
    except pl_exceptions.LockException as exc:
        connection.close()
        raise UserError(
            f"cannot take the apply lock on Redis {spec.label}: {_redacted(str(exc), spec)}"
        ) from None
    try:
        yield
    finally:
        try:
            lock.release()
        finally:
            connection.close()


def _redacted(text: str, spec: LockSpec) -> str:
    if spec.url is None:
        return text
    password = urlsplit(spec.url).password
    return text.replace(password, "***") if password else text
