"""The sandbox's OpenAPI document (also committed as ``schemas/openapi.json``).

Regenerate the committed copy with::

    python -m vitable_config.sandbox.openapi > schemas/openapi.json
"""

from __future__ import annotations

import json
import sys
from typing import Any

from vitable_config.sandbox.app import build_fastapi

REGENERATE_COMMAND = "python -m vitable_config.sandbox.openapi > schemas/openapi.json"


def openapi_document() -> dict[str, Any]:
    return build_fastapi().openapi()


def openapi_text() -> str:
    return json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    sys.stdout.write(openapi_text())


if __name__ == "__main__":
    main()
