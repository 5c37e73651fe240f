"""Problem, Job and Technician are really frozen: hashable, not changeable in place, and
Problem.replace cross-checks the changed problem (a ScenarioError names field, id and value)."""

from __future__ import annotations

import dataclasses
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from dispatchopt.domain import FrozenMap, Window
from dispatchopt.errors import ScenarioError
from helpers import H, job, make_problem, tech


def small():
    return make_problem([tech("T1", {"plumbing": 2}), tech("T2")],
                        [job("J1", x=10), job("J2", x=20, pinned_to="T2", window=(H, 2 * H))])


def test_problem_job_and_technician_are_hashable_and_equal_by_value():
    a, b = small(), small()
    assert a == b and hash(a) == hash(b)
    assert len({a, b}) == 1
    assert hash(a.jobs[0]) == hash(job("J1", x=10))
    assert {a.technicians[0]: "lead"}[tech("T1", {"plumbing": 2})] == "lead"
    assert a != a.replace(name="other") and hash(a) != hash(a.replace(name="other"))


def test_dict_fields_are_read_only_mappings_that_read_like_dicts():
    problem = small()
    t1 = problem.technician("T1")
    assert isinstance(t1.skills, FrozenMap) and isinstance(problem.sla, FrozenMap)
    assert t1.skills["plumbing"] == 2 and t1.skills.get("gas", 0) == 0 and "plumbing" in t1.skills
    assert dict(t1.skills.items()) == {"plumbing": 2} == t1.skills
    assert problem.sla["emergency"].respond_minutes == 30
    with pytest.raises(TypeError):
        t1.skills["gas"] = 1                                   # type: ignore[index]
    with pytest.raises(TypeError):
        problem.sla["new"] = problem.sla["standard"]           # type: ignore[index]
    with pytest.raises(AttributeError):
        t1.skills.update({"gas": 1})                           # type: ignore[attr-defined]


def test_fields_cannot_be_reassigned():
    problem = small()
    with pytest.raises(dataclasses.FrozenInstanceError):
        problem.name = "x"                                     # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        problem.jobs[0].duration_s = 0                         # type: ignore[misc]


def test_problem_pickles_with_its_value():
    problem = small()
    copy = pickle.loads(pickle.dumps(problem))
    assert copy == problem and hash(copy) == hash(problem)
    assert isinstance(copy.technician("T1").skills, FrozenMap)


def test_a_problem_pickled_to_another_process_hashes_like_an_equal_one_made_there(tmp_path):
    problem = small()
    hash(problem)                                              # cached here, with this process's salt
    (tmp_path / "p.pickle").write_bytes(pickle.dumps(problem))
    child = (
        "import pickle, sys; sys.path.insert(0, sys.argv[2]); from test_problem import small; "
        "p = pickle.loads(open(sys.argv[1], 'rb').read()); "
        "assert hash(p) == hash(small()) and len({p, small()}) == 1, 'stale hash'")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    here = str(Path(__file__).parent)
    done = subprocess.run([sys.executable, "-c", child, str(tmp_path / "p.pickle"), here],
                          env={**env, "PYTHONPATH": os.pathsep.join([here, str(Path(here).parent)])},
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_replace_keeps_a_clean_problem_and_returns_a_new_one():
    problem = small()
    new = problem.replace(jobs=problem.jobs[:1])
    assert new is not problem and [j.id for j in new.jobs] == ["J1"]
    assert problem.replace() == problem


@pytest.mark.parametrize("change, field, item_id, match", [
    (lambda p: {"jobs": p.jobs + (job("J1", x=5),)}, "jobs[2].id", "J1", "duplicate job id 'J1'"),
    (lambda p: {"technicians": p.technicians + (tech("T1"),)}, "technicians[2].id", "T1",
     "duplicate technician id 'T1'"),
    (lambda p: {"technicians": p.technicians[:1]}, "jobs[1].pinned_to", "J2", "pinned to unknown technician 'T2'"),
    (lambda p: {"jobs": (job("J3", crew_size=3),)}, "jobs[0].crew_size", "J3",
     "crew_size 3 must be between 1 and the 2 technicians"),
    (lambda p: {"jobs": (job("J3", category="teleport", due_s=H),)}, "jobs[0].category", "J3", "unknown category 'teleport'"),
    (lambda p: {"jobs": (job("J3", skills={"plumbing": 0}),)}, "jobs[0].skills['plumbing']", "J3",
     "level must be a whole number >= 1, got 0"),
    (lambda p: {"jobs": (dataclasses.replace(job("J3"), window=Window(H, H)),)}, "jobs[0].window", "J3",
     "the window is empty"),
    (lambda p: {"jobs": (job("J3", pinned_to=("T1", "T2")),)}, "jobs[0].pinned_to", "J3",
     "2 technicians pinned to a job of crew_size 1"),
    (lambda p: {"technicians": (tech("T1", shifts=[(0, 4 * H), (3 * H, 8 * H)]), tech("T2"))},
     "technicians[0].shifts[1]", "T1", "must be sorted and must not overlap"),
    (lambda p: {"technicians": (tech("T1", shifts=[]), tech("T2"))}, "technicians[0].shifts", "T1",
     "at least one shift"),
    (lambda p: {"preemption": {"emergency": "panic"}}, "preemption['emergency']", None,
     "unknown preemption policy 'panic'"),
])
def test_replace_names_field_id_and_value_of_a_broken_invariant(change, field, item_id, match):
    problem = small()
    with pytest.raises(ScenarioError, match=match) as info:
        problem.replace(**change(problem))
    assert info.value.field == field and info.value.item_id == item_id
    assert info.value.value is not None
    assert str(info.value).startswith(f"tiny: {field}")


def test_replaced_problem_starts_with_empty_derived_data():
    from dispatchopt import rules

    problem = small()
    table = rules.eligibility(problem)
    assert rules.eligibility(problem) is table                   # computed once per problem
    fewer = problem.replace(technicians=problem.technicians[1:], jobs=problem.jobs[1:])
    assert rules.eligibility(fewer) == {"J2": (("T2",), ("T2",))}


def test_a_checked_problem_rechecks_only_what_changed_but_still_catches_it():
    checked = small().replace()                                   # passed the check once
    with pytest.raises(ScenarioError, match="duplicate job id 'J2'"):
        checked.replace(jobs=checked.jobs + (job("J2"),))
    with pytest.raises(ScenarioError, match="unknown category 'teleport'"):
        checked.replace(jobs=checked.jobs + (job("J3", category="teleport", due_s=H),))
    # J2 itself is unchanged, but its pinned technician is gone: it is checked again
    with pytest.raises(ScenarioError, match="pinned to unknown technician 'T2'") as info:
        checked.replace(technicians=checked.technicians[:1])
    assert info.value.item_id == "J2"
    # and a category dropped from sla is noticed on unchanged jobs too
    with pytest.raises(ScenarioError, match="unknown category 'standard'"):
        checked.replace(sla={k: v for k, v in checked.sla.items() if k != "standard"})
