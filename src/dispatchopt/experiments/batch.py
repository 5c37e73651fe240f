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
every KPI               the keys of ``compute_kpis``, flattened by
                        ``audit.kpi.flat_kpis(kpis, column_names=True)``, e.g.
                        ``on_time_rate_by_category["emergency"]`` -> ``on_time_rate__emergency``
======================  ==================================================================

With ``out_dir`` every finished run leaves two files, both written atomically (temporary file
+ rename) by the calling process as soon as the run ends:

* ``out_dir/plans/<key>.json``: the plan (contract v1, KPIs included);
* ``out_dir/runs/<key>.json``: the run record (its table row, an input fingerprint, the
  violations, the traceback of an error),

where ``<key>`` is ``<scenario>__<backend>__s<seed>__t<time limit>[__k<solution limit>]``
(``<scenario>--<variant>__...`` for a what-if variant): a run with another time or solution
limit has its own record and never overwrites or reuses another's. A run whose record exists
and whose fingerprint (a hash of the scenario file's bytes or of the Problem's fields, the bytes
of the graph / matrix files it names, the backend, seed, time limit and solution limit) still
matches is not redone, so an interrupted batch resumes where it stopped and a second identical call
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

The machinery is split by concern: :mod:`.runs` (a run, its labels and fingerprint, the worker
function), :mod:`.executors` (inline, processes, Ray) and :mod:`.store` (the results directory
and the table); the public names are re-exported here.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..domain import Problem
from ..solvers import BACKENDS
from .executors import EXECUTORS, RAY_TIMEOUT_S, execute_all
from .runs import (ERROR_STATUS, BatchError, BatchInterrupted, BatchScenario, Run, as_batch_scenario, fingerprint,
                   input_hash, run_key, scenario_label)
from .store import ID_COLUMNS, RUN_COLUMNS, load_results, read_record, results_table, rewrite_results, save_outcome

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

logger = logging.getLogger(__name__)

VOLATILE_COLUMNS = ("wall_s",)
"""Columns that differ between two otherwise identical runs (left out by :func:`kpi_columns`)."""


