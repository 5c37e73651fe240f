"""Peer solvers on a Solomon instance, each used plainly, as a newcomer would.

Every runner takes a :class:`solomon.SolomonInstance` and a time limit and returns a
:class:`PeerResult` (vehicles, distance, wall_s, feasible, ...). Whatever the peer reports, its
routes are re-checked by :func:`solomon.check_routes` (capacity, windows, every customer once)
and the distance is re-summed there in DIMACS tenths; ``reported_distance`` keeps the peer's own
figure for comparison. ``wall_s`` covers model building and solving, not the re-check.

- ``ortools``: OR-Tools routing with its default search parameters except the first solution
  strategy PARALLEL_CHEAPEST_INSERTION and the GUIDED_LOCAL_SEARCH metaheuristic; arc cost =
  truncated distance in integer tenths; a time dimension (travel + service, tenths) with the
  windows; a capacity dimension; the file's fleet; stops on the time limit.
- ``pyvrp``: the instance written out as a VRPLIB file and read back with
  ``pyvrp.read(..., round_func="dimacs")`` (pyvrp.read only reads VRPLIB), then ``pyvrp.solve``
  with ``MaxRuntime``.
- ``vroom``: pyvroom with a custom integer matrix in tenths (durations; costs default to them),
  vehicles with capacity and the depot window, jobs with service, window and delivery amount;
  ``solve(exploration_level=5, nb_threads=1, timeout=time limit)``. VROOM usually stops on its
  own well before the timeout; the wall time is what it took.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from solomon import SolomonInstance, check_routes


@dataclass(frozen=True)
class PeerResult:
    vehicles: int
    distance: float                      # re-summed here, DIMACS tenths / 10
    wall_s: float
    feasible: bool                       # re-checked here
    reported_distance: float | None = None
    problems: tuple[str, ...] = field(default=())

    def __iter__(self):
        """Unpacks as ``vehicles, distance, wall_s, feasible``."""
        return iter((self.vehicles, self.distance, self.wall_s, self.feasible))


def _result(inst: SolomonInstance, routes: list[list[int]], wall_s: float,
            reported: float | None) -> PeerResult:
    check = check_routes(inst, routes)
    return PeerResult(vehicles=check.vehicles, distance=check.distance, wall_s=wall_s,
                      feasible=check.feasible, reported_distance=reported, problems=check.problems)


def run_ortools(inst: SolomonInstance, time_limit_s: float, seed: int = 0) -> PeerResult:
    """OR-Tools routing, plain: PARALLEL_CHEAPEST_INSERTION + GUIDED_LOCAL_SEARCH (seed unused)."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    started = time.perf_counter()
    n = inst.num_customers + 1
    dist = inst.tenths().tolist()
    service = [int(s) * 10 for s in inst.service]
    demand = [int(q) for q in inst.demand]
    horizon = inst.horizon * 10

    manager = pywrapcp.RoutingIndexManager(n, inst.vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)

    def distance_cb(i, j):
        return dist[manager.IndexToNode(i)][manager.IndexToNode(j)]

    def time_cb(i, j):
        a, b = manager.IndexToNode(i), manager.IndexToNode(j)
        return service[a] + dist[a][b]

    def demand_cb(i):
        return demand[manager.IndexToNode(i)]

    arc = routing.RegisterTransitCallback(distance_cb)
    routing.SetArcCostEvaluatorOfAllVehicles(arc)
    routing.AddDimension(routing.RegisterTransitCallback(time_cb), horizon, horizon, False, "Time")
    time_dim = routing.GetDimensionOrDie("Time")
    for node in range(1, n):
        time_dim.CumulVar(manager.NodeToIndex(node)).SetRange(int(inst.ready[node]) * 10, int(inst.due[node]) * 10)
    for v in range(inst.vehicles):
        time_dim.CumulVar(routing.Start(v)).SetRange(int(inst.ready[0]) * 10, horizon)
        time_dim.CumulVar(routing.End(v)).SetRange(int(inst.ready[0]) * 10, horizon)
    routing.AddDimensionWithVehicleCapacity(routing.RegisterUnaryTransitCallback(demand_cb), 0,
                                            [inst.capacity] * inst.vehicles, True, "Capacity")

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(int(time_limit_s * 1000))
    solution = routing.SolveWithParameters(params)
    routes: list[list[int]] = []
    reported = None
    if solution is not None:
        reported = solution.ObjectiveValue() / 10
        for v in range(inst.vehicles):
            index = solution.Value(routing.NextVar(routing.Start(v)))
            route = []
            while not routing.IsEnd(index):
                route.append(manager.IndexToNode(index))
                index = solution.Value(routing.NextVar(index))
            routes.append(route)
    wall_s = time.perf_counter() - started
    return _result(inst, routes, wall_s, reported)


