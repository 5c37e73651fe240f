"""Batch runs: scenarios x backends x seeds -> one tidy KPI table.

:func:`run_batch` plans every (scenario, backend, seed) combination, each run in a worker
(local processes or Ray tasks): load the scenario (when given as a path), solve, verify, compute
the KPIs. It returns one row per run, sorted by scenario, variant, backend and seed:

======================  ==================================================================
``scenario``            label: a file's stem (a directory's name for a table scenario), or
                        ``Problem.name``; see :class:`BatchScenario` to choose it
``variant``             what-if variant label (``None`` outside :mod:`dispatchopt.experiments.whatif`)
``backend``, ``seed``   the solver backend and seed of the run
``status``              a :class:`~dispatchopt.solvers.SolveStatus` value, or ``"error"``
``wall_s``              solver wall time (for an error: time until it failed)
``error``               ``None`` on success, else ``"<stage>: <Exception>: <message>"``
                        (stage: load, solve, verify, kpi)
``n_violations``        number of hard-rule violations ``verify`` found (0 unless a bug)
``objective``           the solver's objective value (``None`` if it reports none)
``n_jobs``, ``n_technicians``  size of the problem
every KPI               the keys of ``compute_kpis``; a nested dict is flattened, e.g.
                        ``on_time_rate_by_category["emergency"]`` -> ``on_time_rate__emergency``
======================  ==================================================================

With ``out_dir`` every finished run leaves two files, both written atomically (temporary file
+ rename) by the calling process as soon as the run ends:

* ``out_dir/plans/<key>.json``: the plan (contract v1, KPIs included);
* ``out_dir/runs/<key>.json``: the run record (its table row, an input fingerprint, the
  violations, the traceback of an error),

where ``<key>`` is ``<scenario>__<backend>__s<seed>`` (``<scenario>--<variant>__...`` for a
what-if variant). A run whose record exists and whose fingerprint (a hash of the scenario
file's bytes or of the Problem's fields, plus the time limit and solution limit) still matches
is not redone, so an interrupted batch resumes where it stopped and a second identical call
does nothing new; failed runs are skipped too unless ``retry_errors=True`` (a fixed scenario
file has a new fingerprint and is redone anyway). ``out_dir/results.csv`` and
``out_dir/results.parquet`` (when pyarrow is installed) are then rewritten from *all* records
under ``out_dir/runs`` (earlier calls with other seeds included), while the returned table holds
exactly the runs of this call. Runs lost because a worker process died (not an exception in the
run, e.g. killed for memory) appear as ``"error"`` rows but leave no record, so they are retried.

Determinism: the table is sorted, and for a backend that is deterministic for a seed (greedy;
OR-Tools with ``solution_limit``) the same seeds give the same table on every executor, apart
from the run-time dependent ``wall_s``. Compare tables with :func:`kpi_columns`::

    cols = kpi_columns(a)
    assert a[cols].equals(b[cols])

The library logs (logger ``dispatchopt.experiments.batch``) and never prints; the only terminal output is
the optional tqdm progress bar on stderr, shown when ``progress=True`` and stderr is a tty.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import datetime as dt
import enum
import hashlib
import json
import logging
import logging.handlers
import math
import multiprocessing
import os
import re
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..domain import Problem
from ..errors import DispatchOptError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

logger = logging.getLogger(__name__)

EXECUTORS = ("process", "ray")
"""Values of ``run_batch(executor=...)``."""
ERROR_STATUS = "error"
"""``status`` of a run that raised (bad scenario file, solver exception, ...)."""
ID_COLUMNS = ("scenario", "variant", "backend", "seed")
"""Columns that identify a run; the table is sorted by them."""
RUN_COLUMNS = ID_COLUMNS + ("status", "wall_s", "error", "n_violations", "objective", "n_jobs",
                            "n_technicians")
"""Columns every table has, in this order, before the KPI columns."""
_TEXT_COLUMNS = ("scenario", "variant", "backend", "status", "error")
_FLOAT_COLUMNS = ("wall_s", "objective")
VOLATILE_COLUMNS = ("wall_s",)
"""Columns that differ between two otherwise identical runs (left out by :func:`kpi_columns`)."""
RECORD_FORMAT = "dispatchopt-run/1"

# Worker processes are started fresh ("spawn"), never forked: the parent may hold threads (Ray,
# OR-Tools, a GUI) that a fork would copy in an undefined state.
_MP_START_METHOD = "spawn"
_KEY_UNSAFE = re.compile(r"[^A-Za-z0-9._=,+-]+")


class BatchError(DispatchOptError, ValueError):
    """A batch or what-if request is malformed (bad argument, clashing scenario labels, bad knob)."""


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
class _Run:
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


# ----------------------------------------------------------------------------------- public API
def run_batch(scenarios: Iterable[str | Path | Problem | BatchScenario], *,
              backends: Sequence[str] = ("ortools",), seeds: Sequence[int] = (0,),
              time_limit_s: float = 30.0, workers: int = 2, executor: str = "process",
              ray_address: str | None = None, out_dir: str | Path | None = None,
              progress: bool = True, solution_limit: int | None = None,
              retry_errors: bool = False) -> "pd.DataFrame":
    """Plan every scenario with every backend and seed; return one KPI row per run.

    Parameters
    ----------
    scenarios : scenario paths (anything ``load_scenario`` reads: YAML, JSON, a table
        directory), :class:`~dispatchopt.domain.Problem` objects, or :class:`BatchScenario`.
        Paths are loaded inside the worker, so a broken file is one ``"error"`` row, not an
        exception. Labels (see the module doc) must be distinct.
    backends, seeds : every scenario runs once per backend and seed.
    time_limit_s : solver wall-clock budget per run, seconds.
    workers : parallel runs. ``executor="process"`` with ``workers=1`` runs inline in this
        process (no pool); for ``"ray"`` it is the CPU count of a Ray started here.
    executor : ``"process"`` (``concurrent.futures.ProcessPoolExecutor``; workers are started
        with "spawn", so a script calling ``run_batch`` needs the usual
        ``if __name__ == "__main__":`` guard) or
        ``"ray"`` (one Ray task per run; needs the ``ray`` extra). Ray is started locally with
        ``num_cpus=workers`` unless it is already initialised or ``ray_address`` names a
        cluster; a Ray started here is left running for later calls (``ray.shutdown()`` ends
        it). On a remote cluster dispatchopt must be installed on the workers and scenario
        paths must be readable there (or pass Problems).
    ray_address : address of a running Ray cluster (``"auto"``, ``"ray://host:10001"``).
    out_dir : where plans, run records and ``results.csv`` / ``results.parquet`` go; enables
        skipping runs already recorded (see the module doc). ``None``: nothing is written.
    progress : show a tqdm bar on stderr (only if tqdm is installed and stderr is a tty).
    solution_limit : passed to ``solve`` (OR-Tools stops after this many improving
        solutions: reproducible runs independent of machine speed).
    retry_errors : redo runs whose record holds an error.

    Returns
    -------
    pandas.DataFrame
        The runs of this call, columns as in the module doc, sorted by scenario, variant,
        backend, seed. ``df.attrs`` holds ``n_runs``, ``n_executed`` and ``n_skipped``.

    Raises
    ------
    BatchError
        A bad argument (unknown executor or backend, ``workers < 1``, no scenarios, clashing
        labels). Failures of single runs never raise: they are ``"error"`` rows.
    ImportError
        ``executor="ray"`` without Ray installed.
    """
    items = [_as_batch_scenario(s) for s in scenarios]
    backends, seeds = list(backends), [int(seed) for seed in seeds]
    _check_arguments(items, backends, seeds, time_limit_s, workers, executor)
    out = Path(out_dir) if out_dir is not None else None

    runs: list[_Run] = []
    keys: dict[str, str] = {}
    for item in items:
        label = _scenario_label(item)
        source = item.source if isinstance(item.source, Problem) else str(Path(item.source).resolve())
        input_hash = _input_hash(source)
        for backend in backends:
            for seed in seeds:
                key = run_key(label, backend, seed, variant=item.variant)
                where = f"{label!r}" + (f" variant {item.variant!r}" if item.variant else "")
                if key in keys:
                    raise BatchError(f"scenarios: two runs share the key {key!r} ({keys[key]} and "
                                     f"{where}); give each scenario a distinct name (BatchScenario(name=...))")
                keys[key] = where
                runs.append(_Run(key=key, scenario=label, variant=item.variant, source=source,
                                 backend=backend, seed=seed, time_limit_s=float(time_limit_s),
                                 solution_limit=solution_limit,
                                 fingerprint=_fingerprint(input_hash, time_limit_s, solution_limit)))

    rows: dict[str, dict[str, Any]] = {}
    todo: list[_Run] = []
    for run in runs:
        record = _read_record(out, run.key) if out is not None else None
        if record is not None and record.get("fingerprint") == run.fingerprint and not (
                retry_errors and record["row"].get("status") == ERROR_STATUS):
            rows[run.key] = record["row"]
        else:
            if record is not None:
                logger.info("batch: redoing %s (%s)", run.key,
                            "input or settings changed" if record.get("fingerprint") != run.fingerprint
                            else "retrying an error")
            todo.append(run)
    logger.info("batch: %d runs (%d scenarios x %d backends x %d seeds): %d to run, %d already recorded "
                "in %s", len(runs), len(items), len(backends), len(seeds), len(todo), len(runs) - len(todo), out)

    def finished(run: _Run, outcome: dict[str, Any], *, persist: bool) -> None:
        rows[run.key] = outcome["row"]
        if out is not None and persist:
            _save_outcome(out, run, outcome)

    _execute_all(todo, executor=executor, workers=workers, ray_address=ray_address,
                 progress=progress, on_result=finished)

    table = results_table([rows[run.key] for run in runs])
    if out is not None:
        _rewrite_results(out)
    n_errors = int((table["status"] == ERROR_STATUS).sum()) if len(table) else 0
    if n_errors:
        logger.warning("batch: %d of %d runs failed (status 'error'; see the error column)", n_errors, len(runs))
    table.attrs.update(n_runs=len(runs), n_executed=len(todo), n_skipped=len(runs) - len(todo))
    return table


def kpi_columns(df: "pd.DataFrame") -> list[str]:
    """The columns of a batch table that do not depend on run time (all but ``wall_s``).

    Two batches with the same seeds on a deterministic backend agree on these columns::

        cols = kpi_columns(a); a[cols].equals(b[cols])
    """
    return [c for c in df.columns if c not in VOLATILE_COLUMNS]


def flatten_kpis(kpis: dict[str, Any]) -> dict[str, Any]:
    """KPI dict -> flat columns: ``{"on_time_rate_by_category": {"emergency": 1.0}}`` becomes
    ``{"on_time_rate__emergency": 1.0}`` (a ``_by_category`` suffix is dropped; sub-keys sorted)."""
    flat: dict[str, Any] = {}
    for name, value in kpis.items():
        if isinstance(value, dict):
            prefix = name[: -len("_by_category")] if name.endswith("_by_category") else name
            for sub in sorted(value, key=str):
                flat[f"{prefix}__{sub}"] = _plain(value[sub])
        else:
            flat[name] = _plain(value)
    return flat


def run_key(scenario: str, backend: str, seed: int, *, variant: str | None = None) -> str:
    """File-name-safe key of a run: ``<scenario>[--<variant>]__<backend>__s<seed>``."""
    name = scenario if not variant else f"{scenario}--{variant}"
    return f"{_safe(name)}__{_safe(backend)}__s{int(seed)}"


def results_table(rows: Iterable[dict[str, Any]]) -> "pd.DataFrame":
    """Rows (dicts as produced by the workers or stored in run records) -> the sorted table.

    Dtypes do not depend on which runs failed: text columns are ``string``, columns of whole
    numbers (and missing values) nullable ``Int64``, other numbers ``float64``."""
    import pandas as pd

    rows = list(rows)
    rows.sort(key=lambda r: (str(r.get("scenario")), r.get("variant") is not None, str(r.get("variant") or ""),
                             str(r.get("backend")), int(r.get("seed", 0))))
    columns = list(RUN_COLUMNS)
    seen = set(columns)
    for row in rows:
        for name in row:
            if name not in seen:
                seen.add(name)
                columns.append(name)
    table = pd.DataFrame(rows, columns=columns)
    for name in columns:   # dtypes from the values, not from which runs happened to fail
        values = [row[name] for row in rows if row.get(name) is not None]
        if name in _TEXT_COLUMNS or (values and all(isinstance(v, str) for v in values)):
            table[name] = table[name].astype("string")
        elif values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            table[name] = table[name].astype("Int64")
        elif name in _FLOAT_COLUMNS or (values and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                       for v in values)):
            table[name] = table[name].astype("float64")
    return table


def load_results(out_dir: str | Path) -> "pd.DataFrame":
    """The table of every run recorded under ``out_dir/runs`` (what ``results.csv`` holds)."""
    out = Path(out_dir)
    rows = []
    for path in sorted((out / "runs").glob("*.json")):
        record = _read_record(out, path.stem)
        if record is not None:
            rows.append(record["row"])
    return results_table(rows)


# ------------------------------------------------------------------------------ the worker side
def _execute(run: _Run, problem: Problem | None = None) -> dict[str, Any]:
    """Do one run. Never raises for a failure of the run itself: it becomes an error row.

    Returns ``{"row": {...}, "plan": <plan JSON dict> | None, "violations": [...],
    "traceback": str | None}``.
    """
    started = time.perf_counter()
    row: dict[str, Any] = {"scenario": run.scenario, "variant": run.variant, "backend": run.backend,
                           "seed": run.seed}
    stage = "load"
    try:
        if problem is None:
            problem = run.source if isinstance(run.source, Problem) else _load(run.source)
        row.update(n_jobs=len(problem.jobs), n_technicians=len(problem.technicians))
        stage = "solve"
        from ..solvers import solve

        options: dict[str, Any] = {}
        if run.solution_limit is not None:
            options["solution_limit"] = run.solution_limit
        result = solve(problem, backend=run.backend, time_limit_s=run.time_limit_s, seed=run.seed, **options)
        stage = "verify"
        from ..audit.verify import verify

        violations = verify(problem, result.plan)
        stage = "kpi"
        from ..audit.kpi import compute_kpis

        kpis = compute_kpis(problem, result.plan)
        plan_json = result.plan.with_kpis(kpis).to_json()
    except Exception as exc:  # a failed run is a row, never the end of the batch
        row.update(status=ERROR_STATUS, wall_s=time.perf_counter() - started,
                   error=f"{stage}: {type(exc).__name__}: {exc}")
        return {"row": row, "plan": None, "violations": [], "traceback": traceback.format_exc()}

    status = result.status
    row.update(status=status.value if isinstance(status, enum.Enum) else str(status),
               wall_s=float(result.stats.wall_s), error=None, n_violations=len(violations),
               objective=_plain(result.stats.objective))
    row.update(flatten_kpis(kpis))
    return {"row": row, "plan": plan_json, "violations": [_violation_text(v) for v in violations],
            "traceback": None}


def _load(path: str) -> Problem:
    from ..scenario import load_scenario

    return load_scenario(path)


def _violation_text(violation: Any) -> str:
    rule = getattr(violation, "rule", None)
    message = getattr(violation, "message", None)
    return f"{rule}: {message}" if rule is not None and message is not None else str(violation)


# ------------------------------------------------------------------------------------ executors
def _execute_all(runs: list[_Run], *, executor: str, workers: int, ray_address: str | None,
                 progress: bool, on_result: Callable[..., None]) -> None:
    if not runs:
        return
    bar = _progress_bar(len(runs), progress)

    def done(run: _Run, outcome: dict[str, Any], *, persist: bool = True) -> None:
        row = outcome["row"]
        if row.get("status") == ERROR_STATUS:
            logger.warning("batch: run %s failed: %s", run.key, row.get("error"))
        elif outcome.get("violations"):
            logger.warning("batch: run %s: the plan breaks %d hard rules (a solver bug), first: %s",
                           run.key, len(outcome["violations"]), outcome["violations"][0])
        on_result(run, outcome, persist=persist)
        bar.update(1)

    try:
        if executor == "ray":
            _run_ray(runs, workers=workers, ray_address=ray_address, done=done)
        elif workers == 1:
            for run in runs:
                done(run, _execute(run))
        else:
            _run_processes(runs, workers=workers, done=done)
    finally:
        bar.close()


def _run_processes(runs: list[_Run], *, workers: int, done: Callable[..., None]) -> None:
    context = multiprocessing.get_context(_MP_START_METHOD)
    # Worker log records travel back through a queue to this process's handlers (a spawned
    # worker has none, and Python's last-resort handler would print to stderr).
    log_queue = context.Queue()
    listener = logging.handlers.QueueListener(log_queue, _Forward())
    listener.start()
    level = logging.getLogger("dispatchopt").getEffectiveLevel()
    pool = cf.ProcessPoolExecutor(max_workers=min(workers, len(runs)), mp_context=context,
                                  initializer=_init_worker_logging, initargs=(log_queue, level))
    try:
        futures = {pool.submit(_execute, run): run for run in runs}
        for future in cf.as_completed(futures):
            run = futures[future]
            try:
                outcome = future.result()
            except Exception as exc:  # the worker process died (BrokenProcessPool, pickling, ...)
                done(run, _lost(run, exc), persist=False)
            else:
                done(run, outcome)
    except BaseException:   # Ctrl-C or a failing callback: drop the runs not started yet
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    else:
        pool.shutdown(wait=True)
    finally:
        listener.stop()
        log_queue.close()


class _Forward(logging.Handler):
    """Hands a record from a worker to the logger of the same name in this process."""

    def emit(self, record: logging.LogRecord) -> None:
        logger_ = logging.getLogger(record.name)
        if logger_.isEnabledFor(record.levelno):
            logger_.handle(record)


def _init_worker_logging(log_queue, level: int) -> None:
    root = logging.getLogger("dispatchopt")
    root.handlers[:] = [logging.handlers.QueueHandler(log_queue)]
    root.setLevel(level)
    root.propagate = False


def _run_ray(runs: list[_Run], *, workers: int, ray_address: str | None, done: Callable[..., None]) -> None:
    try:
        import ray
    except ImportError:
        raise ImportError("run_batch(executor='ray') needs Ray, which is not installed: "
                          "pip install 'dispatchopt[ray]' (or use executor='process')") from None
    if ray.is_initialized():
        logger.info("batch: using the running Ray instance (workers=%d not applied)", workers)
    elif ray_address:
        logger.info("batch: connecting to the Ray cluster at %s", ray_address)
        ray.init(address=ray_address, ignore_reinit_error=True, logging_level=logging.WARNING)
    else:
        logger.info("batch: starting a local Ray with num_cpus=%d", workers)
        ray.init(num_cpus=workers, include_dashboard=False, ignore_reinit_error=True,
                 logging_level=logging.WARNING, log_to_driver=False)
    task = ray.remote(num_cpus=1, max_retries=0)(_execute)
    shared: dict[int, Any] = {}     # one object-store copy per Problem, not one per run
    pending = {}
    for run in runs:
        if isinstance(run.source, Problem):
            ref = shared.get(id(run.source))
            if ref is None:
                ref = shared[id(run.source)] = ray.put(run.source)
            pending[task.remote(dataclasses.replace(run, source=None), ref)] = run
        else:
            pending[task.remote(run)] = run
    try:
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                run = pending.pop(ref)
                try:
                    outcome = ray.get(ref)
                except Exception as exc:  # the task or its worker died (not an exception in the run)
                    done(run, _lost(run, exc), persist=False)
                else:
                    done(run, outcome)
    except BaseException:   # Ctrl-C or a failing callback: cancel what is still queued or running
        for ref in pending:
            ray.cancel(ref, force=True)
        raise


def _lost(run: _Run, exc: BaseException) -> dict[str, Any]:
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, cf.process.BrokenProcessPool):
        text += (" (a worker process died: out of memory, a crash in native code, or - when called from"
                 " a script - a missing `if __name__ == '__main__':` guard around the call)")
    logger.error("batch: run %s lost: its worker failed: %s", run.key, text)
    row = {"scenario": run.scenario, "variant": run.variant, "backend": run.backend, "seed": run.seed,
           "status": ERROR_STATUS, "wall_s": None, "error": f"worker: {text}"}
    return {"row": row, "plan": None, "violations": [], "traceback": None}


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(total: int, progress: bool):
    if not progress or not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty()):
        return _NoBar()
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _NoBar()
    return tqdm(total=total, desc="dispatchopt batch", unit="run", file=sys.stderr)


# ------------------------------------------------------------------------------------ out_dir
def _save_outcome(out: Path, run: _Run, outcome: dict[str, Any]) -> None:
    plan_rel = None
    if outcome.get("plan") is not None:
        plan_rel = f"plans/{run.key}.json"
        _write_atomic(out / plan_rel, json.dumps(outcome["plan"], indent=2, ensure_ascii=False,
                                                 default=_json_default) + "\n")
    record = {"format": RECORD_FORMAT, "key": run.key, "fingerprint": run.fingerprint,
              "row": outcome["row"], "plan": plan_rel, "violations": outcome.get("violations", []),
              "traceback": outcome.get("traceback")}
    _write_atomic(out / "runs" / f"{run.key}.json",
                  json.dumps(record, indent=1, ensure_ascii=False, default=_json_default) + "\n")


def _read_record(out: Path, key: str) -> dict[str, Any] | None:
    path = out / "runs" / f"{key}.json"
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        logger.warning("batch: ignoring unreadable run record %s: %s", path, exc)
        return None
    if not isinstance(record, dict) or record.get("format") != RECORD_FORMAT or not isinstance(record.get("row"), dict):
        logger.warning("batch: ignoring %s: not a %s run record", path, RECORD_FORMAT)
        return None
    return record


def _rewrite_results(out: Path) -> None:
    table = load_results(out)
    _write_atomic(out / "results.csv", table.to_csv(index=False))
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        logger.warning("batch: pyarrow is not installed; %s not written (pip install 'dispatchopt[batch]')",
                       out / "results.parquet")
        return
    fd, tmp = tempfile.mkstemp(dir=out, prefix=".results.parquet.", suffix=".tmp")
    os.close(fd)
    try:
        table.to_parquet(tmp, index=False)
        os.replace(tmp, out / "results.parquet")
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ------------------------------------------------------------------------------------ helpers
def _as_batch_scenario(item: Any) -> BatchScenario:
    if isinstance(item, BatchScenario):
        return item
    if isinstance(item, (str, Path, Problem)):
        return BatchScenario(source=item)
    raise BatchError(f"scenarios: expected a path, a Problem or a BatchScenario, got {type(item).__name__}: {item!r}")


def _check_arguments(items, backends, seeds, time_limit_s, workers, executor) -> None:
    if not items:
        raise BatchError("scenarios: no scenario given")
    if executor not in EXECUTORS:
        raise BatchError(f"executor: expected one of {', '.join(EXECUTORS)}, got {executor!r}")
    if not isinstance(workers, int) or workers < 1:
        raise BatchError(f"workers: expected an integer >= 1, got {workers!r}")
    if not backends:
        raise BatchError("backends: no backend given")
    if not seeds:
        raise BatchError("seeds: no seed given")
    if len(set(seeds)) != len(seeds) or len(set(backends)) != len(backends):
        raise BatchError(f"backends/seeds: duplicates given (backends {backends}, seeds {seeds})")
    if not (isinstance(time_limit_s, (int, float)) and math.isfinite(time_limit_s) and time_limit_s > 0):
        raise BatchError(f"time_limit_s: expected a positive number of seconds, got {time_limit_s!r}")
    try:
        from ..solvers import BACKENDS
    except ImportError:  # pragma: no cover - solvers always present in a full install
        return
    unknown = [b for b in backends if b not in BACKENDS]
    if unknown:
        raise BatchError(f"backends: unknown backend {unknown[0]!r} (expected one of {', '.join(BACKENDS)})")


def _scenario_label(item: BatchScenario) -> str:
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


def _safe(text: str) -> str:
    safe = _KEY_UNSAFE.sub("_", str(text)).strip("._")
    return safe or "_"


def _input_hash(source: str | Problem) -> str:
    digest = hashlib.sha256()
    if isinstance(source, Problem):
        digest.update(json.dumps(_canonical(source), sort_keys=True, default=str).encode())
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
    return "file:" + digest.hexdigest()


def _fingerprint(input_hash: str, time_limit_s: float, solution_limit: int | None) -> str:
    settings = json.dumps({"input": input_hash, "time_limit_s": float(time_limit_s),
                           "solution_limit": solution_limit}, sort_keys=True)
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


def _plain(value: Any) -> Any:
    """numpy scalars -> Python numbers (JSON and DataFrame friendly)."""
    if hasattr(value, "item") and callable(value.item) and not isinstance(value, (str, bytes)):
        try:
            return value.item()
        except (TypeError, ValueError):
            return value
    return value


def _json_default(value: Any) -> Any:
    plain = _plain(value)
    if plain is not value:
        return plain
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


__all__ = ["BatchError", "BatchScenario", "ERROR_STATUS", "EXECUTORS", "ID_COLUMNS", "RUN_COLUMNS",
           "VOLATILE_COLUMNS", "flatten_kpis", "kpi_columns", "load_results", "results_table", "run_batch",
           "run_key"]
