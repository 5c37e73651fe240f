"""Road-graph travel: shortest travel times over a networkx-readable GraphML road network.

Edges
    Each edge's travel time comes from its ``minutes`` attribute, or else from ``length``
    (metres) at the edge's ``speed_kmh`` (default ``spec.speed_kmh``). Every time is divided
    by ``spec.speed_factor`` (< 1 slows every trip). An edge's distance is its ``length``; an
    edge with ``minutes`` but no ``length`` counts 0 metres (its time is known, its distance
    is not). Attributes may be read as strings: they are cast to float. An edge with neither
    attribute, or a negative / non-numeric / non-finite value, is a :class:`TravelError`.
    Between two nodes joined by parallel edges (a multigraph) the fastest edge is used.
    Self-loops are ignored.

Directed or undirected
    A directed graph (``edgedefault="directed"``) is travelled only along its edges; an
    undirected graph both ways.

Road closures
    ``spec.closed_edges`` lists ``(u, v)`` node-id pairs to remove before routing: on an
    undirected graph the road is closed both ways; on a directed graph only the ``u -> v``
    edge is removed (list ``(v, u)`` too to close both directions). A closure naming an edge
    that does not exist is a :class:`TravelError` naming it. All parallel edges between the
    pair are removed.

Locations
    A location with ``node`` sits at that node (an unknown node is a :class:`TravelError`
    naming it). A location with only ``lat``/``lon`` snaps to the nearest node by great-circle
    distance (geopy's formula, vectorised over all nodes); nodes carry ``lat``/``lon`` or
    ``y``/``x`` (degrees, as OSMnx writes them). The access leg from the location to its node
    is not added. A snap farther than :data:`SNAP_WARN_KM` is logged as a warning.

Shortest paths
    One Dijkstra per distinct location node, minimising time. ``metres[i, j]`` is the length
    of the same time-shortest path that gives ``seconds[i, j]`` (recorded along the Dijkstra
    predecessor tree, ties going to the first path found), not the shortest distance.
    Times are summed in float seconds and rounded to int once per pair.

Unreachable pairs
    A pair with no path (disconnected graph, one-way streets, closures) is not an error: its
    time is :data:`UNREACHABLE_S` (10**9 s, about 32 years, longer than any horizon, so no
    feasible plan can use it) and its distance :data:`UNREACHABLE_M`. A warning names how many
    pairs are unreachable and the first one. Callers may test ``seconds >= UNREACHABLE_S``.
"""

from __future__ import annotations

import heapq
import logging
import math
from pathlib import Path

import networkx as nx
import numpy as np

from ..domain import Location, TravelSpec
from ..errors import TravelError
from .base import TravelMatrix, positive_spec
from .coords import great_circle_km

log = logging.getLogger("dispatchopt")

UNREACHABLE_S = 10**9
"""Travel seconds given to a pair of locations with no path between them."""
UNREACHABLE_M = 1e9
"""Metres given to a pair of locations with no path between them."""
SNAP_WARN_KM = 2.0
"""A location snapped to a node farther than this (great-circle km) is logged as a warning."""

_SNAP_BLOCK_ELEMENTS = 1 << 22


def _positive_spec(spec: TravelSpec, field: str) -> float:
    return positive_spec(spec, field, "graph")


def read_graph(path: str | None) -> nx.Graph:
    """The road graph of a GraphML file, node ids as text (the one GraphML reader).

    A missing path or file, or a file networkx cannot read, is a :class:`TravelError` naming it.
    """
    if not path:
        raise TravelError("travel.graph: model graph needs a GraphML file (travel.graph), none given")
    if not Path(path).is_file():
        raise TravelError(f"travel.graph: GraphML file {path} not found")
    try:
        graph = nx.read_graphml(path)
    except Exception as exc:  # the XML parser, networkx and type casts raise many kinds
        raise TravelError(f"travel.graph: cannot read GraphML file {path}: {type(exc).__name__}: {exc}") from exc
    nodes = [str(n) for n in graph.nodes]
    if len(set(nodes)) != graph.number_of_nodes():  # pragma: no cover - read_graphml keeps string ids
        raise TravelError(f"travel.graph {path}: node ids are not distinct as strings")
    if nodes != list(graph.nodes):
        graph = nx.relabel_nodes(graph, {n: str(n) for n in graph.nodes})
    return graph


def _number(value, *, what: str, path: str, allow_zero: bool = True) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or number < 0 or (number == 0 and not allow_zero):
        expected = "a non-negative number" if allow_zero else "a positive number"
        raise TravelError(f"travel.graph {path}: {what} must be {expected}, got {value!r}")
    return number


