"""One bad input per failure mode (tests/data/invalid/): each is a ScenarioError whose message
names the file, the field, the id and the value."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from dispatchopt.errors import ScenarioError
from dispatchopt.scenario import load_scenario, problem_from_dict

INVALID = Path(__file__).resolve().parents[1] / "data" / "invalid"

T01 = r"technicians\[0\] \(id 'T01'\)"
T02 = r"technicians\[1\] \(id 'T02'\)"
J001 = r"jobs\[0\] \(id 'J001'\)"
J017 = r"jobs\[1\] \(id 'J017'\)"

# fixture -> pattern that the message must contain (after "<path of the fixture>: ")
EXPECTED: dict[str, str] = {
    # unknown keys at every level, named (with a suggestion when one is close)
    "unknown_top_key.yaml": r"unknown key 'horizon' \(expected one of: name, ",
    "unknown_travel_key.yaml": r"travel: unknown key 'sped_kmh' \(did you mean 'speed_kmh'\?\)",
    "unknown_sla_key.yaml": r"sla\.emergency: unknown key 'respond_minute'",
    "unknown_objective_key.yaml": r"objective: unknown key 'late_minutes'",
    "unknown_technician_key.yaml": T01 + r": unknown key 'max_job'",
    "unknown_shift_key.yaml": T02 + r"\.shift: unknown key 'finish'",
    "unknown_break_key.yaml": T01 + r"\.breaks\[0\]: unknown key 'length'",
    "unknown_location_key.yaml": J001 + r"\.location: unknown key 'lng'",
    "unknown_job_key.yaml": J017 + r": unknown key 'duration' \(did you mean 'duration_minutes'\?\)",
    "unknown_window_key.yaml": J017 + r"\.window: unknown key 'begin'",
    "repeated_key.yaml": r"not valid YAML: found the key 'duration_minutes' twice at line \d+",
    # missing required keys
    "missing_job_id.yaml": r"jobs\[0\]: missing required key 'id'",
    "missing_job_location.yaml": J001 + r": missing required key 'location'",
    "missing_duration.yaml": J001 + r": missing required key 'duration_minutes'",
    "missing_shift.yaml": T02 + r": missing required key 'shift'",
    "missing_technician_start.yaml": T02 + r": missing required key 'start'",
    # ids
    "duplicate_technician_id.yaml": r"technicians\[1\] \(id 'T01'\)\.id: duplicate technician id 'T01' "
                                    r"\(first at technicians\[0\]\)",
    "duplicate_job_id.yaml": r"jobs\[1\] \(id 'J001'\)\.id: duplicate job id 'J001' \(first at jobs\[0\]\)",
    "pinned_unknown_technician.yaml": J017 + r"\.pinned_to: pinned to unknown technician 'T99'",
    "pinned_more_than_crew.yaml": J017 + r"\.pinned_to: 2 technicians \['T01', 'T02'\] pinned to a job of "
                                         r"crew_size 1",
    # skills, categories, certificates
    "empty_skill_name.yaml": J017 + r"\.skills\[''\]: a skill name must be a non-empty string, found ''",
    "skill_name_not_string.yaml": J001 + r"\.skills\[1\]: a skill name must be a non-empty string, found 7",
    "skill_level_zero.yaml": T01 + r"\.skills\['plumbing'\]: expected an integer >= 1, found 0",
    "skill_level_fraction.yaml": J001 + r"\.skills\['plumbing'\]: expected an integer >= 1, found 1\.5",
    "unknown_category.yaml": J017 + r"\.category: unknown category 'standrad' \(known: .*standard",
    "certificate_bad_date.yaml": T01 + r"\.certificates\['electrical'\]: bad date '2027-02-30'",
    "new_category_without_minutes.yaml": r"sla\.inspection: new category 'inspection' needs respond_minutes",
    "unknown_preemption_policy.yaml": r"preemption\['emergency'\]: unknown preemption policy 'drop_everything'",
    # time
    "reversed_window.yaml": J017 + r"\.window: start 2026-11-23T11:00 is after end 2026-11-23T09:00",
    "empty_window.yaml": J017 + r"\.window: start 2026-11-23T09:00 equals end 2026-11-23T09:00: the window is empty",
    "bad_datetime.yaml": J001 + r"\.received_at: bad date-time '2026-11-31T07:55' \(day is out of range",
    "bad_clock_time.yaml": T01 + r"\.shift\.end: bad clock time '25:00'",
    "bad_timezone.yaml": r"timezone: unknown time zone 'Asia/Shanghia'",
    "end_before_start.yaml": r"end: end 2026-11-23T07:00 is not after start 2026-11-23T08:00",
    "reversed_shift.yaml": T02 + r"\.shift: start 2026-11-23T17:30 is after end 2026-11-23T08:30",
    "overlapping_shifts.yaml": T02 + r"\.shift\[1\]: start 2026-11-23T11:00 overlaps the previous shift",
    "due_before_received.yaml": J001 + r"\.due: due 2026-11-23T07:00 is before received_at 2026-11-23T07:55",
    "break_longer_than_shift.yaml": T01 + r"\.breaks\[0\]\.minutes: a break of 600 minutes is longer than "
                                          r"the shift \(.*540 minutes\)",
    "break_earliest_after_latest.yaml": T01 + r"\.breaks\[0\]: earliest 13:30 is after latest 13:00",
    "break_outside_shift.yaml": T01 + r"\.breaks\[0\]: earliest 18:00 to latest 19:00 lies outside the shift",
    # numbers and flags
    "negative_duration.yaml": J001 + r"\.duration_minutes: expected a number >= 0, found -45",
    "zero_crew_size.yaml": J017 + r"\.crew_size: expected an integer >= 1, found 0",
    "crew_too_large.yaml": J017 + r"\.crew_size: crew_size 3 is more than the 2 technicians",
    "negative_max_jobs.yaml": T01 + r"\.max_jobs: expected an integer >= 0, found -1",
    "negative_capacity.yaml": T01 + r"\.capacity: expected an integer >= 0, found -5",
    "negative_demand.yaml": J017 + r"\.demand: expected an integer >= 0, found -2",
    "trainee_not_bool.yaml": T01 + r"\.trainee: expected true or false, found 'maybe'",
    "dispatchable_not_bool.yaml": J017 + r"\.dispatchable: expected true or false, found 1",
    "zero_speed.yaml": r"travel\.speed_kmh: expected a number > 0, found 0",
    "technicians_not_a_list.yaml": r"technicians: expected a list of technicians, found 'T01, T02'",
    # travel model and locations
    "unknown_travel_model.yaml": r"travel\.model: unknown travel model 'manhattan'",
    "graph_file_missing.yaml": r"travel\.graph: file not found: 'no_such_roads\.graphml'",
    "matrix_file_missing.yaml": r"travel\.matrix: file not found: 'no_such_travel\.csv'",
    "haversine_missing_latlon.yaml": T02 + r"\.start: the haversine travel model needs lat and lon, "
                                           r"found a mapping \{'x': 1\.5, 'y': 2\.0\}",
    "euclidean_missing_xy.yaml": T01 + r"\.start: the euclidean travel model needs x and y, "
                                       r"found a mapping \{'lat': 36\.07, 'lon': 120\.38\}",
    "lat_out_of_range.yaml": J001 + r"\.location\.lat: expected a number from -90 to 90, found 96\.06",
    "lat_without_lon.yaml": J017 + r"\.location: has lat but no lon: a mapping \{'lat': 36\.05\}",
    # files
    "not_yaml.yaml": r"not valid YAML: did not find expected ',' or '\}' at line 6, column 12",
    "not_json.json": r"not valid JSON: Expecting property name enclosed in double quotes at line 2",
    "not_a_mapping.yaml": r"expected a mapping of scenario keys at the top, found a list",
    # the table form: the CSV file, the row (the header is row 1), the flattened column
    "csv_bad_number": r"jobs\.csv: row 3 \(id 'J017'\)\.duration_minutes: expected a number >= 0, found 'forty'",
    "csv_unknown_column": r"technicians\.csv: row 1: unknown column 'skils' \(did you mean 'skills'\?\)",
    "csv_bad_breaks": r"technicians\.csv: row 2 \(id 'T01'\)\.breaks: expected earliest-latest/minutes like "
                      r"12:00-13:00/60, found '12:00/60'",
    "csv_reversed_window": r"jobs\.csv: row 3 \(id 'J017'\)\.window: start 2026-11-23T11:00 is after end "
                           r"2026-11-23T09:00",
    "csv_bad_bool": r"technicians\.csv: row 2 \(id 'T01'\)\.trainee: expected true or false, found 'maybe'",
    "csv_bad_level": r"technicians\.csv: row 2 \(id 'T01'\)\.skills\['plumbing'\]: expected an integer >= 1, "
                     r"found 'high'",
    "csv_missing_jobs": r"jobs\.csv: file not found \(the table form needs jobs\.csv",
    "csv_unknown_pin": r"jobs\.csv: row 3 \(id 'J017'\)\.pinned_to\[1\]: pinned to unknown technician 'T99'",
    # bounds (issue 8): each numeric field within a sane range (docs/format.md, "Limits")
    "max_work_minutes_huge.yaml": T01 + r"\.max_work_minutes: expected a number from 0 to 14400, found 1e\+308$",
    "max_jobs_huge.yaml": T01 + r"\.max_jobs: expected an integer from 0 to 999999, found 10{30}$",
    "max_overtime_huge.yaml": T01 + r"\.max_overtime_minutes: expected a number from 0 to 14400, found 10{30}$",
    "objective_huge.yaml": r"objective\.late_minute: expected a number from 0 to 1e\+09, found 1e\+300$",
    "objective_nan.yaml": r"objective\.travel_minute: expected a number >= 0, found nan$",
    "speed_tiny.yaml": r"travel\.speed_kmh: expected a number from 1 to 200, found 1e-300$",
    "speed_infinite.yaml": r"travel\.speed_kmh: expected a number > 0, found inf$",
    "circuity_huge.yaml": r"travel\.circuity: expected a number from 1 to 5, found 1e\+300$",
    "speed_factor_huge.yaml": r"travel\.speed_factor: expected a number from 0\.05 to 20, found 100$",
    "coordinate_huge.yaml": J001 + r"\.location\.x: expected a number from -1e\+06 to 1e\+06, found 1e\+300$",
    "duration_too_long.yaml": J001 + r"\.duration_minutes: expected a number from 0 to 14400, found 20000$",
    "respond_minutes_huge.yaml": r"sla\.urgent\.respond_minutes: expected a number from 0 to 14400, "
                                 r"found 1000000000000\.0$",
    "sla_weight_huge.yaml": r"sla\.emergency\.weight: expected a number from 0 to 1e\+09, found 1e\+300$",
    "working_days_huge.yaml": r"sla\.survey\.working_days: expected an integer from 0 to 10, found 100000$",
    "capacity_huge.yaml": T01 + r"\.capacity: expected an integer from 0 to 999999, found 10000000$",
    "demand_huge.yaml": J017 + r"\.demand: expected an integer from 0 to 999999, found 1000000$",
    "crew_size_huge.yaml": J017 + r"\.crew_size: expected an integer from 1 to 999999, found 10{30}$",
    "skill_level_huge.yaml": T01 + r"\.skills\['plumbing'\]: expected an integer from 1 to 999999, "
                                   r"found 1000000000$",
    "break_minutes_huge.yaml": T01 + r"\.breaks\[0\]\.minutes: expected a number from 0 to 14400, found 1e\+308$",
    "csv_huge_number": r"jobs\.csv: row 3 \(id 'J017'\)\.duration_minutes: expected a number >= 0, found '1e400'$",
    # hostile or broken files: refused at once, in one short line
    "integer_too_long.yaml": r"not valid YAML: an integer of 5000 digits \(at most 100\) at line 13, column 15$",
    "alias_bomb.yaml": r"not valid YAML: refused: with its aliases followed the document has more than "
                       r"5,000,000 nodes \(an alias bomb\?\)$",
    "recursive_alias.yaml": r"not valid YAML: refused: an alias refers to a node that contains it \(line 20\)$",
    "long_category.yaml": J017 + r"\.category: unknown category 'x{59}\.\.\. \(known: ",
    # the roster and times (issue 8)
    "no_technicians.yaml": r"technicians: no technicians, but 2 job\(s\) to plan",
    "csv_no_technicians": r"technicians\.csv: no technicians, but 1 job\(s\) to plan",
    "shift_end_before_start_same_day.yaml": T02 + r"\.shift: end 17:00 is before start 17:30 \(read over "
                                                  r"midnight: a 23\.5-hour shift\); a clock-time end crosses "
                                                  r"midnight only when it is at or before 12:00",
    "shift_longer_than_24h.yaml": T02 + r"\.shift: start 2026-11-23T08:00 to end 2026-11-24T14:00 is a 30-hour "
                                        r"shift; a shift lasts at most 24 hours",
    "dst_gap.yaml": T02 + r"\.shift\.start: local time 2026-03-29T02:30 \(written 02:30\) does not exist in "
                          r"Europe/Berlin",
    "dst_ambiguous.yaml": J001 + r"\.received_at: local time 2026-10-25T02:30 \(written 2026-10-25T02:30\) "
                                 r"happens twice in Europe/Berlin: .* \+02:00 or \+01:00$",
}


def test_every_invalid_fixture_has_an_expectation():
    on_disk = {path.name for path in INVALID.iterdir()}
    assert on_disk == set(EXPECTED)
    assert len(on_disk) >= 24


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_invalid_fixture_raises_scenario_error_naming_where_and_what(name):
    path = INVALID / name
    # the file (for the table form: the CSV file in the directory), then field, id and value
    prefix = re.escape(f"{path}{os.sep}" if path.is_dir() else f"{path}: ")
    with pytest.raises(ScenarioError, match=prefix + EXPECTED[name]) as info:
        load_scenario(path)
    message = str(info.value)
    assert "\n" not in message                     # the CLI prints it on one line
    assert isinstance(info.value, ValueError)


def test_error_carries_source_field_id_and_value():
    with pytest.raises(ScenarioError) as info:
        load_scenario(INVALID / "reversed_window.yaml")
    err = info.value
    assert err.source.endswith("reversed_window.yaml")
    assert err.field == "jobs[1] (id 'J017').window"
    assert err.item_id == "J017"
    assert err.value == "2026-11-23T11:00"


def test_missing_file_is_a_scenario_error_naming_it(tmp_path):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ScenarioError, match=re.escape(f"{missing}: file not found")):
        load_scenario(missing)


def test_unknown_suffix_is_a_scenario_error(tmp_path):
    path = tmp_path / "scenario.txt"
    path.write_text("name: x\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"scenario\.txt: unknown scenario format '\.txt'"):
        load_scenario(path)


def test_directory_without_scenario_yaml(tmp_path):
    with pytest.raises(ScenarioError, match=r"no scenario\.yaml in this directory"):
        load_scenario(tmp_path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"empty\.yaml: the file is empty"):
        load_scenario(path)


BASE = {
    "name": "t", "timezone": "UTC", "start": "2026-11-23T08:00",
    "travel": {"model": "euclidean", "speed_kmh": 1},
    "technicians": [{"id": "T1", "shift": {"start": "08:00", "end": "16:00"}, "start": {"x": 0, "y": 0}}],
    "jobs": [{"id": "J1", "location": {"x": 1, "y": 1}, "duration_minutes": 10}],
}


def _with(**changes) -> dict:
    data = {key: (list(value) if isinstance(value, list) else value) for key, value in BASE.items()}
    data.update(changes)
    return data


@pytest.mark.parametrize("changes, pattern", [
    ({"name": ""}, r"<dict>: name: expected a non-empty string, found ''"),
    ({"start": None}, r"<dict>: missing required key 'start'"),
    ({"jobs": None}, r"<dict>: missing required key 'jobs'"),
    ({"jobs": [{"id": True, "location": {"x": 0, "y": 0}, "duration_minutes": 1}]},
     r"jobs\[0\]\.id: expected an id \(a string\), found True"),
    ({"jobs": [{"id": "J1", "location": {"x": 0, "y": 0}, "duration_minutes": "ten"}]},
     r"jobs\[0\] \(id 'J1'\)\.duration_minutes: expected a number >= 0, found 'ten'"),
    ({"jobs": [{"id": "J1", "location": {"x": 0, "y": 0}, "duration_minutes": float("nan")}]},
     r"jobs\[0\] \(id 'J1'\)\.duration_minutes: expected a number >= 0, found nan"),
    ({"jobs": [{"id": "J1", "location": {"x": 0, "y": 0}, "duration_minutes": 5, "received_at": 800}]},
     r"jobs\[0\] \(id 'J1'\)\.received_at: expected a date-time, ISO 8601 .* found 800"),
    ({"technicians": [{"id": "T1", "shift": {"start": "08:00", "end": "08:00"}, "start": {"x": 0, "y": 0}}]},
     r"technicians\[0\] \(id 'T1'\)\.shift: start 08:00 equals end 08:00: the shift is empty"),
    ({"technicians": [{"id": "T1", "shift": [], "start": {"x": 0, "y": 0}}]},
     r"technicians\[0\] \(id 'T1'\)\.shift: expected at least one shift"),
    ({"technicians": [{"id": "T1", "skills": "plumbing", "shift": {"start": "08:00", "end": "09:00"},
                       "start": {"x": 0, "y": 0}}]},
     r"technicians\[0\] \(id 'T1'\)\.skills: expected a mapping skill -> level or a list of skills, "
     r"found 'plumbing'"),
    ({"technicians": [{"id": "T1", "skills": ["gas", "gas"], "shift": {"start": "08:00", "end": "09:00"},
                       "start": {"x": 0, "y": 0}}]},
     r"technicians\[0\] \(id 'T1'\)\.skills\[1\]: skill 'gas' is listed twice"),
    ({"travel": {"model": "euclidean", "circuity": 0.5}}, r"travel\.circuity: expected a number >= 1, found 0\.5"),
    ({"travel": {"model": "euclidean", "closed_edges": [["a", "b", "c"]]}},
     r"travel\.closed_edges\[0\]: expected a pair \[u, v\] of node ids"),
    ({"travel": {"model": "euclidean", "dimacs": "yes"}}, r"travel\.dimacs: expected true or false, found 'yes'"),
    ({"travel": {"model": "graph"}}, r"travel: missing required key 'graph' \(the graph model reads it\)"),
    ({"certificate_required": ["gas", 3]}, r"certificate_required\[1\]: a skill name must be a non-empty string"),
    ({"preemption": {"emergncy": "interrupt"}}, r"preemption\['emergncy'\]: unknown category 'emergncy'"),
    ({"objective": {"late_minute": -1}}, r"objective\.late_minute: expected a number >= 0, found -1"),
    ({"sla": {"urgent": {"weight": -2}}}, r"sla\.urgent\.weight: expected a number >= 0, found -2"),
    ({"sla": {"survey": {"working_days": 1.5}}}, r"sla\.survey\.working_days: expected an integer >= 0, found 1\.5"),
])
def test_dict_errors(changes, pattern):
    with pytest.raises(ScenarioError, match=pattern):
        problem_from_dict(_with(**changes))


def test_matrix_model_rejects_a_job_id_equal_to_a_technician_id(tmp_path):
    (tmp_path / "m.csv").write_text("from,to,minutes\n", encoding="utf-8")
    data = _with(travel={"model": "matrix", "matrix": "m.csv"},
                 technicians=[{"id": "A", "shift": {"start": "08:00", "end": "09:00"}, "start": {}}],
                 jobs=[{"id": "A", "location": {}, "duration_minutes": 5}])
    with pytest.raises(ScenarioError, match=r"jobs\[0\] \(id 'A'\)\.id: job id 'A' is also a technician id"):
        problem_from_dict(data, base_dir=tmp_path)


def test_table_form_rejects_a_list_given_twice(tmp_path):
    (tmp_path / "scenario.yaml").write_text(
        "name: t\ntimezone: UTC\nstart: 2026-11-23T08:00\ntechnicians: []\njobs: []\n", encoding="utf-8")
    (tmp_path / "technicians.csv").write_text("id,shift_start,shift_end,start_lat,start_lon\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"scenario\.yaml: technicians: given both here and in .*technicians\.csv"):
        load_scenario(tmp_path)


def test_table_form_shift_count_mismatch(tmp_path):
    (tmp_path / "scenario.yaml").write_text("name: t\ntimezone: UTC\nstart: 2026-11-23T08:00\njobs: []\n",
                                            encoding="utf-8")
    (tmp_path / "technicians.csv").write_text(
        "id,shift_start,shift_end,start_lat,start_lon\nT1,08:00;13:00,12:00,1,2\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"technicians\.csv: row 2 \(id 'T1'\)\.shift: 2 shift_start times "
                                            r"but 1 shift_end times"):
        load_scenario(tmp_path)


def test_table_form_extra_cells(tmp_path):
    (tmp_path / "scenario.yaml").write_text("name: t\ntimezone: UTC\nstart: 2026-11-23T08:00\njobs: []\n",
                                            encoding="utf-8")
    (tmp_path / "technicians.csv").write_text(
        "id,shift_start,shift_end,start_lat,start_lon\nT1,08:00,12:00,1,2,oops\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"technicians\.csv: row 2: 6 cells but 5 columns"):
        load_scenario(tmp_path)
