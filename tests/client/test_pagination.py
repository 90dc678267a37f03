"""The page walker, driven by an in-memory fake list endpoint."""

from __future__ import annotations

import asyncio
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
    # 20 full pages + the empty page 21; windows of 8, the first included → pages
    # 1..8, 9..16, 17..24.
    assert sorted(fake.calls) == list(range(1, 25))


async def test_expected_size_window_reads_a_list_in_one_round() -> None:
    """A caller expecting 1,000 items asks for pages 1..11 at once (the 11th, empty,
    confirms the end): one round, no page asked for twice."""
    rounds: list[list[int]] = []
    in_round: list[int] = []

    async def fetch(page: int, limit: int) -> Any:
        in_round.append(page)
        await asyncio.sleep(0)
        if in_round:
            rounds.append(sorted(in_round))
            in_round.clear()
        return rows(1000)[(page - 1) * limit : page * limit]

    items = await collect_all(fetch, limit=100, concurrent_pages=11)
    assert len(items) == 1000
    assert rounds == [list(range(1, 12))]


async def test_window_pages_past_the_end_are_not_used() -> None:
    """Pages of the first window after the first short page, or past the total_pages
    page 1 reports, are not added (as when the window came after page 1)."""
    data = rows(150)

    async def bare(page: int, limit: int) -> Any:
        if page == 4:  # a page past the short page 2 that (wrongly) has items
            return [{"id": "plyr_late", "n": -1}]
        return data[(page - 1) * limit : page * limit]

    items = await collect_all(bare, limit=100, concurrent_pages=5)
    assert [item["id"] for item in items] == [row["id"] for row in data]

    wrapped = FakeList(rows(150), wrapped=True)
    items = await collect_all(wrapped, limit=100, concurrent_pages=5)
    assert len(items) == 150 and sorted(wrapped.calls) == [1, 2, 3, 4, 5]


async def test_wrapped_list_longer_than_the_window_reads_the_rest() -> None:
    fake = FakeList(rows(950), wrapped=True)
    items = await collect_all(fake, limit=100, concurrent_pages=3)
    assert [item["n"] for item in items] == list(range(950))
    assert sorted(fake.calls) == list(range(1, 11))


async def test_first_window_repeating_page_is_refused() -> None:
    async def ignores_page(page: int, limit: int) -> Any:
        return rows(limit)

    with pytest.raises(UnexpectedResponseError, match="repeats items of earlier pages"):
        await collect_all(ignores_page, limit=100, concurrent_pages=4)


async def test_duplicates_across_pages_are_dropped_in_order() -> None:
    data = rows(5)
    pages = {1: [data[0], data[1]], 2: [data[1], data[2]], 3: [data[3]]}

    async def fetch(page: int, limit: int) -> Any:
        return pages.get(page, [])

    items = await collect_all(fetch, limit=2)
    assert [item["id"] for item in items] == [row["id"] for row in data[:4]]


async def test_server_ignoring_page_is_an_error_not_a_short_list() -> None:
    # It used to stop after page 2 and return page 1's items as the whole list: a
    # plan year on a later page was never seen and would have been created again.
    data = rows(3)
    calls: list[int] = []

    async def fetch(page: int, limit: int) -> Any:
        calls.append(page)
        return data  # always the same full page

    with pytest.raises(UnexpectedResponseError, match="page 2 repeats items of earlier pages"):
        await collect_all(fetch, limit=3, path="/v1/employers")
    assert calls == [1, 2]
    with pytest.raises(UnexpectedResponseError, match="page 2 repeats"):
        _ = [page async for page in iter_pages(fetch, limit=3)]


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


# --- a server that lies about its pages (issue: a client that distrusts the server) ---


async def test_page_two_repeating_page_one_of_a_wrapped_list_is_an_error() -> None:
    data = rows(2)

    async def fetch(page: int, limit: int) -> Any:
        pagination = {"page": page, "limit": limit, "total": 6, "total_pages": 3}
        return {"data": data, "pagination": pagination}

    with pytest.raises(UnexpectedResponseError, match="repeats items"):
        await collect_all(fetch, limit=2)


