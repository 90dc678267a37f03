"""Walk ``page``/``limit`` list endpoints to the end.

Two response shapes are accepted:

* a bare JSON array (what the API returns today): a page shorter than
  ``limit`` is the last one;
* the wrapped shape ``{"data": [...], "pagination": {"page", "limit", "total",
  "total_pages"}}``: once page 1 tells ``total_pages``, the remaining pages are
  fetched concurrently.

For bare arrays, ``concurrent_pages=k`` fetches pages in windows of ``k``
concurrent requests and stops at the first short page (at most ``k - 1``
wasted requests per list). Items are de-duplicated by ``id`` (first occurrence
wins, order kept), which protects against rows shifting between pages while
the list is being read. A page that adds no new id stops the walk, so a server
that ignores ``page`` cannot make the client loop forever.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from vitable_config.api.errors import UnexpectedResponseError

JsonItem = dict[str, Any]
FetchPage = Callable[[int, int], Awaitable[Any]]
"""``fetch(page, limit)`` returning the decoded JSON body of one page."""

MAX_LIMIT = 100
MAX_PAGES = 100_000


@dataclass(frozen=True, slots=True)
class Page:
    """One decoded page."""

    number: int
    items: list[JsonItem]
    total_pages: int | None = None
    total: int | None = None


def parse_page(body: Any, *, number: int, path: str = "") -> Page:
    """Decode either list shape into a :class:`Page`."""
    if isinstance(body, list):
        return Page(number=number, items=_items(body, path))
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        meta = body.get("pagination")
        total_pages = total = None
        if isinstance(meta, dict):
            total_pages = _optional_int(meta.get("total_pages"))
            total = _optional_int(meta.get("total"))
        return Page(
            number=number, items=_items(body["data"], path), total_pages=total_pages, total=total
        )
    raise UnexpectedResponseError(
        200,
        "expected a JSON array or an object with a 'data' array",
        method="GET",
        path=path,
    )


def _items(raw: list[Any], path: str) -> list[JsonItem]:
    if not all(isinstance(item, dict) for item in raw):
        raise UnexpectedResponseError(
            200, "expected every list item to be a JSON object", method="GET", path=path
        )
    return raw


def _optional_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class _Deduplicator:
    """Keeps items in first-seen order, dropping repeated ids."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.items: list[JsonItem] = []

    def add(self, page: Page) -> int:
        """Add a page's items; return how many were new."""
        added = 0
        for item in page.items:
            item_id = item.get("id")
            if isinstance(item_id, str):
                if item_id in self.seen:
                    continue
                self.seen.add(item_id)
            self.items.append(item)
            added += 1
        return added


async def collect_all(
    fetch: FetchPage,
    *,
    limit: int = MAX_LIMIT,
    concurrent_pages: int = 1,
    path: str = "",
) -> list[JsonItem]:
    """Fetch every page and return all items, de-duplicated by id."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    window = max(1, concurrent_pages)
    dedup = _Deduplicator()

    first = parse_page(await fetch(1, limit), number=1, path=path)
    dedup.add(first)
    if first.total_pages is not None:
        rest = range(2, min(first.total_pages, MAX_PAGES) + 1)
        pages = await asyncio.gather(*(_fetch_parsed(fetch, n, limit, path) for n in rest))
        for page in pages:
            dedup.add(page)
        return dedup.items
    if len(first.items) < limit:
        return dedup.items

    next_page = 2
    while next_page <= MAX_PAGES:
        numbers = range(next_page, next_page + window)
        pages = await asyncio.gather(*(_fetch_parsed(fetch, n, limit, path) for n in numbers))
        for page in pages:
            added = dedup.add(page)
            if len(page.items) < limit or added == 0:
                return dedup.items
        next_page += window
    return dedup.items


async def iter_pages(
    fetch: FetchPage, *, limit: int = MAX_LIMIT, path: str = ""
) -> AsyncIterator[list[JsonItem]]:
    """Yield each page's new items in order, one request at a time."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    dedup = _Deduplicator()
    number = 1
    while number <= MAX_PAGES:
        page = await _fetch_parsed(fetch, number, limit, path)
        start = len(dedup.items)
        added = dedup.add(page)
        if added:
            yield dedup.items[start:]
        last = (
            number >= page.total_pages if page.total_pages is not None else len(page.items) < limit
        )
        if last or added == 0:
            return
        number += 1


async def _fetch_parsed(fetch: FetchPage, number: int, limit: int, path: str) -> Page:
    return parse_page(await fetch(number, limit), number=number, path=path)
