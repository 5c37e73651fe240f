"""plan_report and its figures on a hand-made day: every segment kind of the Gantt board, the map's
depots and unassigned reasons, the KPI panels against compute_kpis, one plotly.js per page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from helpers import H, M, job, make_plan, make_problem, route, tech

from dispatchopt.audit.kpi import compute_kpis
from dispatchopt.audit.verify import verify
from dispatchopt.plan import Plan, Route
from dispatchopt.report import SECTION_IDS, plan_report
from dispatchopt.report.gantt import gantt_figure
from dispatchopt.report.panels import panels_figure
from dispatchopt.report.routes_map import map_figure

REASON = "no technician holds a valid electrical certificate"


@pytest.fixture(scope="module")
def day():
    """T1: waits for J1's window, a crew job C1 with T2, then J2 (an emergency) late, into
    overtime. T2: C1, a lunch break, a gap between two shifts, J4. J3 is not planned."""
    problem = make_problem(
        techs=[tech("T1", shift=(0, 3 * H), max_overtime_s=2 * H),
               tech("T2", y=20, shifts=[(0, 4 * H), (5 * H, 8 * H)], breaks=[(2 * H, 3 * H, 30 * M)])],
        jobs=[job("J1", x=10, window=(60 * M, 120 * M)),
              job("C1", x=10, y=10, duration_min=60, crew_size=2),
              job("J2", y=10, category="emergency"),
              job("J3", x=50, y=50),
              job("J4", y=25)])
    plan = make_plan(problem, [
        route(problem, "T1", [("J1", 60 * M), ("C1", 110 * M), ("J2", 180 * M)]),
        route(problem, "T2", [("C1", 110 * M), ("J4", 5 * H)], breaks=[(170 * M, 200 * M)])],
        unassigned={"J3": REASON})
    assert verify(problem, plan) == []
    return problem, plan


def _trace(figure, name):
    found = [t for t in figure.data if t.name == name]
    assert found, f"no trace {name!r} among {[t.name for t in figure.data]}"
    return found[0]


def _segments(trace) -> list[tuple]:
    """(x0, x1, y0, y1) of a None-separated line trace."""
    xs, ys = list(trace.x), list(trace.y)
    return [(xs[i], xs[i + 1], ys[i], ys[i + 1]) for i in range(0, len(xs), 3)]


def test_gantt_draws_every_kind_of_segment_on_the_right_row(day):
    problem, plan = day
    fig = gantt_figure(problem, plan)
    # clock origin 2026-11-23 08:00 local; T1 is row 0, T2 row 1
    assert ("2026-11-23 09:00:00", "2026-11-23 09:30:00", 0, 0) in _segments(_trace(fig, "standard"))
    # T1 leaves late enough to reach J1 at its window start, then waits at C1 for T2 (09:40-09:50)
    assert ("2026-11-23 09:40:00", "2026-11-23 09:50:00", 0, 0) in _segments(_trace(fig, "waiting"))
    assert _segments(_trace(fig, "emergency")) == [("2026-11-23 11:00:00", "2026-11-23 11:30:00", 0, 0)]
    assert _segments(_trace(fig, "break")) == [("2026-11-23 10:50:00", "2026-11-23 11:20:00", 1, 1)]
    assert _segments(_trace(fig, "shift gap")) == [("2026-11-23 12:00:00", "2026-11-23 13:00:00", 1, 1)]
    # T1's shift ends 11:00; the return from J2 (10 min) is at 11:40
    assert _segments(_trace(fig, "overtime")) == [("2026-11-23 11:00:00", "2026-11-23 11:40:00", 0, 0)]
    # the crew link joins rows 0 and 1 at C1's common start 09:50
    assert _segments(_trace(fig, "crew link")) == [("2026-11-23 09:50:00", "2026-11-23 09:50:00", 0, 1)]
    travel = _trace(fig, "travel")
    assert len(_segments(travel)) == sum(len(r.visits) + 1 for r in plan.routes)


def test_gantt_marks_late_starts_and_hover_names_window_sla_and_lateness(day):
    problem, plan = day
    fig = gantt_figure(problem, plan)
    late = _trace(fig, "late start")
    assert list(late.x) == ["2026-11-23 11:00:00"] and list(late.y) == [0]
    assert "J2" in late.hovertext[0] and "150.0 min" in late.hovertext[0]
    hover = {text.split("</b>")[0].removeprefix("<b>"): text for text in _trace(fig, "visit").hovertext}
    assert "window 09:00-10:00" in hover["J1"]
    assert "SLA due 08:30" in hover["J2"] and "late 150.0 min" in hover["J2"]
    assert "crew T1, T2" in hover["C1"]
    assert len(hover) == 4      # C1 is hovered on one of its rows' markers (both rows carry one)


def test_map_shows_routes_depots_and_unassigned_reasons_with_equal_aspect(day):
    problem, plan = day
    fig = map_figure(problem, plan)
    t1 = _trace(fig, "T1")
    assert list(zip(t1.x, t1.y)) == [(0, 0), (10, 0), (10, 10), (0, 10), (0, 0)]
    unplanned = _trace(fig, "not planned (1)")
    assert list(zip(unplanned.x, unplanned.y)) == [(50, 50)] and REASON in unplanned.hovertext[0]
    depots = _trace(fig, "depot / home")
    assert sorted(zip(depots.x, depots.y)) == [(0, 0), (0, 20)]
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.yaxis.scaleratio == 1.0


def test_map_stretches_latitude_by_the_cosine(day):
    problem, plan = day
    from dataclasses import replace

    from dispatchopt.domain import Location, TravelSpec

    geo = problem.replace(travel=TravelSpec(model="haversine"), technicians=tuple(
        replace(t, start=Location(lat=60.0, lon=10.0), end=Location(lat=60.0, lon=10.0))
        for t in problem.technicians), jobs=tuple(
        replace(j, location=Location(lat=60.0 + j.location.y / 100, lon=10.0 + j.location.x / 100))
        for j in problem.jobs))
    fig = map_figure(geo, Plan(scenario="geo", clock=geo.clock, solver=plan.solver, routes=(),
                               unassigned=plan.unassigned))
    assert fig.layout.yaxis.scaleratio == pytest.approx(2.0, rel=0.02)   # 1 / cos(60 deg)
    assert fig.layout.xaxis.title.text == "longitude"


def test_panels_agree_with_compute_kpis(day):
    problem, plan = day
    kpis = compute_kpis(problem, plan)
    fig = panels_figure(problem, plan, kpis)
    on_time = fig.data[0]
    assert dict(zip(on_time.x, on_time.y)) == kpis["on_time_rate_by_category"]
    assert list(on_time.x) == ["emergency", "standard"]     # heaviest SLA first
    assert list(fig.data[1].x) == [150.0]                    # lateness of the one late job
    travel = dict(zip(fig.data[2].x, fig.data[2].y))
    assert sum(travel.values()) == pytest.approx(kpis["travel_minutes"], abs=0.05)
    util = dict(zip(fig.data[3].x, fig.data[3].y))
    work_t1 = (10 + 10 + 10 + 10) + (30 + 60 + 30)          # travel + service minutes
    assert util["T1"] == pytest.approx(work_t1 / 180)


def test_report_is_one_self_contained_page(day):
    problem, plan = day
    html = plan_report(problem, plan)
    assert html.startswith("<!DOCTYPE html>")
    for section in SECTION_IDS:
        assert f'id="{section}"' in html
    assert html.count("plotly.js v") == 1, "one plotly.js copy"
    assert re.search(r"<script[^>]+src=", html) is None, "nothing loaded from elsewhere"
    assert re.search(r"<link[^>]+href=", html) is None
    assert html.count("Plotly.newPlot(") == 3
    assert "verify: OK" in html
    assert REASON in html and 'id="unassigned-table"' in html


def test_report_of_a_broken_plan_lists_the_violations(day):
    problem, plan = day
    t1 = plan.route("T1")
    broken = Plan(scenario=plan.scenario, clock=plan.clock, solver=plan.solver, unassigned=plan.unassigned,
                  routes=(Route(technician="T1", visits=t1.visits[:1], ret=t1.ret),) + plan.routes[1:])
    violations = verify(problem, broken)
    assert violations
    html = plan_report(problem, broken)
    assert f"verify: {len(violations)} hard-rule violation(s)" in html
    assert f"[{violations[0].rule}]" in html


def test_map_places_graph_nodes_at_their_coordinates(day, tmp_path):
    import networkx as nx
    from dataclasses import replace

    from dispatchopt.domain import Location, TravelSpec
    from dispatchopt.report.routes_map import locator

    graph = nx.Graph()
    graph.add_node("a", lat=36.1, lon=120.3)
    graph.add_node("b", y=36.2, x=120.4)        # OSMnx names them y / x
    graph.add_edge("a", "b", length=1000.0)
    path = tmp_path / "roads.graphml"
    nx.write_graphml(graph, path)
    problem, _ = day
    roads = problem.replace(travel=TravelSpec(model="graph", graph=str(path)), jobs=tuple(
        replace(j, location=Location(node="b" if j.id == "J1" else "a")) for j in problem.jobs))
    point, geographic = locator(roads)
    assert geographic
    assert point(roads.job("J1").location) == (120.4, 36.2)
    assert point(roads.job("J2").location) == (120.3, 36.1)
    assert point(Location(node="nowhere")) is None
    assert point(Location(id="row-7")) is None          # a travel-matrix row has no coordinates


def test_report_of_a_plan_naming_unknown_jobs_and_technicians_is_still_drawn(day):
    problem, plan = day
    from dataclasses import replace

    t1 = plan.route("T1")
    ghost_visit = replace(t1.visits[0], job="GHOST")
    odd = Plan(scenario=plan.scenario, clock=plan.clock, solver=plan.solver, unassigned=plan.unassigned,
               routes=(replace(t1, visits=t1.visits + (ghost_visit,)), plan.routes[1],
                       Route(technician="T99")))
    rules = {v.rule for v in verify(problem, odd)}
    assert {"unknown_job", "unknown_technician"} <= rules
    html = plan_report(problem, odd)
    assert "[unknown_job]" in html and "[unknown_technician]" in html
    assert "GHOST" not in "".join(_trace(gantt_figure(problem, odd), "visit").hovertext)


def test_multi_day_report_splits_the_kpis_by_day():
    from dispatchopt.audit.kpi import compute_kpis
    from dispatchopt.report import plan_report
    from dispatchopt.scenario import load_scenario
    from dispatchopt.solvers import solve

    problem = load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "multi_day_3x40.yaml")
    plan = solve(problem, backend="greedy").plan
    html = plan_report(problem, plan)
    days = list(compute_kpis(problem, plan)["by_day"])
    assert days == ["2026-12-07", "2026-12-08", "2026-12-09"]
    part = html[html.index('id="kpi-by-day"'):]
    part = part[:part.index("</table>")]
    assert all(f">{day}<" in part for day in days)
    assert "by_day[" not in html[:html.index('id="kpi-by-day"')]   # not flattened into the main table


def test_multi_day_gantt_has_a_row_per_person_per_day_and_a_day_selector():
    from dispatchopt.plan import day_copy_keys
    from dispatchopt.scenario import load_scenario
    from dispatchopt.solvers import solve

    problem = load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "multi_day_3x40.yaml")
    plan = solve(problem, backend="greedy").plan
    fig = gantt_figure(problem, plan)
    ticks = list(fig.layout.yaxis.ticktext)
    assert sorted(ticks) == sorted(t.id for t in problem.technicians)      # one row per day copy
    days = [day_copy_keys(t)["day"] for t in ticks]
    assert days == sorted(days)                                             # grouped by day
    buttons = fig.layout.updatemenus[0].buttons
    assert [b.label for b in buttons] == ["2026-12-07", "2026-12-08", "2026-12-09", "all days"]
    assert list(fig.layout.yaxis.range) == list(buttons[0].args[0]["yaxis.range"])   # day 1 at first
    visits = _trace(fig, "visit")
    by_row: dict[int, list[str]] = {}
    for x, y in zip(visits.x, visits.y):
        by_row.setdefault(int(y), []).append(x)
    assert len(by_row) > 60
    for button in buttons[:3]:
        day = button.label
        y_hi, y_lo = button.args[0]["yaxis.range"]
        x_lo, x_hi = button.args[0]["xaxis.range"]
        block = [i for i, d in enumerate(days) if d == day]
        assert (y_lo, y_hi) == (block[0] - 0.5, block[-1] + 0.5)
        assert x_lo[:10] == day
        for row in block:                               # a day's visits in its rows and hours
            assert all(x_lo <= x <= x_hi for x in by_row.get(row, ()))
    # every route's visits are drawn on its own (person, day) row
    for route in plan.routes:
        row = ticks.index(route.technician)
        assert len(by_row.get(row, ())) == len(route.visits)
