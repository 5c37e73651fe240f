"""The technicians of a generated day: on-call rota, night crew, day staff whose trades follow
the work, trainees, shifts, limits and certificates (contract-v1 dicts with private ``_role``
keys that :mod:`.generate` strips)."""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Any, Callable

from .common import (DEPOTS, SECONDARY, TRADES, CERTIFIED, cert_ok, hm, largest_remainder, leads,
                     weighted)

_ON_CALL_PROFILES = (
    {"plumbing": 3, "road_repair": 2, "drain_clearing": 1},
    {"electrical": 2, "plumbing": 2, "gas": 2},
    {"plumbing": 3, "road_repair": 2, "electrical": 1},
    {"plumbing": 2, "drain_clearing": 2, "road_repair": 1},
)


def technicians(rng: random.Random, n: int, jobs: list[dict], day: dt.date, tw: int, *,
                with_crews: bool, with_on_call: bool, with_split_shifts: bool,
                with_expired_certificate: bool, start_min: int,
                depots: tuple = DEPOTS) -> list[dict[str, Any]]:
    """``n`` technician dicts (ids ``T001``...; depots taken in turn from ``depots``)."""
    next_id = iter(range(1, n + 1))

    def new(role: str) -> dict[str, Any]:
        k = next(next_id)
        depot = depots[(k - 1) % len(depots)]
        return {"id": f"T{k:0{tw}d}", "_role": role, "_depot": depot[0],
                "start": {"lat": depot[1], "lon": depot[2]}}

    techs = _rota(new, n, with_on_call, start_min)
    techs += _day_staff(rng, new, n - len(techs), jobs, with_crews)
    _shifts_and_limits(rng, techs, with_split_shifts)
    _certificates(rng, techs, day, with_expired_certificate)
    return techs


def _rota(new: Callable[[str], dict], n: int, with_on_call: bool, start_min: int) -> list[dict]:
    """The 24-hour on-call rota (handover 15 min before the next) and the night crew."""
    techs = []
    n_on_call = 0
    if with_on_call and n >= 4:
        n_on_call = min(4, max(1, math.ceil(n * 0.06)))
    n_night = 1 if with_on_call and n >= 12 else 0
    for i in range(n_on_call):
        tech = new("on_call")
        tech["skills"] = dict(_ON_CALL_PROFILES[i % len(_ON_CALL_PROFILES)])
        tech["shift"] = {"start": hm(start_min), "end": hm(start_min - 15)}
        tech["breaks"] = [{"earliest": "11:30", "latest": "13:30", "minutes": 30},
                          {"earliest": "17:30", "latest": "19:30", "minutes": 30}]
        tech["max_work_minutes"] = 600
        tech["max_jobs"] = 10
        techs.append(tech)
    for _ in range(n_night):
        tech = new("night")
        tech["skills"] = {"plumbing": 3, "road_repair": 2, "electrical": 2}
        tech["shift"] = {"start": "20:00", "end": "08:00"}
        tech["breaks"] = [{"earliest": "01:00", "latest": "03:00", "minutes": 30}]
        tech["max_work_minutes"] = 480
        techs.append(tech)
    return techs


def _day_staff(rng: random.Random, new: Callable[[str], dict], remaining: int, jobs: list[dict],
               with_crews: bool) -> list[dict]:
    """Day technicians whose primary trades follow the minutes of work, then the trainees."""
    n_trainees = 0
    if with_crews and remaining >= 6:
        n_trainees = max(1, round(remaining * 0.08))
    day_staff = remaining - n_trainees
    need: dict[str, float] = {t: 0.0 for t in TRADES}
    for job in jobs:
        share = job["_base"] * job["crew_size"] / len(job["skills"])
        for trade in job["skills"]:
            need[trade] += share
    if not jobs:
        need = {t: 1.0 for t in TRADES}
    primaries = largest_remainder({t: max(w, 1e-9) for t, w in need.items()}, day_staff)
    order = [t for t in TRADES for _ in range(primaries[t])]
    rng.shuffle(order)
    staff = []
    for trade in order:
        tech = new("day")
        skills = {trade: weighted(rng, [(2, 0.5), (3, 0.35), (1, 0.15)])}
        for extra in rng.sample(SECONDARY[trade], k=min(len(SECONDARY[trade]), rng.choice((1, 1, 2)))):
            skills.setdefault(extra, rng.choice((1, 1, 2)))
        tech["skills"] = skills
        staff.append(tech)
    balance_trades(rng, staff, need)
    for _ in range(n_trainees):
        tech = new("trainee")
        tech["skills"] = {"drain_clearing": 1, "plumbing": 1}
        if rng.random() < 0.4:
            tech["skills"]["road_repair"] = 1
        tech["trainee"] = True
        staff.append(tech)
    return staff