def _edge_cost(path: str, u, v, data: dict, speed_kmh: float, speed_factor: float) -> tuple[float, float]:
    """(seconds, metres) of one edge."""
    where = f"edge {u!r} -> {v!r}"
    metres = None
    if data.get("length") is not None:
        metres = _number(data["length"], what=f"{where} attribute 'length'", path=path)
    if data.get("minutes") is not None:
        seconds = _number(data["minutes"], what=f"{where} attribute 'minutes'", path=path) * 60.0 / speed_factor
    elif metres is not None:
        speed = speed_kmh
        if data.get("speed_kmh") is not None:
            speed = _number(data["speed_kmh"], what=f"{where} attribute 'speed_kmh'", path=path, allow_zero=False)
        seconds = metres / 1000.0 / (speed * speed_factor) * 3600.0
    else:
        raise TravelError(f"travel.graph {path}: {where} has neither a 'minutes' nor a 'length' attribute "
                          f"(attributes: {sorted(data)})")
    return seconds, (metres if metres is not None else 0.0)


def _closed_pairs(graph: nx.Graph, spec: TravelSpec, path: str) -> set[tuple[str, str]]:
    closed: set[tuple[str, str]] = set()
    directed = graph.is_directed()
    for k, pair in enumerate(spec.closed_edges):
        if isinstance(pair, (str, bytes)) or len(pair) != 2:
            raise TravelError(f"travel.closed_edges[{k}]: expected a pair of node ids, got {pair!r}")
        a, b = str(pair[0]), str(pair[1])
        if not graph.has_edge(a, b):
            missing = [n for n in (a, b) if n not in graph]
            if missing:
                why = f"node {missing[0]!r} is not in the graph"
            elif directed and graph.has_edge(b, a):
                why = f"the graph is directed and only {b!r} -> {a!r} exists"
            else:
                why = "no such edge"
            raise TravelError(f"travel.closed_edges[{k}]: cannot close road {a!r} -> {b!r} in {path}: {why}")
        closed.add((a, b))
        if not directed:
            closed.add((b, a))
    return closed


def _adjacency(graph: nx.Graph, spec: TravelSpec, path: str, index: dict[str, int],
               speed_kmh: float, speed_factor: float) -> list[list[tuple[int, float, float]]]:
    """Per node index: [(neighbour index, seconds, metres)], closures removed, fastest parallel edge kept."""
    closed = _closed_pairs(graph, spec, path)
    directed = graph.is_directed()
    best: list[dict[int, tuple[float, float]]] = [{} for _ in index]
    for u, v, data in graph.edges(data=True):
        if u == v or (u, v) in closed:
            continue
        cost = _edge_cost(path, u, v, data, speed_kmh, speed_factor)
        iu, iv = index[u], index[v]
        for a, b in ((iu, iv),) if directed else ((iu, iv), (iv, iu)):
            old = best[a].get(b)
            if old is None or cost < old:
                best[a][b] = cost
    return [[(b, t, m) for b, (t, m) in row.items()] for row in best]


def _node_coordinates(graph: nx.Graph, nodes: list[str], path: str) -> tuple[np.ndarray, np.ndarray]:
    """(indices of nodes with coordinates, their (lat, lon) degrees)."""
    have, coords = [], []
    for i, node in enumerate(nodes):
        data = graph.nodes[node]
        if data.get("lat") is not None and data.get("lon") is not None:
            lat, lon, names = data["lat"], data["lon"], "lat/lon"
        elif data.get("y") is not None and data.get("x") is not None:
            lat, lon, names = data["y"], data["x"], "y/x"
        else:
            continue
        try:
            lat, lon = float(lat), float(lon)
        except (TypeError, ValueError):
            raise TravelError(f"travel.graph {path}: node {node!r} has a non-numeric {names} "
                              f"({lat!r}, {lon!r})") from None
        if not (math.isfinite(lat) and math.isfinite(lon)) or not -90.0 <= lat <= 90.0:
            raise TravelError(f"travel.graph {path}: node {node!r} {names} ({lat!r}, {lon!r}) is not a "
                              f"latitude/longitude in degrees")
        have.append(i)
        coords.append((lat, lon))
    return np.asarray(have, dtype=np.int64), np.asarray(coords, dtype=float).reshape(-1, 2)


