"""The apply lock itself: local and Redis locks, timeouts, bad specs (issue 11)."""

from __future__ import annotations

import threading
import time

import pytest

from tests.e2e.e2e_support import PY, api_args, run_cli, writes
from tests.support.services import redis_server
from vitable_config.errors import UserError
from vitable_config.lock import (
    LockTimeoutError,
    apply_lock,
    local_lock_path,
    parse_lock_spec,
    redact_url,
)


def test_lock_specs_parse_and_bad_ones_are_clear() -> None:
    assert parse_lock_spec(None).kind == "local"
    assert parse_lock_spec("none").kind == "none"
    spec = parse_lock_spec("redis://:s3cret@127.0.0.1:6379/0")
    assert spec.kind == "redis" and "s3cret" not in spec.label
    assert redact_url("redis://u:pw@h:1/0") == "redis://u:***@h:1/0"
    for bad in ("memcached://x", "redis://", "redis://h:notaport/0", "lock"):
        with pytest.raises(UserError) as exc:
            parse_lock_spec(bad)
        assert "--lock" in str(exc.value)


def test_local_lock_is_per_base_url_and_times_out(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    a, b = "http://127.0.0.1:1", "http://127.0.0.1:2"
    assert local_lock_path(a) != local_lock_path(b)
    assert local_lock_path(a) == local_lock_path(a + "/")
    assert str(local_lock_path(a)).startswith(str(tmp_path))
    waited: list[str] = []
    with apply_lock(a, "local", timeout=1):
        with apply_lock(b, "local", timeout=0):  # another API: not blocked
            pass
        started = time.monotonic()
        with (
            pytest.raises(LockTimeoutError) as exc,
            apply_lock(a, "local", timeout=0.5, on_wait=waited.append),
        ):
            pass
        assert time.monotonic() - started >= 0.4
    assert "holds the apply lock" in str(exc.value) and waited
    with apply_lock(a, "local", timeout=0):  # released
        pass


def test_redis_lock_serialises_and_releases(tmp_path) -> None:
    with redis_server(tmp_path) as url:
        order: list[str] = []
        with apply_lock("http://x", url, timeout=5):
            t = threading.Thread(
                target=lambda: _take(url, order), name="second-holder", daemon=True
            )
            t.start()
            time.sleep(0.5)
            order.append("first released")
        t.join(timeout=20)
        assert order == ["first released", "second acquired"]
        held = apply_lock("http://x", url, timeout=5)
        with held, pytest.raises(LockTimeoutError), apply_lock("http://x", url, timeout=0.5):
            pass


def _take(url: str, order: list[str]) -> None:
    with apply_lock("http://x", url, timeout=15):
        order.append("second acquired")


def test_unreachable_redis_lock_is_a_clear_error_with_no_write(sandbox, write_config) -> None:
    cfg = write_config([PY("empr_acme")])
    result = run_cli(
        [
            "apply",
            cfg,
            "--auto-approve",
            "--lock",
            "redis://:pw@127.0.0.1:1/0",
            *api_args(sandbox),
        ]
    )
    assert result.code == 1, result.out + result.err
    assert "cannot take the apply lock on Redis" in result.err
    assert "pw@" not in result.out + result.err
    assert "Traceback" not in result.err
    assert writes(sandbox) == []
