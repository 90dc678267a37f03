"""Walk ``page``/``limit`` list endpoints to the end, distrusting the server.

Two response shapes are accepted:

* a bare JSON array (what the API returns today): a page shorter than
  ``limit`` is the last one;
* the wrapped shape ``{"data": [...], "pagination": {"page", "limit", "total",
  "total_pages"}}``: once page 1 tells ``total_pages``, the remaining pages are
  fetched concurrently.

``concurrent_pages=k`` fetches pages in windows of ``k`` concurrent requests,
the first window included (pages 1..k at once, so a list whose size the caller
expects is read in one round), and stops at the first short page (at most
``k - 1`` wasted requests per list). Items are de-duplicated by ``id`` (first occurrence
wins, order kept), which protects against rows shifting between pages while
the list is being read.

A list that cannot be read completely is an error, never a shorter list (a plan
year missing from the list would be planned as a create):

* a page that repeats earlier pages (a full page of ids already seen, or the same
  ids as an earlier page): the server ignores ``page``;
* a page answered as another page number, or served past the ``total_pages`` the
  server itself reports;
* more pages than a bound: ``max_pages`` (a generous default, configurable), or
  what the reported ``total`` implies; a ``total_pages`` above the bound is refused
  before any further page is fetched;
* pagination fields that are not integers, or a ``total`` the pages do not reach.
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
MAX_PAGES = 1_000
"""Default bound on the pages of one list (100,000 items at ``limit=100``)."""

_SHOWN_IDS = 5


@dataclass(frozen=True, slots=True)
class Page:
    """One decoded page (``reported_*``: what the server's ``pagination`` says)."""

    number: int
    items: list[JsonItem]
    total_pages: int | None = None
    total: int | None = None
    reported_page: int | None = None
    reported_limit: int | None = None


def _error(path: str, message: str) -> UnexpectedResponseError:
    return UnexpectedResponseError(200, message, method="GET", path=path)


def parse_page(body: Any, *, number: int, path: str = "") -> Page:
    """Decode either list shape into a :class:`Page`."""
    if isinstance(body, list):
        return Page(number=number, items=_items(body, path))
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        meta = body.get("pagination")
        fields: dict[str, int | None] = dict.fromkeys(("page", "limit", "total", "total_pages"))
        if meta is not None:
            if not isinstance(meta, dict):
                raise _error(path, f"page {number}: 'pagination' is not a JSON object")
            for name in fields:
                fields[name] = _optional_int(meta.get(name), name, number, path)
        return Page(
            number=number,
            items=_items(body["data"], path),
            total_pages=fields["total_pages"],
            total=fields["total"],
            reported_page=fields["page"],
            reported_limit=fields["limit"],
        )
    raise _error(path, "expected a JSON array or an object with a 'data' array")


def _items(raw: list[Any], path: str) -> list[JsonItem]:
    if not all(isinstance(item, dict) for item in raw):
        raise _error(path, "expected every list item to be a JSON object")
    return raw


def _optional_int(value: Any, name: str, number: int, path: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        shown = type(value).__name__ if not isinstance(value, int) else str(value)
        raise _error(
            path,
            f"page {number}: pagination.{name} must be a non-negative JSON integer, got {shown}",
        )
    return value


def _ids_text(ids: list[str]) -> str:
    shown = ", ".join(ids[:_SHOWN_IDS])
    return shown + (f", … ({len(ids) - _SHOWN_IDS} more)" if len(ids) > _SHOWN_IDS else "")


class _Walk:
    """The items seen so far (first-seen order, repeated ids dropped) and the checks
    every page must pass."""

    def __init__(self, path: str, limit: int, max_pages: int) -> None:
        if not 1 <= limit <= MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
        if max_pages < 1:
            raise ValueError(f"max_pages must be at least 1, got {max_pages}")
        self.path = path
        self.limit = limit
        self.max_pages = max_pages
        self.seen: set[str] = set()
        self.items: list[JsonItem] = []
        self.page_ids: set[tuple[str, ...]] = set()

    def bound_from(self, first: Page) -> int:
        """The last page number this list may have, from what page 1 reports."""
        limit = first.reported_limit or self.limit
        if first.total_pages is not None:
            if first.total is not None:
                expected = -(-first.total // limit) if limit else 0
                if first.total_pages not in (expected, max(expected, 1)):
                    raise _error(
                        self.path,
                        f"inconsistent pagination: total {first.total:,} at limit {limit} "
                        f"is {expected:,} page(s), but total_pages says {first.total_pages:,}",
                    )
            if first.total_pages > self.max_pages:
                raise self.too_many(first.total_pages)
            return max(first.total_pages, 1)
        if first.total is not None:
            # The list may grow while it is read (no deletes in the API): one page more.
            return min(self.max_pages, -(-first.total // limit) + 1)
        return self.max_pages

    def too_many(self, pages: int | None) -> UnexpectedResponseError:
        what = f"reports {pages:,} pages" if pages is not None else "keeps serving full pages"
        return _error(
            self.path,
            f"the list {what}: more than the bound of {self.max_pages:,} pages "
            f"of {self.limit} items; refusing to read an endless list (the bound is "
            "VITABLE_CONNECT_MAX_LIST_PAGES / ClientSettings.max_list_pages)",
        )

    def add(self, page: Page) -> int:
        """Check ``page`` and add its new items; return how many were new."""
        if page.reported_page is not None and page.reported_page != page.number:
            raise _error(
                self.path,
                f"asked for page {page.number}, the server answered page {page.reported_page}",
            )
        if page.total_pages is not None and page.number > max(page.total_pages, 1) and page.items:
            raise _error(
                self.path,
                f"page {page.number} has {len(page.items)} item(s) but is past the "
                f"total_pages ({page.total_pages:,}) the server reports",
            )
        ids = [item.get("id") for item in page.items]
        str_ids = [i for i in ids if isinstance(i, str)]
        if page.number > 1 and page.items and len(str_ids) == len(ids):
            signature = tuple(str_ids)
            repeated = all(i in self.seen for i in str_ids)
            if signature in self.page_ids or (
                repeated and len(page.items) >= (page.reported_limit or self.limit)
            ):
                raise _error(
                    self.path,
                    f"page {page.number} repeats items of earlier pages ({_ids_text(str_ids)}): "
                    "the server does not page this list, so it cannot be read completely; "
                    "nothing was planned from it",
                )
        if str_ids and len(str_ids) == len(ids):
            self.page_ids.add(tuple(str_ids))
        added = 0
        for item, item_id in zip(page.items, ids, strict=True):
            if isinstance(item_id, str):
                if item_id in self.seen:
                    continue
                self.seen.add(item_id)
            self.items.append(item)
            added += 1
        return added

    def check_total(self, first: Page) -> None:
        if first.total is not None and len(self.items) < first.total:
            raise _error(
                self.path,
                f"the server reports {first.total:,} items but its pages hold "
                f"{len(self.items):,} distinct ones: the list cannot be read completely",
            )

    def is_last(self, page: Page) -> bool:
        return len(page.items) < (page.reported_limit or self.limit)


async def collect_all(
    fetch: FetchPage,
    *,
    limit: int = MAX_LIMIT,
    concurrent_pages: int = 1,
    path: str = "",
    max_pages: int = MAX_PAGES,
) -> list[JsonItem]:
    """Fetch every page and return all items, de-duplicated by id.

    Pages are requested in windows of ``concurrent_pages``, the first window included
    (pages 1..k at once): a caller that expects about N items passes
    ``k = ceil((N + 1) / limit)`` and a list of that size is read in one round (its
    last page, short or empty, confirms the end). Pages of a window past the end (after
    the first short page, or past the ``total_pages`` page 1 reports) are not used.
    """
    walk = _Walk(path, limit, max_pages)
    window = max(1, min(concurrent_pages, max_pages))

    numbers = range(1, window + 1)
    pages = await asyncio.gather(*(_fetch_parsed(fetch, n, limit, path) for n in numbers))
    first = pages[0]
    walk.add(first)
    bound = walk.bound_from(first)
    if first.total_pages is not None:
        for page in pages[1:bound]:
            walk.add(page)
        rest = range(len(pages) + 1, bound + 1)
        for page in await asyncio.gather(*(_fetch_parsed(fetch, n, limit, path) for n in rest)):
            walk.add(page)
        walk.check_total(first)
        return walk.items
    if walk.is_last(first):
        walk.check_total(first)
        return walk.items
    for page in pages[1:]:
        if page.number > bound:
            raise walk.too_many(None)
        walk.add(page)
        if walk.is_last(page):
            walk.check_total(first)
            return walk.items

    next_page = len(pages) + 1
    while True:
        if next_page > bound:
            raise walk.too_many(None)
        numbers = range(next_page, min(next_page + window, bound + 1))
        pages = await asyncio.gather(*(_fetch_parsed(fetch, n, limit, path) for n in numbers))
        for page in pages:
            walk.add(page)
            if walk.is_last(page):
                walk.check_total(first)
                return walk.items
        next_page += len(numbers)


async def iter_pages(
    fetch: FetchPage, *, limit: int = MAX_LIMIT, path: str = "", max_pages: int = MAX_PAGES
) -> AsyncIterator[list[JsonItem]]:
    """Yield each page's new items in order, one request at a time."""
    walk = _Walk(path, limit, max_pages)
    number = 1
    bound = max_pages
    first: Page | None = None
    while True:
        if number > bound:
            raise walk.too_many(None)
        page = await _fetch_parsed(fetch, number, limit, path)
        if first is None:
            first = page
            # With total_pages, each page says where the list ends (it may grow while
            # it is read); only the bound itself is fixed.
            derived = walk.bound_from(page)
            bound = max_pages if page.total_pages is not None else derived
        start = len(walk.items)
        walk.add(page)
        if len(walk.items) > start:
            yield walk.items[start:]
        if page.total_pages is not None:
            if page.total_pages > max_pages:
                raise walk.too_many(page.total_pages)
            last = number >= page.total_pages
        else:
            last = walk.is_last(page)
        if last:
            walk.check_total(first)
            return
        number += 1


async def _fetch_parsed(fetch: FetchPage, number: int, limit: int, path: str) -> Page:
    return parse_page(await fetch(number, limit), number=number, path=path)
