"""Errors the sandbox answers with, all in the API's error shape.

Every error body is exactly
``{"timestamp", "message", "error", "app_error_code", "trace_id"}``
(``error`` repeats ``message``), including FastAPI's own request validation errors.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from vitable_config.sandbox.ids import trace_id


class SandboxError(Exception):
    """An HTTP error answer raised by a handler."""

    def __init__(
        self,
        status: int,
        message: str,
        app_error_code: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.app_error_code = app_error_code
        self.headers = dict(headers or {})


def not_found(kind: str, ident: str) -> SandboxError:
    return SandboxError(404, f"{kind} {ident} not found", "not_found")


def validation_failed(problems: Sequence[str]) -> SandboxError:
    return SandboxError(422, "; ".join(problems), "validation_error")


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def error_body(message: str, app_error_code: str, trace: str | None = None) -> dict[str, str]:
    return {
        "timestamp": utc_now(),
        "message": message,
        "error": message,
        "app_error_code": app_error_code,
        "trace_id": trace or trace_id(),
    }


def error_bytes(message: str, app_error_code: str, trace: str | None = None) -> bytes:
    return json.dumps(error_body(message, app_error_code, trace)).encode()


# --- turning pydantic / FastAPI validation errors into messages -----------------

_IMMUTABLE_FIELDS = {"coverage_start", "coverage_end", "employer_id", "benefit_product_id"}


def field_path(loc: Iterable[Any]) -> str:
    """``("body", "contribution_classes", 0, "family_status")`` →
    ``contribution_classes[0].family_status``."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "body"


def describe_validation_error(err: Mapping[str, Any], *, method: str = "") -> str:
    """One pydantic error as ``field: what was expected (got ...)``."""
    path = field_path(err.get("loc", ()))
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return f"{path}: is required"
    if kind == "extra_forbidden":
        name = path.rsplit(".", 1)[-1]
        if method == "PUT" and name in _IMMUTABLE_FIELDS:
            return f"{path}: cannot be changed after creation"
        return f"{path}: is not a known field; remove it"
    if kind == "literal_error" and "expected" in ctx:
        expected = str(ctx["expected"]).replace(" or ", ", ")
        return f"{path}: must be one of {expected} (got {err.get('input')!r})"
    if kind == "json_invalid":
        return f"body: is not valid JSON ({ctx.get('error', 'parse error')})"
    msg = str(err.get("msg", "is invalid"))
    if msg.startswith("Input should be "):
        msg = "must be " + msg[len("Input should be ") :]
    elif msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    else:
        msg = msg[:1].lower() + msg[1:]
    if "input" in err and kind not in ("model_type", "list_type", "dict_type"):
        return f"{path}: {msg} (got {err['input']!r})"
    return f"{path}: {msg}"
