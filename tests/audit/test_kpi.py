"""KPIs hand-computed on hand-made plans, plus the flattening and the table/compare helpers.

Euclidean travel at speed 1: one coordinate unit = one minute = one km. Time 0 = 08:00.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from helpers import H, M, job, make_plan, make_problem, route, tech

from dispatchopt.audit.kpi import KPI_KEYS, compare_kpis, compute_kpis, flat_kpis, kpi_table
from dispatchopt.audit.verify import verify

CONTRACT_KEYS = {"on_time_rate", "on_time_rate_by_category", "travel_minutes", "distance_km", "late_jobs",
                 "mean_late_minutes", "p95_late_minutes", "unassigned", "utilisation", "workload_cv",
                 "overtime_minutes"}


def four_jobs():
    """T1 08:00-16:00 serves J1 (on time) then J2 (10 min late); T2 08:00-10:00 (+30 min overtime)
    serves J3 in its window and is home at 10:30; J4 is unassigned."""
    techs = [tech("T1"), tech("T2", shift=(0, 2 * H), max_overtime_s=30 * M)]
    jobs = [job("J1", x=10, category="emergency"),                     # due 08:30
            job("J2", x=20, category="standard", due_s=40 * M),        # due 08:40
            job("J3", y=30, category="urgent", window=(H, 90 * M), duration_min=60),
            job("J4", x=40, category="standard")]
    problem = make_problem(techs=techs, jobs=jobs)
    plan = make_plan(problem, [route(problem, "T1", [("J1", 10 * M), ("J2", 50 * M)]),
                               route(problem, "T2", [("J3", H)])], {"J4": "no time left"})
    return problem, plan


def test_hand_computed_kpis():
    problem, plan = four_jobs()
    assert verify(problem, plan) == []
    kpis = compute_kpis(problem, plan)
    assert set(kpis) == CONTRACT_KEYS | {"not_dispatchable"} == set(KPI_KEYS)
    # T1: 10 + 10 + 20 (home) min travel, 60 min service; T2: 30 + 30 travel, 60 service
    assert kpis["travel_minutes"] == 100.0
    assert kpis["distance_km"] == 100.0
    # on time: J1 (08:10 <= 08:30) and J3 (09:00, due 11:00, in window); J2 starts 08:50 > 08:40; J4 unassigned
    assert kpis["on_time_rate"] == 0.5
    assert kpis["on_time_rate_by_category"] == {"emergency": 1.0, "standard": 0.0, "urgent": 1.0}
    assert kpis["late_jobs"] == 1
    assert kpis["mean_late_minutes"] == 3.33                 # (0 + 10 + 0) / 3
    assert kpis["p95_late_minutes"] == 9.0                   # linear between ranks: 0 + 0.9 * 10
    assert kpis["unassigned"] == 1
    assert kpis["not_dispatchable"] == 0
    assert kpis["utilisation"] == 0.3667                     # (100 + 120) / (480 + 120) min
    assert kpis["workload_cv"] == 0.0909                     # loads 100, 120: std 10 / mean 110
    assert kpis["overtime_minutes"] == 30.0                  # T2 home 10:30, shift ends 10:00


def test_kpis_ignore_reported_figures():
    problem, plan = four_jobs()
    r1 = plan.routes[0]
    fake = dataclasses.replace(r1, visits=tuple(dataclasses.replace(v, travel_s=0, distance_m=0.0, late_s=0)
                                                for v in r1.visits))
    kpis = compute_kpis(problem, dataclasses.replace(plan, routes=(fake, plan.routes[1])))
    assert kpis == compute_kpis(problem, plan)


def test_crew_job_counts_once_and_not_dispatchable_is_not_plannable():
    techs = [tech("T1"), tech("T2"), tech("T3", trainee=True)]
    jobs = [job("J1", x=10, crew_size=2, due_s=5 * M), job("J2", dispatchable=False)]
    problem = make_problem(techs=techs, jobs=jobs)
    plan = make_plan(problem, [route(problem, t, [("J1", 10 * M)]) for t in ("T1", "T2")],
                     {"J2": "awaiting prepayment"})
    assert verify(problem, plan) == []
    kpis = compute_kpis(problem, plan)
    assert kpis["on_time_rate"] == 0.0 and kpis["late_jobs"] == 1
    assert kpis["mean_late_minutes"] == 5.0 and kpis["p95_late_minutes"] == 5.0
    assert kpis["unassigned"] == 0 and kpis["not_dispatchable"] == 1
    # the crew service counts for both members; the trainee T3 is out of workload_cv
    assert kpis["travel_minutes"] == 40.0
    assert kpis["utilisation"] == round(2 * (20 + 30) / (3 * 480), 4)
    assert kpis["workload_cv"] == 0.0


def test_empty_plan():
    problem, _ = four_jobs()
    kpis = compute_kpis(problem, make_plan(problem, []))
    assert kpis["on_time_rate"] == 0.0 and kpis["unassigned"] == 4
    assert kpis["travel_minutes"] == 0.0 and kpis["utilisation"] == 0.0 and kpis["workload_cv"] == 0.0
    assert kpis["mean_late_minutes"] == 0.0 and kpis["p95_late_minutes"] == 0.0
    no_jobs = make_problem(techs=[tech("T1")], jobs=[])
    assert compute_kpis(no_jobs, make_plan(no_jobs, []))["on_time_rate"] == 1.0


def test_one_long_delay_puts_the_mean_above_the_p95():
    """20 jobs on time and one 100 min late: the p95 (linear between ranks, rank 19 of 0..20) is
    0 while the mean is 100 / 21; a p95 is not an upper bound of the mean."""
    jobs = [job(f"J{k:02d}", due_s=8 * H, duration_min=10) for k in range(20)]
    jobs.append(job("J20", due_s=100 * M, duration_min=10))
    problem = make_problem(techs=[tech("T1")], jobs=jobs)
    plan = make_plan(problem, [route(problem, "T1", [(j.id, 10 * M * k) for k, j in enumerate(jobs)])])
    assert verify(problem, plan) == []
    kpis = compute_kpis(problem, plan)
    assert kpis["late_jobs"] == 1
    assert kpis["mean_late_minutes"] == 4.76
    assert kpis["p95_late_minutes"] == 0.0
    assert kpis["on_time_rate"] == 0.9524                    # 20 / 21
    assert kpis["travel_minutes"] == 0.0 and kpis["distance_km"] == 0.0
    assert kpis["utilisation"] == 0.4375                     # 210 min of service in a 480 min shift
    assert kpis["workload_cv"] == 0.0 and kpis["overtime_minutes"] == 0.0


def test_category_rates_and_an_early_return_is_not_negative_overtime():
    """T1 (shift 08:00-10:00) serves U1 and U2 on time and is home at 09:40, 20 min early;
    T2 (08:00-09:15, 30 min overtime allowed) serves U3 10 min late and is home at 09:30; E1 is
    unassigned. Overtime is T2's 15 min: T1's early return does not count against it."""
    techs = [tech("T1", shift=(0, 2 * H)), tech("T2", shift=(0, 75 * M), max_overtime_s=30 * M)]
    jobs = [job("U1", x=10, category="urgent"), job("U2", x=20, category="urgent"),
            job("U3", y=30, category="urgent", due_s=20 * M), job("E1", x=5, category="emergency")]
    problem = make_problem(techs=techs, jobs=jobs)
    plan = make_plan(problem, [route(problem, "T1", [("U1", 10 * M), ("U2", 50 * M)]),
                               route(problem, "T2", [("U3", 30 * M)])], {"E1": "no time left"})
    assert verify(problem, plan) == []
    kpis = compute_kpis(problem, plan)
    assert kpis["overtime_minutes"] == 15.0
    assert kpis["on_time_rate"] == 0.5
    assert kpis["on_time_rate_by_category"] == {"emergency": 0.0, "urgent": 0.6667}
    assert (kpis["late_jobs"], kpis["unassigned"]) == (1, 1)
    assert kpis["mean_late_minutes"] == 3.33 and kpis["p95_late_minutes"] == 9.0
    assert kpis["travel_minutes"] == 100.0                   # T1 10 + 10 + 20 home; T2 30 + 30
    assert kpis["utilisation"] == 0.9744                     # (100 + 90) / (120 + 75) min
    assert kpis["workload_cv"] == 0.0526                     # loads 100, 90: std 5 / mean 95


def test_flat_kpis_names_for_tables_and_for_batch_columns():
    kpis = {"on_time_rate": np.float64(0.5), "on_time_rate_by_category": {"urgent": 1.0, "emergency": 0.0},
            "late_jobs": np.int64(2), "travel_minutes": None}
    flat = flat_kpis(kpis)
    assert list(flat) == ["on_time_rate", "on_time_rate_by_category[emergency]",
                          "on_time_rate_by_category[urgent]", "late_jobs", "travel_minutes"]
    assert type(flat["on_time_rate"]) is float and type(flat["late_jobs"]) is int
    assert flat["travel_minutes"] is None
    columns = flat_kpis(kpis, column_names=True)
    assert list(columns) == ["on_time_rate", "on_time_rate__emergency", "on_time_rate__urgent", "late_jobs",
                             "travel_minutes"]
    assert list(columns.values()) == list(flat.values())
    problem, plan = four_jobs()
    assert flat_kpis(compute_kpis(problem, plan))["on_time_rate_by_category[standard]"] == 0.0


def test_compare_and_table():
    problem, plan = four_jobs()
    base = compute_kpis(problem, plan)
    only_t1 = make_plan(problem, [plan.routes[0]], {"J3": "dropped", "J4": "no time left"})
    other = compute_kpis(problem, only_t1)
    delta = compare_kpis(base, other)
    assert delta["travel_minutes"] == -60.0
    assert delta["unassigned"] == 1
    assert delta["on_time_rate"] == -0.25
    assert delta["on_time_rate_by_category"] == {"emergency": 0.0, "standard": 0.0, "urgent": -1.0}
    table = kpi_table(base)
    lines = table.splitlines()
    assert lines[0].split() == ["kpi", "value"]
    assert any(line.split() == ["on_time_rate_by_category[urgent]", "1"] for line in lines)
    assert any(line.split() == ["utilisation", "0.3667"] for line in lines)
    both = kpi_table(base, other).splitlines()
    assert both[0].split() == ["kpi", "base", "other", "delta"]
    assert any(line.split() == ["travel_minutes", "100", "40", "-60"] for line in both)


def two_day_plan():
    """Day copies T1@Mon (08:00-16:00) and T1@Tue, T2@Mon (08:00-10:00); J1 Monday by T1, J3 on
    Monday by T2, J2 on Tuesday by T1 (10 min late)."""
    import datetime as dt
    mon, tue = dt.date(2026, 11, 23), dt.date(2026, 11, 24)
    day = 24 * H
    techs = [dataclasses.replace(tech("T1@2026-11-23"), person="T1", day=mon),
             dataclasses.replace(tech("T1@2026-11-24", shift=(day, day + 8 * H)), person="T1", day=tue),
             dataclasses.replace(tech("T2@2026-11-23", shift=(0, 2 * H)), person="T2", day=mon)]
    jobs = [job("J1", x=10, category="emergency"),                         # due 08:30 Monday
            job("J2", x=20, due_s=day + 30 * M),                           # due 08:30 Tuesday
            job("J3", y=30, category="urgent", duration_min=30),
            job("J4", x=40)]
    problem = make_problem(techs=techs, jobs=jobs, end_s=2 * day)
    plan = make_plan(problem, [route(problem, "T1@2026-11-23", [("J1", 10 * M)]),
                               route(problem, "T1@2026-11-24", [("J2", day + 40 * M)]),
                               route(problem, "T2@2026-11-23", [("J3", 30 * M)])], {"J4": "no time left"})
    return problem, plan


def test_kpis_by_day_split_routes_and_jobs_by_the_copy_s_day():
    from dispatchopt.audit.kpi import by_day_table, kpis_by_day
    problem, plan = two_day_plan()
    assert verify(problem, plan) == []
    kpis = compute_kpis(problem, plan)
    assert set(kpis) == set(KPI_KEYS) | {"by_day"}
    assert kpis["unassigned"] == 1 and kpis["late_jobs"] == 1         # the flat v1 figures stay whole-horizon
    mon, tue = kpis["by_day"]["2026-11-23"], kpis["by_day"]["2026-11-24"]
    assert list(kpis["by_day"]) == ["2026-11-23", "2026-11-24"]
    assert (mon["jobs"], mon["technicians"], tue["jobs"], tue["technicians"]) == (2, 2, 1, 1)
    assert mon["on_time_rate"] == 1.0 and tue["on_time_rate"] == 0.0 and tue["late_jobs"] == 1
    assert mon["travel_minutes"] == 20 + 60 and tue["travel_minutes"] == 40      # there and back
    assert mon["utilisation"] == round((20 + 30 + 60 + 30) / (480 + 120), 4)
    assert tue["utilisation"] == round((40 + 30) / 480, 4)
    assert mon["workload_cv"] == round(abs(50 - 90) / 2 / 70, 4)     # loads 50, 90: std 20 / mean 70
    assert "unassigned" not in mon and tue["mean_late_minutes"] == 10.0
    assert kpis_by_day(problem, plan) == kpis["by_day"]
    flat = flat_kpis(kpis)
    assert flat["by_day[2026-11-24].late_jobs"] == 1
    assert flat_kpis(kpis, column_names=True)["by_day__2026-11-23__on_time_rate__emergency"] == 1.0
    table = by_day_table(kpis["by_day"]).splitlines()
    assert table[0].split()[:3] == ["day", "jobs", "technicians"] and table[3].split()[:3] == ["2026-11-24", "1", "1"]


def test_a_one_day_problem_has_no_by_day_block():
    problem, plan = four_jobs()
    assert "by_day" not in compute_kpis(problem, plan)
