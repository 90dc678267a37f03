"""The sandbox's OpenAPI documents, one per dialect, committed in ``schemas/``:
``openapi.json`` (dialect 2025-12) and ``openapi-2026-02.json``.

Regenerate the committed copies with::

    python -m vitable_config.sandbox.openapi > schemas/openapi.json
    python -m vitable_config.sandbox.openapi --dialect 2026-02 > schemas/openapi-2026-02.json
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from vitable_config.sandbox.app import build_fastapi
from vitable_config.sandbox.settings import (
    DEFAULT_DIALECT,
    DIALECT_2025_12,
    DIALECT_2026_02,
    DIALECTS,
)

REGENERATE_COMMAND = "python -m vitable_config.sandbox.openapi > schemas/openapi.json"
# The dialects with a committed copy (``removed`` is 2026-02 minus two path groups).
COMMITTED_DIALECTS: tuple[str, ...] = (DIALECT_2025_12, DIALECT_2026_02)


def schema_file_name(dialect: str) -> str:
    """The committed copy's name in ``schemas/``."""
    return "openapi.json" if dialect == DIALECT_2025_12 else f"openapi-{dialect}.json"


def regenerate_command(dialect: str) -> str:
    if dialect == DIALECT_2025_12:
        return REGENERATE_COMMAND
    return (
        f"python -m vitable_config.sandbox.openapi --dialect {dialect}"
        f" > schemas/{schema_file_name(dialect)}"
    )


def openapi_document(dialect: str = DEFAULT_DIALECT) -> dict[str, Any]:
    return build_fastapi(dialect).openapi()


def openapi_text(dialect: str = DEFAULT_DIALECT) -> str:
    return json.dumps(openapi_document(dialect), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Print the sandbox's OpenAPI document.")
    parser.add_argument("--dialect", choices=DIALECTS, default=DEFAULT_DIALECT)
    args = parser.parse_args(argv)
    sys.stdout.write(openapi_text(args.dialect))


if __name__ == "__main__":
    main()
