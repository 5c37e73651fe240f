"""Worker processes and progress bars: the one home of what batch, simulate and the territory
decomposition share (standard library only, so every layer may use it).

:func:`open_pool` starts a pool of *spawned* processes (never forked: a parent may hold threads)
whose log records come back to this process's ``dispatchopt`` handlers (a spawned worker has
none, and Python's last-resort handler would print to stderr) and which end when this process
is gone (killed with SIGKILL, a pool's workers would otherwise live on, holding its pipes).
:func:`progress_bar` is a tqdm bar on a terminal and nothing in a pipe.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import logging.handlers
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any


class _Forward(logging.Handler):
    """Hands a record from a worker to the logger of the same name in this process."""

    def emit(self, record: logging.LogRecord) -> None:
        target = logging.getLogger(record.name)
        if target.isEnabledFor(record.levelno):
            target.handle(record)


def _exit_with_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(0.5)
    os._exit(1)     # the parent died: nobody is left to take this worker's result


def _init_worker(log_queue: Any, level: int, parent_pid: int) -> None:
    # Ctrl-C in a terminal reaches the whole process group: the parent alone handles it (it keeps
    # what finished and terminates the workers), so no run cut short by it comes back as a result
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), name="dispatchopt-orphan-watch",
                     daemon=True).start()
    root = logging.getLogger("dispatchopt")
    root.handlers[:] = [logging.handlers.QueueHandler(log_queue)]
    root.setLevel(level)
    root.propagate = False


def open_pool(workers: int) -> tuple[cf.ProcessPoolExecutor, Callable[[], None]]:
    """A pool of ``workers`` spawned processes and the function that stops their log
    forwarding (call it after the pool is shut down)."""
    context = multiprocessing.get_context("spawn")
    log_queue = context.Queue()
    listener = logging.handlers.QueueListener(log_queue, _Forward())
    listener.start()
    level = logging.getLogger("dispatchopt").getEffectiveLevel()
    pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker,
                                  initargs=(log_queue, level, os.getpid()))

    def close_logs() -> None:
        listener.stop()
        log_queue.close()

    return pool, close_logs


def map_in_pool(fn: Callable[[Any], Any], tasks: list[Any], *, workers: int,
                done: Callable[[Any, Any], None], lost: Callable[[Any, Exception], None],
                meanwhile: Callable[[], None] | None = None, stop: Callable[[], bool] | None = None,
                poll_s: float = 0.2) -> bool:
    """Run ``fn(task)`` for every task in a pool of :func:`open_pool`: ``done(task, result)`` as
    each finishes, ``lost(task, exc)`` when its worker failed (died, or the task did not pickle);
    ``meanwhile()`` runs here once every task is submitted. On Ctrl-C (or a callback that
    raises) the tasks not started are dropped and the running ones stopped.

    ``stop``: asked after ``meanwhile`` and then every ``poll_s`` seconds while tasks run; once
    it returns true the tasks not started are cancelled, the running workers terminated, and
    the call returns False (True: every task ran). A result that has arrived is still handed
    to ``done`` first."""
    pool, close_logs = open_pool(min(workers, len(tasks)))
    try:
        futures = {pool.submit(fn, task): task for task in tasks}
        if meanwhile is not None:
            meanwhile()
        pending = set(futures)
        while pending:
            if stop is not None and stop():
                _terminate(pool)
                return False
            finished, pending = cf.wait(pending, timeout=None if stop is None else poll_s,
                                        return_when=cf.FIRST_COMPLETED)
            for future in finished:
                task = futures[future]
                try:
                    result = future.result()
                except Exception as exc:  # the worker process died (BrokenProcessPool, pickling, ...)
                    lost(task, exc)
                else:
                    done(task, result)
    except BaseException:
        _terminate(pool)
        raise
    else:
        pool.shutdown(wait=True)
    finally:
        close_logs()
    return True


def _terminate(pool: cf.ProcessPoolExecutor) -> None:
    """Drop the tasks not started and stop the running ones."""
    # ProcessPoolExecutor has no public way to stop running work before Python 3.14
    # (terminate_workers); its _processes map is the documented-by-source way meanwhile.
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(total: int, progress: bool, *, desc: str, unit: str) -> Any:
    """A tqdm bar on stderr when ``progress`` and stderr is a terminal, else a silent stand-in."""
    if not progress or not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty()):
        return _NoBar()
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _NoBar()
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr)
