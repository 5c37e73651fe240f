"""docs/format.md stays true: its examples load, its plan verifies, its tables match the code.

The reference is for users; these tests fail when a key, a default or an example drifts from the
loader, the SLA table, the objective or the plan writer.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
import yaml

from dispatchopt.audit.kpi import compute_kpis
from dispatchopt.audit.verify import verify
from dispatchopt.domain import DEFAULT_SLA, Objective
from dispatchopt.domain.problem import DEFAULT_CERTIFICATE_REQUIRED, PREEMPTION_POLICIES
from dispatchopt.plan import Plan
from dispatchopt.scenario import load, load_scenario, problem_from_dict, tables
from dispatchopt.scenario.files import YamlLoader

DOC = Path(__file__).resolve().parents[2] / "docs" / "format.md"


@pytest.fixture(scope="module")
def text() -> str:
    return DOC.read_text(encoding="utf-8")


def _blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", text, flags=re.S | re.M)


def _table_rows(text: str, heading: str) -> list[list[str]]:
    """The body rows of the first table after ``heading``, cells stripped of backticks."""
    section = text[text.index(heading):]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    start = section.splitlines().index(lines[0])
    rows = []
    for line in section.splitlines()[start:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip().strip("`") for cell in line.strip("|").split("|")])
    return rows[2:]                                     # header and rule


def _key(cell: str) -> str:
    """The key a table row documents (its first word, without marks such as *(extension)*)."""
    return re.match(r"[a-z_]+", cell).group(0)


@pytest.fixture(scope="module")
def example(text):
    data = yaml.load(_blocks(text, "yaml")[0], Loader=YamlLoader)
    return data, problem_from_dict(data, source="docs/format.md")


def test_the_example_scenario_loads_and_uses_every_top_level_key(example):
    data, problem = example
    assert set(data) == set(load.TOP_KEYS)
    assert problem.name == "shinan-2026-11-23" and len(problem.jobs) == 5


def test_the_example_plan_verifies_against_the_example_scenario(text, example):
    _, problem = example
    data = json.loads(_blocks(text, "json")[0])
    plan = Plan.from_json(problem, data, source="docs/format.md")
    assert verify(problem, plan) == []
    kpis = compute_kpis(problem, plan)
    assert set(data["kpis"]) == set(kpis)
    for key in ("on_time_rate", "travel_minutes", "distance_km", "unassigned", "not_dispatchable"):
        assert data["kpis"][key] == kpis[key], key
    # the doc shows every field the writer emits
    written = plan.to_json()
    assert set(written) == set(data)
    assert set(written["solver"]) <= set(data["solver"])
    for doc_route, route in zip(data["routes"], written["routes"]):
        assert set(doc_route) == set(route)
        assert [set(v) for v in doc_route["visits"]] == [set(v) for v in route["visits"]]


def test_the_csv_example_reads_like_the_yaml_example(text, example, tmp_path):
    data, problem = example
    csv_text = next(block for block in _blocks(text, "text") if "technicians.csv" in block)
    files = {}
    for chunk in csv_text.strip().split("\n\n"):
        name, _, body = chunk.partition("\n")
        files[name.strip()] = body + "\n"
    assert set(files) == set(tables.TABLE_FILES)
    scenario = {key: value for key, value in data.items() if key not in ("technicians", "jobs")}
    (tmp_path / "scenario.yaml").write_text(yaml.safe_dump(scenario), encoding="utf-8")
    for name, body in files.items():
        (tmp_path / name).write_text(body, encoding="utf-8")
    from_csv = load_scenario(tmp_path)
    t01, j001, j002 = problem.technicians[0], problem.jobs[0], problem.jobs[1]
    csv_t01 = from_csv.technicians[0]
    for field in ("id", "skills", "certificates", "shifts", "breaks", "start", "end", "max_jobs"):
        assert getattr(csv_t01, field) == getattr(t01, field), field
    assert from_csv.jobs[0] == j001
    assert dataclasses.replace(from_csv.jobs[1], demand=j002.demand) == j002


def test_every_key_and_column_the_loader_reads_is_documented(text):
    documented = set(re.findall(r"`([a-z_]+)`", text))
    keys = (load.TOP_KEYS + load.TRAVEL_KEYS + load.TRAVEL_MODELS + load.SLA_KEYS + load.OBJECTIVE_KEYS
            + load.TECH_KEYS + load.SHIFT_KEYS + load.BREAK_KEYS + load.LOCATION_KEYS + load.JOB_KEYS
            + load.WINDOW_KEYS + tuple(PREEMPTION_POLICIES) + tuple(tables.TECH_COLUMNS)
            + tuple(tables.JOB_COLUMNS))
    assert sorted(set(keys) - documented) == []


def test_the_built_in_sla_table_matches_the_defaults(text):
    rows = _table_rows(text, "The built-in levels:")
    table = {}
    for category, within, weight in rows:
        minutes = re.match(r"(\d+) min", within)
        days = re.match(r"(\d+) working days", within)
        table[category] = (int(minutes.group(1)) if minutes else None,
                           int(days.group(1)) if days else None, float(weight))
    expected = {category: (None if level.working_days is not None else level.respond_minutes,
                           level.working_days, level.weight) for category, level in DEFAULT_SLA.items()}
    assert table == expected


def test_the_objective_and_scenario_defaults_match_the_code(text):
    rows = {_key(key): default for key, default, *_ in _table_rows(text, "## Objective")}
    assert {key: float(value) for key, value in rows.items()} == dataclasses.asdict(Objective())
    rows = {_key(row[0]): row[2] for row in _table_rows(text, "## Scenario keys")}
    assert rows["timezone"] == "UTC"
    assert rows["certificate_required"].strip("`[]").split(", ") == sorted(DEFAULT_CERTIFICATE_REQUIRED)
    assert problem_from_dict({"name": "t", "start": "2026-11-23T08:00", "technicians": [],
                              "jobs": []}).clock.timezone == rows["timezone"]


def test_the_documented_messages_are_the_loaders(text):
    block = next(block for block in _blocks(text, "text") if "did you mean" in block)
    with pytest.raises(Exception) as info:
        problem_from_dict({"name": "t", "start": "2026-11-23T08:00", "technicians": [], "jobs": [],
                           "travel": {"sped_kmh": 20}}, source="scenarios/north.yaml")
    assert str(info.value) in block.splitlines()
    with pytest.raises(Exception) as info:
        problem_from_dict({"name": "t", "timezone": "Asia/Shanghia", "start": "2026-11-23T08:00",
                           "technicians": [], "jobs": []})
    assert str(info.value) in block.splitlines()
