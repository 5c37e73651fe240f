"""One run of a batch: what it is (:class:`Run`), how it is labelled and fingerprinted, and the
worker function that does it (:func:`execute_run`, executed in a worker process or a Ray task).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
import json
import logging
import math
import re
import time
import traceback
from pathlib import Path
from typing import Any

from ..audit.kpi import compute_kpis, flat_kpis
from ..audit.verify import verify
from ..domain import Problem
from ..errors import ParameterError
from ..scenario import load_scenario
from ..solvers import solve

logger = logging.getLogger("dispatchopt.experiments.batch")   # one logger for the batch machinery

ERROR_STATUS = "error"
"""``status`` of a run that raised (bad scenario file, solver exception, ...)."""

_KEY_UNSAFE = re.compile(r"[^A-Za-z0-9._=,+-]+")


class BatchError(ParameterError):
    """A batch or what-if request is malformed (bad argument, clashing scenario labels, bad knob)."""


class BatchInterrupted(KeyboardInterrupt):
    """Ctrl-C during a batch: every finished run is recorded (and ``results.csv`` rewritten);
    the message says how many, and that the same call resumes. Not an error: an interrupt."""


@dataclasses.dataclass(frozen=True)
class BatchScenario:
    """One scenario of a batch, with the labels its rows carry.

    ``run_batch`` accepts plain paths and Problems too; wrap one in ``BatchScenario`` to choose
    its ``scenario`` label (``name``) or to tag it as a what-if ``variant``.
    """

    source: str | Path | Problem
    name: str | None = None
    variant: str | None = None


@dataclasses.dataclass(frozen=True)
class Run:
    """One unit of work, small and picklable (a Problem travels with it, or by Ray reference)."""

    key: str
    scenario: str
    variant: str | None
    source: str | Problem | None    # absolute path, a Problem, or None when passed separately
    backend: str
    seed: int
    time_limit_s: float
    solution_limit: int | None
    fingerprint: str


# -- labels and keys ----------------------------------------------------------------------------
def as_batch_scenario(item: Any) -> BatchScenario:
    """A path, a Problem or a BatchScenario, as a BatchScenario (BatchError otherwise)."""
    if isinstance(item, BatchScenario):
        return item
    if isinstance(item, (str, Path, Problem)):
        return BatchScenario(source=item)
    raise BatchError(f"scenarios: expected a path, a Problem or a BatchScenario, got {type(item).__name__}: {item!r}")


def scenario_label(item: BatchScenario) -> str:
    """The ``scenario`` label of a batch item: its ``name``, else the Problem's name, else the
    file's stem (the directory's name for a table scenario or its ``scenario.yaml``)."""
    if item.name:
        return item.name
    if isinstance(item.source, Problem):
        return item.source.name
    path = Path(item.source)
    if path.is_dir():
        return path.resolve().name
    if path.stem == "scenario" and path.parent.name:   # a table scenario's scenario.yaml
        return path.resolve().parent.name
    return path.stem


def run_key(scenario: str, backend: str, seed: int, *, variant: str | None = None,
            time_limit_s: float | None = None, solution_limit: int | None = None) -> str:
    """File-name-safe key of a run: ``<scenario>[--<variant>]__<backend>__s<seed>``, then, when
    ``time_limit_s`` is given, the settings that change the result: ``__t<limit>`` and, with a
    solution limit, ``__k<limit>`` (``small__ortools__s0__t30__k50``). Runs with other settings
    have other keys, so they never overwrite (or reuse) each other's records."""
    name = scenario if not variant else f"{scenario}--{variant}"
    key = f"{_safe(name)}__{_safe(backend)}__s{int(seed)}"
    if time_limit_s is not None:
        key += f"__t{float(time_limit_s):g}"
        if solution_limit is not None:
            key += f"__k{int(solution_limit)}"
    return key


def _safe(text: str) -> str:
    safe = _KEY_UNSAFE.sub("_", str(text)).strip("._")
    return safe or "_"


