"""The notebooks under notebooks/ run top to bottom (nbclient, the venv's python3 kernel).

Each notebook is executed with ``DISPATCHOPT_NB_OUT`` set to a fresh temporary folder; a cell
that raises fails the test. The notebooks verify every plan they publish themselves; here the
plan files they leave are loaded and verified once more, and their answers are read back.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from dispatchopt.audit.verify import verify
from dispatchopt.plan import Plan
from dispatchopt.scenario import load_scenario

nbformat = pytest.importorskip("nbformat", reason="the dev extra (nbformat, nbclient, ipykernel) is not installed")
nbclient = pytest.importorskip("nbclient", reason="the dev extra (nbformat, nbclient, ipykernel) is not installed")
pytest.importorskip("ipykernel", reason="the dev extra (nbformat, nbclient, ipykernel) is not installed")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
CELL_TIMEOUT_S = 300        # per cell; the slowest cell takes about 10 s on a quiet machine
FORBIDDEN = ("datetime.now", "date.today", "time.time()", "utcnow", "urlopen", "requests.")


def _read(name: str):
    return nbformat.read(NOTEBOOKS / name, as_version=4)


def _execute(name: str, out_dir: Path, monkeypatch) -> object:
    """Run ``name`` in a python3 kernel of this interpreter; return the executed notebook."""
    nb = _read(name)
    # first, a cell that fails unless the kernel is this interpreter (the venv's python)
    probe = nbformat.v4.new_code_cell(
        "import sys\n"
        f"if sys.prefix != {sys.prefix!r}:\n"
        "    raise RuntimeError(f'kernel runs {sys.executable}, not the test interpreter')")
    probe["id"] = "test-probe"
    nb.cells.insert(0, probe)
    monkeypatch.setenv("DISPATCHOPT_NB_OUT", str(out_dir))
    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()        # raises CellExecutionError naming the cell on any error
    return nb


def _printed(nb) -> str:
    return "".join(out.get("text", "") for cell in nb.cells if cell.cell_type == "code"
                   for out in cell.get("outputs", []) if out.get("output_type") == "stream")


def _tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.mark.parametrize("name", ["whatif.ipynb", "live_day.ipynb"])
def test_notebook_is_committed_clean(name):
    """No outputs, no execution counts, valid nbformat, a python3 kernel, no clock, no network."""
    nb = _read(name)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code, f"{name} has no code cell"
    for cell in code:
        assert cell.get("outputs") == [] and cell.get("execution_count") is None, \
            f"{name}: cell {cell.get('id')} was committed with outputs (clear them)"
        for word in FORBIDDEN:
            assert word not in cell.source, f"{name}: cell {cell.get('id')} uses {word}"
    sources = "\n".join(cell.source for cell in code)
    assert "DISPATCHOPT_NB_OUT" in sources and "tempfile.mkdtemp" in sources


@pytest.mark.slow
def test_whatif_notebook_runs_and_answers(tmp_path, monkeypatch):
    before = _tree(NOTEBOOKS) | {f"scenarios/{p}" for p in _tree(ROOT / "scenarios")}
    nb = _execute("whatif.ipynb", tmp_path, monkeypatch)
    after = _tree(NOTEBOOKS) | {f"scenarios/{p}" for p in _tree(ROOT / "scenarios")}
    assert after == before, f"the notebook wrote outside its folder: {sorted(after - before)}"

    answer = (tmp_path / "whatif_answer.txt").read_text(encoding="utf-8")
    assert answer in _printed(nb)
    for extra in (2, 4):
        assert f"With +{extra} technicians the on-time rate under storm conditions goes from" in answer
    assert answer.splitlines()[-1].startswith("Answer: ")
    assert "%" in answer and "nan" not in answer

    import pandas as pd

    summary = pd.read_csv(tmp_path / "whatif" / "whatif.csv")
    assert list(summary["variant"])[0] == "base" and len(summary) == 4
    assert (summary["n_errors"] == 0).all()
    assert sorted(summary["add_technicians"]) == [0, 0, 2, 4]
    storm = summary[summary["variant"] != "base"]
    assert (storm["n_jobs"] > summary.loc[0, "n_jobs"]).all()              # demand x1.5
    assert list(storm["n_technicians"]) == [40, 42, 44]
    # the figures printed in words are those of the table
    base_rate = summary.loc[0, "on_time_rate"]
    assert f"{base_rate:.1%}" in answer
    for rate in storm["on_time_rate"]:
        assert f"{rate:.1%}" in answer

    runs = pd.read_csv(tmp_path / "whatif" / "results.csv")
    assert (runs["n_violations"] == 0).all() and len(runs) == 4
    base = load_scenario(ROOT / "scenarios" / "city_day.yaml")
    (plan_file,) = [p for p in (tmp_path / "whatif" / "plans").iterdir() if "--base__" in p.name]
    assert verify(base, Plan.load(base, plan_file)) == []

    html = (tmp_path / "whatif_report.html").read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html")
    assert re.search(r"<script[^>]*\bsrc=", html) is None          # plotly.js inlined, nothing fetched


@pytest.mark.slow
def test_live_day_notebook_runs_and_reports(tmp_path, monkeypatch):
    before = _tree(NOTEBOOKS)
    nb = _execute("live_day.ipynb", tmp_path, monkeypatch)
    assert _tree(NOTEBOOKS) == before

    summary = (tmp_path / "live_day_summary.txt").read_text(encoding="utf-8")
    assert summary in _printed(nb)
    for emergency in ("E1", "E2", "E3"):
        assert f"{emergency} (" in summary and "on site at" in summary
    assert "Customers told after the emergencies:" in summary
    assert "plans published and verified, none breaks a hard rule" in summary

    problem = load_scenario(ROOT / "scenarios" / "city_day.yaml")
    morning = Plan.load(problem, tmp_path / "morning_plan.json")
    assert verify(problem, morning) == []

    executed = json.loads((tmp_path / "executed_plan.json").read_text(encoding="utf-8"))
    visited = {v["job"] for route in executed["routes"] for v in route["visits"]}
    assert {"E1", "E2", "E3"} <= visited
    assert executed["kpis"]["on_time_rate"] <= 1.0
    assert (tmp_path / "live_day_report.html").stat().st_size > 0
