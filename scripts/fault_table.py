"""Re-run issue 8's table of bad inputs, faults and interrupts as real CLI subprocesses.

Every case runs ``dispatchopt`` (``python -m dispatchopt``, or ``python -c`` with a prelude for
"the extra is not installed") in a fresh temporary directory and is judged:

* good: the expected exit code, exactly one line on stderr, no traceback, the line names the
  thing (every needle in it), and the case's own check (nothing written, bounded time, ...) holds;
* weak: the expected exit code and no traceback, but more than one line, a needle missing or the
  case's check failing;
* bad: a traceback, another exit code or a timeout.

The three "the plan says something that is not so" cases of the issue are checked after the table
(no visit arrives before its job was received; ``insert``'s printed line matches the JSON; the
window/due rule is documented and a window ending after an explicit ``due`` is warned about).

    .venv/bin/python scripts/fault_table.py            # prints a markdown table, exit 1 if any bad
    .venv/bin/python scripts/fault_table.py --only ray  # cases whose name contains "ray"
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import yaml

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "scenarios" / "small.yaml"
CITY = ROOT / "scenarios" / "city_day.yaml"
PY = sys.executable
EMERGENCY = {"id": "E900", "location": {"lat": 36.085, "lon": 120.39}, "category": "emergency",
             "skills": {"plumbing": 1}, "duration_minutes": 60}


@dataclass
class Outcome:
    code: int | None
    stdout: str
    stderr: str
    seconds: float


@dataclass
class Case:
    name: str
    argv: list[str]                                   # dispatchopt arguments ({tmp} is the temp dir)
    code: int = 2
    needles: tuple[str, ...] = ()
    setup: Callable[[Path], None] | None = None       # writes the inputs into the temp dir
    check: Callable[[Path, Outcome], str] | None = None   # "" when fine, else what is wrong
    prelude: str = ""                                 # python run before main() (python -c form)
    interrupt_after: str = ""                         # SIGINT once stdout shows this prefix (+ delay)
    interrupt_delay_s: float = 0.0
    interrupt_when: Callable[[Path], bool] | None = None
    timeout_s: float = 120
    note: str = ""
    rendered: str = field(default="", init=False)


# --------------------------------------------------------------------------- scenario mutations
def _small() -> dict:
    return yaml.safe_load(SMALL.read_text(encoding="utf-8"))


def _write_yaml(tmp: Path, data: dict, name: str = "s.yaml") -> None:
    (tmp / name).write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def scenario_with(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def setup(tmp: Path) -> None:
        data = _small()
        change(data)
        _write_yaml(tmp, data)
    return setup


def _set_tech(key: str, value) -> Callable[[dict], None]:
    def change(d: dict) -> None:
        d["technicians"][0][key] = value
    return change


def _set(path: tuple[str, ...], value) -> Callable[[dict], None]:
    def change(d: dict) -> None:
        node = d
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    return change


def _raw_yaml(text_change: Callable[[str], str]) -> Callable[[Path], None]:
    def setup(tmp: Path) -> None:
        (tmp / "s.yaml").write_text(text_change(SMALL.read_text(encoding="utf-8")), encoding="utf-8")
    return setup


ALIAS_BOMB = ("a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
              "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
              "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
              "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n")


def _alias_bomb(text: str) -> str:
    body = text.replace("name: qingdao-small-2026-11-23", "name: *h", 1)
    return ALIAS_BOMB + body


def _dst_day(change_shift: str) -> Callable[[Path], None]:
    def setup(tmp: Path) -> None:
        data = _small()
        data["timezone"] = "Europe/Berlin"
        data["start"], data["end"] = "2026-03-29T00:00", "2026-03-30T00:00"
        for job in data["jobs"]:
            for key in ("received_at", "due"):
                if key in job:
                    job[key] = "2026-03-29T" + str(job[key])[11:]
            if "window" in job:
                job["window"] = {k: "2026-03-29T" + str(v)[11:] for k, v in job["window"].items()}
            job.pop("due", None) if str(job.get("received_at", "")).startswith("2026-03-28") else None
        for tech in data["technicians"]:
            tech.pop("certificates", None)
        data["technicians"][0]["shift"] = {"start": change_shift, "end": "2026-03-29T17:30"}
        _write_yaml(tmp, data)
    return setup


# --------------------------------------------------------------------------- plans and files
_PLAN_CACHE: dict[str, dict] = {}


def small_plan() -> dict:
    if "small" not in _PLAN_CACHE:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "plan.json"
            subprocess.run([PY, "-m", "dispatchopt", "solve", str(SMALL), "--backend", "greedy",
                            "--out", str(out)], cwd=tmp, capture_output=True, text=True, check=True)
            _PLAN_CACHE["small"] = json.loads(out.read_text())
    return _PLAN_CACHE["small"]


def plan_file(change: Callable[[dict], object] = lambda d: d) -> Callable[[Path], None]:
    def setup(tmp: Path) -> None:
        (tmp / "plan.json").write_text(json.dumps(change(small_plan())), encoding="utf-8")
        (tmp / "job.json").write_text(json.dumps(EMERGENCY), encoding="utf-8")
    return setup


def _other_scenario(plan: dict) -> dict:
    return {**plan, "scenario": "north-district-2026-11-23"}


def a_file(tmp: Path) -> None:
    (tmp / "plain.txt").write_text("x")


def events_with_bad_last_line(tmp: Path) -> None:
    lines = [{"type": "new_job", "at": "2026-11-23T10:40", "job": EMERGENCY},
             {"type": "job_started", "at": "2026-11-23T11:00", "job": "E900"},
             {"type": "job_cancelled", "at": "2026-11-23T11:30", "job": "J34"},
             {"type": "job_completed", "at": "2026-11-23T12:00", "job": "E900"},
             {"type": "job_completed", "at": "2026-11-23T15:00", "job": "J-GHOST"}]
    (tmp / "events.jsonl").write_text("\n".join(json.dumps(e) for e in lines) + "\n", encoding="utf-8")


def earlier_replay(tmp: Path) -> None:
    (tmp / "events.jsonl").write_text(
        json.dumps({"type": "job_cancelled", "at": "2026-11-23T11:00", "job": "J34"}) + "\n")
    (tmp / "r").mkdir()
    (tmp / "r" / "plan_007_new_job.json").write_text("{}")


# --------------------------------------------------------------------------- checks
def nothing_written(*names: str) -> Callable[[Path, Outcome], str]:
    def check(tmp: Path, out: Outcome) -> str:
        there = [n for n in names if (tmp / n).exists()]
        return f"written: {there}" if there else ""
    return check


def plain_untouched(tmp: Path, out: Outcome) -> str:
    if (tmp / "plain.txt").read_text() != "x":
        return "plain.txt overwritten"
    return "" if out.stdout == "" else "solved before refusing (stdout not empty)"


def within(seconds: float, then: Callable[[Path, Outcome], str] | None = None) -> Callable[[Path, Outcome], str]:
    def check(tmp: Path, out: Outcome) -> str:
        if out.seconds > seconds:
            return f"took {out.seconds:.1f} s (> {seconds:g} s)"
        return then(tmp, out) if then else ""
    return check


def plan_verifies(tmp: Path, out: Outcome) -> str:
    if not (tmp / "plan.json").exists():
        return "no plan written"
    proc = subprocess.run([PY, "-m", "dispatchopt", "verify", str(CITY), str(tmp / "plan.json")],
                          cwd=tmp, capture_output=True, text=True)
    return "" if proc.returncode == 0 else f"verify: {proc.stdout.splitlines()[:1]}"


def batch_resumes(tmp: Path, out: Outcome) -> str:
    runs = sorted((tmp / "b" / "runs").glob("*.json"))
    if not runs:
        return "no record kept"
    for path in runs:
        json.loads(path.read_text())
    rows = (tmp / "b" / "results.csv").read_text().splitlines()
    if len(rows) != 1 + len(runs):
        return f"results.csv has {len(rows) - 1} rows for {len(runs)} records"
    again = subprocess.run([PY, "-m", "dispatchopt", "batch", str(SMALL), "--backend", "greedy",
                            "--seeds", "0,1,2", "--time-limit-s", "20", "--workers", "1",
                            "--out", str(tmp / "b"), "-q"], cwd=tmp, capture_output=True, text=True)
    kept = sum("greedy" in p.name for p in runs)
    return "" if f"({kept} already recorded)" in again.stdout else f"re-run did not resume: {again.stdout[-200:]}"


def batch_limit_in_key(tmp: Path, out: Outcome) -> str:
    names = sorted(p.name for p in (tmp / "b" / "runs").glob("*.json"))
    if names != ["small__greedy__s0__t5.json", "small__greedy__s0__t6.json"]:
        return f"records {names}"
    rows = (tmp / "b" / "results.csv").read_text().splitlines()
    return "" if len(rows) == 3 and "1 runs (0 already recorded)" in out.stdout else "table/line wrong"


def first_batch_t5(tmp: Path) -> None:
    subprocess.run([PY, "-m", "dispatchopt", "batch", str(SMALL), "--backend", "greedy", "--workers", "1",
                    "--time-limit-s", "5", "--out", str(tmp / "b"), "-q"], cwd=tmp, check=True,
                   capture_output=True)


def batch_greedy_recorded(tmp: Path) -> bool:
    return bool(list((tmp / "b" / "runs").glob("*greedy*.json")))


NO_PYVRP = "import sys; sys.modules['pyvrp'] = None  # as if the pyvrp extra were not installed"
NO_RAY = "import sys; sys.modules['ray'] = None  # as if the ray extra were not installed"

S = "{tmp}/s.yaml"
OUT = ("--out", "{tmp}/p.json")


def cases() -> list[Case]:
    c: list[Case] = []
    for name, change, needles in [
        ("max_work_minutes: 1e308", _set_tech("max_work_minutes", 1e308), ("max_work_minutes", "T01")),
        ("max_jobs: 10**30", _set_tech("max_jobs", 10**30), ("max_jobs", "T01")),
        ("max_overtime_minutes: 10**30", _set_tech("max_overtime_minutes", 10**30), ("max_overtime_minutes", "T01")),
        ("objective.late_minute: 1e300", _set(("objective", "late_minute"), 1e300), ("late_minute",)),
        ("travel.speed_kmh: 1e-300", _set(("travel", "speed_kmh"), 1e-300), ("speed_kmh",)),
        ("travel.circuity: 1e300", _set(("travel", "circuity"), 1e300), ("circuity",)),
        ("technicians: []", _set(("technicians",), []), ("technicians",)),
    ]:
        c.append(Case(name, ["solve", S, *OUT], needles=("s.yaml", *needles), setup=scenario_with(change),
                      check=nothing_written("p.json")))
    c.append(Case("alias bomb as `name`", ["solve", S, *OUT], needles=("s.yaml", "alias"),
                  setup=_raw_yaml(_alias_bomb), check=within(5, nothing_written("p.json"))))
    c.append(Case("shift 17:30 -> 17:00", ["solve", S, *OUT], needles=("s.yaml", "T01", "shift"),
                  setup=_raw_yaml(lambda t: t.replace('shift: {start: "08:30", end: "17:30"}',
                                                      'shift: {start: "17:30", end: "17:00"}', 1)),
                  check=nothing_written("p.json")))
    c.append(Case("start 02:30 on a DST night (Europe/Berlin 2026-03-29)", ["solve", S, *OUT],
                  needles=("s.yaml", "T01", "02:30", "does not exist"), setup=_dst_day("2026-03-29T02:30"),
                  check=nothing_written("p.json")))
    small = str(SMALL)
    for name, flags, needle in [
        ("--out /proc/version", ["--out", "/proc/version"], "/proc/version"),
        ("--out under a regular file", ["--out", "{tmp}/plain.txt/plan.json"], "is a file"),
        ("--out a directory", ["--out", "{tmp}"], "is a directory"),
        ("--csv onto a file", ["--csv", "{tmp}/plain.txt"], "is a file"),
    ]:
        c.append(Case(name, ["solve", small, "--time-limit-s", "600", *flags], needles=(needle,),
                      setup=a_file, check=within(10, plain_untouched)))
    c.append(Case("batch --out onto a file", ["batch", small, "--out", "{tmp}/plain.txt", "--time-limit-s", "600"],
                  needles=("is a file", "plain.txt"), setup=a_file, check=within(10, plain_untouched)))
    for value in ("nan", "inf", "1e12"):
        c.append(Case(f"--time-limit-s {value}", ["solve", small, "--time-limit-s", value, *OUT],
                      needles=("--time-limit-s", value), check=within(10, nothing_written("p.json"))))
    c.append(Case("--backend pyvrp without the extra", ["solve", small, "--backend", "pyvrp", *OUT],
                  needles=("--backend pyvrp", "pip install pyvrp"), prelude=NO_PYVRP,
                  check=nothing_written("p.json"),
                  note="pyvrp is a core dependency (the bench extra is empty): the line names the package"))
    c.append(Case("--backend pyvrp on a day with breaks (not plain routing)", ["solve", small, "--backend", "pyvrp", *OUT],
                  needles=("--backend pyvrp", "not plain routing", "--backend auto"),
                  check=nothing_written("p.json")))
    c.append(Case("--executor ray without the extra", ["batch", small, "--executor", "ray", "--out", "{tmp}/b"],
                  needles=("pip install 'dispatchopt[ray]'",), prelude=NO_RAY, check=nothing_written("b")))
    c.append(Case("--ray-address 127.0.0.1:1", ["batch", small, "--executor", "ray", "--ray-address",
                                                "127.0.0.1:1", "--ray-timeout-s", "5", "--out", "{tmp}/b"],
                  needles=("127.0.0.1:1", "no Ray cluster reachable within 5 s"),
                  check=within(60, nothing_written("b/runs")), timeout_s=150))
    c.append(Case("--ray-address ray://127.0.0.1:1", ["batch", small, "--executor", "ray", "--ray-address",
                                                      "ray://127.0.0.1:1", "--ray-timeout-s", "5", "--out", "{tmp}/b"],
                  needles=("ray://127.0.0.1:1",), check=within(60, nothing_written("b/runs")), timeout_s=150))
    c.append(Case("Ctrl-C during solve (city day, 60 s limit, SIGINT at 2 s)",
                  ["solve", str(CITY), "--backend", "ortools", "--time-limit-s", "60", "--out", "{tmp}/plan.json"],
                  code=130, needles=("interrupted after", "verified", "plan.json"),
                  interrupt_after="solving ", interrupt_delay_s=2.0, check=plan_verifies))
    c.append(Case("Ctrl-C during batch --workers 1 (after the first record)",
                  ["batch", small, "--backend", "greedy", "--backend", "ortools", "--seeds", "0,1,2",
                   "--time-limit-s", "20", "--workers", "1", "--out", "{tmp}/b"],
                  code=130, needles=("interrupted", "re-run the same command"),
                  interrupt_when=batch_greedy_recorded, check=batch_resumes))
    c.append(Case("verify a plan that is a JSON list", ["verify", small, "{tmp}/plan.json"],
                  needles=("PLAN:", "found a list"), setup=plan_file(lambda d: [d])))
    c.append(Case("verify another scenario's plan", ["verify", small, "{tmp}/plan.json"],
                  needles=("PLAN:", "this plan is for scenario 'north-district-2026-11-23'"),
                  setup=plan_file(_other_scenario), check=lambda t, o: "" if o.stdout == "" else "violations listed"))
    c.append(Case("insert with another scenario's plan",
                  ["insert", small, "{tmp}/plan.json", "--job", "{tmp}/job.json", "--now", "2026-11-23T10:40",
                   "--out", "{tmp}/new.json"], needles=("PLAN:", "this plan is for scenario"),
                  setup=plan_file(_other_scenario), check=nothing_written("new.json")))
    c.append(Case("insert --now two days after the horizon",
                  ["insert", small, "{tmp}/plan.json", "--job", "{tmp}/job.json", "--now", "2026-11-26T10:40",
                   "--out", "{tmp}/new.json"], needles=("--now", "outside the horizon"),
                  setup=plan_file(), check=nothing_written("new.json")))
    c.append(Case("replay with a bad event deep in the file (30 s morning plan)",
                  ["replay", small, "{tmp}/events.jsonl", "--out", "{tmp}/r", "--time-limit-s", "30"],
                  needles=("events.jsonl: line 5", "J-GHOST"), setup=events_with_bad_last_line,
                  check=within(20, nothing_written("r"))))
    c.append(Case("replay into an --out holding an earlier replay",
                  ["replay", small, "{tmp}/events.jsonl", "--out", "{tmp}/r", "--backend", "greedy"],
                  needles=("holds an earlier replay", "--force"), setup=earlier_replay,
                  check=lambda t, o: "" if (t / "r" / "plan_007_new_job.json").exists()
                  and not (t / "r" / "plan_000_initial.json").exists() else "folder changed"))
    c.append(Case("batch re-run with another --time-limit-s into the same folder",
                  ["batch", small, "--backend", "greedy", "--workers", "1", "--time-limit-s", "6",
                   "--out", "{tmp}/b", "-q"], code=0, setup=first_batch_t5, check=batch_limit_in_key,
                  note="documented behaviour: a second record, the first kept"))
    return c


# --------------------------------------------------------------------------- running
def command_line(case: Case, tmp: Path) -> tuple[list[str], str]:
    argv = [a.replace("{tmp}", str(tmp)) for a in case.argv]
    shown = " ".join(shlex.quote(a.replace("{tmp}", "$TMP").replace(str(ROOT) + "/", "")) for a in case.argv)
    if case.prelude:
        code = f"{case.prelude}\nfrom dispatchopt.cli import main\nraise SystemExit(main({argv!r}))"
        return [PY, "-c", code], f"python -c \"{case.prelude.split('  #')[0]}; main([...])\" {shown}"
    return [PY, "-m", "dispatchopt", *argv], f"dispatchopt {shown}"


def run_case(case: Case) -> tuple[Outcome, str, str]:
    with tempfile.TemporaryDirectory(prefix="fault_") as name:
        tmp = Path(name)
        if case.setup:
            case.setup(tmp)
        argv, shown = command_line(case, tmp)
        case.rendered = shown
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=tmp, env=env, text=True, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        try:
            if case.interrupt_after or case.interrupt_when:
                _wait_then_interrupt(case, proc, tmp)
            stdout, stderr = proc.communicate(timeout=case.timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, stderr = proc.communicate()
            return Outcome(None, stdout, stderr, time.perf_counter() - t0), "bad", "timeout"
        out = Outcome(proc.returncode, stdout, stderr, time.perf_counter() - t0)
        verdict, why = judge(case, tmp, out)
        return out, verdict, why


def _wait_then_interrupt(case: Case, proc: subprocess.Popen, tmp: Path) -> None:
    deadline = time.monotonic() + 60
    if case.interrupt_after:
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line or line.startswith(case.interrupt_after):
                break
    if case.interrupt_when:
        while time.monotonic() < deadline and not case.interrupt_when(tmp):
            time.sleep(0.1)
    time.sleep(case.interrupt_delay_s)
    proc.send_signal(signal.SIGINT)


def judge(case: Case, tmp: Path, out: Outcome) -> tuple[str, str]:
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    if "Traceback" in out.stderr:
        return "bad", "traceback"
    if out.code != case.code:
        return "bad", f"exit {out.code}, expected {case.code}"
    problems = []
    if case.code != 0 and len(lines) != 1:
        problems.append(f"{len(lines)} stderr lines")
    first = lines[0] if lines else ""
    missing = [n for n in case.needles if n not in first]
    if missing:
        problems.append(f"line lacks {missing}")
    if len(first) > 300:
        problems.append(f"line {len(first)} chars")
    if case.check:
        problem = case.check(tmp, out)
        if problem:
            problems.append(problem)
    return ("weak", "; ".join(problems)) if problems else ("good", case.note)


def cell(text: str, limit: int = 160) -> str:
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= limit else text[:limit - 1] + "…"


# --------------------------------------------------------------------------- "says something not so"
def says_not_so() -> list[tuple[str, str, str]]:
    """(check, verdict, detail) for the issue's three cases where a plan said something untrue."""
    sys.path.insert(0, str(ROOT / "src"))
    from dispatchopt.plan import Plan
    from dispatchopt.scenario import load_scenario
    rows = []
    with tempfile.TemporaryDirectory(prefix="fault_") as name:
        tmp = Path(name)
        plan_path = tmp / "city.json"
        subprocess.run([PY, "-m", "dispatchopt", "solve", str(CITY), "--time-limit-s", "10",
                        "--out", str(plan_path)], cwd=tmp, capture_output=True, text=True)
        problem = load_scenario(CITY)
        loaded = Plan.load(problem, plan_path)
        received = {job.id: job.received_s for job in problem.jobs}
        visits = [v for route in loaded.routes for v in route.visits]
        n = len(visits)
        early = sum(v.arrival_s < received[v.job] for v in visits)
        sent_early = sum(v.sent_s is not None and v.sent_s < received[v.job] for v in visits)
        ok = n > 0 and early == 0 and sent_early == 0 and all(v.sent_s is not None for v in visits)
        rows.append(("city day (anticipate_jobs default false): visits arriving / sent before received",
                     "good" if ok else "bad",
                     f"`dispatchopt solve scenarios/city_day.yaml --time-limit-s 10 --out city.json`: "
                     f"{n} visits, {early} arrive and {sent_early} are sent before the job was received; "
                     "every visit has sent_at"))

        small_path = tmp / "small.json"
        subprocess.run([PY, "-m", "dispatchopt", "solve", str(SMALL), "--backend", "greedy", "--out",
                        str(small_path)], cwd=tmp, capture_output=True, check=True)
        (tmp / "job.json").write_text(json.dumps(EMERGENCY))
        new = tmp / "new.json"
        proc = subprocess.run([PY, "-m", "dispatchopt", "insert", str(SMALL), str(small_path), "--job",
                               str(tmp / "job.json"), "--now", "2026-11-23T10:40", "--out", str(new)],
                              cwd=tmp, capture_output=True, text=True)
        line = next((l for l in proc.stdout.splitlines() if "E900" in l and "arrives" in l), "")
        said = re.search(r"arrives (\d\d:\d\d)", line)
        visit = next((v for r in json.loads(new.read_text())["routes"] for v in r["visits"] if v["job"] == "E900"),
                     None) if new.exists() else None
        match = bool(said and visit and visit["arrival"][11:16] == said.group(1))
        bad_notice = [l for l in proc.stdout.splitlines() if "appointment" in l and "window" not in l]
        windows = {j["id"] for j in yaml.safe_load(SMALL.read_text())["jobs"] if j.get("window")}
        wrong = [l for l in bad_notice if not any(w in l for w in windows)]
        rows.append(("insert: printed arrival equals the JSON arrival; no appointment notice for a job "
                     "without one", "good" if match and not wrong else "bad",
                     f"`dispatchopt insert scenarios/small.yaml small.json --job job.json --now 2026-11-23T10:40 "
                     f"--out new.json`: printed {said.group(1) if said else None!r}, JSON "
                     f"{visit['arrival'][11:16] if visit else None!r}; {len(wrong)} appointment notices for "
                     "jobs without a window"))

        data = _small()
        job = next(j for j in data["jobs"] if j.get("window"))
        job["due"] = job["window"]["start"]
        _write_yaml(tmp, data, "w.yaml")
        proc = subprocess.run([PY, "-m", "dispatchopt", "solve", str(tmp / "w.yaml"), "--backend", "greedy"],
                              cwd=tmp, capture_output=True, text=True)
        warned = f"{job['id']}" in proc.stderr and "ends after due" in proc.stderr
        documented = "The window and `due` are two promises, and both hold" in (ROOT / "docs" / "format.md").read_text()
        rows.append(("window ending after an explicit due: warned at load; which promise holds is documented",
                     "good" if warned and documented and proc.returncode in (0, 1) else "weak",
                     f"`dispatchopt solve w.yaml --backend greedy` ({job['id']} due = its window start): "
                     f"stderr {cell(proc.stderr.strip().splitlines()[0] if proc.stderr.strip() else '', 140)!r}; "
                     f"docs/format.md 'The window and due are two promises': {documented}"))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run only cases whose name contains this")
    parser.add_argument("--skip-not-so", action="store_true", help="leave out the three plan checks")
    args = parser.parse_args(argv)
    chosen = [c for c in cases() if args.only.lower() in c.name.lower()]
    print("| # | case | command | exit | first line of stderr | lines | traceback | s | verdict |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    verdicts = []
    for i, case in enumerate(chosen, 1):
        out, verdict, why = run_case(case)
        lines = [l for l in out.stderr.splitlines() if l.strip()]
        verdicts.append(verdict)
        print(f"| {i} | {cell(case.name)} | `{cell(case.rendered, 400)}` | {out.code} | "
              f"{cell(lines[0] if lines else '')} | {len(lines)} | {'yes' if 'Traceback' in out.stderr else 'no'} | "
              f"{out.seconds:.1f} | {verdict}{': ' + cell(why, 120) if why else ''} |", flush=True)
    if not args.skip_not_so and not args.only:
        print("\n| plan says something not so | verdict | detail |\n| --- | --- | --- |")
        for name, verdict, detail in says_not_so():
            verdicts.append(verdict)
            print(f"| {name} | {verdict} | {cell(detail, 400)} |", flush=True)
    counts = {v: verdicts.count(v) for v in ("good", "weak", "bad")}
    print(f"\n{len(verdicts)} cases: {counts['good']} good, {counts['weak']} weak, {counts['bad']} bad")
    return 1 if counts["bad"] or counts["weak"] else 0


if __name__ == "__main__":
    sys.exit(main())