# -- fingerprints -------------------------------------------------------------------------------
def input_hash(source: str | Problem) -> str:
    """A hash of a scenario file's (or table directory's) bytes, or of a Problem's fields, plus
    the bytes of the graph / matrix files its travel model names (a changed road file is a
    changed input). A file scenario is loaded here to find them; one that does not load is
    hashed by its bytes alone (its run fails in the worker and says why)."""
    digest = hashlib.sha256()
    if isinstance(source, Problem):
        digest.update(json.dumps(_canonical(source), sort_keys=True, default=str).encode())
        _hash_travel_files(digest, source)
        return "problem:" + digest.hexdigest()
    path = Path(source)
    if path.is_file():
        digest.update(path.read_bytes())
    elif path.is_dir():
        for member in sorted(p for p in path.rglob("*") if p.is_file()):
            digest.update(str(member.relative_to(path)).encode() + b"\0")
            digest.update(member.read_bytes())
    else:
        return f"missing:{path}"
    try:
        problem = load_scenario(path)
    except Exception:  # noqa: BLE001 - any failure is reported by the run itself, in its row
        logger.debug("batch: %s does not load; hashed by its bytes only", path, exc_info=True)
    else:
        _hash_travel_files(digest, problem)
    return "file:" + digest.hexdigest()


def _hash_travel_files(digest: Any, problem: Problem) -> None:
    for name in (problem.travel.graph, problem.travel.matrix):
        if name is None:
            continue
        file = Path(name)
        digest.update(f"travel:{file.name}\0".encode())
        digest.update(file.read_bytes() if file.is_file() else b"missing")


def fingerprint(input_digest: str, time_limit_s: float, solution_limit: int | None, *,
                backend: str | None = None, seed: int | None = None) -> str:
    """What a recorded run must match to be reused: the input and every run setting."""
    settings = json.dumps({"input": input_digest, "time_limit_s": float(time_limit_s),
                           "solution_limit": solution_limit, "backend": backend, "seed": seed},
                          sort_keys=True)
    return hashlib.sha256(settings.encode()).hexdigest()


def _canonical(value: Any) -> Any:
    """A JSON-able form of a Problem that does not depend on hash seeds or cached lookups."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"__type__": type(value).__name__,
                **{f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, dict):
        return [[_canonical(k), _canonical(v)] for k, v in sorted(value.items(), key=lambda kv: repr(kv[0]))]
    if isinstance(value, (set, frozenset)):
        return sorted((_canonical(v) for v in value), key=repr)
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return _canonical(value.value)
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)


def plain(value: Any) -> Any:
    """numpy scalars -> Python numbers (JSON and DataFrame friendly); anything else unchanged."""
    if hasattr(value, "item") and callable(value.item) and not isinstance(value, (str, bytes)):
        try:
            return value.item()
        except (TypeError, ValueError):
            return value
    return value


# -- the worker side ----------------------------------------------------------------------------
def execute_run(run: Run, problem: Problem | None = None) -> dict[str, Any]:
    """Do one run: load, solve, verify, compute the KPIs. Never raises for a failure of the run
    itself: it becomes an error row.

    Returns ``{"row": {...}, "plan": <plan JSON dict> | None, "violations": [...],
    "traceback": str | None}``.
    """
    started = time.perf_counter()
    row: dict[str, Any] = {"scenario": run.scenario, "variant": run.variant, "backend": run.backend,
                           "seed": run.seed, "time_limit_s": float(run.time_limit_s),
                           "solution_limit": run.solution_limit}
    stage = "load"
    try:
        if problem is None:
            problem = run.source if isinstance(run.source, Problem) else load_scenario(run.source)
        row.update(n_jobs=len(problem.jobs), n_technicians=len(problem.technicians))
        stage = "solve"
        options: dict[str, Any] = {}
        if run.solution_limit is not None:
            options["solution_limit"] = run.solution_limit
        result = solve(problem, backend=run.backend, time_limit_s=run.time_limit_s, seed=run.seed, **options)
        stage = "verify"
        violations = verify(problem, result.plan)
        stage = "kpi"
        kpis = compute_kpis(problem, result.plan)
        plan_json = result.plan.with_kpis(kpis).to_json()
    except Exception as exc:  # a failed run is a row, never the end of the batch
        row.update(status=ERROR_STATUS, wall_s=time.perf_counter() - started,
                   error=f"{stage}: {type(exc).__name__}: {exc}")
        return {"row": row, "plan": None, "violations": [], "traceback": traceback.format_exc()}

    status = result.status
    row.update(status=status.value if isinstance(status, enum.Enum) else str(status),
               wall_s=float(result.stats.wall_s), error=None, n_violations=len(violations),
               objective=plain(result.stats.objective))
    row.update(flat_kpis(kpis, column_names=True))
    return {"row": row, "plan": plan_json, "violations": [_violation_text(v) for v in violations],
            "traceback": None}


def _violation_text(violation: Any) -> str:
    rule = getattr(violation, "rule", None)
    message = getattr(violation, "message", None)
    return f"{rule}: {message}" if rule is not None and message is not None else str(violation)
