"""``dispatchopt book`` end to end on the bundled small day: the table, --accept, bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dispatchopt.cli import main
from dispatchopt.plan import Plan
from dispatchopt.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "scenarios" / "small.yaml"
CALLER = {"id": "B900", "location": {"lat": 36.085, "lon": 120.39}, "category": "standard",
          "skills": {"plumbing": 1}, "duration_minutes": 45}
NOW = "2026-11-23T10:40"


@pytest.fixture()
def morning(tmp_path) -> Path:
    plan = tmp_path / "plan.json"
    assert main(["solve", str(SMALL), "--backend", "greedy", "--out", str(plan)]) == 0
    return plan


def _job(tmp_path, **changes) -> Path:
    path = tmp_path / "job.json"
    path.write_text(json.dumps({**CALLER, **changes}), encoding="utf-8")
    return path


def _ranked(text: str) -> list[str]:
    """The slot labels of the ranked table, in rank order."""
    return re.findall(r"^\s+\d+\s+(\d{4}-\d\d-\d\dT\d\d:\d\d)\s", text, flags=re.M)


def test_book_prints_the_ranked_slots_and_the_days_beyond_the_horizon(tmp_path, morning, capsys):
    capsys.readouterr()
    code = main(["book", str(SMALL), str(morning), "--job", str(_job(tmp_path)), "--now", NOW,
                 "--days", "3", "--slot-minutes", "120", "--top", "3"])
    text = capsys.readouterr().out
    assert code == 0, text
    labels = _ranked(text)
    assert 1 <= len(labels) <= 3
    assert all(label >= NOW for label in labels)
    costs = [float(line.split()[-1]) for line in text.splitlines()
             if re.match(r"^\s+\d+\s+\d{4}-", line)]
    assert costs == sorted(costs)
    assert "answered in" in text
    assert "beyond the scenario's horizon" in text


def test_book_accept_writes_a_verified_plan_with_the_job_in_the_slot(tmp_path, morning, capsys):
    capsys.readouterr()
    assert main(["book", str(SMALL), str(morning), "--job", str(_job(tmp_path)), "--now", NOW,
                 "--days", "1"]) == 0
    labels = _ranked(capsys.readouterr().out)
    chosen = labels[-1]
    out, scen = tmp_path / "booked.json", tmp_path / "booked.yaml"
    code = main(["book", str(SMALL), str(morning), "--job", str(_job(tmp_path)), "--now", NOW,
                 "--days", "1", "--accept", chosen, "--out", str(out), "--scenario-out", str(scen)])
    text = capsys.readouterr().out
    assert code == 0, text
    assert f"booked B900 for {chosen}" in text
    assert main(["verify", str(scen), str(out)]) == 0
    problem = load_scenario(scen)
    job = problem.job("B900")
    assert problem.clock.to_iso(job.window.start_s) == chosen
    assert job.due_s == job.window.end_s
    ((_, visit),) = Plan.load(problem, out).visits_of("B900")
    assert job.window.start_s <= visit.start_s <= job.window.end_s


@pytest.mark.parametrize("changes,args,needle", [
    ({"category": "emergency"}, [], "emergency"),
    ({"window": {"start": "2026-11-23T12:00", "end": "2026-11-23T14:00"}}, [], "window"),
    ({"duration": 45}, [], "duration"),
    ({}, ["--accept", "2026-11-23T03:00", "--out", "x.json", "--scenario-out", "x.yaml"], "no slot"),
    ({}, ["--accept", "2026-11-23T12:00"], "--out"),
    ({}, ["--out", "x.json"], "only with --accept"),
    ({}, ["--hours", "9-5"], "hours"),
    ({}, ["--days", "0"], "--days"),
])
def test_book_bad_input_is_one_line_exit_2(tmp_path, morning, capsys, changes, args, needle):
    capsys.readouterr()
    args = [a if not a.startswith("x.") else str(tmp_path / a) for a in args]
    code = main(["book", str(SMALL), str(morning), "--job", str(_job(tmp_path, **changes)),
                 "--now", NOW] + args)
    err = capsys.readouterr().err
    assert code == 2
    assert needle in err and len(err.strip().splitlines()) == 1
