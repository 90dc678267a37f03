"""The page walker, driven by an in-memory fake list endpoint."""

from __future__ import annotations

from typing import Any

import pytest

from vitable_config.api.errors import UnexpectedResponseError
from vitable_config.api.pagination import collect_all, iter_pages, parse_page


class FakeList:
    """Serves ``rows`` in pages, bare or wrapped, and records the pages asked for."""

    def __init__(self, rows: list[dict[str, Any]], *, wrapped: bool = False) -> None:
        self.rows = rows
        self.wrapped = wrapped
        self.calls: list[int] = []

    async def __call__(self, page: int, limit: int) -> Any:
        self.calls.append(page)
        chunk = self.rows[(page - 1) * limit : page * limit]
        if not self.wrapped:
            return chunk
        total = len(self.rows)
        return {
            "data": chunk,
            "pagination": {
                "page": page,
                "limit": limit,
                "total": total,
                "total_pages": -(-total // limit),
            },
        }


def rows(n: int) -> list[dict[str, Any]]:
    return [{"id": f"plyr_{i:05d}", "n": i} for i in range(n)]


async def test_bare_pages_walked_to_first_short_page() -> None:
    fake = FakeList(rows(250))
    items = await collect_all(fake, limit=100)
    assert [item["n"] for item in items] == list(range(250))
    assert fake.calls == [1, 2, 3]


async def test_exact_multiple_needs_one_empty_page() -> None:
    fake = FakeList(rows(200))
    items = await collect_all(fake, limit=100)
    assert len(items) == 200
    assert fake.calls == [1, 2, 3]


async def test_wrapped_shape_fetches_remaining_pages_by_total_pages() -> None:
    fake = FakeList(rows(205), wrapped=True)
    items = await collect_all(fake, limit=20)
    assert [item["n"] for item in items] == list(range(205))
    assert sorted(fake.calls) == list(range(1, 12))  # no probe for an empty page 12


async def test_concurrent_windows_stop_at_first_short_page() -> None:
    fake = FakeList(rows(2000))
    items = await collect_all(fake, limit=100, concurrent_pages=8)
    assert len(items) == 2000
    # 20 full pages + the empty page 21; windows of 8 → pages 1, 2..9, 10..17, 18..25.
    assert sorted(fake.calls) == list(range(1, 26))


async def test_duplicates_across_pages_are_dropped_in_order() -> None:
    data = rows(5)
    pages = {1: [data[0], data[1]], 2: [data[1], data[2]], 3: [data[3]]}

    async def fetch(page: int, limit: int) -> Any:
        return pages.get(page, [])

    items = await collect_all(fetch, limit=2)
    assert [item["id"] for item in items] == [row["id"] for row in data[:4]]


async def test_server_ignoring_page_does_not_loop_forever() -> None:
    data = rows(3)
    calls: list[int] = []

    async def fetch(page: int, limit: int) -> Any:
        calls.append(page)
        return data  # always the same full page

    items = await collect_all(fetch, limit=3)
    assert len(items) == 3
    assert calls == [1, 2]


async def test_iter_pages_yields_each_page() -> None:
    fake = FakeList(rows(45))
    pages = [page async for page in iter_pages(fake, limit=20)]
    assert [len(page) for page in pages] == [20, 20, 5]


async def test_iter_pages_wrapped_stops_at_total_pages() -> None:
    fake = FakeList(rows(40), wrapped=True)
    pages = [page async for page in iter_pages(fake, limit=20)]
    assert [len(page) for page in pages] == [20, 20]
    assert fake.calls == [1, 2]


def test_parse_page_rejects_other_shapes() -> None:
    with pytest.raises(UnexpectedResponseError, match="JSON array"):
        parse_page({"items": []}, number=1, path="/v1/employers")
    with pytest.raises(UnexpectedResponseError, match="JSON object"):
        parse_page([1, 2], number=1)


async def test_limit_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="limit"):
        await collect_all(FakeList([]), limit=101)
