"""A value computed by a Jinja expression names the variables it read, end to end:
config provenance → plan field changes and reach lines → text and JSON → saved plan."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import jsonschema

from vitable_config.config import load_config
from vitable_config.desired import FieldPath, Source
from vitable_config.engine.model import Reach
from vitable_config.engine.render.labels import reach_line, source_label
from vitable_config.engine.serialize import source_from_dict, source_to_dict
from vitable_config.errors import SourceLocation

ROOT = Path(__file__).resolve().parents[2]
EE_EMPLOYER: FieldPath = ("contribution_classes", "full_time", "EE", "employer_contribution_cents")
EE_EMPLOYEE: FieldPath = ("contribution_classes", "full_time", "EE", "employee_contribution_cents")
PT_EMPLOYER: FieldPath = ("contribution_classes", "part_time", "EE", "employer_contribution_cents")


def _rollout_plan_year(employer_id: str):  # type: ignore[no-untyped-def]
    state = load_config([ROOT / "examples" / "rollout"])
    (py,) = [
        p
        for p in state.plan_years
        if p.employer_id == employer_id and p.coverage_start == date(2032, 1, 1)
        and p.template == "standard-2032"
    ]  # fmt: skip
    return py


def test_expression_values_record_the_variables_they_read() -> None:
    py = _rollout_plan_year("empr_r001")
    employer_src = py.source_of(EE_EMPLOYER)
    assert employer_src is not None and employer_src.kind == "template"
    assert employer_src.variables == ("ee_employer_cents",)
    part_time = py.source_of(PT_EMPLOYER)
    assert part_time is not None
    assert part_time.variables == ("ee_employer_cents", "part_time_share")
    literal = py.source_of(EE_EMPLOYEE)  # "$45.00": no expression, no variables
    assert literal is not None and literal.variables == ()


def test_labels_name_the_variables() -> None:
    loc = SourceLocation("examples/rollout/vitable.yaml", 22, 44)
    src = Source("template", "standard-2027", loc, ("ee_employer_cents",))
    assert source_label(src) == (
        "template standard-2027 (examples/rollout/vitable.yaml:22) using variable ee_employer_cents"
    )
    two = Source("template", "standard-2027", loc, ("a", "b"))
    assert source_label(two).endswith("using variables a, b")
    assert source_label(Source("template", "standard-2027", loc)).endswith(":22)")
    reach = Reach(layer=src, path=EE_EMPLOYER, changed=3, overridden=1)
    assert reach_line(reach).startswith(
        "template standard-2027 using variable ee_employer_cents changes full_time/EE"
    )


def test_variables_survive_json_and_match_the_schema() -> None:
    src = Source("template", "t", SourceLocation("f.yaml", 3, 5), ("x", "y"))
    data = source_to_dict(src)
    assert data is not None and data["variables"] == ["x", "y"]
    assert source_from_dict(json.loads(json.dumps(data))) == src
    plain = source_to_dict(Source("defaults", None, SourceLocation("f.yaml", 1, 1)))
    assert plain is not None and "variables" not in plain
    schema = json.loads((ROOT / "schemas" / "plan.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(
        {"$ref": "#/$defs/source", "$defs": schema["$defs"]}
    )
    validator.validate(data)
    validator.validate(plain)
