"""Travel-matrix build benchmarks (outside the default test run, which collects tests/ only).

pytest-benchmark::

    .venv/bin/python -m pytest benchmarks/bench_travel.py --benchmark-only

or as a script printing wall-clock timings::

    .venv/bin/python benchmarks/bench_travel.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from dispatchopt.domain import Location, TravelSpec
from dispatchopt.travel.graph import graph_matrix
from dispatchopt.travel.haversine import haversine_matrix

HAVERSINE_LOCATIONS = 2000
GRID_SIDE = 45                 # 45 x 45 = 2,025 road nodes
GRAPH_LOCATIONS = (200, 500, 2000)


def random_locations(n: int, seed: int = 0) -> list[Location]:
    """n points in a ~40 x 45 km box around Qingdao."""
    rng = np.random.default_rng(seed)
    lat = 36.0 + rng.random(n) * 0.4
    lon = 120.1 + rng.random(n) * 0.5
    return [Location(lat=float(a), lon=float(b)) for a, b in zip(lat, lon)]


def write_grid_graph(path: Path, side: int = GRID_SIDE, seed: int = 0) -> Path:
    """A side x side street grid over the same box: lat/lon nodes, 'length' metres, random 'speed_kmh',
    with ~5 % of the streets missing and a few fast diagonals."""
    rng = np.random.default_rng(seed)
    lats = np.linspace(36.0, 36.4, side)
    lons = np.linspace(120.1, 120.6, side)
    g = nx.Graph()
    for i in range(side):
        for j in range(side):
            g.add_node(f"{i}_{j}", lat=float(lats[i]), lon=float(lons[j]))
    dlat_m = (lats[1] - lats[0]) * 111_195.0
    dlon_m = (lons[1] - lons[0]) * 111_195.0 * np.cos(np.radians(36.2))
    for i in range(side):
        for j in range(side):
            for di, dj, base in ((1, 0, dlat_m), (0, 1, dlon_m), (1, 1, float(np.hypot(dlat_m, dlon_m)))):
                a, b = i + di, j + dj
                if a >= side or b >= side:
                    continue
                diagonal = di and dj
                if diagonal and rng.random() > 0.05:
                    continue
                if not diagonal and rng.random() < 0.05:
                    continue
                g.add_edge(f"{i}_{j}", f"{a}_{b}", length=float(base * rng.uniform(1.0, 1.3)),
                           speed_kmh=float(rng.choice([20.0, 30.0, 40.0, 60.0] if not diagonal else [80.0])))
    nx.write_graphml(g, path)
    return path


# -- pytest-benchmark -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def grid_graph(tmp_path_factory):
    return write_grid_graph(tmp_path_factory.mktemp("roads") / "grid.graphml")


def test_haversine_2000(benchmark):
    locations = random_locations(HAVERSINE_LOCATIONS)
    m = benchmark(haversine_matrix, locations, TravelSpec(model="haversine"))
    assert m.seconds.shape == (HAVERSINE_LOCATIONS, HAVERSINE_LOCATIONS)


@pytest.mark.parametrize("n_locations", GRAPH_LOCATIONS)
def test_graph_2025_nodes(benchmark, grid_graph, n_locations):
    locations = random_locations(n_locations, seed=1)
    spec = TravelSpec(model="graph", graph=str(grid_graph))
    m = benchmark.pedantic(graph_matrix, args=(locations, spec), rounds=1, iterations=1)
    assert m.seconds.shape == (n_locations, n_locations)


# -- script -----------------------------------------------------------------------------------
def _best_of(repeat: int, fn, *args) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the best is printed")
    args = parser.parse_args(argv)

    seconds, _ = _best_of(args.repeat, haversine_matrix, random_locations(HAVERSINE_LOCATIONS),
                          TravelSpec(model="haversine"))
    print(f"haversine  {HAVERSINE_LOCATIONS:>5} locations                      {seconds:8.3f} s")
    with tempfile.TemporaryDirectory() as tmp:
        path = write_grid_graph(Path(tmp) / "grid.graphml")
        graph = nx.read_graphml(path)
        t0 = time.perf_counter()
        nx.read_graphml(path)
        read_s = time.perf_counter() - t0
        print(f"graph      {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges: "
              f"read_graphml alone {read_s:.3f} s")
        for n in GRAPH_LOCATIONS:
            spec = TravelSpec(model="graph", graph=str(path))
            seconds, m = _best_of(1 if n >= 1000 else args.repeat, graph_matrix, random_locations(n, seed=1), spec)
            distinct = len({tuple(row) for row in m.seconds.tolist()})
            print(f"graph      {n:>5} locations (~{distinct} distinct rows)         {seconds:8.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