def _shifts_and_limits(rng: random.Random, techs: list[dict], with_split_shifts: bool) -> None:
    """Day shifts (08:30-17:30 with a floating lunch, or split), job / work / van limits."""
    for tech in techs:
        if tech["_role"] not in ("day", "trainee"):
            continue
        if with_split_shifts and rng.random() < 0.35:
            tech["shift"] = [{"start": "08:30", "end": "12:00"}, {"start": "13:30", "end": "17:30"}]
        else:
            tech["shift"] = {"start": "08:30", "end": "17:30"}
            tech["breaks"] = [{"earliest": "12:00", "latest": "13:00", "minutes": 60}]
        roll = rng.random()
        if roll < 0.15:
            tech["max_jobs"] = rng.choice((8, 10, 12))
        elif roll < 0.25:
            tech["max_work_minutes"] = rng.choice((360, 420))   # part-day: light duties
        if "meter" in tech["skills"] and rng.random() < 0.6:
            tech["capacity"] = rng.choice((8, 10, 12))          # meters on the van
        elif "installation" in tech["skills"] and rng.random() < 0.6:
            tech["capacity"] = rng.choice((4, 5, 6))            # purifier units on the van
        if rng.random() < 0.1:
            tech["max_overtime_minutes"] = 30


def _certificates(rng: random.Random, techs: list[dict], day: dt.date, with_expired: bool) -> None:
    """Certificates of the certified trades; optionally one electrician's has expired."""
    for tech in techs:
        certs = {}
        for trade in tech["skills"]:
            if trade in ("electrical", "gas") or (trade in CERTIFIED and rng.random() < 0.6):
                expiry = day + dt.timedelta(days=rng.randint(45, 900))
                certs[trade] = expiry.isoformat()
        if certs:
            tech["certificates"] = certs
    if with_expired:
        electricians = [t for t in techs if t["_role"] == "day" and "electrical" in t["skills"]]
        if len(electricians) >= 2:          # others can still do the electrical work
            victim = rng.choice(electricians)
            victim["certificates"]["electrical"] = (day - dt.timedelta(days=rng.randint(3, 40))).isoformat()
            victim["_expired"] = True


def balance_trades(rng: random.Random, staff: list[dict], need: dict[str, float]) -> None:
    """Give under-staffed trades to more day technicians (as a second or third trade).

    A trade some work needs gets at least ``max(2, 2 x its share of the work x staff)``
    holders (capped by the staff size); adding a trade never takes a holder from another.
    """
    if not staff:
        return
    total_need = sum(need.values()) or 1.0
    for trade in TRADES:
        if need.get(trade, 0) <= 0:
            continue
        want = min(len(staff), max(2, math.ceil(2.0 * need[trade] / total_need * len(staff))))
        while sum(1 for t in staff if trade in t["skills"]) < want:
            takers = [t for t in staff if trade not in t["skills"] and len(t["skills"]) < 4]
            if not takers:
                break
            related = [t for t in takers if trade in SECONDARY[next(iter(t["skills"]))]
                       or next(iter(t["skills"])) in SECONDARY[trade]]
            pool = related or takers
            fewest = min(len(t["skills"]) for t in pool)
            taker = rng.choice([t for t in pool if len(t["skills"]) == fewest])
            taker["skills"][trade] = 2


def make_qualifiable(rng: random.Random, jobs: list[dict], techs: list[dict], day: dt.date) -> None:
    """Relax a job's levels / drop a second trade until at least two technicians (one if the
    roster is tiny) may lead it, and a crew job has enough members."""
    staff = [t for t in techs if not t.get("trainee")]
    want = 2 if len(staff) >= 4 else 1
    for job in jobs:
        for _ in range(4):
            if len(leads(job, techs, day)) >= want:
                break
            if any(lvl > 1 for lvl in job["skills"].values()):
                job["skills"] = {s: 1 for s in job["skills"]}
            elif len(job["skills"]) > 1:
                first = sorted(job["skills"])[0]
                job["skills"] = {first: 1}
            else:
                break
        if not leads(job, techs, day):
            _grant(rng.choice(staff), job, day)
        if job["crew_size"] > 1:
            members = [t for t in techs if all(t["skills"].get(s, 0) >= (1 if t.get("trainee") else lvl)
                                               and cert_ok(t, s, day) for s, lvl in job["skills"].items())]
            if len(members) < job["crew_size"]:
                job["crew_size"] = 1


def _grant(holder: dict, job: dict, day: dt.date) -> None:
    """Nobody holds the job's trade at all (tiny rosters): give it to one day technician."""
    for skill in job["skills"]:
        holder["skills"][skill] = max(holder["skills"].get(skill, 0), job["skills"][skill])
        if skill in ("electrical", "gas"):
            holder.setdefault("certificates", {})[skill] = (day + dt.timedelta(days=365)).isoformat()
        elif skill in holder.get("certificates", {}) and not cert_ok(holder, skill, day):
            holder["certificates"][skill] = (day + dt.timedelta(days=365)).isoformat()