def write_vrplib(inst: SolomonInstance, path: str | Path) -> None:
    """The instance in VRPLIB form (EUC_2D, undrounded: the reader applies the rounding)."""
    n = inst.num_customers + 1
    lines = [f"NAME : {inst.name}", "TYPE : VRPTW", f"DIMENSION : {n}", f"VEHICLES : {inst.vehicles}",
             f"CAPACITY : {inst.capacity}", "EDGE_WEIGHT_TYPE : EUC_2D", "NODE_COORD_SECTION"]
    lines += [f"{i + 1} {inst.x[i]:g} {inst.y[i]:g}" for i in range(n)]
    lines.append("DEMAND_SECTION")
    lines += [f"{i + 1} {inst.demand[i]}" for i in range(n)]
    lines.append("TIME_WINDOW_SECTION")
    lines += [f"{i + 1} {inst.ready[i]} {inst.due[i]}" for i in range(n)]
    lines.append("SERVICE_TIME_SECTION")
    lines += [f"{i + 1} {inst.service[i]}" for i in range(n)]
    lines += ["DEPOT_SECTION", "1", "-1", "EOF"]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_pyvrp(inst: SolomonInstance, time_limit_s: float, seed: int = 0) -> PeerResult:
    """PyVRP: pyvrp.read(round_func="dimacs") on the VRPLIB form, pyvrp.solve with MaxRuntime."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="solomon-") as tmp:
        path = Path(tmp) / f"{inst.name}.vrp"
        write_vrplib(inst, path)
        data = pyvrp.read(path, round_func="dimacs")
    remaining = max(0.01, time_limit_s - (time.perf_counter() - started))
    res = pyvrp.solve(data, stop=MaxRuntime(remaining), seed=seed, collect_stats=False, display=False)
    clients = data.clients()
    routes = [[clients[a.idx].location for a in route if a.is_client()] for route in res.best.routes()]
    wall_s = time.perf_counter() - started
    return _result(inst, routes, wall_s, res.best.distance() / 10)


def run_vroom(inst: SolomonInstance, time_limit_s: float, seed: int = 0) -> PeerResult:
    """VROOM via pyvroom at exploration level 5, one thread (seed unused: VROOM is deterministic)."""
    import vroom

    started = time.perf_counter()
    n = inst.num_customers + 1
    problem = vroom.Input()
    problem.set_durations_matrix("car", inst.tenths())
    depot_tw = vroom.TimeWindow(int(inst.ready[0]) * 10, inst.horizon * 10)
    for v in range(inst.vehicles):
        problem.add_vehicle(vroom.Vehicle(id=v + 1, start=0, end=0, capacity=[inst.capacity],
                                          time_window=depot_tw))
    for i in range(1, n):
        problem.add_job(vroom.Job(id=i, location=i, default_service=int(inst.service[i]) * 10,
                                  delivery=[int(inst.demand[i])],
                                  time_windows=[vroom.TimeWindow(int(inst.ready[i]) * 10, int(inst.due[i]) * 10)]))
    solution = problem.solve(exploration_level=5, nb_threads=1,
                             timeout=dt.timedelta(seconds=float(time_limit_s)))
    frame = solution.routes
    routes = [[int(job) for job in group.loc[group["type"] == "job", "id"]]
              for _, group in frame.groupby("vehicle_id", sort=True)]
    reported = float(solution.summary.cost) / 10 if hasattr(solution, "summary") else None
    wall_s = time.perf_counter() - started
    return _result(inst, routes, wall_s, reported)


PEERS = {"ortools": run_ortools, "pyvrp": run_pyvrp, "vroom": run_vroom}
