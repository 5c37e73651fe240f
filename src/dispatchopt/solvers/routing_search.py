"""The OR-Tools routing search of :mod:`.routing`: its parameters and its stop rules (the stall
limit and a caller's ``stop``)."""

from __future__ import annotations

import time

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from ..domain import Problem
from .stopping import Stop


def _tune_operators(params) -> None:
    """Switch off the insertion-heuristic LNS operators: on plans with unperformed visits they
    run whole insertion heuristics between limit checks and overran the time limit twofold
    (measured on the city day); the plain move operators and GLS do the work."""
    ops = params.local_search_operators
    off = 2  # BOOL_FALSE
    for name in ("use_global_cheapest_insertion_path_lns", "use_local_cheapest_insertion_path_lns",
                 "use_relocate_path_global_cheapest_insertion_insert_unperformed",
                 "use_global_cheapest_insertion_visit_types_lns",
                 "use_local_cheapest_insertion_visit_types_lns"):
        setattr(ops, name, off)


def default_stall_s(problem: Problem, time_limit_s: float) -> float:
    """0.05 s per job, at least 1 s, at most half the limit: a 1 x 1 day stops after about 1 s;
    GLS on 100-customer Solomon instances pauses for seconds between improvements (a 1-3 s
    stall cost 3-8 % of distance on R211/RC201), so bigger days get longer."""
    return min(0.5 * time_limit_s, max(1.0, 0.05 * len(problem.jobs)))


def stop_when_stalled(routing, stall_s: float | None, stop: Stop | None = None) -> dict:
    """Stop the search once the time since the last better solution exceeds both ``stall_s``
    and the time the search took to find it (a 1 x 1 day must not spend its whole limit
    proving nothing improves; a search still improving late keeps going: on Solomon R211 a
    flat 2 s stall cost 8 % of distance). ``stall_s`` None: no stall limit (a solution limit
    ends the search). ``stop`` (a caller's "hand back the best now"), when given, ends it too: the
    limit is consulted at every search node, so the search ends within a few milliseconds of
    ``stop()`` turning true, keeping its best solution. Returns the live counters (``t0_s``:
    search start; ``stopped``: whether ``stop`` ended it)."""
    now = time.perf_counter()
    track = {"solutions": 0, "best": None, "last_s": now, "t0_s": now, "improvements": 0, "stopped": False}

    def on_solution() -> None:
        cost = routing.CostVar().Value()
        track["solutions"] += 1
        if track["best"] is None or cost < track["best"]:
            track["best"] = cost
            track["last_s"] = time.perf_counter()
            track["improvements"] += 1

    def limit_reached() -> bool:
        if stop is not None and stop():
            track["stopped"] = True
            return True
        return stall_s is not None and \
            time.perf_counter() - track["last_s"] > max(stall_s, track["last_s"] - track["t0_s"])

    routing.AddAtSolutionCallback(on_solution)
    routing.AddSearchMonitor(routing.solver().CustomLimit(limit_reached))
    return track


# Extra operators for plain routing (OR-Tools has them off by default).
PLAIN_OPERATORS = ("use_relocate_neighbors", "use_cross_exchange",
                    "use_global_cheapest_insertion_close_nodes_lns", "use_local_cheapest_insertion_close_nodes_lns",
                    "use_global_cheapest_insertion_expensive_chain_lns",
                    "use_local_cheapest_insertion_expensive_chain_lns")


# Operators that only make visits unperformed: useless when dropping a visit never pays.
DROP_OPERATORS = ("use_make_inactive", "use_make_chain_inactive",
                  "use_relocate_path_global_cheapest_insertion_insert_unperformed")


def search_parameters(*, search_s: float, solution_limit: int | None = None, lns_time_limit_s: float = 1.0,
                      disable_scheduling: bool = False, plain: bool = False, keep_all: bool = False):
    """The routing search parameters: GLS from the warm start, insertion LNS operators off.

    ``plain`` (plain routing, see :func:`quick_start`): the insertion LNS operators stay on and
    :data:`PLAIN_OPERATORS` are switched on too. Solomon's six hard instances at 10 s (loaded
    machine, load average ~10 on 2 cores, one run each): mean gap 6.3 % -> 5.3 % with the
    insertion LNS operators kept (R201 4.2 -> 2.7, RC201 8.1 -> 4.0), 3.7 % with the extra ones
    as well (R211 17.4 -> 6.4, a lucky run: 876.6 in the next, 764.3 in the benchmark run).
    ``keep_all`` (every visit costs more to drop than the longest two legs save):
    :data:`DROP_OPERATORS` off, a faster descent (same conditions, one run: 2.91 % against
    3.05-5.56 %; R101 1678.6 -> 1675.3, R201 1189.9 -> 1184.1, the others equal or R211's luck).

    ``lns_time_limit_s``: OR-Tools' 0.1 s default rejects a large warm start in
    ``SolveFromAssignmentWithParameters`` (issue 11); ``disable_scheduling`` switches off the
    per-move LP/CP-SAT scheduling filters (soft SLA bounds + breaks make every move solve one)."""
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    if plain:
        for name in PLAIN_OPERATORS:
            setattr(params.local_search_operators, name, 3)  # BOOL_TRUE
    else:
        _tune_operators(params)
    if keep_all:
        for name in DROP_OPERATORS:
            setattr(params.local_search_operators, name, 2)  # BOOL_FALSE
    params.time_limit.FromMilliseconds(int(search_s * 1000))
    params.lns_time_limit.FromMilliseconds(int(lns_time_limit_s * 1000))
    if disable_scheduling:
        params.disable_scheduling_beware_this_may_degrade_performance = True
    if solution_limit is not None:
        params.solution_limit = solution_limit
    return params


__all__ = ["DROP_OPERATORS", "PLAIN_OPERATORS", "default_stall_s", "search_parameters", "stop_when_stalled"]
