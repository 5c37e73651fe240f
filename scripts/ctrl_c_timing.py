"""Ctrl-C reaction of ``dispatchopt solve``: SIGINT at a given moment of a long solve, the time
from SIGINT to exit, and ``dispatchopt verify`` of the plan it wrote; quiet and with the other
core busy (``python -c "while True: pass"``).

    .venv/bin/python scripts/ctrl_c_timing.py --reps 10    # the 40 x 300 day, SIGINT at 4 s of 30
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DAY = ROOT / "scenarios" / "bench" / "day_40x300_load0.9.yaml"


def one(after_s: float, limit_s: float) -> tuple[float, int, bool, str]:
    with tempfile.TemporaryDirectory(prefix="ctrlc_") as tmp:
        out = Path(tmp) / "plan.json"
        proc = subprocess.Popen([sys.executable, "-m", "dispatchopt", "solve", str(DAY), "--time-limit-s",
                                 str(limit_s), "--out", str(out)], cwd=ROOT, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        while True:
            line = proc.stdout.readline()
            if not line or line.startswith("solving "):
                break
        time.sleep(after_s)
        proc.send_signal(signal.SIGINT)
        t0 = time.perf_counter()
        _, stderr = proc.communicate(timeout=120)
        took = time.perf_counter() - t0
        ok = out.exists() and subprocess.run([sys.executable, "-m", "dispatchopt", "verify", str(DAY), str(out)],
                                             cwd=ROOT, capture_output=True).returncode == 0
        return took, proc.returncode, ok, stderr.strip().splitlines()[-1] if stderr.strip() else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--after-s", type=float, default=4.0)
    parser.add_argument("--limit-s", type=float, default=30.0)
    args = parser.parse_args()
    for mode in ("quiet", "busy"):
        hog = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if mode == "busy" else None
        try:
            times, bad = [], 0
            for _ in range(args.reps):
                took, code, ok, last = one(args.after_s, args.limit_s)
                times.append(took)
                bad += not (ok and code == 130)
                print(f"{mode}: {took:.2f} s, exit {code}, verify {'OK' if ok else 'FAILED'}: {last[:120]}", flush=True)
        finally:
            if hog is not None:
                hog.kill()
                hog.wait()
        print(f"{mode} (load {os.getloadavg()[0]:.1f}): min {min(times):.2f} / median "
              f"{statistics.median(times):.2f} / max {max(times):.2f} s; {bad} not exit 130 + verified", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
