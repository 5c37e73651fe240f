"""What-if sweeps: vary a scenario along a few knobs, plan every variant, compare KPIs to the base.

Knobs (each takes a list of values; the variants are their cartesian product)
------------------------------------------------------------------------------
``add_technicians=N``  (neutral 0) N more technicians, ids ``X01``, ``X02``, ... (skipping
    ids in use). Each is a copy (skills, certificates, shifts, breaks, depot, limits) of a
    template: by default the non-trainee technicians sharing the most common skill profile
    (skill -> level; ties go to the profile met first), cloned in turn so the newcomers are
    spread over those technicians' depots and shifts; with ``template="T03"`` all copy T03.
``demand=F``  (neutral 1.0) scale the number of dispatchable jobs to ``round(F * n)`` by
    resampling them with ``random.Random(demand_seed)``. F < 1 keeps a random subset (jobs
    that are not dispatchable are kept: they are never planned anyway). F > 1 adds copies of
    randomly chosen jobs (every job is copied once before any is copied twice) with ids
    ``<id>-r1``, ``<id>-r2``, ... and received times jittered by up to +-1 h, kept inside the
    horizon (a backlog job's copy may stay before the start) and at or before the start of the
    job's appointment window; the SLA deadline moves with the received time, the window stays,
    and a copy is never pinned. The same seed gives nested samples: the jobs of demand=0.5 are
    among those of demand=0.8, the copies of 1.2 among those of 1.5.
``speed_factor=F``  (neutral 1.0) multiplies ``TravelSpec.speed_factor``: 0.8 = every trip
    takes 1/0.8 as long (rain, snow).
``close_roads=R``  (neutral ``none``) road closures, graph travel model only: R is a road name
    (every edge whose ``name`` attribute equals it, case-insensitive) or an edge list
    ``"u-v;u2-v2"`` of node ids; a closed road is closed in both directions. Added to the base's
    ``TravelSpec.closed_edges``.

The variant whose knobs are all neutral is labelled ``"base"``; the others
``"knob=value,knob=value"`` (knobs in the order given). :func:`run_whatif` always runs the base
(adding it when the sweep does not include it) and reports every variant's KPIs and their
deltas against it.

From the command line the knobs come as strings: ``parse_vary(["add_technicians=0,2,4",
"demand=1.0,1.5", "close_roads=none,Main Street,12-13;13-14"])``.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import math
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..domain import Job, Problem, Technician
from ..errors import ScenarioError
from ..scenario import load_scenario
from ..travel.graph import read_graph
from .batch import BatchError, BatchScenario, ERROR_STATUS, run_batch, scenario_label
from .store import write_atomic

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

logger = logging.getLogger(__name__)

KNOBS: dict[str, Any] = {"add_technicians": 0, "demand": 1.0, "speed_factor": 1.0, "close_roads": None}
"""Knob name -> neutral value (the base variant)."""
MAIN_KPIS = ("on_time_rate", "late_jobs", "mean_late_minutes", "p95_late_minutes", "unassigned",
             "travel_minutes", "distance_km", "utilisation", "workload_cv", "overtime_minutes")
"""KPIs reported (value and delta) by :func:`run_whatif`, when ``compute_kpis`` provides them."""
DEMAND_JITTER_S = 3600
"""Copies made by ``demand`` > 1 get received times within +- this many seconds of the original."""
BASE_LABEL = "base"
_NONE_WORDS = ("", "none", "no", "off")


# ----------------------------------------------------------------------------------- parsing
def parse_vary(specs: Sequence[str]) -> dict[str, list]:
    """``["add_technicians=0,2,4", "demand=1.0,1.5"]`` -> ``{"add_technicians": [0, 2, 4],
    "demand": [1.0, 1.5]}``.

    Values are comma-separated; ``close_roads`` values are kept as strings (``"none"`` -> None),
    an edge list inside one value is ``;``-separated. Raises :class:`~dispatchopt.experiments.batch.BatchError`
    naming the knob and the value on an unknown knob, a repeated knob or a bad number.
    """
    if isinstance(specs, str):
        specs = [specs]
    vary: dict[str, list] = {}
    for spec in specs:
        name, sep, values = str(spec).partition("=")
        name = name.strip()
        if not sep:
            raise BatchError(f"vary: expected knob=value[,value...], got {spec!r}")
        if name not in KNOBS:
            raise BatchError(f"vary: unknown knob {name!r} in {spec!r} (knobs: {', '.join(KNOBS)})")
        if name in vary:
            raise BatchError(f"vary: knob {name!r} given twice")
        parts = [part.strip() for part in values.split(",")]
        if not any(parts):
            raise BatchError(f"vary: knob {name!r} has no value in {spec!r}")
        vary[name] = [_parse_value(name, part) for part in parts]
    return vary


def _parse_value(knob: str, text: str) -> Any:
    if knob == "close_roads":
        return None if text.lower() in _NONE_WORDS else text
    try:
        number = float(text)
    except ValueError:
        raise BatchError(f"vary: {knob}: expected a number, got {text!r}") from None
    if knob == "add_technicians":
        if number != int(number):
            raise BatchError(f"vary: add_technicians: expected a whole number, got {text!r}")
        return int(number)
    return number


# ----------------------------------------------------------------------------------- variants
def build_variants(base: Problem, vary: Mapping[str, Sequence[Any]], *, template: str | None = None,
                   demand_seed: int = 0) -> list[tuple[str, Problem]]:
    """Every combination of the knob values, as ``(label, Problem)`` in product order.

    ``vary`` maps knob names (see the module doc) to lists of values, e.g. the result of
    :func:`parse_vary`. The all-neutral combination is ``("base", base)`` itself. A variant's
    ``name`` is ``"<base name>__<label>"``. ``template`` is the technician id that
    ``add_technicians`` clones; ``demand_seed`` seeds the ``demand`` resampling.

    Raises
    ------
    BatchError
        unknown knob, empty value list, a bad value (negative count or factor), two values
        with the same label.
    ScenarioError
        a knob that does not fit the scenario: ``close_roads`` without the graph travel model
        or naming an unknown road / edge; an unknown ``template``; no technician to clone.
    """
    return [(label, problem) for label, _, problem in _variants(base, vary, template=template,
                                                                 demand_seed=demand_seed)]


def _variants(base: Problem, vary: Mapping[str, Sequence[Any]], *, template: str | None,
              demand_seed: int) -> list[tuple[str, dict[str, Any], Problem]]:
    checked: dict[str, list] = {}
    for name, values in vary.items():
        if name not in KNOBS:
            raise BatchError(f"vary: unknown knob {name!r} (knobs: {', '.join(KNOBS)})")
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise BatchError(f"vary: {name}: expected a list of values, got {values!r}")
        checked[name] = list(values)
        if not checked[name]:
            raise BatchError(f"vary: {name}: no value given")
    vary = checked
    names = list(vary)
    closures: dict[str, tuple[tuple[str, str], ...]] = {}
    out: list[tuple[str, dict[str, Any], Problem]] = []
    labels: set[str] = set()
    for combo in itertools.product(*(vary[name] for name in names)):
        knobs = {name: _check_value(name, value) for name, value in zip(names, combo)}
        label = _label(knobs)
        if label in labels:
            raise BatchError(f"vary: variant {label!r} appears twice (repeated or equivalent values)")
        labels.add(label)
        out.append((label, knobs, _apply(base, knobs, template=template, demand_seed=demand_seed,
                                         closures=closures)))
    return out


def _check_value(knob: str, value: Any) -> Any:
    if knob == "close_roads":
        if value is None or (isinstance(value, str) and value.strip().lower() in _NONE_WORDS):
            return None
        if isinstance(value, str):
            return value.strip()
        try:
            pairs = tuple((str(u), str(v)) for u, v in value)
        except (TypeError, ValueError):
            raise BatchError(f"vary: close_roads: expected a road name, 'u-v;u2-v2' or (u, v) pairs, "
                             f"got {value!r}") from None
        return pairs or None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise BatchError(f"vary: {knob}: expected a number, got {value!r}") from None
    if knob == "add_technicians":
        if number != int(number) or number < 0:
            raise BatchError(f"vary: add_technicians: expected a whole number >= 0, got {value!r}")
        return int(number)
    if not math.isfinite(number) or number < 0 or (knob == "speed_factor" and number == 0):
        expected = "a factor > 0" if knob == "speed_factor" else "a factor >= 0"
        raise BatchError(f"vary: {knob}: expected {expected}, got {value!r}")
    return number


def _is_neutral(knob: str, value: Any) -> bool:
    return value == KNOBS[knob]


def _label(knobs: Mapping[str, Any]) -> str:
    parts = [f"{name}={_format(value)}" for name, value in knobs.items() if not _is_neutral(name, value)]
    return ",".join(parts) if parts else BASE_LABEL


def _format(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return ";".join(f"{u}-{v}" for u, v in value)
    return str(value)


def _apply(base: Problem, knobs: Mapping[str, Any], *, template: str | None, demand_seed: int,
           closures: dict) -> Problem:
    if all(_is_neutral(name, value) for name, value in knobs.items()):
        return base
    changes: dict[str, Any] = {"name": f"{base.name}__{_label(knobs)}"}
    if not _is_neutral("demand", knobs.get("demand", 1.0)):
        changes["jobs"] = scale_demand(base, knobs["demand"], seed=demand_seed)
    if knobs.get("add_technicians", 0):
        changes["technicians"] = base.technicians + clone_technicians(base, knobs["add_technicians"],
                                                                      template=template)
    travel = base.travel
    if not _is_neutral("speed_factor", knobs.get("speed_factor", 1.0)):
        travel = dataclasses.replace(travel, speed_factor=travel.speed_factor * knobs["speed_factor"])
    roads = knobs.get("close_roads")
    if roads is not None:
        key = _format(roads)
        if key not in closures:
            closures[key] = resolve_closures(base, roads)
        edges = tuple(dict.fromkeys(tuple(travel.closed_edges) + closures[key]))
        travel = dataclasses.replace(travel, closed_edges=edges)
    if travel is not base.travel:
        changes["travel"] = travel
    return base.replace(**changes)


# ---------------------------------------------------------------------------------- the knobs
def clone_technicians(base: Problem, count: int, *, template: str | None = None) -> tuple[Technician, ...]:
    """``count`` new technicians (ids X01, X02, ...) copied from the template (module doc)."""
    if count <= 0:
        return ()
    if template is not None:
        if not base.has_technician(template):
            known = ", ".join(t.id for t in base.technicians) or "none"
            raise ScenarioError(f"{base.source or base.name}: add_technicians template {template!r} is not a "
                                f"technician of the scenario (technicians: {known})",
                                source=base.source, field="template", value=template)
        models = [base.technician(template)]
    else:
        qualified = [t for t in base.technicians if not t.trainee]
        if not qualified:
            raise ScenarioError(f"{base.source or base.name}: add_technicians: the scenario has no "
                                f"non-trainee technician to clone (name one with template=)",
                                source=base.source, field="add_technicians", value=count)
        profiles = Counter(_profile(t) for t in qualified)
        best = max(profiles.values())
        profile = next(_profile(t) for t in qualified if profiles[_profile(t)] == best)
        models = [t for t in qualified if _profile(t) == profile]
    used = {t.id for t in base.technicians}
    width = max(2, len(str(count)))
    clones: list[Technician] = []
    number = 0
    for k in range(count):
        number += 1
        while f"X{number:0{width}d}" in used:
            number += 1
        model = models[k % len(models)]
        clones.append(dataclasses.replace(model, id=f"X{number:0{width}d}", skills=dict(model.skills),
                                          certificates=dict(model.certificates)))
    logger.debug("whatif: cloned %d technicians from %s", count, [m.id for m in models])
    return tuple(clones)


def _profile(tech: Technician) -> tuple:
    return tuple(sorted(tech.skills.items()))


def scale_demand(base: Problem, factor: float, *, seed: int = 0) -> tuple[Job, ...]:
    """The jobs of ``base`` with the dispatchable ones resampled to ``round(factor * n)`` (module doc)."""
    dispatchable = [job for job in base.jobs if job.dispatchable]
    n = len(dispatchable)
    target = int(round(factor * n))
    rng = random.Random(seed)
    order = list(range(n))
    rng.shuffle(order)
    if target <= n:
        keep = {dispatchable[i].id for i in order[:target]}
        return tuple(job for job in base.jobs if not job.dispatchable or job.id in keep)
    used = {job.id for job in base.jobs}
    copies: list[Job] = []
    for k in range(target - n):
        job = dispatchable[order[k % n]]
        number = k // n + 1
        while f"{job.id}-r{number}" in used:
            number += 1
        new_id = f"{job.id}-r{number}"
        used.add(new_id)
        delta = rng.randint(-DEMAND_JITTER_S, DEMAND_JITTER_S)
        low = min(job.received_s, 0)
        high = base.end_s if job.window is None else min(base.end_s, job.window.start_s)
        received = job.received_s if low > high else min(max(job.received_s + delta, low), high)
        copies.append(dataclasses.replace(job, id=new_id, received_s=received,
                                          due_s=job.due_s + (received - job.received_s), pinned_to=()))
    return tuple(base.jobs) + tuple(copies)


def resolve_closures(base: Problem, roads: str | Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """Road closures -> ``(u, v)`` edges of the base's road graph, both directions where they exist.

    ``roads``: a road name, an edge list ``"u-v;u2-v2"``, or ``(u, v)`` pairs. Raises
    :class:`~dispatchopt.errors.ScenarioError` when the travel model is not ``graph`` or a road /
    edge is not in the graph.
    """
    where = base.source or base.name
    if base.travel.model != "graph":
        raise ScenarioError(f"{where}: close_roads={_format(roads)!r}: road closures need the graph travel "
                            f"model (travel.model: graph), this scenario uses {base.travel.model!r}",
                            source=base.source, field="travel.model", value=base.travel.model)
    graph = _read_graph(base)
    if isinstance(roads, str):
        items = [part.strip() for part in roads.split(";") if part.strip()]
        pairs: list[tuple[str, str]] = []
        named: list[str] = []
        for item in items:
            pair = _split_edge(graph, item)
            if pair is None:
                named.append(item)
            else:
                pairs.append(pair)
        for name in named:
            found = [(str(u), str(v)) for u, v, data in graph.edges(data=True)
                     if str(data.get("name", "")).strip().casefold() == name.casefold()]
            if not found:
                raise ScenarioError(f"{where}: close_roads: {name!r} is neither a road name (edge attribute "
                                    f"'name') nor an edge 'u-v' of {base.travel.graph}",
                                    source=base.source, field="close_roads", value=name)
            pairs.extend(found)
    else:
        pairs = [(str(u), str(v)) for u, v in roads]
    edges: list[tuple[str, str]] = []
    for u, v in pairs:
        if not (graph.has_edge(u, v) or graph.has_edge(v, u)):
            raise ScenarioError(f"{where}: close_roads: no road between nodes {u!r} and {v!r} in "
                                f"{base.travel.graph}", source=base.source, field="close_roads", value=f"{u}-{v}")
        for a, b in ((u, v), (v, u)):
            if graph.has_edge(a, b):
                edges.append((a, b))
                if not graph.is_directed():
                    break
    return tuple(dict.fromkeys(edges))


def _read_graph(base: Problem):
    path = base.travel.graph
    if not path or not Path(path).is_file():
        raise ScenarioError(f"{base.source or base.name}: close_roads: road graph {path!r} not found",
                            source=base.source, field="travel.graph", value=path)
    return read_graph(path)


def _split_edge(graph, item: str) -> tuple[str, str] | None:
    """"u-v" -> (u, v) when some split at a '-' gives two nodes of the graph (ids may hold '-')."""
    for i, char in enumerate(item):
        if char == "-":
            u, v = item[:i].strip(), item[i + 1:].strip()
            if u in graph and v in graph:
                return u, v
    return None


# ------------------------------------------------------------------------------------ the sweep
def run_whatif(base: str | Path | Problem, vary: Mapping[str, Sequence[Any]] | Sequence[str], *,
               backend: str = "ortools", seeds: Sequence[int] = (0,), time_limit_s: float = 30.0,
               workers: int = 2, executor: str = "process", ray_address: str | None = None,
               out_dir: str | Path | None = None, progress: bool = True, template: str | None = None,
               demand_seed: int = 0, solution_limit: int | None = None,
               ray_timeout_s: float = 30.0) -> "pd.DataFrame":
    """Plan every variant of ``base`` (see :func:`build_variants`) and compare it with the base.

    ``vary`` is a knob dict or the strings :func:`parse_vary` reads. The variants run through
    :func:`~dispatchopt.experiments.batch.run_batch` (same ``backend``/``seeds``/``time_limit_s``/
    ``workers``/``executor``/``ray_address``/``ray_timeout_s``/``out_dir``/``progress``/``solution_limit`` meaning;
    with ``out_dir`` the per-run table is in ``results.csv`` and this summary is written to
    ``whatif.csv``). ``base`` is loaded here when it is a path (a broken file raises).

    Returns
    -------
    pandas.DataFrame
        One row per variant, the base first, then product order. Columns: ``variant``; each
        knob of ``vary``; ``n_runs`` (seeds) and ``n_errors``; ``n_jobs`` and ``n_technicians``;
        then for each of :data:`MAIN_KPIS` that the KPIs provide, ``<kpi>`` (mean over the
        seeds' successful runs) and ``<kpi>_delta`` (that minus the base's value).
    """
    import pandas as pd

    if not isinstance(vary, Mapping):
        vary = parse_vary(vary)
    if isinstance(base, Problem):
        problem, label = base, base.name
    else:
        problem = load_scenario(base)
        label = scenario_label(BatchScenario(source=base))
    variants = _variants(problem, vary, template=template, demand_seed=demand_seed)
    if all(v_label != BASE_LABEL for v_label, _, _ in variants):
        variants.insert(0, (BASE_LABEL, {name: KNOBS[name] for name in vary}, problem))
    else:
        variants.sort(key=lambda item: item[0] != BASE_LABEL)   # stable: base first, then product order
    logger.info("whatif: %d variants of %s x %d seeds", len(variants), label, len(seeds))

    runs = run_batch([BatchScenario(source=p, name=label, variant=v_label) for v_label, _, p in variants],
                     backends=(backend,), seeds=seeds, time_limit_s=time_limit_s, workers=workers,
                     executor=executor, ray_address=ray_address, out_dir=out_dir, progress=progress,
                     solution_limit=solution_limit, ray_timeout_s=ray_timeout_s)
    summary = summarize_whatif(runs, [(v_label, knobs) for v_label, knobs, _ in variants])
    if out_dir is not None:
        write_atomic(Path(out_dir) / "whatif.csv", summary.to_csv(index=False))
    return summary


def summarize_whatif(runs: "pd.DataFrame", variants: Sequence[tuple[str, Mapping[str, Any]]]) -> "pd.DataFrame":
    """Per-variant means over seeds and deltas against the ``"base"`` variant (see :func:`run_whatif`).

    ``runs``: a batch table with a ``variant`` column; ``variants``: ``(label, knob values)`` in
    the order wanted.
    """
    import pandas as pd

    kpis = [k for k in MAIN_KPIS if k in runs.columns]
    rows = []
    for label, knobs in variants:
        mine = runs[runs["variant"].fillna(BASE_LABEL) == label]
        ok = mine[mine["status"] != ERROR_STATUS]
        row: dict[str, Any] = {"variant": label}
        row.update({name: _format(value) if name == "close_roads" else value for name, value in knobs.items()})
        row.update(n_runs=len(mine), n_errors=int((mine["status"] == ERROR_STATUS).sum()))
        for size in ("n_jobs", "n_technicians"):
            values = mine[size].dropna() if size in mine else []
            row[size] = int(values.iloc[0]) if len(values) else None
        for kpi in kpis:
            values = pd.to_numeric(ok[kpi], errors="coerce")
            row[kpi] = float(values.mean()) if values.notna().any() else math.nan
        rows.append(row)
        if row["n_errors"]:
            logger.warning("whatif: variant %s: %d of %d runs failed", label, row["n_errors"], row["n_runs"])
    base = next((r for r in rows if r["variant"] == BASE_LABEL), None)
    if base is None:
        raise BatchError("whatif: no 'base' variant among the runs to compare with")
    for row in rows:
        for kpi in kpis:
            row[f"{kpi}_delta"] = row[kpi] - base[kpi]
    knob_names = list(dict.fromkeys(name for _, knobs in variants for name in knobs))
    columns = ["variant", *knob_names, "n_runs", "n_errors", "n_jobs", "n_technicians"]
    for kpi in kpis:
        columns += [kpi, f"{kpi}_delta"]
    return pd.DataFrame(rows, columns=columns)


__all__ = ["BASE_LABEL", "DEMAND_JITTER_S", "KNOBS", "MAIN_KPIS", "build_variants", "clone_technicians",
           "parse_vary", "resolve_closures", "run_whatif", "scale_demand", "summarize_whatif"]
