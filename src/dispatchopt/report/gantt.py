"""The Gantt board: one row per technician, the day as the plan has it.

A multi-day plan (day copies ``PERSON@YYYY-MM-DD``, docs/multiday.md) gets one row per person
per day, the rows grouped by day (people in problem order within a day), and a day selector:
one button per day showing that day's rows and hours (the first day at first), and "all days".

Each kind of segment (shift, shift gap, travel, waiting, service per category, break,
overtime, crew link) is ONE line trace whose segments are separated by ``None``: a 150 x 2000
day draws a dozen SVG paths, not thousands of shapes. Hover sits on one marker per visit (the
middle of its service) and one per late start.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..domain import Problem
from ..plan import Plan, Route, day_copy_keys
from .common import ClockText, category_colours, crews_of, visit_hover

ROW_PX = 22
"""Height of one technician's row."""
SERVICE_PX, TRAVEL_PX, THIN_PX = 12, 5, 2


@dataclass
class Segments:
    """The segments of one trace: x as date strings, y as row numbers, ``None`` between them."""

    clock: ClockText
    x: list = field(default_factory=list)
    y: list = field(default_factory=list)

    def add(self, start_s: int, end_s: int, row: float, row_end: float | None = None) -> None:
        if end_s < start_s:
            return
        self.x += [self.clock.stamp(start_s), self.clock.stamp(end_s), None]
        self.y += [row, row if row_end is None else row_end, None]


@dataclass
class Board:
    """Every trace of the board while it is being filled."""

    clock: ClockText
    lines: dict[str, Segments] = field(default_factory=dict)
    hover_x: list = field(default_factory=list)
    hover_y: list = field(default_factory=list)
    hover_text: list = field(default_factory=list)
    hover_colour: list = field(default_factory=list)
    late_x: list = field(default_factory=list)
    late_y: list = field(default_factory=list)
    late_text: list = field(default_factory=list)

    def seg(self, kind: str) -> Segments:
        if kind not in self.lines:
            self.lines[kind] = Segments(self.clock)
        return self.lines[kind]


def _add_route(board: Board, problem: Problem, route: Route, row: int, crews: dict[str, list[str]],
               colours: dict[str, str]) -> None:
    clock = board.clock
    tech = problem.technician(route.technician)
    for visit in route.visits:
        if not problem.has_job(visit.job):     # an unknown job: the verifier's banner names it
            continue
        job = problem.job(visit.job)
        board.seg("travel").add(visit.arrival_s - visit.travel_s, visit.arrival_s, row)
        if visit.start_s > visit.arrival_s:
            board.seg("waiting").add(visit.arrival_s, visit.start_s, row)
        board.seg("service:" + job.category).add(visit.start_s, visit.end_s, row)
        mid = (visit.start_s + visit.end_s) // 2
        board.hover_x.append(clock.stamp(mid))
        board.hover_y.append(row)
        board.hover_text.append(visit_hover(job, route.technician, visit, crews[visit.job], clock))
        board.hover_colour.append(colours[job.category])
        if visit.late_s > 0:
            board.late_x.append(clock.stamp(visit.start_s))
            board.late_y.append(row)
            board.late_text.append(f"<b>{job.id}</b> late {visit.late_s / 60:.1f} min "
                                   f"(SLA due {clock.hhmm(job.due_s)})")
    for brk in route.breaks:
        board.seg("break").add(brk.start_s, brk.end_s, row)
    if route.ret is not None:
        board.seg("travel").add(route.ret.arrival_s - route.ret.travel_s, route.ret.arrival_s, row)
    last_s = route.ret.arrival_s if route.ret is not None else max(
        (v.end_s for v in route.visits), default=tech.shift_end_s)
    if last_s > tech.shift_end_s:
        board.seg("overtime").add(tech.shift_end_s, last_s, row)


def _add_crew_links(board: Board, plan: Plan, rows: dict[str, int], crews: dict[str, list[str]]) -> None:
    """A vertical dotted line joining the rows of each crew job's members at their start."""
    for route in plan.routes:
        for visit in route.visits:
            members = crews[visit.job]
            if len(members) > 1 and members[0] == route.technician:
                member_rows = [rows[m] for m in members if m in rows]
                board.seg("crew").add(visit.start_s, visit.start_s, min(member_rows), max(member_rows))


STYLE = {   # kind -> (legend name, colour, width px, dash)
    "shift": ("shift", "#d9d9d9", SERVICE_PX + 4, "solid"),
    "gap": ("shift gap", "#9e9e9e", THIN_PX, "dot"),
    "travel": ("travel", "#5f6b7a", TRAVEL_PX, "solid"),
    "waiting": ("waiting", "#f2c94c", TRAVEL_PX, "solid"),
    "break": ("break", "#27ae60", SERVICE_PX, "solid"),
    "overtime": ("overtime", "#ff00aa", THIN_PX + 2, "solid"),
    "crew": ("crew link", "#111111", 1.5, "dot"),
}


def _line_traces(board: Board, colours: dict[str, str]) -> list:
    import plotly.graph_objects as go

    order = ["shift", "gap", "travel", "waiting"] + [f"service:{c}" for c in colours] \
        + ["break", "overtime", "crew"]
    traces = []
    for kind in order:
        seg = board.lines.get(kind)
        if seg is None or not seg.x:
            continue
        if kind.startswith("service:"):
            name, colour, width, dash = kind.split(":", 1)[1], colours[kind.split(":", 1)[1]], SERVICE_PX, "solid"
        else:
            name, colour, width, dash = STYLE[kind]
        traces.append(go.Scatter(x=seg.x, y=seg.y, mode="lines", name=name, hoverinfo="skip",
                                 line={"color": colour, "width": width, "dash": dash}))
    return traces


