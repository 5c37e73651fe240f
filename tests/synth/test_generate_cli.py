"""``dispatchopt generate --load F [--hotspots N]``: the busy day the library makes, validated
and written; a bad knob is exit 2 with the field and value named."""

from __future__ import annotations

import json

import pytest

from dispatchopt.cli import main
from dispatchopt.scenario import load_scenario
from dispatchopt.synth import generate_scenario, load_of
from dispatchopt.synth.multiday import generate_multi_day


def test_generate_with_load_writes_the_busy_day(tmp_path, capsys):
    out = tmp_path / "busy.json"
    assert main(["generate", "--technicians", "12", "--jobs", "80", "--seed", "4", "--load", "1.3",
                 "--hotspots", "2", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data == json.loads(json.dumps(generate_scenario(12, 80, seed=4, load=1.3, hotspots=2)))
    assert load_of(data) == pytest.approx(1.3, abs=0.002)
    assert "load 1.300" in capsys.readouterr().out
    problem = load_scenario(out)
    assert (len(problem.technicians), len(problem.jobs)) == (12, 80)


def test_generate_without_load_is_the_default_day(tmp_path):
    out = tmp_path / "day.json"
    assert main(["generate", "--technicians", "6", "--jobs", "30", "--seed", "2", "--out", str(out)]) == 0
    assert json.loads(out.read_text()) == json.loads(json.dumps(generate_scenario(6, 30, seed=2)))


def test_generate_days_writes_a_multi_day_scenario(tmp_path, capsys):
    out = tmp_path / "three.json"
    assert main(["generate", "--technicians", "8", "--jobs", "60", "--seed", "3", "--days", "3",
                 "--out", str(out)]) == 0
    assert json.loads(out.read_text()) == json.loads(json.dumps(generate_multi_day(8, 20, days=3, seed=3)))
    problem = load_scenario(out)
    assert len(problem.jobs) == 60
    days = {problem.clock.to_iso(t.shifts[0].start_s)[:10] for t in problem.technicians}
    assert len(days) == 3                           # one day copy per person per working day
    assert problem.end_s == 3 * 86400
    assert "3 days from" in capsys.readouterr().out


@pytest.mark.parametrize("flags,message", [(["--days", "3", "--jobs", "10"], "a multiple of 3"),
                                           (["--days", "2", "--jobs", "8", "--hotspots", "2"], "not with --days"),
                                           (["--days", "8", "--jobs", "16"], "days must be in 1..7"),
                                           (["--days", "3", "--jobs", "12", "--load", "1.2"],
                                            "load x days must be in (0, 3]")])
def test_generate_bad_days_is_exit_2(tmp_path, capsys, flags, message):
    out = tmp_path / "bad.yaml"
    code = main(["generate", "--technicians", "4", "--out", str(out), *flags])
    assert code == 2 and not out.exists()
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("flags,message", [(["--load", "3.5"], "load must be in (0, 3], got 3.5"),
                                           (["--hotspots", "-1"], "hotspots must be an integer"),
                                           (["--load", "zero"], "--load")])
def test_generate_bad_knob_is_exit_2(tmp_path, capsys, flags, message):
    out = tmp_path / "bad.yaml"
    code = main(["generate", "--technicians", "4", "--jobs", "10", "--out", str(out), *flags])
    assert code == 2 and not out.exists()
    assert message in capsys.readouterr().err
