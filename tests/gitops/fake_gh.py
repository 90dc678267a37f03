"""A stand-in for the GitHub CLI (`gh`) used by the workflow scripts under test.

GitHub cannot be reached from tests, so this records every call (argv plus the
JSON sent with ``--input``/``-f``) to ``$FAKE_GH_LOG`` and answers from files in
``$FAKE_GH_DIR``:

* ``comments.json`` — ``gh api --paginate repos/R/issues/N/comments``
* ``issues.json`` — ``gh api --paginate repos/R/issues?state=open...``
* ``pr_head`` — ``gh api repos/R/commits/SHA/pulls --jq '.[0].head.sha ...'``
* ``pr_labels`` — ``gh api repos/R/commits/SHA/pulls --jq '.[0].labels[].name'``
* ``run_id`` — ``gh run list ... --jq ...``
* ``artifact/`` — copied into ``--dir`` by ``gh run download``
* ``fail`` — if present, every call fails with exit 1 (an API outage)
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path


def _arg(argv: list[str], name: str) -> str | None:
    if name in argv:
        i = argv.index(name)
        return argv[i + 1] if i + 1 < len(argv) else None
    return None


def main(argv: list[str]) -> int:
    state = Path(os.environ["FAKE_GH_DIR"])
    record: dict[str, object] = {"argv": argv}
    input_file = _arg(argv, "--input")
    if input_file:
        record["input"] = json.loads(Path(input_file).read_text(encoding="utf-8"))
    fields = [argv[i + 1] for i, a in enumerate(argv) if a == "-f" and i + 1 < len(argv)]
    if fields:
        record["fields"] = dict(f.split("=", 1) for f in fields)
    with open(os.environ["FAKE_GH_LOG"], "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")
    if (state / "fail").exists():
        print("HTTP 502: Bad Gateway", file=sys.stderr)
        return 1

    def answer(name: str) -> int:
        path = state / name
        if path.exists():
            sys.stdout.write(path.read_text(encoding="utf-8"))
        return 0

    if argv[:1] == ["api"]:
        method = _arg(argv, "--method") or "GET"
        endpoint = next(a for a in argv[1:] if a.startswith("repos/"))
        if method == "GET" and endpoint.endswith("/pulls"):
            return answer("pr_labels" if "labels" in (_arg(argv, "--jq") or "") else "pr_head")
        if method == "GET" and "/comments" in endpoint:
            return answer("comments.json")
        if method == "GET" and "/issues?" in endpoint:
            return answer("issues.json")
        print("{}")
        return 0
    if argv[:2] == ["run", "list"]:
        return answer("run_id")
    if argv[:2] == ["run", "download"]:
        dest = Path(_arg(argv, "--dir") or ".")
        src = state / "artifact"
        if not src.is_dir():
            print("no artifact", file=sys.stderr)
            return 1
        shutil.copytree(src, dest, dirs_exist_ok=True)
        return 0
    print(f"fake gh: unsupported call {argv}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
