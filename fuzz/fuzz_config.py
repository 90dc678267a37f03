"""Fuzz the config loader with Hypothesis (not part of CI: it runs for minutes).

    .venv/bin/python fuzz/fuzz_config.py [--examples N] [--seed S]

Three generators, N cases each:

* ``structured`` — random documents built from the config's own vocabulary
  (sections, plan-year keys, family statuses, dates, cents in every spelling,
  Jinja expressions), dumped as YAML;
* ``text`` — YAML-ish text from tokens (indentation, flow brackets, anchors,
  aliases, tags, quotes, Jinja, odd Unicode);
* ``mutated`` — the shipped examples (quickstart, rollout + its CSV) with random
  edits: spans deleted, tokens inserted, lines duplicated or swapped.

The property: :func:`vitable_config.config.load_config` either returns a
``DesiredState`` or raises :class:`~vitable_config.errors.UserError` whose every
problem names a file and line. Anything else (another exception, a problem
without a location, a case slower than the deadline) is a bug: the failing input
is printed and the script exits 1.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from vitable_config.config import load_config
from vitable_config.errors import UserError

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = {
    "quickstart": REPO / "examples" / "quickstart",
    "rollout": REPO / "examples" / "rollout",
}

KEYS = [
    "version", "variables", "defaults", "templates", "rollouts", "employers", "name",
    "template", "description", "benefit_product", "coverage", "open_enrollment", "start",
    "end", "status", "contribution_classes", "full_time", "part_time", "EE", "ES", "EC",
    "EF", "Unspecified", "employee", "employer", "plan_years", "csv", "list", "files",
    "employer_id", "empr_acme", "empr_r001", "standard", "<<",
]  # fmt: skip
SCALARS = [
    1, 0, -1, 2, 45000, 4.5, 1e30, True, False, None, "", "MEC", "VD", "bprd_mec",
    "$450.00", "$450.005", "450", "2027-01-01", "2027-02-30", "2027-12-31", "draft",
    "{{ x }}", "{{ employer_id }}", "{{ n * 2 }}", "{% if n %}1{% endif %}", "{{ ''.__class__ }}",
    "{{ 2 ** 999 }}", "{{ 'a' * 99999 }}", "{{", "}}", "employers.csv", "*.yaml", "../x",
    "\x00", "\u202e", "\ud7ff", "💥", "a" * 300,
]  # fmt: skip
TOKENS = [
    "\n", "\n  ", "\n    ", "\n      - ", ": ", "- ", "{", "}", "[", "]", ", ", "&a ", "*a",
    "!!python/object:os.system ", "!env ", "!!str ", "!!binary ", "'", '"', "#", "|", ">",
    "---\n", "...\n", "%YAML 1.1\n", "? ", "<<: *a", "\t", "\\", "{{ ", " }}", "{% ", " %}",
    *[f"{k}" for k in KEYS],
    *[str(s) for s in SCALARS if isinstance(s, str)],
    "1", "-1", "0.5", "2027-01-01", "null", "~", "true", "0x1F", "0o17", ".inf", ".nan",
]  # fmt: skip


def scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(SCALARS),
        st.integers(min_value=-(10**20), max_value=10**20),
        st.text(max_size=20),
        st.dates().map(lambda d: d.isoformat()),
        st.dates(),
    )


def documents() -> st.SearchStrategy[Any]:
    return st.recursive(
        scalars(),
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(st.sampled_from(KEYS), children, max_size=6),
        ),
        max_leaves=40,
    )


def yaml_text_from_tokens() -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(TOKENS), max_size=60).map("".join)


Stats = Counter[str]


class Finding(Exception):
    pass


def check(directory: Path, stats: Stats, deadline: float) -> None:
    started = time.perf_counter()
    try:
        load_config([directory])
        stats["accepted"] += 1
    except UserError as exc:
        stats["rejected"] += 1
        missing = [p.message for p in exc.problems if p.location is None]
        if not exc.problems or missing:
            raise Finding(f"UserError without file:line: {exc.format()[:500]}") from None
    except RecursionError as exc:  # a real bug, but say what it was
        raise Finding(f"RecursionError escaped: {exc}") from exc
    except Exception as exc:
        raise Finding(f"{type(exc).__name__} escaped: {exc}") from exc
    elapsed = time.perf_counter() - started
    if elapsed > deadline:
        raise Finding(f"took {elapsed:.1f} s (deadline {deadline} s)")


def write_case(root: Path, files: dict[str, bytes]) -> Path:
    case = root / "case"
    if case.exists():
        shutil.rmtree(case)
    case.mkdir()
    for name, data in files.items():
        (case / name).write_bytes(data)
    return case


def mutate(data: bytes, rnd: random.Random, edits: int) -> bytes:
    text = bytearray(data)
    for _ in range(edits):
        op = rnd.randrange(6)
        if not text:
            text += rnd.choice(TOKENS).encode()
            continue
        i = rnd.randrange(len(text))
        if op == 0:  # delete a span
            del text[i : i + rnd.randint(1, 40)]
        elif op == 1:  # insert a token
            text[i:i] = rnd.choice(TOKENS).encode("utf-8", "surrogatepass")
        elif op == 2:  # flip a byte
            text[i] = rnd.randrange(256)
        else:  # line operations
            lines = bytes(text).split(b"\n")
            a, b = rnd.randrange(len(lines)), rnd.randrange(len(lines))
            if op == 3:
                lines.insert(a, lines[b])
            elif op == 4:
                lines[a], lines[b] = lines[b], lines[a]
            else:
                lines[a] = lines[a].replace(b"  ", b"   ", 1)
            text = bytearray(b"\n".join(lines))
    return bytes(text)


def run(examples: int, seed_value: int, deadline: float) -> int:
    root = Path(tempfile.mkdtemp(prefix="vitable-fuzz-"))
    results: dict[str, Stats] = {}
    findings: list[str] = []
    common = settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )

    def campaign(name: str, test: Any) -> None:
        stats: Stats = Counter()
        results[name] = stats
        started = time.perf_counter()
        try:
            seed(seed_value)(common(test(stats)))()
        except Finding as exc:
            findings.append(f"{name}: {exc}")
        except Exception as exc:
            findings.append(f"{name}: {type(exc).__name__}: {exc}")
        stats["seconds"] = round(time.perf_counter() - started)

    def structured(stats: Stats) -> Any:
        @given(documents())
        def test(doc: Any) -> None:
            stats["cases"] += 1
            text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
            check(write_case(root, {"vitable.yaml": text.encode()}), stats, deadline)

        return test

    def text_cases(stats: Stats) -> Any:
        @given(yaml_text_from_tokens())
        def test(text: str) -> None:
            stats["cases"] += 1
            data = text.encode("utf-8", "surrogatepass")
            check(write_case(root, {"vitable.yaml": data}), stats, deadline)

        return test

    def mutated(stats: Stats) -> Any:
        sources = {
            name: {p.name: p.read_bytes() for p in path.iterdir() if p.is_file()}
            for name, path in EXAMPLES.items()
        }

        @given(
            st.sampled_from(sorted(sources)), st.randoms(use_true_random=False), st.integers(1, 8)
        )
        def test(name: str, rnd: random.Random, edits: int) -> None:
            stats["cases"] += 1
            files = dict(sources[name])
            target = rnd.choice(sorted(files))
            files[target] = mutate(files[target], rnd, edits)
            check(write_case(root, files), stats, deadline)

        return test

    campaign("structured", structured)
    campaign("text", text_cases)
    campaign("mutated", mutated)
    shutil.rmtree(root, ignore_errors=True)
    total = sum(s["cases"] for s in results.values())
    for name, stats in results.items():
        print(f"{name:>10}: {dict(stats)}")
    print(f"     total: {total} cases, {len(findings)} finding(s)")
    for finding in findings:
        print(f"FINDING {finding}")
    return 1 if findings else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=2000, help="cases per generator")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--deadline", type=float, default=5.0, help="seconds per case")
    args = parser.parse_args()
    sys.exit(run(args.examples, args.seed, args.deadline))


if __name__ == "__main__":
    main()
