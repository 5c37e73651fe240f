"""A synthetic road network of Qingdao and scenarios whose travel runs on it (graph model)."""

from __future__ import annotations

import random
from typing import Any

from .common import haversine_m
from .generate import generate_scenario

__all__ = ["generate_road_graph", "generate_graph_scenario"]


def generate_road_graph(*, rows: int = 30, cols: int = 30, seed: int = 0,
                        box=(36.062, 36.118, 120.335, 120.445), street_kmh: float = 25.0,
                        arterial_kmh: float = 45.0):
    """A synthetic grid-like road network of Qingdao (``networkx.Graph``, undirected).

    ``rows x cols`` intersections (node ids ``"r_c"``, attributes ``lat``, ``lon``) jittered
    a little; streets between neighbours with ``length`` (metres, haversine) and
    ``speed_kmh`` (``street_kmh``; every 6th row and column is an arterial at
    ``arterial_kmh``). About 8 % of the minor street segments are missing (dead ends, parks),
    never on an arterial, and the graph stays connected. A river runs north-south between
    columns ``cols // 2 - 1`` and ``cols // 2``: only the arterial rows cross it (bridges,
    edge attribute ``bridge=True``).
    """
    import networkx as nx

    rng = random.Random(seed)
    lat_lo, lat_hi, lon_lo, lon_hi = box
    graph = nx.Graph(name="qingdao-synthetic-grid")
    dlat = (lat_hi - lat_lo) / (rows - 1)
    dlon = (lon_hi - lon_lo) / (cols - 1)
    for r in range(rows):
        for c in range(cols):
            lat = lat_lo + r * dlat + rng.uniform(-0.12, 0.12) * dlat
            lon = lon_lo + c * dlon + rng.uniform(-0.12, 0.12) * dlon
            graph.add_node(f"{r}_{c}", lat=round(lat, 6), lon=round(lon, 6))

    def arterial_row(r: int) -> bool:
        return r % 6 == 3

    def arterial_col(c: int) -> bool:
        return c % 6 == 3

    river = cols // 2 - 1       # no street crosses between column river and river + 1 ...
    for r in range(rows):
        for c in range(cols):
            here = f"{r}_{c}"
            for (r2, c2) in ((r, c + 1), (r + 1, c)):
                if r2 >= rows or c2 >= cols:
                    continue
                horizontal = r2 == r
                arterial = arterial_row(r) if horizontal else arterial_col(c)
                bridge = horizontal and c == river
                if bridge and not arterial:
                    continue            # ... except on the arterial rows (bridges)
                if not arterial and not bridge and rng.random() < 0.08:
                    continue
                there = f"{r2}_{c2}"
                a, b = graph.nodes[here], graph.nodes[there]
                length = haversine_m(a["lat"], a["lon"], b["lat"], b["lon"])
                attrs = {"length": round(length, 1),
                         "speed_kmh": arterial_kmh if arterial else street_kmh}
                if bridge:
                    attrs["bridge"] = True
                    attrs["length"] = round(length * 1.15, 1)   # approach ramps
                graph.add_edge(here, there, **attrs)
    # Keep it connected: re-add dropped street segments to islands.
    comps = sorted(nx.connected_components(graph), key=len, reverse=True)
    main = comps[0]
    for comp in comps[1:]:
        for node in sorted(comp):
            r, c = (int(x) for x in node.split("_"))
            linked = False
            for (r2, c2) in ((r, c + 1), (r + 1, c), (r, c - 1), (r - 1, c)):
                other = f"{r2}_{c2}"
                crosses = r2 == r and min(c, c2) == river
                if other in main and not crosses:
                    a, b = graph.nodes[node], graph.nodes[other]
                    graph.add_edge(node, other, length=round(haversine_m(a["lat"], a["lon"], b["lat"], b["lon"]), 1),
                                   speed_kmh=street_kmh)
                    linked = True
                    break
            if linked:
                main |= comp
                break
    return graph


def generate_graph_scenario(graph, n_technicians: int, n_jobs: int, *, seed: int = 0,
                            date: str = "2026-11-23", graph_file: str = "roads.graphml",
                            name: str | None = None, target_load: float = 0.7) -> dict[str, Any]:
    """A scenario on ``graph`` (travel model ``graph``): jobs at addresses near intersections.

    Built from :func:`generate_scenario` (no on-call rota or split shifts), with the
    technicians' depots and the job addresses moved onto the graph: each point is an
    intersection's lat/lon offset by at most 15 % of a block, so it snaps to that node.
    """
    scenario = generate_scenario(n_technicians, n_jobs, seed=seed, date=date, with_on_call=False,
                                 with_split_shifts=False, start_time="08:00",
                                 name=name or f"qingdao-roads-{date}-{n_technicians}x{n_jobs}-s{seed}",
                                 target_load=target_load)
    rng = random.Random(seed + 7919)
    nodes = sorted(graph.nodes, key=_node_order)
    r_max = max(_node_order(n)[0] for n in nodes)
    c_max = max(_node_order(n)[1] for n in nodes)
    lat_step = (graph.nodes[f"{r_max}_0"]["lat"] - graph.nodes["0_0"]["lat"]) / max(1, r_max)
    lon_step = (graph.nodes[f"0_{c_max}"]["lon"] - graph.nodes["0_0"]["lon"]) / max(1, c_max)
    depots = [f"{r_max // 4}_{c_max // 4}", f"{3 * r_max // 4}_{c_max // 4}",
              f"{r_max // 4}_{3 * c_max // 4}", f"{3 * r_max // 4}_{3 * c_max // 4}"]
    for i, tech in enumerate(scenario["technicians"]):
        node = graph.nodes[depots[i % len(depots)]]
        tech["start"] = {"lat": node["lat"], "lon": node["lon"]}
    for job in scenario["jobs"]:
        node = graph.nodes[rng.choice(nodes)]
        job["location"] = {"lat": round(node["lat"] + rng.uniform(-0.15, 0.15) * lat_step, 6),
                           "lon": round(node["lon"] + rng.uniform(-0.15, 0.15) * lon_step, 6)}
    scenario["travel"] = {"model": "graph", "graph": graph_file, "speed_kmh": 25}
    return scenario


def _node_order(node: str) -> tuple[int, int]:
    r, c = node.split("_")
    return int(r), int(c)