# ----------------------------------------------------------------------------------- public API
def run_batch(scenarios: Iterable[str | Path | Problem | BatchScenario], *,
              backends: Sequence[str] = ("ortools",), seeds: Sequence[int] = (0,),
              time_limit_s: float = 30.0, workers: int = 2, executor: str = "process",
              ray_address: str | None = None, out_dir: str | Path | None = None,
              progress: bool = True, solution_limit: int | None = None,
              retry_errors: bool = False, ray_timeout_s: float = RAY_TIMEOUT_S) -> "pd.DataFrame":
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
    ray_timeout_s : seconds allowed to reach the cluster at ``ray_address`` (checked before any
        run starts: an unreachable address is a BatchError naming it).

    Returns
    -------
    pandas.DataFrame
        The runs of this call, columns as in the module doc, sorted by scenario, variant,
        backend, seed. ``df.attrs`` holds ``n_runs``, ``n_executed`` and ``n_skipped``.

    Raises
    ------
    BatchInterrupted
        Ctrl-C: the runs finished so far are recorded (``results.csv`` rewritten from them);
        a KeyboardInterrupt, so callers that do not know it still stop.
    BatchError
        A bad argument (unknown executor or backend, ``workers < 1``, no scenarios, clashing
        labels), ``executor="ray"`` without Ray installed, an unreachable ``ray_address``.
        Failures of single runs never raise: they are ``"error"`` rows.
    """
    items = [as_batch_scenario(s) for s in scenarios]
    backends, seeds = list(backends), [int(seed) for seed in seeds]
    _check_arguments(items, backends, seeds, time_limit_s, workers, executor)
    out = Path(out_dir) if out_dir is not None else None
    runs = _plan_runs(items, backends, seeds, time_limit_s, solution_limit)
    rows, todo = _recorded(out, runs, retry_errors=retry_errors)
    logger.info("batch: %d runs (%d scenarios x %d backends x %d seeds): %d to run, %d already recorded "
                "in %s", len(runs), len(items), len(backends), len(seeds), len(todo), len(runs) - len(todo), out)

    def finished(run: Run, outcome: dict[str, Any], *, persist: bool) -> None:
        rows[run.key] = outcome["row"]
        if out is not None and persist:
            save_outcome(out, run, outcome)

    try:     # an unreachable ray_address is found (within ray_timeout_s) before any run starts
        execute_all(todo, executor=executor, workers=workers, ray_address=ray_address,
                    progress=progress, on_result=finished, ray_timeout_s=ray_timeout_s)
    except KeyboardInterrupt:
        _interrupted(out, n_new=len(rows) - (len(runs) - len(todo)), n_todo=len(todo), n_runs=len(runs))

    table = results_table([rows[run.key] for run in runs])
    if out is not None:
        rewrite_results(out)
    n_errors = int((table["status"] == ERROR_STATUS).sum()) if len(table) else 0
    if n_errors:
        logger.warning("batch: %d of %d runs failed (status 'error'; see the error column)", n_errors, len(runs))
    table.attrs.update(n_runs=len(runs), n_executed=len(todo), n_skipped=len(runs) - len(todo))
    return table


def _interrupted(out: Path | None, *, n_new: int, n_todo: int, n_runs: int) -> None:
    """Ctrl-C: rewrite ``results.csv`` from the records kept, raise BatchInterrupted saying so."""
    if out is not None:
        rewrite_results(out)
    where = (f"recorded in {out}; re-run the same command to resume" if out is not None
             else "not recorded (no out_dir)")
    logger.info("batch: interrupted after %d of %d runs", n_new, n_todo)
    raise BatchInterrupted(f"{n_new} of {n_todo} runs finished before the interrupt, "
                           f"{n_runs - n_todo} were already recorded; {where}") from None


def _plan_runs(items: list[BatchScenario], backends: list[str], seeds: list[int], time_limit_s: float,
               solution_limit: int | None) -> list[Run]:
    """One Run per (scenario, backend, seed); BatchError when two share a key."""
    runs: list[Run] = []
    keys: dict[str, str] = {}
    for item in items:
        label = scenario_label(item)
        source = item.source if isinstance(item.source, Problem) else str(Path(item.source).resolve())
        digest = input_hash(source)
        for backend in backends:
            for seed in seeds:
                key = run_key(label, backend, seed, variant=item.variant, time_limit_s=time_limit_s,
                              solution_limit=solution_limit)
                where = f"{label!r}" + (f" variant {item.variant!r}" if item.variant else "")
                if key in keys:
                    raise BatchError(f"scenarios: two runs share the key {key!r} ({keys[key]} and "
                                     f"{where}); give each scenario a distinct name (BatchScenario(name=...))")
                keys[key] = where
                runs.append(Run(key=key, scenario=label, variant=item.variant, source=source,
                                backend=backend, seed=seed, time_limit_s=float(time_limit_s),
                                solution_limit=solution_limit,
                                fingerprint=fingerprint(digest, time_limit_s, solution_limit,
                                                        backend=backend, seed=seed)))
    return runs


def _recorded(out: Path | None, runs: list[Run], *, retry_errors: bool
              ) -> tuple[dict[str, dict[str, Any]], list[Run]]:
    """The rows of runs already recorded under ``out`` with the same fingerprint, and the runs to do."""
    rows: dict[str, dict[str, Any]] = {}
    todo: list[Run] = []
    for run in runs:
        record = read_record(out, run.key) if out is not None else None
        if record is not None and record.get("fingerprint") == run.fingerprint and not (
                retry_errors and record["row"].get("status") == ERROR_STATUS):
            rows[run.key] = record["row"]
        else:
            if record is not None:
                logger.info("batch: redoing %s (%s)", run.key,
                            "input or settings changed" if record.get("fingerprint") != run.fingerprint
                            else "retrying an error")
            todo.append(run)
    return rows, todo


def kpi_columns(df: "pd.DataFrame") -> list[str]:
    """The columns of a batch table that do not depend on run time (all but ``wall_s``).

    Two batches with the same seeds on a deterministic backend agree on these columns::

        cols = kpi_columns(a); a[cols].equals(b[cols])
    """
    return [c for c in df.columns if c not in VOLATILE_COLUMNS]


def _check_arguments(items: list[BatchScenario], backends: list[str], seeds: list[int], time_limit_s: float,
                     workers: int, executor: str) -> None:
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
    unknown = [b for b in backends if b not in BACKENDS]
    if unknown:
        raise BatchError(f"backends: unknown backend {unknown[0]!r} (expected one of {', '.join(BACKENDS)})")


__all__ = ["BatchError", "BatchInterrupted", "BatchScenario", "ERROR_STATUS", "EXECUTORS", "ID_COLUMNS", "RUN_COLUMNS",
           "VOLATILE_COLUMNS", "kpi_columns", "load_results", "results_table", "run_batch", "run_key",
           "scenario_label"]
