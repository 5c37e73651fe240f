#!/usr/bin/env python3
"""Write a random, realistic scenario (contract v1) with ``dispatchopt.synth.generate``.

    python scripts/generate_scenario.py --technicians 40 --jobs 400 --seed 7 --out city.yaml
    python scripts/generate_scenario.py --technicians 150 --jobs 2000 --seed 1 --out big.json --json
    python scripts/generate_scenario.py --technicians 150 --jobs 2000 --load 1.2 --seed 12 --out busy.yaml
    python scripts/generate_scenario.py --bundled        # regenerate the generated bundled scenarios

``--load F`` makes a busy day whose load (service technician-minutes over the work minutes of
the technicians who may work alone) is exactly F, with hot spots (``--hotspots N``, default 3),
early emergencies, 2-hour windows and drainage crews. ``--bundled`` rewrites
scenarios/city_day.yaml, scenarios/bench/ (the two busy benchmark days), scenarios/road_graph/
(roads.graphml, scenario.yaml, closure.yaml) and scenarios/tables/ (the table form of the
hand-written scenarios/small.yaml). Output is deterministic per seed.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
try:
    from dispatchopt.errors import DispatchOptError
    from dispatchopt.synth import (generate_graph_scenario, generate_road_graph, generate_scenario,
                                   scenario_summary)
except ImportError:  # running from a checkout without the package installed
    sys.path.insert(0, str(ROOT / "src"))
    from dispatchopt.errors import DispatchOptError
    from dispatchopt.synth import (generate_graph_scenario, generate_road_graph, generate_scenario,
                                   scenario_summary)

CITY_DAY_SEED = 20261123
ROAD_GRAPH_SEED = 11
# The busy benchmark days (issue 11): file name -> (technicians, jobs, load, seed).
BENCH_DAYS = {
    "day_40x300_load0.9.yaml": (40, 300, 0.9, 40300),
    "day_150x2000_load1.2.yaml": (150, 2000, 1.2, 1502000),
}


def bench_day(n_technicians: int, n_jobs: int, load: float, seed: int) -> dict:
    """A busy benchmark day exactly as bundled under scenarios/bench/."""
    return generate_scenario(n_technicians, n_jobs, seed=seed, load=load,
                             name=f"qingdao-busy-2026-11-23-{n_technicians}x{n_jobs}-load{load}")


# ------------------------------------------------------------------------------------------
# YAML: small mappings in flow style, one job per block
# ------------------------------------------------------------------------------------------
class _Dumper(yaml.SafeDumper):
    pass


def _represent_dict(dumper: yaml.SafeDumper, data: dict):
    flat = all(not isinstance(v, (dict, list)) for v in data.values()) and len(data) <= 4
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=flat or None)


def _represent_list(dumper: yaml.SafeDumper, data: list):
    flat = all(not isinstance(v, (dict, list)) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flat or None)


_Dumper.add_representer(dict, _represent_dict)
_Dumper.add_representer(list, _represent_list)


def to_yaml(data: dict, header: str = "") -> str:
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120,
                     default_flow_style=False)
    lines = "".join(f"# {line}".rstrip() + "\n" for line in header.strip().splitlines()) if header else ""
    return lines + body


def write_scenario(data: dict, out: Path, *, as_json: bool = False, header: str = "") -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    if as_json or out.suffix.lower() == ".json":
        out.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    else:
        out.write_text(to_yaml(data, header), encoding="utf-8")


# ------------------------------------------------------------------------------------------
# the table form (scenario.yaml + technicians.csv + jobs.csv)
# ------------------------------------------------------------------------------------------
TECH_COLUMNS = ("id", "skills", "certificates", "shift_start", "shift_end", "breaks", "start_lat",
                "start_lon", "end_lat", "end_lon", "max_jobs", "max_work_minutes", "capacity", "trainee")
JOB_COLUMNS = ("id", "location_lat", "location_lon", "category", "skills", "duration_minutes",
               "received_at", "due", "window_start", "window_end", "crew_size", "demand", "pinned_to",
               "dispatchable")


def _pairs(mapping: dict | None) -> str:
    return ";".join(f"{k}:{v}" for k, v in (mapping or {}).items())


def _tech_row(tech: dict) -> dict:
    shift = tech.get("shift")
    if isinstance(shift, list):
        if len(shift) > 1:
            raise ValueError(f"technician {tech['id']}: a list of shifts has no table form")
        shift = shift[0]
    end = tech.get("end") or {}
    row = {"id": tech["id"], "skills": _pairs(tech.get("skills")),
           "certificates": _pairs(tech.get("certificates")),
           "shift_start": (shift or {}).get("start", ""), "shift_end": (shift or {}).get("end", ""),
           "breaks": ";".join(f"{b['earliest']}-{b['latest']}/{b['minutes']}" for b in tech.get("breaks") or []),
           "start_lat": tech["start"]["lat"], "start_lon": tech["start"]["lon"],
           "end_lat": end.get("lat", ""), "end_lon": end.get("lon", ""),
           "max_jobs": tech.get("max_jobs", ""), "max_work_minutes": tech.get("max_work_minutes", ""),
           "capacity": tech.get("capacity", ""), "trainee": "true" if tech.get("trainee") else ""}
    for key in tech:
        if key not in ("id", "skills", "certificates", "shift", "breaks", "start", "end", "max_jobs",
                       "max_work_minutes", "capacity", "trainee"):
            raise ValueError(f"technician {tech['id']}: key {key!r} has no table column here")
    return row


def _job_row(job: dict) -> dict:
    pins = job.get("pinned_to", "")
    if isinstance(pins, list):
        pins = ";".join(pins)
    window = job.get("window") or {}
    return {"id": job["id"], "location_lat": job["location"]["lat"], "location_lon": job["location"]["lon"],
            "category": job.get("category", ""), "skills": _pairs(job.get("skills")),
            "duration_minutes": job["duration_minutes"], "received_at": job.get("received_at", ""),
            "due": job.get("due", ""), "window_start": window.get("start", ""),
            "window_end": window.get("end", ""), "crew_size": job.get("crew_size", ""),
            "demand": job.get("demand", ""), "pinned_to": pins,
            "dispatchable": "" if job.get("dispatchable", True) else "false"}


def write_tables(data: dict, out_dir: Path, header: str = "") -> None:
    """Write ``data`` as scenario.yaml (scenario-level keys) + technicians.csv + jobs.csv."""
    out_dir.mkdir(parents=True, exist_ok=True)
    top = {k: v for k, v in data.items() if k not in ("technicians", "jobs")}
    (out_dir / "scenario.yaml").write_text(to_yaml(top, header), encoding="utf-8")
    for name, columns, rows in (("technicians.csv", TECH_COLUMNS, [_tech_row(t) for t in data["technicians"]]),
                                ("jobs.csv", JOB_COLUMNS, [_job_row(j) for j in data["jobs"]])):
        used = [c for c in columns if c == "id" or any(r[c] not in ("", None) for r in rows)]
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=used, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        (out_dir / name).write_text(buffer.getvalue(), encoding="utf-8")


# ------------------------------------------------------------------------------------------
# bundled scenarios
# ------------------------------------------------------------------------------------------
def _read_yaml(path: Path) -> dict:
    class Loader(yaml.SafeLoader):
        pass

    Loader.yaml_implicit_resolvers = {
        k: [(tag, rx) for tag, rx in v if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:timestamp")]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    import re

    Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"),
                                 list("-+0123456789"))
    return yaml.load(path.read_text(encoding="utf-8"), Loader=Loader)


def build_bundled(root: Path = ROOT / "scenarios") -> None:
    # City day: 40 technicians, 400 jobs, every feature.
    city = generate_scenario(40, 400, seed=CITY_DAY_SEED, name="qingdao-city-day-2026-11-23")
    summary = scenario_summary(city)
    header = (f"A city day in Qingdao: generated by scripts/generate_scenario.py --bundled\n"
              f"(dispatchopt.synth.generate.generate_scenario(40, 400, seed={CITY_DAY_SEED})). Do not edit by hand.\n"
              f"{summary['technicians']} technicians ({summary['trainees']} trainees, {summary['split_shift']} on split "
              f"shifts), {summary['jobs']} jobs ({summary['crew_jobs']} crew jobs, {summary['windows']} with windows,\n"
              f"{summary['pinned']} pinned, {summary['not_dispatchable']} awaiting prepayment); "
              f"{summary['service_minutes']} service minutes. See scenarios/README.md.")
    write_scenario(city, root / "city_day.yaml", header=header)

    # Busy benchmark days.
    for file_name, (n_techs, n_jobs, load, seed) in BENCH_DAYS.items():
        day = bench_day(n_techs, n_jobs, load, seed)
        summary = scenario_summary(day)
        write_scenario(day, root / "bench" / file_name, header=(
            f"A busy day in Qingdao (benchmark): generated by scripts/generate_scenario.py --bundled\n"
            f"(scripts/generate_scenario.py --technicians {n_techs} --jobs {n_jobs} --load {load} --seed {seed}"
            f" --name {day['name']}). Do not edit by hand.\n"
            f"load {summary['load']} (service technician-minutes / work minutes of non-trainees); "
            f"{summary['crew_jobs']} crew jobs, {summary['windows']} with windows, {summary['pinned']} pinned,\n"
            f"{summary['not_dispatchable']} awaiting prepayment; {summary['service_minutes']} service minutes. "
            f"See scenarios/README.md."))

    # Road graph + closure variant.
    import networkx as nx

    graph = generate_road_graph(seed=ROAD_GRAPH_SEED)
    if not nx.is_connected(graph):
        raise SystemExit("road graph is not connected; change ROAD_GRAPH_SEED")
    road_dir = root / "road_graph"
    road_dir.mkdir(parents=True, exist_ok=True)
    nx.write_graphml(graph, road_dir / "roads.graphml")
    scenario = generate_graph_scenario(graph, 10, 60, seed=ROAD_GRAPH_SEED, name="qingdao-roads-2026-11-23")
    bridges = sorted((u, v) for u, v, d in graph.edges(data=True) if d.get("bridge"))
    row15 = [sorted((u, v), key=lambda n: int(n.split("_")[1])) for u, v in bridges if u.startswith("15_")]
    if not row15:
        raise SystemExit("the arterial bridge on row 15 is missing from the graph")
    west, east = row15[0]
    river = int(west.split("_")[1])
    write_scenario(scenario, road_dir / "scenario.yaml", header=(
        "Road-graph travel: a synthetic 30 x 30 street grid of Qingdao (roads.graphml, built by\n"
        f"scripts/generate_scenario.py --bundled). A river runs north-south between columns {river} and\n"
        f"{river + 1}; only the arterial rows 3, 9, 15, 21, 27 bridge it. 10 technicians, 60 jobs.\n"
        "Do not edit by hand."))
    closure = dict(scenario)
    closure["name"] = "qingdao-roads-2026-11-23-bridge-closed"
    closure["travel"] = dict(scenario["travel"])
    closure["travel"]["closed_edges"] = [[f"15_{river - 1}", west], [west, east], [east, f"15_{river + 2}"]]
    for a, b in closure["travel"]["closed_edges"]:
        if not graph.has_edge(a, b):
            raise SystemExit(f"closed edge {a} - {b} is not in the graph")
    write_scenario(closure, road_dir / "closure.yaml", header=(
        f"Same as scenario.yaml, but the central bridge on arterial row 15 ({west} - {east}) and its\n"
        "approaches are closed (travel.closed_edges): cross-river trips detour via rows 9 or 21."))

    # Table form of the hand-written small scenario.
    small = _read_yaml(root / "small.yaml")
    write_tables(small, root / "tables", header=(
        "Table form of scenarios/small.yaml (scenario-level keys here; technicians.csv and jobs.csv\n"
        "beside it). Written by scripts/generate_scenario.py --bundled from small.yaml."))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate a random scenario (contract v1).")
    parser.add_argument("--technicians", type=int, metavar="N")
    parser.add_argument("--jobs", type=int, metavar="M")
    parser.add_argument("--seed", type=int, default=0, metavar="S")
    parser.add_argument("--out", metavar="FILE", help="scenario file (.yaml, or .json)")
    parser.add_argument("--json", action="store_true", help="write JSON whatever the suffix")
    parser.add_argument("--date", default="2026-11-23", help="plan day YYYY-MM-DD (default 2026-11-23)")
    parser.add_argument("--start-time", default="07:00", help="horizon start HH:MM (default 07:00)")
    parser.add_argument("--no-crews", action="store_true", help="no crew jobs, no trainees")
    parser.add_argument("--target-load", type=float, default=0.75,
                        help="without --load: service / (usable minutes - estimated travel), default 0.75")
    parser.add_argument("--load", type=float, metavar="F",
                        help="busy day: service technician-minutes / work minutes of non-trainees, exactly F")
    parser.add_argument("--hotspots", type=int, metavar="N", help="hot spots the jobs cluster in (busy default 3)")
    parser.add_argument("--name", help="scenario name (default qingdao-DATE-NxM-sSEED)")
    parser.add_argument("--bundled", action="store_true", help="regenerate the generated bundled scenarios")
    args = parser.parse_args(argv)
    if args.bundled:
        build_bundled()
        print("bundled scenarios written under", ROOT / "scenarios")
        return 0
    if args.technicians is None or args.jobs is None or not args.out:
        parser.error("--technicians, --jobs and --out are required (or --bundled)")
    if args.technicians < 1 or args.jobs < 0:
        parser.error(f"--technicians must be >= 1 and --jobs >= 0, got {args.technicians} and {args.jobs}")
    try:
        data = generate_scenario(args.technicians, args.jobs, seed=args.seed, date=args.date,
                                 start_time=args.start_time, with_crews=not args.no_crews,
                                 target_load=args.target_load, load=args.load, hotspots=args.hotspots,
                                 name=args.name)
    except (DispatchOptError, ValueError) as exc:
        parser.error(str(exc))
    out = Path(args.out)
    write_scenario(data, out, as_json=args.json)
    summary = scenario_summary(data)
    print(f"{out}: {summary['technicians']} technicians, {summary['jobs']} jobs, seed {args.seed}, "
          f"{summary['crew_jobs']} crew jobs, {summary['windows']} windows, "
          f"mean service {summary['mean_duration_minutes']} min, load {summary['load']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
