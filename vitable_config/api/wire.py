"""The API's dialects on the wire: the one place that knows them (REFERENCE.md, "API dialects").

The rest of vitable-config (the client's models, the engine) speaks one canonical
vocabulary: the ``2025-12`` shapes of :mod:`vitable_config.api.models`. This module
turns what goes out into the server's dialect and what comes back into the
canonical shapes:

=====================  ==========================  ===============================
what                   ``2025-12`` (canonical)     ``2026-02``
=====================  ==========================  ===============================
single object          bare JSON object            ``{"data": {...}}``
list                   bare JSON array             ``{"data": [...], "pagination":
                                                   {page, limit, total, total_pages}}``
class tier             ``family_status``           ``coverage_tier``
product/policy flag    ``active``                  ``active_in``
employer address       ``street_1``, ``street_2``,  ``address_line_1``,
                       ``zip_code``, ``country``    ``address_line_2``, ``zipcode``
employer email         (none)                      ``email`` (required on create)
eligibility policies   ``…/benefit-eligibility-     ``…/benefit-eligibility-policies``;
                       policy``; replaced policy    replaced policy in the query
                       in the body                  ``policy_to_replace_id``
=====================  ==========================  ===============================

The dialect of a run is ``--api-dialect`` / ``VITABLE_CONNECT_API_DIALECT``, or with
``auto`` (the default) the first response that shows it: a bare array is ``2025-12``,
``{"data": {...}}`` is ``2026-02``, and item fields (``family_status`` /
``coverage_tier``, ``active`` / ``active_in``, ``street_1`` / ``address_line_1``) tell a
wrapped list apart (``2025-12`` servers may wrap lists too). The client lets no write
out before the dialect is known. Afterwards a response of the other dialect is an
error (:class:`DialectError`), never a guess; so is a body that mixes both.

When the API no longer serves benefit products and plan years (March 2026), the
client raises :class:`ApiMovedError` (see ``VitableClient``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from vitable_config.api.errors import UnexpectedResponseError
from vitable_config.domain.fields import CLASSES, TIER, TIER_WIRE_NAMES
from vitable_config.errors import UserError

AUTO = "auto"
DIALECT_2025_12 = "2025-12"
DIALECT_2026_02 = "2026-02"
DIALECTS: tuple[str, ...] = (DIALECT_2025_12, DIALECT_2026_02)
CHOICES: tuple[str, ...] = (AUTO, *DIALECTS)
ENV_API_DIALECT = "VITABLE_CONNECT_API_DIALECT"

Kind = Literal["product", "plan_year", "employer", "policy", "enrollment", "eligible_plan"]
Shape = Literal["one", "page"]

# Field names per dialect (the class tier's names come from the field table).
FLAG_NAMES: dict[str, str] = {DIALECT_2025_12: "active", DIALECT_2026_02: "active_in"}
ADDRESS_NAMES: dict[str, dict[str, str]] = {
    DIALECT_2025_12: {"street_1": "street_1", "street_2": "street_2", "zip_code": "zip_code"},
    DIALECT_2026_02: {
        "street_1": "address_line_1",
        "street_2": "address_line_2",
        "zip_code": "zipcode",
    },
}
PAGINATION_FIELDS = ("page", "limit", "total", "total_pages")

# Routes whose path depends on the dialect (so the dialect must be known first).
_POLICY_CREATE = re.compile(r"^/v1/employers/([^/]+)/benefit-eligibility-policy$")
_POLICY_GET = re.compile(r"^/v1/benefit-eligibility-policy/([^/]+)$")
# Routes that left the public API in March 2026.
PRODUCTS_PATH = "/v1/benefit-products"
_MOVED_PREFIXES = ("/v1/benefit-products", "/v1/plan-years/")


def parse_dialect(value: str, source: str = ENV_API_DIALECT) -> str:
    """One of :data:`CHOICES`, or a :class:`UserError` naming ``source``."""
    text = value.strip().lower()
    if text not in CHOICES:
        raise UserError(f"{source}: expected one of {', '.join(CHOICES)}, got {value[:40]!r}")
    return text


def is_moved_route(path: str) -> bool:
    """A benefit-product or plan-year route (gone from the public API since March 2026)."""
    return path == PRODUCTS_PATH or path.startswith(_MOVED_PREFIXES)


def route_depends_on_dialect(path: str) -> bool:
    return bool(_POLICY_CREATE.match(path) or _POLICY_GET.match(path))


# --- errors -----------------------------------------------------------------------


class DialectError(UnexpectedResponseError):
    """A 2xx body of no known dialect, or of the other dialect than the run's."""


