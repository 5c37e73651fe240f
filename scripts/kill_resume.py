"""Kill a 20-run ``dispatchopt batch`` at random moments, resume it, and check what it kept.

A batch of 20 short runs (``scenarios/small.yaml`` x greedy, ortools x seeds 0-9, 5 s limit,
2 workers) is started ``--rounds`` times (default 10) into the same folder and killed at a random
moment of each round, SIGINT (to the process group, as Ctrl-C in a terminal) and SIGKILL (the
parent alone: its workers must end by themselves) in turn; then it is run to the end. After every
round and at the end:

* every record under ``runs/`` parses, is a ``dispatchopt-run`` record of its own key, has no
  error status, and names a plan that exists, parses and passes ``verify``;
* a record, once written, never changes (no run is done twice) and is never lost;
* no worker outlives the batch (the process group is empty within 15 s);
* a SIGINT round exits 130 with one ``dispatchopt:`` line, the last, saying where the records are
  (a worker's log line, e.g. a solver warning of a run that ended, may come before it);
* each round says it found the records kept so far (``N runs (K already recorded)``).

At the end the 20 expected keys are recorded exactly once and ``results.csv`` has exactly those 20
rows. Leftover hidden ``.*.tmp`` files (a SIGKILL during a write) are counted and reported: no
reader looks at them.

    .venv/bin/python scripts/kill_resume.py                 # 10 rounds, seed 0
    .venv/bin/python scripts/kill_resume.py --rounds 3 --seed 5 --keep /tmp/kr
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from dispatchopt.audit.verify import verify  # noqa: E402
from dispatchopt.plan import Plan  # noqa: E402
from dispatchopt.experiments.store import RECORD_FORMAT  # noqa: E402
from dispatchopt.scenario import load_scenario  # noqa: E402

SMALL = ROOT / "scenarios" / "small.yaml"
SEEDS = list(range(10))
BACKENDS = ["greedy", "ortools"]
LIMIT_S = 5


def batch_argv(out: Path) -> list[str]:
    argv = [sys.executable, "-m", "dispatchopt", "batch", str(SMALL), "--seeds", ",".join(map(str, SEEDS)),
            "--time-limit-s", str(LIMIT_S), "--workers", "2", "--out", str(out), "-q"]
    for backend in BACKENDS:
        argv += ["--backend", backend]
    return argv


def expected_keys() -> set[str]:
    return {f"small__{b}__s{s}__t{LIMIT_S}" for b in BACKENDS for s in SEEDS}


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # zombies count as alive for killpg: look for a live member in /proc
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(") ", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                return True
    return False


class Checker:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.problem = load_scenario(SMALL)
        self.seen: dict[str, str] = {}          # key -> digest of its record when first seen
        self.verified: set[str] = set()
        self.problems: list[str] = []

    def check(self, when: str) -> int:
        runs = self.out / "runs"
        names = sorted(p.name for p in runs.glob("*.json")) if runs.exists() else []
        keys = set()
        for name in names:
            key = name[:-5]
            path = runs / name
            text = path.read_text(encoding="utf-8")
            try:
                record = json.loads(text)
            except json.JSONDecodeError as exc:
                self.problems.append(f"{when}: {name}: corrupt record ({exc})")
                continue
            if record.get("format") != RECORD_FORMAT:
                self.problems.append(f"{when}: {name}: format {record.get('format')!r}")
            if record.get("key") != key:
                self.problems.append(f"{when}: {name}: key {record.get('key')!r}")
            if record.get("row", {}).get("status") in (None, "error"):
                self.problems.append(f"{when}: {name}: status {record.get('row', {}).get('status')!r}")
            digest = hashlib.sha256(text.encode()).hexdigest()
            if key in self.seen and self.seen[key] != digest:
                self.problems.append(f"{when}: {name}: changed after it was written (run done twice)")
            self.seen.setdefault(key, digest)
            if key not in self.verified:
                self._check_plan(when, key, record)
            keys.add(key)
        lost = set(self.seen) - keys
        if lost:
            self.problems.append(f"{when}: records lost: {sorted(lost)}")
        unexpected = keys - expected_keys()
        if unexpected:
            self.problems.append(f"{when}: unexpected records {sorted(unexpected)}")
        return len(keys)

    def _check_plan(self, when: str, key: str, record: dict) -> None:
        rel = record.get("plan")
        if not rel or not (self.out / rel).is_file():
            self.problems.append(f"{when}: {key}: plan {rel!r} missing")
            return
        try:
            plan = Plan.load(self.problem, self.out / rel)
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            self.problems.append(f"{when}: {key}: plan unreadable ({exc})")
            return
        violations = verify(self.problem, plan)
        if violations:
            self.problems.append(f"{when}: {key}: plan breaks {len(violations)} hard rule(s)")
        self.verified.add(key)

    def temporaries(self) -> int:
        return sum(1 for sub in ("runs", "plans", ".") for _ in (self.out / sub).glob(".*.tmp")) \
            if self.out.exists() else 0


def one_round(out: Path, sig: int, after_s: float) -> dict:
    proc = subprocess.Popen(batch_argv(out), cwd=ROOT, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    pgid = proc.pid
    time.sleep(after_s)
    t0 = time.perf_counter()
    ended_before = proc.poll() is not None
    if not ended_before:
        if sig == signal.SIGINT:
            os.killpg(pgid, signal.SIGINT)
        else:
            proc.send_signal(signal.SIGKILL)
    try:
        stdout, stderr = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(pgid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        return {"code": None, "stdout": stdout, "stderr": stderr, "exit_s": None, "stragglers": True,
                "ended_before": ended_before}
    exit_s = time.perf_counter() - t0
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and group_alive(pgid):
        time.sleep(0.2)
    stragglers = group_alive(pgid)
    if stragglers:
        os.killpg(pgid, signal.SIGKILL)
    return {"code": proc.returncode, "stdout": stdout, "stderr": stderr, "exit_s": exit_s,
            "stragglers": stragglers, "ended_before": ended_before}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0, help="seed of the kill moments and signals")
    parser.add_argument("--max-after-s", type=float, default=8.0, help="latest kill moment in a round")
    parser.add_argument("--keep", type=Path, help="results folder to use (kept); default a temp dir")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    tmp = None if args.keep else tempfile.TemporaryDirectory(prefix="kill_resume_")
    out = args.keep or Path(tmp.name) / "b"
    checker = Checker(out)
    print(f"| round | signal | at s | exit | exit after s | stderr | said recorded | records | workers left |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    before = 0
    for i in range(1, args.rounds + 1):
        sig = signal.SIGINT if i % 2 else signal.SIGKILL
        after_s = round(rng.uniform(1.0, args.max_after_s), 2)
        result = one_round(out, sig, after_s)
        said = re.search(r"(\d+) runs \((\d+) already recorded\)", result["stdout"])
        lines = [l for l in result["stderr"].splitlines() if l.strip()]
        if sig == signal.SIGINT and not result["ended_before"]:
            said_lines = [l for l in lines if l.startswith("dispatchopt:")]   # not the solvers' log lines
            if result["code"] != 130 or len(said_lines) != 1 or "re-run the same command" not in lines[-1]:
                checker.problems.append(f"round {i}: SIGINT gave exit {result['code']}, stderr {lines[:3]}")
        if result["stragglers"]:
            checker.problems.append(f"round {i}: worker processes outlived the batch")
        if "Traceback" in result["stderr"]:
            checker.problems.append(f"round {i}: traceback on stderr")
        # -q prints the count line only at the end; a killed round has none: the records speak
        if said and int(said.group(2)) != before:
            checker.problems.append(f"round {i}: said {said.group(2)} already recorded, {before} were")
        n = checker.check(f"round {i}")
        exit_s = f"{result['exit_s']:.2f}" if result["exit_s"] is not None else "-"
        print(f"| {i} | {signal.Signals(sig).name if not result['ended_before'] else '(ended first)'} | "
              f"{after_s} | {result['code']} | {exit_s} | "
              f"{(lines[-1][:90] if lines else '').replace('|', '/')} | {said.group(2) if said else '-'} | "
              f"{n} | {'yes' if result['stragglers'] else 'no'} |", flush=True)
        before = n

    final = subprocess.run(batch_argv(out), cwd=ROOT, text=True, capture_output=True, timeout=600)
    said = re.search(r"(\d+) runs \((\d+) already recorded\)", final.stdout)
    n = checker.check("final")
    if final.returncode != 0:
        checker.problems.append(f"final: exit {final.returncode}: {final.stderr[-300:]}")
    if not said or int(said.group(2)) != before:
        checker.problems.append(f"final: said {said.group(0) if said else None}, {before} were recorded")
    keys = set(checker.seen)
    if keys != expected_keys():
        checker.problems.append(f"final: missing {sorted(expected_keys() - keys)}")
    with open(out / "results.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    ids = [(r["scenario"], r["backend"], r["seed"], r["time_limit_s"]) for r in rows]
    if len(rows) != len(expected_keys()) or len(set(ids)) != len(ids):
        checker.problems.append(f"final: results.csv has {len(rows)} rows ({len(set(ids))} distinct)")
    if any(r["status"] == "error" for r in rows):
        checker.problems.append("final: an error row in results.csv")
    print(f"\nfinal run: {said.group(0) if said else final.stdout[-200:]!r}, exit {final.returncode}; "
          f"{n} records, {len(rows)} rows in results.csv, {len(checker.verified)} plans verified, "
          f"{checker.temporaries()} leftover .tmp files")
    if checker.problems:
        print(f"PROBLEMS ({len(checker.problems)}):")
        for problem in checker.problems:
            print(f"  {problem}")
        return 1
    print("OK: every run recorded exactly once, no partial or corrupt record, results table complete")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
