"""Solver backends behind one entry point: :func:`solve`.

Backends (:data:`BACKENDS`):

- ``"auto"`` (the default): PyVRP when the problem is plain routing (no skills, shifts,
  breaks, crews...; see :func:`.pyvrp_backend.is_plain_routing`) of at least
  :data:`PYVRP_MIN_JOBS` jobs, the decomposition
  (``solvers.decompose.solve_decomposed``, when installed) for days of more than
  :data:`DECOMPOSE_MIN_JOBS` jobs, else ``"portfolio"``. Options PyVRP cannot honour send a
  plain-routing problem to the portfolio instead.
- ``"portfolio"``: the field-service engine (:mod:`.portfolio`): construction, VROOM with the
  crews fixed, repair, OR-Tools on the exact model from the cheapest plan.
- ``"ortools"``: OR-Tools routing alone, warm-started from the greedy plan (or ``initial``).
- ``"vroom"``: VROOM alone with the crews of the construction fixed (:mod:`.vroom_backend`).
- ``"greedy"``: the dispatcher by hand; ``"pyvrp"``: PyVRP, plain-routing problems only.

The backend actually used (``portfolio:<phase that won>`` for the portfolio) is in
``result.plan.solver.backend`` and ``result.stats.extra["backend"]``; the time per phase in
``result.stats.extra["phases"]``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

from ..domain import Problem
from ..errors import ParameterError
from ..objective import plan_cost
from ..plan import Plan
from .base import Result as Result, SolveStatus as SolveStatus, Statistics as Statistics

BACKENDS = ("auto", "portfolio", "ortools", "vroom", "greedy", "pyvrp")
DEFAULT_BACKEND = "auto"
PYVRP_MIN_JOBS = 20                # auto: smaller plain days go to the portfolio, which stops early
                                   # (PyVRP runs to its time limit: 10 s for one job)
# auto: above this many jobs, solve by territories. Measured at 150 x 2000 load 1.2, 60 s (busy
# machine): the whole-day portfolio 0.918 on time / 1,911 served / 4.32 travel min per job,
# the decomposition 0.842 / 1,768 / 3.87 (VROOM peer 0.935 / 1,900 / 5.13): 2,000 stays whole.
DECOMPOSE_MIN_JOBS = 3000

# Which options each explicit backend honours (the others raise ParameterError).
_HONOURS = {
    "portfolio": {"initial", "solution_limit", "churn_penalty_min"},
    "ortools": {"initial", "solution_limit", "churn_penalty_min"},
    "vroom": set(),
    "greedy": set(),
    "pyvrp": set(),
    "decomposed": set(),
}


def _decomposer():
    try:
        from .decompose import solve_decomposed
    except ImportError:
        return None
    return solve_decomposed


def choose_backend(problem: Problem, *, options: set[str] = frozenset()) -> str:
    """What ``backend="auto"`` runs for ``problem`` given the non-default ``options``."""
    from .pyvrp_backend import is_plain_routing

    if not options and len(problem.jobs) >= PYVRP_MIN_JOBS and is_plain_routing(problem):
        return "pyvrp"
    if options <= {"solution_limit"} and len(problem.jobs) > DECOMPOSE_MIN_JOBS and _decomposer() is not None:
        return "decomposed"
    return "portfolio"


def _check(backend: str, time_limit_s: float, seed: int, given: set[str]) -> None:
    if backend not in BACKENDS:
        raise ParameterError(f"backend: unknown backend {backend!r} (expected one of {', '.join(BACKENDS)})")
    if isinstance(time_limit_s, bool) or not isinstance(time_limit_s, (int, float)) \
            or not math.isfinite(time_limit_s) or time_limit_s <= 0:
        raise ParameterError(f"time_limit_s: must be a positive finite number of seconds, got {time_limit_s!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ParameterError(f"seed: must be an integer, got {seed!r}")
    if backend != "auto":
        refused = sorted(given - _HONOURS[backend])
        if refused:
            raise ParameterError(f"{refused[0]}: the {backend!r} backend cannot honour it "
                                 f"(it honours {', '.join(sorted(_HONOURS[backend])) or 'no such option'})")


def solve(problem: Problem, *, backend: str = DEFAULT_BACKEND, time_limit_s: float = 30.0, seed: int = 0,
          initial: Plan | None = None, solution_limit: int | None = None,
          churn_penalty_min: float = 0.0, stop: Callable[[], bool] | None = None) -> Result:
    """Plan ``problem``. Always returns a feasible plan; read the outcome off ``result.status``.

    Parameters
    ----------
    backend : one of :data:`BACKENDS` (default ``"auto"``, see the module doc).
    time_limit_s : wall-clock budget of the whole call, in seconds (positive, finite). The
        portfolio stops earlier when nothing improves.
    seed : recorded in the plan; makes tie-breaking reproducible.
    initial : a plan to warm-start from (e.g. the published plan in a live re-plan).
    solution_limit : stop OR-Tools after this many solutions (reproducible runs); the
        portfolio then also runs VROOM to its own end instead of to a timeout.
    churn_penalty_min : with ``initial``, the cost (in travel minutes) of moving a job to
        another technician than in ``initial`` (live re-plans).
    stop : a function of no argument (e.g. ``threading.Event().is_set``); once it returns true
        the search ends and returns the best plan it has found so far, within about a second
        (``result.stats.extra["stopped"]`` is then True). Every backend honours it; the
        greedy, which takes well under a second, runs to its end.

    Raises
    ------
    ParameterError : an unknown backend, a bad time limit or seed, or an option the chosen
        backend cannot honour (``initial``, ``solution_limit``, ``churn_penalty_min`` on
        ``greedy``, ``pyvrp`` or ``vroom``).
    """
    given = {name for name, value in (("initial", initial), ("solution_limit", solution_limit))
             if value is not None}
    if churn_penalty_min:
        given.add("churn_penalty_min")
    _check(backend, time_limit_s, seed, given)
    if solution_limit is not None and (isinstance(solution_limit, bool) or not isinstance(solution_limit, int)
                                       or solution_limit < 1):
        raise ParameterError(f"solution_limit: must be a positive integer, got {solution_limit!r}")
    if backend == "auto":
        backend = choose_backend(problem, options=given)
    if stop is not None and not callable(stop):
        raise ParameterError(f"stop: must be a function of no argument returning a bool, got {stop!r}")
    result = _dispatch(problem, backend, time_limit_s=time_limit_s, seed=seed, initial=initial,
                       solution_limit=solution_limit, churn_penalty_min=churn_penalty_min, stop=stop)
    # One objective for every backend, so that plans compare.
    cost = plan_cost(problem, result.plan)
    used = result.stats.extra.get("backend") or result.plan.solver.backend
    plan = replace(result.plan, solver=replace(result.plan.solver, objective=cost, backend=used))
    extra = dict(result.stats.extra)
    extra["backend"] = used
    extra["stopped"] = bool(extra.get("stopped")) or (stop is not None and bool(stop()))
    if not isinstance(extra.get("phases"), dict):
        if "phases" in extra:
            extra[f"{backend}_phases"] = extra["phases"]
        extra["phases"] = {f"{backend}_s": result.stats.wall_s}
    return replace(result, plan=plan, stats=replace(result.stats, objective=cost, extra=extra))


def _dispatch(problem: Problem, backend: str, *, time_limit_s: float, seed: int, initial: Plan | None,
              solution_limit: int | None, churn_penalty_min: float, stop: Callable[[], bool] | None) -> Result:
    if backend == "greedy":
        from .greedy import solve_greedy

        return solve_greedy(problem, seed=seed, time_limit_s=time_limit_s)
    if backend == "pyvrp":
        from .pyvrp_backend import solve_pyvrp

        return solve_pyvrp(problem, time_limit_s=time_limit_s, seed=seed, stop=stop)
    if backend == "vroom":
        from .vroom_backend import solve_vroom

        return solve_vroom(problem, time_limit_s=time_limit_s, seed=seed, stop=stop)
    if backend == "decomposed":
        return _decomposer()(problem, time_limit_s=time_limit_s, seed=seed, solution_limit=solution_limit,
                             stop=stop)
    if backend == "portfolio":
        from .portfolio import solve_portfolio

        return solve_portfolio(problem, time_limit_s=time_limit_s, seed=seed, initial=initial,
                               churn_penalty_min=churn_penalty_min, solution_limit=solution_limit, stop=stop)
    from .routing import solve_routing

    return solve_routing(problem, time_limit_s=time_limit_s, seed=seed, initial=initial,
                         solution_limit=solution_limit, churn_penalty_min=churn_penalty_min, stop=stop)


__all__ = ["BACKENDS", "DEFAULT_BACKEND", "Result", "SolveStatus", "Statistics", "choose_backend", "solve"]
