"""Shared helpers of the fault-injection suite: run ``dispatchopt`` in a subprocess, bounded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "scenarios" / "small.yaml"


def run_cli(*argv: str, timeout: float = 120, prelude: str = "") -> subprocess.CompletedProcess:
    """``python -c '<prelude>; main(argv)'`` in a subprocess; returns the finished process."""
    code = (f"{prelude}\nimport sys\nfrom dispatchopt.cli import main\n"
            f"sys.exit(main({list(argv)!r}))")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def assert_one_line_error(proc: subprocess.CompletedProcess, *needles: str, code: int = 2) -> str:
    """Exit ``code``, exactly one line on stderr, no traceback, every needle in that line."""
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == code, (proc.returncode, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr
    assert len(lines) == 1, proc.stderr[-2000:]
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]

