"""plan_to_dict / plan_from_dict round trip (minus ``desired``) and version checks."""

from __future__ import annotations

import dataclasses
import json

import pytest

from tests.engine.plan_samples import every_action_plan
from vitable_config.engine.model import Plan
from vitable_config.engine.render import render_json, render_markdown, render_text
from vitable_config.engine.serialize import plan_from_dict, plan_to_dict
from vitable_config.errors import UserError


def _without_desired(plan: Plan) -> Plan:
    return dataclasses.replace(
        plan, changes=[dataclasses.replace(c, desired=None) for c in plan.changes]
    )


def test_round_trip_through_json_text() -> None:
    plan = every_action_plan()
    loaded = plan_from_dict(json.loads(render_json(plan)))
    assert loaded == _without_desired(plan)
    assert all(c.desired is None for c in loaded.changes)
    # a loaded plan renders exactly like the original
    assert render_text(loaded) == render_text(plan)
    assert render_markdown(loaded) == render_markdown(plan)
    assert plan_to_dict(loaded) == plan_to_dict(plan)


def test_round_trip_keeps_every_action_field() -> None:
    plan = every_action_plan()
    loaded = plan_from_dict(plan_to_dict(plan))
    blocked = next(c for c in loaded.changes if c.action == "blocked")
    assert blocked.blocked_since is not None and blocked.blocked_reason
    create = next(c for c in loaded.changes if c.action == "create")
    assert create.request is not None and loaded.absent_keys == [create.key]
    assert loaded.fingerprints == plan.fingerprints
    assert loaded.reach == plan.reach and loaded.reach


def test_other_format_version_is_refused() -> None:
    doc = plan_to_dict(every_action_plan())
    doc["format_version"] = 99
    with pytest.raises(UserError, match="unsupported plan format_version 99"):
        plan_from_dict(doc)


def test_corrupt_document_is_a_user_error() -> None:
    doc = plan_to_dict(every_action_plan())
    del doc["changes"][0]["key"]
    with pytest.raises(UserError, match="not a valid vitable-config plan"):
        plan_from_dict(doc)


def test_render_json_is_exactly_the_plan_document() -> None:
    plan = every_action_plan()
    assert json.loads(render_json(plan)) == plan_to_dict(plan)
    empty = dataclasses.replace(plan, changes=[], reach=[], absent_keys=[], fingerprints={})
    assert json.loads(render_json(empty)) == plan_to_dict(empty)