def day_rows(problem: Problem) -> list[tuple[str, list[str]]] | None:
    """[(day, technician ids of its day copies)] in day order for a multi-day problem (every
    technician a day copy of a person, on more than one day), else None."""
    days: dict[str, list[str]] = {}
    for tech in problem.technicians:
        keys = day_copy_keys(tech.id)
        if not keys:
            return None
        days.setdefault(keys["day"], []).append(tech.id)
    if len(days) < 2:
        return None
    return sorted(days.items())


def _day_selector(problem: Problem, clock: ClockText, groups: list[tuple[str, list[str]]],
                  rows: dict[str, int]) -> tuple[list[dict], dict]:
    """(the day buttons, the first day's axis ranges): each day's x range its copies' first
    shift start to last shift end (with overtime), its y range its block of rows."""
    buttons = []
    for day, ids in groups:
        techs = [problem.technician(t) for t in ids]
        lo = min(t.shifts[0].start_s for t in techs)
        hi = max(t.shift_end_s + t.max_overtime_s for t in techs)
        first, last = min(rows[t] for t in ids), max(rows[t] for t in ids)
        buttons.append({"label": day, "method": "relayout",
                        "args": [{"xaxis.range": [clock.stamp(lo - 1800), clock.stamp(hi + 1800)],
                                  "yaxis.range": [last + 0.5, first - 0.5]}]})
    n = len(rows)
    buttons.append({"label": "all days", "method": "relayout",
                    "args": [{"xaxis.autorange": True, "yaxis.range": [n - 0.5, -0.5]}]})
    first = buttons[0]["args"][0]
    return buttons, {"x": first["xaxis.range"], "y": first["yaxis.range"]}


def gantt_figure(problem: Problem, plan: Plan):
    """The Gantt board of ``plan`` (a plotly Figure), one row per technician of the problem
    (per person per day, with a day selector, for a multi-day plan: see the module doc)."""
    import plotly.graph_objects as go

    clock = ClockText(problem)
    board = Board(clock)
    colours = category_colours(problem)
    groups = day_rows(problem)
    order = [t for _, ids in groups for t in ids] if groups else [t.id for t in problem.technicians]
    rows = {tid: i for i, tid in enumerate(order)}
    crews = crews_of(plan)
    for tech in problem.technicians:
        row = rows[tech.id]
        for shift in tech.shifts:
            board.seg("shift").add(shift.start_s, shift.end_s, row)
        for before, after in zip(tech.shifts, tech.shifts[1:]):
            board.seg("gap").add(before.end_s, after.start_s, row)
    for route in plan.routes:
        if route.technician in rows:
            _add_route(board, problem, route, rows[route.technician], crews, colours)
    _add_crew_links(board, plan, rows, crews)

    traces = _line_traces(board, colours)
    traces.append(go.Scatter(x=board.hover_x, y=board.hover_y, mode="markers", name="visit",
                             hovertext=board.hover_text, hoverinfo="text", showlegend=False,
                             marker={"size": 9, "color": board.hover_colour, "opacity": 0.0}))
    if board.late_x:
        traces.append(go.Scatter(x=board.late_x, y=board.late_y, mode="markers", name="late start",
                                 hovertext=board.late_text, hoverinfo="text",
                                 marker={"symbol": "x-thin", "size": 11, "color": "#c62828",
                                         "line": {"width": 2.5, "color": "#c62828"}}))
    n = len(order)
    shown = max(len(ids) for _, ids in groups) if groups else n
    plot_px = ROW_PX * max(shown, 4)
    figure = go.Figure(traces)
    figure.update_layout(   # the legend above the top time axis: offset in pixels of the plot area
        title={"text": "Technicians' day (hover a service for job, window, SLA due and lateness)",
               "y": 1.0, "yanchor": "top", "yref": "container", "pad": {"t": 8}},
        height=plot_px + 150, margin={"l": 70, "r": 20, "t": 110, "b": 40},
        hovermode="closest", plot_bgcolor="#ffffff",
        legend={"orientation": "h", "y": 1.0 + 32 / plot_px, "yanchor": "bottom", "x": 0,
                "font": {"size": 11}})
    figure.update_yaxes(tickvals=list(range(n)), ticktext=order,
                        range=[n - 0.5, -0.5], showgrid=False, tickfont={"size": 10}, fixedrange=True)
    figure.update_xaxes(type="date", showgrid=True, gridcolor="#eeeeee", side="top")
    if groups:
        buttons, first = _day_selector(problem, clock, groups, rows)
        figure.update_layout(
            title={"text": "Technicians' days, one row per person per day (pick a day; hover a "
                           "service for job, window, SLA due and lateness)"},
            margin={"l": 130}, yaxis={"range": first["y"]}, xaxis={"range": first["x"]},
            updatemenus=[{"type": "buttons", "direction": "right", "buttons": buttons, "active": 0,
                          "x": 0, "xanchor": "left", "y": 1.0 + 62 / plot_px, "yanchor": "bottom",
                          "pad": {"t": 0, "b": 0}, "showactive": True, "font": {"size": 11}}])
    return figure
