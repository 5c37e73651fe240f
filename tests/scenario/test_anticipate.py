"""The scenario option ``anticipate_jobs`` (issue 8): a bool, default false, dumped and read back."""

from __future__ import annotations

import pytest

from dispatchopt.errors import ScenarioError
from dispatchopt.scenario import dump_scenario, problem_from_dict

BASE = {"name": "t", "start": "2026-11-23T08:00",
        "technicians": [{"id": "T1", "skills": ["plumbing"], "shift": {"start": "08:00", "end": "16:00"},
                         "start": {"x": 0, "y": 0}}],
        "travel": {"model": "euclidean", "speed_kmh": 1},
        "jobs": [{"id": "J1", "location": {"x": 5, "y": 0}, "duration_minutes": 20,
                  "received_at": "2026-11-23T10:00"}]}


def test_default_is_false_and_the_key_round_trips():
    problem = problem_from_dict(BASE)
    assert problem.anticipate_jobs is False
    assert dump_scenario(problem)["anticipate_jobs"] is False
    ahead = problem_from_dict({**BASE, "anticipate_jobs": True})
    assert ahead.anticipate_jobs is True
    data = dump_scenario(ahead)
    assert data["anticipate_jobs"] is True
    assert problem_from_dict(data) == ahead
    assert problem_from_dict({**BASE, "anticipate_jobs": None}).anticipate_jobs is False


@pytest.mark.parametrize("value", ["yes", 1, 0, "true", [True]])
def test_a_non_bool_value_is_one_line_naming_the_field(value):
    with pytest.raises(ScenarioError, match=r"^<dict>: anticipate_jobs: expected true or false, found ") as info:
        problem_from_dict({**BASE, "anticipate_jobs": value})
    assert "\n" not in str(info.value)