def _location_nodes(graph: nx.Graph, nodes: list[str], index: dict[str, int],
                    locations: list[Location], path: str) -> np.ndarray:
    """The node index of every location: its ``node``, or the nearest node to its lat/lon."""
    node_of = np.empty(len(locations), dtype=np.int64)
    to_snap: list[int] = []
    for i, loc in enumerate(locations):
        if loc.node is not None:
            name = str(loc.node)
            if name not in index:
                raise TravelError(f"travel.graph {path}: location {i} ({loc}): node {name!r} is not in the graph")
            node_of[i] = index[name]
        elif loc.lat is not None and loc.lon is not None:
            to_snap.append(i)
        else:
            raise TravelError(f"travel.model graph: location {i} ({loc}) has neither a node nor lat/lon")
    if not to_snap:
        return node_of
    have, node_coords = _node_coordinates(graph, nodes, path)
    if len(have) == 0:
        raise TravelError(f"travel.graph {path}: no node has lat/lon or y/x attributes, so location "
                          f"{to_snap[0]} ({locations[to_snap[0]]}) cannot be snapped to the graph")
    try:
        loc_coords = np.asarray([(float(locations[i].lat), float(locations[i].lon)) for i in to_snap], dtype=float)
    except (TypeError, ValueError):
        raise TravelError("travel.model graph: a location has a non-numeric lat/lon") from None
    rows = max(1, _SNAP_BLOCK_ELEMENTS // len(have))
    for start in range(0, len(to_snap), rows):
        km = great_circle_km(loc_coords[start:start + rows], node_coords)
        nearest = np.argmin(km, axis=1)
        for k, j in enumerate(nearest):
            i = to_snap[start + k]
            node_of[i] = have[j]
            if km[k, j] > SNAP_WARN_KM:
                log.warning("travel.graph %s: location %d (%s) snapped to node %r %.2f km away",
                            path, i, locations[i], nodes[have[j]], km[k, j])
    return node_of


def _dijkstra(adjacency, source: int, is_target: bytearray, n_targets: int) -> tuple[list[float], list[float]]:
    """Time-shortest paths from ``source``; metres along the same predecessor tree.

    Stops once every target node is settled. ``metres[v]`` is set together with ``dist[v]``
    whenever a strictly faster path to ``v`` is found, so it is the length of the path whose
    time is the final ``dist[v]``.
    """
    n = len(adjacency)
    dist = [math.inf] * n
    metres = [0.0] * n
    done = bytearray(n)
    dist[source] = 0.0
    heap = [(0.0, source)]
    remaining = n_targets
    pop, push = heapq.heappop, heapq.heappush
    while heap:
        d, u = pop(heap)
        if done[u]:
            continue
        done[u] = 1
        if is_target[u]:
            remaining -= 1
            if remaining == 0:
                break
        mu = metres[u]
        for v, t, m in adjacency[u]:
            nd = d + t
            if nd < dist[v]:
                dist[v] = nd
                metres[v] = mu + m
                push(heap, (nd, v))
    return dist, metres


def graph_matrix(locations: list[Location], spec: TravelSpec) -> TravelMatrix:
    """Shortest travel times over the GraphML road network at ``spec.graph`` (see the module doc)."""
    speed_kmh = _positive_spec(spec, "speed_kmh")
    speed_factor = _positive_spec(spec, "speed_factor")
    path = spec.graph
    graph = read_graph(path)
    nodes = list(graph.nodes)
    index = {name: i for i, name in enumerate(nodes)}
    adjacency = _adjacency(graph, spec, path, index, speed_kmh, speed_factor)
    node_of = _location_nodes(graph, nodes, index, locations, path)

    distinct, loc_k = np.unique(node_of, return_inverse=True)
    k = len(distinct)
    is_target = bytearray(len(nodes))
    for node in distinct:
        is_target[node] = 1
    time_k = np.empty((k, k), dtype=float)
    metres_k = np.empty((k, k), dtype=float)
    for row, source in enumerate(distinct):
        dist, metres = _dijkstra(adjacency, int(source), is_target, k)
        time_k[row] = [dist[t] for t in distinct]
        metres_k[row] = [metres[t] for t in distinct]

    unreachable = ~np.isfinite(time_k)
    seconds_k = np.rint(np.where(unreachable, 0.0, time_k)).astype(np.int64)
    seconds_k[unreachable] = UNREACHABLE_S
    metres_k[unreachable] = UNREACHABLE_M
    if unreachable.any():
        a, b = np.argwhere(unreachable)[0]
        log.warning("travel.graph %s: %d node pairs have no path (e.g. node %r -> node %r); they get %d s",
                    path, int(unreachable.sum()), nodes[distinct[a]], nodes[distinct[b]], UNREACHABLE_S)

    seconds = seconds_k[np.ix_(loc_k, loc_k)]
    metres = metres_k[np.ix_(loc_k, loc_k)]
    return TravelMatrix(locations=tuple(locations), seconds=seconds, metres=metres)
