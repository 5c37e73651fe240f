"""Where a batch's runs execute: inline, in local worker processes, or as Ray tasks.

:func:`execute_all` calls ``on_result(run, outcome, persist=...)`` in this process as each run
finishes; ``persist`` is false for a run lost with its worker (it is retried next time).
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import logging
import logging.handlers
import socket
import threading
from collections.abc import Callable
from typing import Any

from ..domain import Problem
from ..workers import map_in_pool, progress_bar
from .runs import ERROR_STATUS, BatchError, Run, execute_run

logger = logging.getLogger("dispatchopt.experiments.batch")   # one logger for the batch machinery

EXECUTORS = ("process", "ray")
"""Values of ``run_batch(executor=...)``."""

# Worker processes are started fresh ("spawn"), never forked: the parent may hold threads (Ray,
# OR-Tools, a GUI) that a fork would copy in an undefined state.


RAY_TIMEOUT_S = 30.0
"""Default time allowed to reach a Ray cluster named by ``ray_address``."""


def execute_all(runs: list[Run], *, executor: str, workers: int, ray_address: str | None,
                progress: bool, on_result: Callable[..., None], ray_timeout_s: float = RAY_TIMEOUT_S) -> None:
    """Execute ``runs`` (see the module doc); a failed run is an outcome, never an exception."""
    if not runs:
        return
    bar = progress_bar(len(runs), progress, desc="dispatchopt batch", unit="run")

    def done(run: Run, outcome: dict[str, Any], *, persist: bool = True) -> None:
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
            _run_ray(runs, workers=workers, ray_address=ray_address, done=done, timeout_s=ray_timeout_s)
        elif workers == 1:
            _run_inline(runs, done=done)
        else:
            _run_processes(runs, workers=workers, done=done)
    finally:
        bar.close()


def _run_inline(runs: list[Run], *, done: Callable[..., None]) -> None:
    """One run after the other, each in a worker thread of this process, so that Ctrl-C reaches
    the main thread at once (inside OR-Tools it would be swallowed until the run ends); on
    Ctrl-C the run in progress is abandoned (its daemon thread ends with the process)."""
    for run in runs:
        box: dict[str, Any] = {}
        thread = threading.Thread(target=lambda r=run: box.update(outcome=execute_run(r)),
                                  name=f"dispatchopt-run-{run.key}", daemon=True)
        thread.start()
        while thread.is_alive():
            thread.join(0.1)
        if "outcome" not in box:     # execute_run raised (a bug: it turns failures into rows)
            done(run, _lost(run, RuntimeError("the run ended without an outcome")), persist=False)
        else:
            done(run, box["outcome"])


def _run_processes(runs: list[Run], *, workers: int, done: Callable[..., None]) -> None:
    map_in_pool(execute_run, runs, workers=workers, done=done,
                lost=lambda run, exc: done(run, _lost(run, exc), persist=False))


def check_ray_address(address: str, timeout_s: float) -> None:
    """BatchError unless the Ray cluster at ``address`` (``host:port`` or ``ray://host:port``;
    ``auto`` is not probed) accepts a TCP connection within ``timeout_s`` seconds; a ``ray://``
    address also needs the Ray client (grpcio)."""
    if address == "auto":
        return
    text = address[len("ray://"):] if address.startswith("ray://") else address
    host, sep, port_text = text.rpartition(":")
    if not sep or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise BatchError(f"ray_address: expected 'auto', 'host:port' or 'ray://host:port', got {address!r}")
    if address.startswith("ray://"):
        try:
            import grpc  # noqa: F401
        except ImportError:
            raise BatchError(f"ray_address {address!r}: a ray:// client address needs the Ray client, "
                             "which is not installed: pip install 'ray[client]' (or give the cluster's "
                             "host:port from one of its nodes)") from None
    try:
        with socket.create_connection((host.strip("[]"), int(port_text)), timeout=timeout_s):
            pass
    except OSError as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else (exc.strerror or type(exc).__name__)
        raise BatchError(f"ray_address {address!r}: no Ray cluster reachable within {timeout_s:g} s "
                         f"({reason}); start one with `ray start --head` or check the address") from None


def start_ray(*, workers: int, ray_address: str | None, timeout_s: float = RAY_TIMEOUT_S) -> Any:
    """The ``ray`` module, initialised: the running instance if there is one, else the cluster
    at ``ray_address`` (probed first, :func:`check_ray_address`), else a local Ray of
    ``workers`` CPUs. BatchError (a ParameterError) when Ray is not installed."""
    try:
        import ray
    except ImportError:
        raise BatchError("executor 'ray' needs Ray, which is not installed: "
                         "pip install 'dispatchopt[ray]' (or use executor='process')") from None
    if ray.is_initialized():
        logger.info("ray: using the running Ray instance (workers=%d not applied)", workers)
    elif ray_address:
        check_ray_address(ray_address, timeout_s)
        logger.info("ray: connecting to the Ray cluster at %s", ray_address)
        ray.init(address=ray_address, ignore_reinit_error=True, logging_level=logging.WARNING)
    else:
        logger.info("ray: starting a local Ray with num_cpus=%d", workers)
        ray.init(num_cpus=workers, include_dashboard=False, ignore_reinit_error=True,
                 logging_level=logging.WARNING, log_to_driver=False)
    return ray


def map_on_ray(fn: Callable[..., Any], tasks: list[Any], *, workers: int, ray_address: str | None,
               done: Callable[[Any, Any], None], lost: Callable[[Any, Exception], None],
               split: Callable[[Any], tuple[Any, Any]] | None = None,
               timeout_s: float = RAY_TIMEOUT_S) -> None:
    """The one Ray loop (batch and simulate): ``fn`` as a Ray task per task, ``done(task,
    result)`` here as each finishes, ``lost(task, exc)`` when the task or its worker died.
    ``split(task) -> (what to send, shared)``: a non-None ``shared`` object (a Problem) is put
    in the object store once (per object) and ``fn(sent, shared)`` is called; otherwise
    ``fn(task)``. On Ctrl-C (or a callback that raises) whatever is queued or running is
    cancelled."""
    ray = start_ray(workers=workers, ray_address=ray_address, timeout_s=timeout_s)
    remote = ray.remote(num_cpus=1, max_retries=0)(fn)
    refs: dict[int, Any] = {}       # one object-store copy per shared object, not one per task
    pending = {}
    for task in tasks:
        sent, shared = split(task) if split is not None else (task, None)
        if shared is None:
            pending[remote.remote(sent)] = task
            continue
        ref = refs.get(id(shared))
        if ref is None:
            ref = refs[id(shared)] = ray.put(shared)
        pending[remote.remote(sent, ref)] = task
    try:
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for item in ready:
                task = pending.pop(item)
                try:
                    result = ray.get(item)
                except Exception as exc:  # the task or its worker died (not an exception in the run)
                    lost(task, exc)
                else:
                    done(task, result)
    except BaseException:
        for item in pending:
            ray.cancel(item, force=True)
        raise


def _split_source(run: Run) -> tuple[Run, Problem | None]:
    if isinstance(run.source, Problem):
        return dataclasses.replace(run, source=None), run.source
    return run, None


def _run_ray(runs: list[Run], *, workers: int, ray_address: str | None, done: Callable[..., None],
             timeout_s: float = RAY_TIMEOUT_S) -> None:
    map_on_ray(execute_run, runs, workers=workers, ray_address=ray_address, timeout_s=timeout_s,
               split=_split_source, done=done, lost=lambda run, exc: done(run, _lost(run, exc), persist=False))


def _lost(run: Run, exc: BaseException) -> dict[str, Any]:
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, cf.process.BrokenProcessPool):
        text += (" (a worker process died: out of memory, a crash in native code, or - when called from"
                 " a script - a missing `if __name__ == '__main__':` guard around the call)")
    logger.error("batch: run %s lost: its worker failed: %s", run.key, text)
    row = {"scenario": run.scenario, "variant": run.variant, "backend": run.backend, "seed": run.seed,
           "time_limit_s": float(run.time_limit_s), "solution_limit": run.solution_limit,
           "status": ERROR_STATUS, "wall_s": None, "error": f"worker: {text}"}
    return {"row": row, "plan": None, "violations": [], "traceback": None}