async def test_rows_shifting_between_pages_are_still_deduplicated() -> None:
    # A plan year created while the list is read shifts one row onto the next page.
    data = rows(5)
    pages = {1: [data[0], data[1]], 2: [data[1], data[2]], 3: [data[2], data[3]], 4: [data[4]]}

    async def fetch(page: int, limit: int) -> Any:
        return pages.get(page, [])

    items = await collect_all(fetch, limit=2)
    assert [item["id"] for item in items] == [row["id"] for row in data]


async def test_endless_bare_list_stops_at_the_bound_with_an_error() -> None:
    calls: list[int] = []

    async def fetch(page: int, limit: int) -> Any:
        calls.append(page)
        return [{"id": f"plyr_{page}_{i}"} for i in range(limit)]  # always full, always new

    with pytest.raises(UnexpectedResponseError, match="more than the bound of 50 pages"):
        await collect_all(fetch, limit=10, concurrent_pages=4, max_pages=50)
    assert max(calls) == 50 and len(calls) == 50
    calls.clear()
    with pytest.raises(UnexpectedResponseError, match="bound of 50 pages"):
        _ = [page async for page in iter_pages(fetch, limit=10, max_pages=50)]
    assert len(calls) == 50


async def test_total_pages_beyond_the_bound_is_refused_before_reading_on() -> None:
    calls: list[int] = []

    async def fetch(page: int, limit: int) -> Any:
        calls.append(page)
        meta = {
            "page": page,
            "limit": limit,
            "total": 10_000_000 * limit,
            "total_pages": 10_000_000,
        }
        return {"data": [{"id": f"plyr_{page}_{i}"} for i in range(limit)], "pagination": meta}

    with pytest.raises(UnexpectedResponseError, match="reports 10,000,000 pages"):
        await collect_all(fetch, limit=100)
    assert calls == [1]
    with pytest.raises(UnexpectedResponseError, match="reports 10,000,000 pages"):
        _ = [page async for page in iter_pages(fetch, limit=100)]


async def test_total_bounds_a_list_without_total_pages() -> None:
    async def fetch(page: int, limit: int) -> Any:
        return {"data": [{"id": f"x{page}_{i}"} for i in range(limit)], "pagination": {"total": 4}}

    with pytest.raises(UnexpectedResponseError, match="keeps serving full pages"):
        await collect_all(fetch, limit=2)


async def test_inconsistent_total_and_total_pages_is_an_error() -> None:
    async def fetch(page: int, limit: int) -> Any:
        meta = {"page": page, "limit": limit, "total": 5, "total_pages": 1}
        return {"data": rows(2), "pagination": meta}

    with pytest.raises(UnexpectedResponseError, match="inconsistent pagination"):
        await collect_all(fetch, limit=2)


async def test_fewer_items_than_the_reported_total_is_an_error() -> None:
    async def fetch(page: int, limit: int) -> Any:
        chunk = rows(6)[(page - 1) * limit : page * limit] if page < 3 else []
        meta = {"page": page, "limit": limit, "total": 6, "total_pages": 3}
        return {"data": chunk, "pagination": meta}

    with pytest.raises(UnexpectedResponseError, match="reports 6 items but its pages hold 4"):
        await collect_all(fetch, limit=2)


async def test_a_page_answered_as_another_page_or_past_total_pages_is_an_error() -> None:
    async def wrong_number(page: int, limit: int) -> Any:
        return {
            "data": rows(2),
            "pagination": {"page": 1, "limit": 2, "total": 4, "total_pages": 2},
        }

    with pytest.raises(
        UnexpectedResponseError, match="asked for page 2, the server answered page 1"
    ):
        await collect_all(wrong_number, limit=2)

    async def shrinking(page: int, limit: int) -> Any:
        data = rows(4)[(page - 1) * 2 : page * 2]
        total_pages = 2 if page == 1 else 1
        return {"data": data, "pagination": {"total_pages": total_pages}}

    with pytest.raises(UnexpectedResponseError, match=r"page 2 has 2 item.* past the total_pages"):
        await collect_all(shrinking, limit=2)


@pytest.mark.parametrize("value", ["3", 3.0, True, -1, [3]])
def test_pagination_fields_must_be_integers(value: object) -> None:
    body = {"data": [], "pagination": {"total_pages": value}}
    with pytest.raises(UnexpectedResponseError, match="total_pages must be a non-negative JSON"):
        parse_page(body, number=1, path="/v1/employers")
