"""Stochastic simulation of a day: how a plan fares on the day as it may happen.

:func:`simulate` draws random days (new emergencies and urgent jobs through the day, service
times around the planned ones, customers not at home, technicians falling ill: :mod:`.draw`),
replays each through the live engine, checking every plan it publishes (:mod:`.replay`; the
answer of ``verify``, re-checking only what each event changed: :mod:`.checking`), and
reports the distribution of the executed KPIs over the runs (:class:`SimulationResult`, :meth:`SimulationResult.table`). This is how a planner compares two
plans, two preemption policies or two staffing levels on robustness.

    result = simulate(problem, plan, runs=200, seed=0, workers=2)
    print(result.table())        # mean, p5, p50, p95 of on-time (overall, by category), travel...
"""

from .checking import PlanChecker as PlanChecker
from .draw import Day as Day, DayParams as DayParams, draw_day as draw_day
from .replay import Executed as Executed, SimulationError as SimulationError, replay_day as replay_day
from .result import RunFailure as RunFailure, SimulationResult as SimulationResult
from .runs import simulate as simulate

__all__ = ["Day", "DayParams", "Executed", "PlanChecker", "RunFailure", "SimulationError",
           "SimulationResult", "draw_day", "replay_day", "simulate"]
