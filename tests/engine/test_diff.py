"""diff_normalized on the normalised shape: leaf changes, whole-class add/remove,
sources, and the deepdiff corner where every key of a subtree differs."""

from __future__ import annotations

from tests.engine.engine_factories import TEMPLATE, classes, desired_py, live_py
from vitable_config.engine.diff import additions, diff_normalized, source_for
from vitable_config.engine.normalize import normalize_desired, normalize_live


def _shares(ee: int, er: int) -> dict[str, int]:
    return {"employee_contribution_cents": ee, "employer_contribution_cents": er}


def test_equal_trees_have_no_changes() -> None:
    desired = desired_py()
    assert (
        diff_normalized(normalize_live(live_py(), include_status=False), normalize_desired(desired))
        == []
    )


def test_subtree_with_every_key_different_is_reported_class_by_class() -> None:
    # live has only full_time/EE, desired only full_time/ES: deepdiff would call this
    # one replaced dict unless told otherwise; we want one remove and one add.
    before = {"contribution_classes": {"full_time": {"EE": _shares(1, 2)}}}
    after = {"contribution_classes": {"full_time": {"ES": _shares(1, 2)}}}
    got = [(fc.path, fc.kind) for fc in diff_normalized(before, after)]
    assert got == [
        (("contribution_classes", "full_time", "EE"), "remove"),
        (("contribution_classes", "full_time", "ES"), "add"),
    ]


def test_both_shares_of_one_class_change_as_two_leaves() -> None:
    before = {"contribution_classes": {"ft": {"EE": _shares(1, 2), "EF": _shares(5, 6)}}}
    after = {"contribution_classes": {"ft": {"EE": _shares(3, 4), "EF": _shares(5, 6)}}}
    got = [(fc.path[-1], fc.before, fc.after) for fc in diff_normalized(before, after)]
    assert got == [("employee_contribution_cents", 1, 3), ("employer_contribution_cents", 2, 4)]


def test_scalar_changes_in_display_order_with_sources() -> None:
    before = {"status": "draft", "coverage_end": "2027-12-31", "open_enrollment_end": "2026-12-15"}
    after = {"status": "active", "coverage_end": "2027-12-30", "open_enrollment_end": "2026-12-16"}
    desired = desired_py()
    changes = diff_normalized(before, after, lambda p: source_for(desired, p))
    assert [fc.path for fc in changes] == [("coverage_end",), ("open_enrollment_end",), ("status",)]
    assert changes[0].source == TEMPLATE
    assert changes[2].source is None  # status was not set by any layer here


def test_additions_list_every_declared_field() -> None:
    after = normalize_desired(desired_py(cls=classes(employments=("a", "b"), tiers=("EF", "EE"))))
    paths = [fc.path for fc in additions(after)]
    assert paths[:3] == [("coverage_end",), ("open_enrollment_start",), ("open_enrollment_end",)]
    assert paths[3:] == [
        ("contribution_classes", "a", "EE"),
        ("contribution_classes", "a", "EF"),
        ("contribution_classes", "b", "EE"),
        ("contribution_classes", "b", "EF"),
    ]
