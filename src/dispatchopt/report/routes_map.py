"""The route map on plain axes (no tile server): one colour per technician, depots, unassigned.

Coordinates, by travel model: ``lat``/``lon`` (haversine, or graph locations given that way)
as longitude / latitude with the y axis stretched by 1 / cos(latitude) so distances look right;
``x``/``y`` (euclidean) as they are; a graph ``node`` at the node's ``lat``/``lon`` or ``y``/``x``
attributes. A location with none of these (a travel-matrix row id) is left off the map and
counted in the title.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from ..domain import Location, Problem
from ..plan import Plan
from .common import ClockText, crews_of, technician_colours, visit_hover

LEGEND_MAX = 40
"""Above this many technicians the map has no legend (hover still names the technician)."""

Point = tuple[float, float]


def _node_points(problem: Problem) -> dict[str, Point]:
    """Node id -> (x=lon, y=lat) for a graph travel model whose locations name nodes."""
    if problem.travel.model != "graph" or not problem.travel.graph:
        return {}
    if all(loc.node is None for loc in _locations(problem)):
        return {}
    from ..travel.graph import read_graph

    points = {}
    for node, data in read_graph(problem.travel.graph).nodes(data=True):
        lat = data.get("lat", data.get("y"))
        lon = data.get("lon", data.get("x"))
        try:
            points[str(node)] = (float(lon), float(lat))
        except (TypeError, ValueError):
            continue
    return points


def _locations(problem: Problem) -> list[Location]:
    return [job.location for job in problem.jobs] + [t.start for t in problem.technicians] \
        + [t.end for t in problem.technicians]


def locator(problem: Problem) -> tuple[Callable[[Location], Point | None], bool]:
    """(location -> (x, y) or None, whether the points are degrees of longitude / latitude)."""
    nodes = _node_points(problem)
    geographic = problem.travel.model in ("haversine", "graph") or all(
        loc.lat is not None for loc in _locations(problem))

    def point(loc: Location) -> Point | None:
        if loc.lat is not None and loc.lon is not None:
            return (loc.lon, loc.lat)
        if loc.x is not None and loc.y is not None:
            return (loc.x, loc.y)
        if loc.node is not None:
            return nodes.get(str(loc.node))
        return None

    return point, geographic


def _route_trace(problem: Problem, plan: Plan, tech_id: str, colour: str, point, clock: ClockText,
                 crews: dict[str, list[str]], show_legend: bool):
    import plotly.graph_objects as go

    route = plan.route(tech_id)
    tech = problem.technician(tech_id)
    xs, ys, texts, sizes = [], [], [], []
    places = [(tech.start, f"{tech_id} leaves", 0)]
    for visit in route.visits:
        if not problem.has_job(visit.job):     # an unknown job: the verifier's banner names it
            continue
        job = problem.job(visit.job)
        places.append((job.location, visit_hover(job, tech_id, visit, crews[visit.job], clock), 8))
    places.append((tech.end, f"{tech_id} back", 0))
    for loc, text, size in places:
        p = point(loc)
        if p is None:
            continue
        xs.append(p[0])
        ys.append(p[1])
        texts.append(text)
        sizes.append(size)
    return go.Scatter(x=xs, y=ys, mode="lines+markers", name=tech_id, legendgroup=tech_id,
                      showlegend=show_legend, hovertext=texts, hoverinfo="text",
                      line={"color": colour, "width": 1.5},
                      marker={"color": colour, "size": sizes, "line": {"width": 0}})


def _unassigned_trace(problem: Problem, plan: Plan, point):
    import plotly.graph_objects as go

    xs, ys, texts = [], [], []
    for item in plan.unassigned:
        if not problem.has_job(item.job):
            continue
        job = problem.job(item.job)
        p = point(job.location)
        if p is None:
            continue
        xs.append(p[0])
        ys.append(p[1])
        texts.append(f"<b>{job.id}</b> ({job.category}) not planned<br>{item.reason}")
    return go.Scatter(x=xs, y=ys, mode="markers", name=f"not planned ({len(xs)})", hovertext=texts,
                      hoverinfo="text", marker={"symbol": "x", "size": 9, "color": "#c62828",
                                                "line": {"width": 1, "color": "#7f0000"}})


def _depot_trace(problem: Problem, point, colours: dict[str, str]):
    import plotly.graph_objects as go

    seen: dict[Point, list[str]] = {}
    for tech in problem.technicians:
        for loc in (tech.start, tech.end):
            p = point(loc)
            if p is not None and tech.id not in seen.setdefault(p, []):
                seen[p].append(tech.id)
    xs = [p[0] for p in seen]
    ys = [p[1] for p in seen]
    texts = ["depot of " + ", ".join(ids) for ids in seen.values()]
    fill = [colours[ids[0]] for ids in seen.values()]
    return go.Scatter(x=xs, y=ys, mode="markers", name="depot / home", hovertext=texts, hoverinfo="text",
                      marker={"symbol": "square", "size": 10, "color": fill,
                              "line": {"width": 1.5, "color": "#000000"}})


def map_figure(problem: Problem, plan: Plan):
    """The route map of ``plan`` (a plotly Figure)."""
    import plotly.graph_objects as go

    point, geographic = locator(problem)
    tech_ids = [t.id for t in problem.technicians]
    colours = technician_colours(tech_ids)
    clock = ClockText(problem)
    crews = crews_of(plan)
    show_legend = len(tech_ids) <= LEGEND_MAX
    traces = [_route_trace(problem, plan, r.technician, colours[r.technician], point, clock, crews,
                           show_legend)
              for r in plan.routes if r.visits and problem.has_technician(r.technician)]
    traces.append(_depot_trace(problem, point, colours))
    traces.append(_unassigned_trace(problem, plan, point))
    missing = sum(1 for loc in _locations(problem) if point(loc) is None)
    title = "Routes (one colour per technician; red x: not planned, hover for the reason)"
    if missing:
        title += f"; {missing} location(s) without coordinates left off"
    figure = go.Figure(traces)
    figure.update_layout(title=title, height=820, width=1100, hovermode="closest",
                         margin={"l": 60, "r": 20, "t": 60, "b": 50}, plot_bgcolor="#fafafa",
                         legend={"font": {"size": 10}})
    ys = [y for trace in traces for y in trace.y if y is not None]
    ratio = 1.0
    if geographic and ys:
        mean_lat = sum(ys) / len(ys)
        ratio = 1.0 / max(math.cos(math.radians(mean_lat)), 0.05)
    figure.update_yaxes(scaleanchor="x", scaleratio=ratio,
                        title="latitude" if geographic else "y")
    figure.update_xaxes(title="longitude" if geographic else "x")
    return figure
