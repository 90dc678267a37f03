"""Plan.fingerprints: computed once, on first use, as the same dict as before."""

from __future__ import annotations

from typing import Any

from tests.engine.engine_factories import live_py
from vitable_config.engine.live import fingerprint
from vitable_config.engine.model import Fingerprints


def test_fingerprints_are_computed_once_on_first_use_and_read_like_the_dict() -> None:
    plan_years = [live_py("plyr_b"), live_py("plyr_a", coverage_start=live_py().coverage_end)]
    calls: list[str] = []

    def counting(plan_year: Any) -> str:
        calls.append(plan_year.id)
        return fingerprint(plan_year)

    lazy = Fingerprints(iter(plan_years), counting)
    assert calls == []
    expected = {py.id: fingerprint(py) for py in plan_years}
    assert lazy == expected and expected == lazy
    assert calls == ["plyr_b", "plyr_a"]
    assert dict(sorted(lazy.items())) == dict(sorted(expected.items()))
    assert list(lazy) == list(lazy.keys()) == ["plyr_b", "plyr_a"]
    assert list(lazy.values()) == list(expected.values())
    assert "plyr_a" in lazy and "plyr_c" not in lazy and len(lazy) == 2
    assert lazy.get("plyr_c") is None and lazy["plyr_a"] == expected["plyr_a"]
    assert repr(lazy) == repr(expected)
    assert calls == ["plyr_b", "plyr_a"]  # never again
