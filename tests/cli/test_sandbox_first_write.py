"""The first write to a fresh embedded sandbox prints what the command does, and nothing
else: no library warning on stderr (FastAPI under pydantic 2.12+ warned about its own
``Field(alias="body")`` on the first create)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tests.support.cli import finish, start

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_a_first_apply_to_a_fresh_embedded_sandbox_prints_no_warning(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES / "quickstart", tmp_path / "quickstart")
    env = {k: v for k, v in os.environ.items() if not k.startswith("VITABLE_")}
    env.update({"NO_COLOR": "1", "XDG_CACHE_HOME": str(tmp_path / "cache")})
    env["PYTHONWARNINGS"] = "default"  # every warning shown, as a user's shell may
    proc = start(["apply", "quickstart", "--sandbox", "--auto-approve"], env, cwd=tmp_path)
    result = finish(proc)
    assert result.code == 0, result.text
    assert "created" in result.out
    assert "Warning" not in result.err, result.err