class DialectMismatchError(UserError):
    """The run must speak one dialect (a saved plan's, ``--api-dialect``) but the API
    speaks the other: refused before anything is written."""

    def __str__(self) -> str:
        return self.message

    def format(self) -> str:
        return f"error: {self.message}"


class ApiMovedError(UserError):
    """The API answers 404 for its benefit-product routes: it no longer serves them."""

    def __init__(self, base_url: str, method: str, path: str, status: int = 404) -> None:
        self.base_url = base_url
        self.method = method
        self.path = path
        self.status = status
        also = "" if path == PRODUCTS_PATH else f", and GET {PRODUCTS_PATH} -> {status}"
        super().__init__(
            f"the API at {base_url} does not serve benefit products or plan years "
            f"({method} {path} -> {status}{also}): they left "
            "the public Vitable Connect API in March 2026. vitable-config needs an API "
            f"version that still serves them (dialect {' or '.join(DIALECTS)}); check "
            "--base-url / VITABLE_CONNECT_BASE_URL"
        )

    def __str__(self) -> str:
        return self.message

    def format(self) -> str:
        return f"error: {self.message}"


# --- reading a response ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Evidence:
    """What one response body says about its dialect: ``strong`` marks (dialect,
    what showed it) decide; ``weak`` only when nothing strong is there."""

    strong: tuple[tuple[str, str], ...]
    weak: str | None = None

    def dialects(self) -> set[str]:
        return {d for d, _ in self.strong}


def _kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, list):
        return "a JSON array"
    if isinstance(value, dict):
        keys = ", ".join(sorted(str(k) for k in value)[:6])
        return f"a JSON object with keys {{{keys}}}" if value else "an empty JSON object"
    if isinstance(value, int | float):
        return "a number"
    return "a string"


def _item_marks(kind: Kind, item: Any) -> list[tuple[str, str]]:
    marks: list[tuple[str, str]] = []
    if not isinstance(item, dict):
        return marks
    if kind in ("product", "policy"):
        for dialect, name in FLAG_NAMES.items():
            if name in item:
                marks.append((dialect, f"{kind} field {name!r}"))
    elif kind == "plan_year":
        classes = item.get(CLASSES)
        for cls in classes if isinstance(classes, list) else ():
            if isinstance(cls, dict):
                for dialect, name in TIER_WIRE_NAMES.items():
                    if name in cls:
                        marks.append((dialect, f"contribution class field {name!r}"))
    elif kind == "employer":
        address = item.get("address")
        if isinstance(address, dict):
            for dialect, names in ADDRESS_NAMES.items():
                if names["street_1"] in address:
                    marks.append((dialect, f"address field {names['street_1']!r}"))
    return marks


def _unique(marks: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple(dict.fromkeys(marks))


def examine(kind: Kind, shape: Shape, body: Any) -> tuple[Evidence, Any]:
    """The dialect evidence of ``body`` and its payload (the object, or the items).

    Raises :class:`ValueError` (message: what was expected and what came) for a body
    that fits no dialect's envelope.
    """
    if shape == "one":
        if isinstance(body, dict) and "data" in body and set(body) <= {"data"}:
            inner = body["data"]
            if not isinstance(inner, dict):
                raise ValueError(
                    f'expected {{"data": {{...}}}} (dialect 2026-02), got "data" as '
                    f"{_kind_of(inner)}"
                )
            return Evidence(
                _unique([(DIALECT_2026_02, '{"data": …} envelope'), *_item_marks(kind, inner)])
            ), inner
        if isinstance(body, dict):
            marks = [(DIALECT_2025_12, "bare JSON object"), *_item_marks(kind, body)]
            return Evidence(_unique(marks)), body
        raise ValueError(
            'expected a JSON object (dialect 2025-12) or {"data": {...}} (dialect 2026-02), '
            f"got {_kind_of(body)}"
        )
    if isinstance(body, list):
        marks = [(DIALECT_2025_12, "bare JSON array")]
        for item in body:
            marks.extend(_item_marks(kind, item))
        return Evidence(_unique(marks)), body
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        marks = []
        for item in body["data"]:
            marks.extend(_item_marks(kind, item))
        return Evidence(_unique(marks), weak='{"data": [...]} list'), body["data"]
    raise ValueError(
        "expected a JSON array or an object with a 'data' array (dialect 2025-12: a bare "
        'array; 2026-02: {"data": [...], "pagination": {...}}), '
        f"got {_kind_of(body)}"
    )


def _renamed(item: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    return {names.get(key, key): value for key, value in item.items()}


def _canonical_item(kind: Kind, item: Any, dialect: str) -> Any:
    if dialect == DIALECT_2025_12 or not isinstance(item, dict):
        return item
    if kind in ("product", "policy"):
        return _renamed(item, {FLAG_NAMES[dialect]: FLAG_NAMES[DIALECT_2025_12]})
    if kind == "plan_year" and isinstance(item.get(CLASSES), list):
        tier = {TIER_WIRE_NAMES[dialect]: TIER}
        classes = [_renamed(c, tier) if isinstance(c, dict) else c for c in item[CLASSES]]
        return {**item, CLASSES: classes}
    if kind == "employer" and isinstance(item.get("address"), dict):
        back = {wire: canon for canon, wire in ADDRESS_NAMES[dialect].items()}
        return {**item, "address": _renamed(item["address"], back)}
    return item


def _check_pagination(body: Any) -> None:
    meta = body.get("pagination") if isinstance(body, dict) else None
    missing = [f for f in PAGINATION_FIELDS if not isinstance(meta, dict) or f not in meta]
    if missing:
        got = "no 'pagination'" if meta is None else f"pagination without {', '.join(missing)}"
        raise ValueError(
            'expected a dialect 2026-02 list {"data": [...], "pagination": {page, limit, '
            f"total, total_pages}}}}, got {got}"
        )


# --- the run's dialect ----------------------------------------------------------


class DialectState:
    """The dialect of one run: given (``--api-dialect``), or decided by the first
    response that shows it; then every response must be of it. Shared by every client
    of one CLI run (plan, then apply)."""

    def __init__(self, requested: str = AUTO) -> None:
        self.requested = parse_dialect(requested, "api dialect")
        self.dialect: str | None = None if self.requested == AUTO else self.requested
        self.decided_by: str = (
            f"set by --api-dialect or {ENV_API_DIALECT}" if self.dialect else "not decided yet"
        )
        self._expected: tuple[str, str] | None = None

    def __repr__(self) -> str:
        return f"DialectState(requested={self.requested!r}, dialect={self.dialect!r})"

    @property
    def decided(self) -> bool:
        return self.dialect is not None

    def expect(self, dialect: str, why: str) -> None:
        """The run must speak ``dialect`` (``why``: e.g. "the saved plan was made against
        an API speaking it"); a server of the other one is refused before any write."""
        if self.dialect is not None and self.dialect != dialect:
            raise DialectMismatchError(self._mismatch(dialect, why, self.dialect, self.decided_by))
        self._expected = (dialect, why)

    def _mismatch(self, wanted: str, why: str, found: str, shown_by: str) -> str:
        return (
            f"{why} speaks API dialect {wanted}, but this run speaks {found} ({shown_by}); "
            "nothing was written. Run plan again against this API (or pass the matching "
            "--api-dialect / base URL)"
        )

    def incoming(
        self, kind: Kind, shape: Shape, body: Any, status: int, method: str, path: str
    ) -> Any:
        """``body`` in the canonical (``2025-12``) shape, checking its dialect."""

        def fail(message: str) -> DialectError:
            return DialectError(status, message, method=method, path=path)

        try:
            evidence, payload = examine(kind, shape, body)
        except ValueError as exc:
            raise fail(f"the response belongs to no known API dialect: {exc}") from None
        found = evidence.dialects()
        if len(found) > 1:
            shown = "; ".join(f"{what} is dialect {d}" for d, what in evidence.strong)
            raise fail(f"the response belongs to no known API dialect (it mixes them: {shown})")
        dialect = next(iter(found)) if found else (DIALECT_2026_02 if evidence.weak else None)
        what = evidence.strong[0][1] if evidence.strong else (evidence.weak or "")
        if dialect is None:
            return body
        if self.dialect is None:
            if self._expected is not None and self._expected[0] != dialect:
                wanted, why = self._expected
                raise DialectMismatchError(
                    self._mismatch(wanted, why, dialect, f"{method} {path} answered with {what}")
                )
            self.dialect = dialect
            self.decided_by = f"decided by the first read, {method} {path}"
        elif dialect != self.dialect and found:
            if self.requested != AUTO:
                advice = f"pass --api-dialect {dialect} (or auto)"
            else:
                advice = "the API changed dialect during the run, so nothing is guessed: run again"
            raise fail(
                f"the response is in API dialect {dialect} ({what}), but this run speaks "
                f"{self.dialect} ({self.decided_by}); {advice}"
            )
        active = self.dialect
        if shape == "page" and isinstance(body, dict) and active == DIALECT_2026_02:
            try:
                _check_pagination(body)
            except ValueError as exc:
                raise fail(str(exc)) from None
        if shape == "one":
            return _canonical_item(kind, payload, active)
        items = [_canonical_item(kind, item, active) for item in payload]
        return {**body, "data": items} if isinstance(body, dict) else items

    def outgoing(
        self,
        kind: Kind,
        path: str,
        params: dict[str, Any],
        payload: dict[str, Any] | None,
    ) -> tuple[str, dict[str, Any], dict[str, Any] | None]:
        """The path, query and body to send for a canonical request, in the run's dialect."""
        dialect = self.dialect or DIALECT_2025_12
        if dialect == DIALECT_2025_12:
            if kind == "employer" and payload is not None:
                payload = {k: v for k, v in payload.items() if k != "email"}  # not in 2025-12
            return path, params, payload
        if match := _POLICY_CREATE.match(path):
            path = f"/v1/employers/{match.group(1)}/benefit-eligibility-policies"
            if payload is not None and payload.get("policy_to_replace_id") is not None:
                params = {**params, "policy_to_replace_id": payload["policy_to_replace_id"]}
            if payload is not None:
                payload = {k: v for k, v in payload.items() if k != "policy_to_replace_id"}
        elif match := _POLICY_GET.match(path):
            path = f"/v1/benefit-eligibility-policies/{match.group(1)}"
        if payload is None:
            return path, params, payload
        if kind == "plan_year" and isinstance(payload.get(CLASSES), list):
            tier = {TIER: TIER_WIRE_NAMES[dialect]}
            payload = {**payload, CLASSES: [_renamed(c, tier) for c in payload[CLASSES]]}
        elif kind == "employer":
            if not payload.get("email"):
                raise UserError(
                    "creating an employer in API dialect 2026-02 needs an email "
                    "(create_employer(..., email=...)); nothing was sent"
                )
            address = payload.get("address")
            if isinstance(address, dict):
                names = ADDRESS_NAMES[dialect]
                wire = {names.get(k, k): v for k, v in address.items() if k != "country"}
                payload = {**payload, "address": wire}
        return path, params, payload
