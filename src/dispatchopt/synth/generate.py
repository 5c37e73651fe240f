"""Random but realistic field-service scenarios (contract v1 dicts), set in Qingdao.

:func:`generate_scenario` builds a day of repair work for a utility / property repair desk
from the business rules in ``../shared/DOMAIN.md``:

* trades with levels (plumbing, electrical, appliance, gas, drain_clearing, meter, survey,
  road_repair, installation); electrical and gas work needs a valid certificate;
* day shifts 08:30-17:30 with a floating lunch break, or split 08:30-12:00 + 13:30-17:30;
  24-hour on-call emergency technicians (07:00 to 06:45 next day: handover 15 min before the
  next rota) and a night crew (20:00-08:00) so that emergencies received before the day shift
  can be reached;
* drain-clearing crews (crew_size 2; a trainee may be the second member), road-repair crews;
* appointment windows (2-3 h, morning or afternoon; due = window end), the SLA categories of
  ``domain/sla.py``, pinned follow-up visits, jobs awaiting prepayment (``dispatchable: false``),
  van capacity for meters and appliances, max_jobs and max_work_minutes limits.

Service times are scaled so that the total service minutes (crew jobs counted once per
member) are about ``target_load`` of the usable technician minutes (shift minus breaks, capped
by max_work_minutes) minus an estimate of the travel, so a good solver can plan nearly
everything. Everything is drawn from one ``random.Random(seed)``: same arguments, same dict.
The result contains only plain str / int / float / bool / list / dict values (YAML and JSON
ready); it is not validated here - load it with ``dispatchopt.scenario.problem_from_dict``.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Any

__all__ = ["generate_scenario", "generate_road_graph", "generate_graph_scenario", "QINGDAO_BOX",
           "scenario_summary"]

# Urban Qingdao (Shinan / Shibei / Licang): lat 36.06-36.12, lon 120.33-120.45.
QINGDAO_BOX = (36.06, 36.12, 120.33, 120.45)

# Neighbourhoods where work orders come from: (name, lat, lon, spread_km, weight).
_DISTRICTS = (
    ("Shinan west", 36.0660, 120.3380, 0.9, 1.0),
    ("Shinan centre", 36.0690, 120.3750, 1.1, 1.6),
    ("Fushan Bay", 36.0640, 120.4050, 1.0, 1.2),
    ("Shibei", 36.0880, 120.3650, 1.2, 1.6),
    ("Shibei east", 36.0920, 120.3950, 1.0, 1.2),
    ("Licang", 36.1100, 120.4200, 1.2, 1.2),
    ("Laoshan west", 36.0780, 120.4380, 0.9, 0.8),
)

# Depots (service stations) where technicians start and end.
_DEPOTS = (
    ("Shinan station", 36.0700, 120.3800),
    ("Shibei station", 36.0890, 120.3700),
    ("Licang station", 36.1080, 120.4150),
    ("East station", 36.0760, 120.4300),
)

# Category mix of a city day (fractions of the jobs).
_CATEGORY_MIX = (
    ("emergency", 0.03), ("major_leak", 0.02), ("road_repair", 0.05), ("urgent", 0.08),
    ("drainage", 0.07), ("drain_clearing", 0.06), ("small_repair", 0.20), ("standard", 0.20),
    ("meter_change", 0.12), ("survey", 0.07), ("installation", 0.10),
)

# Typical service minutes per category, before scaling to the target load.
_BASE_MINUTES = {
    "emergency": 60, "major_leak": 90, "road_repair": 120, "urgent": 45, "drainage": 60,
    "drain_clearing": 60, "small_repair": 40, "standard": 45, "meter_change": 25,
    "installation": 90, "survey": 40,
}

# Fraction of jobs of a category that have an appointment window.
_WINDOW_SHARE = {"small_repair": 0.55, "installation": 0.8, "meter_change": 0.4, "standard": 0.25,
                 "survey": 0.1}

# Appointment windows offered by the call centre (local clock, 2-3 h).
_MORNING_WINDOWS = (("08:30", "11:00"), ("09:00", "12:00"), ("10:00", "12:00"))
_AFTERNOON_WINDOWS = (("13:30", "16:00"), ("14:00", "16:30"), ("14:30", "17:00"))

_TRADES = ("plumbing", "electrical", "appliance", "gas", "drain_clearing", "meter", "survey",
           "road_repair", "installation")
# A second trade a technician of a primary trade often has.
_SECONDARY = {
    "plumbing": ("drain_clearing", "appliance", "meter", "installation"),
    "electrical": ("appliance", "meter"),
    "appliance": ("electrical", "plumbing", "installation"),
    "gas": ("plumbing", "appliance"),
    "drain_clearing": ("plumbing", "road_repair"),
    "meter": ("plumbing", "electrical"),
    "survey": ("plumbing", "road_repair", "meter"),
    "road_repair": ("plumbing", "drain_clearing"),
    "installation": ("plumbing", "appliance"),
}
# Trades whose holders carry a certificate (electrician, gas fitter, plumber, appliance repair).
_CERTIFIED = ("electrical", "gas", "plumbing", "appliance")

_SURNAMES = ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu", "Xu",
             "Sun", "Hu", "Zhu", "Gao", "Lin", "He", "Guo", "Ma", "Luo")

TRAVEL_ESTIMATE_MIN = 10.0
"""Travel minutes assumed per visit when sizing the work (a routed city day at 25 km/h)."""


# ------------------------------------------------------------------------------------------
# small helpers
# ------------------------------------------------------------------------------------------
def _hm(minutes: int) -> str:
    minutes %= 24 * 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _to_min(hhmm: str) -> int:
    hours, mins = hhmm.split(":")
    return int(hours) * 60 + int(mins)


def _iso(day: dt.date, minutes: int) -> str:
    """Local ISO time (no offset) ``minutes`` after midnight of ``day`` (may spill over)."""
    when = dt.datetime.combine(day, dt.time(0, 0)) + dt.timedelta(minutes=minutes)
    return when.strftime("%Y-%m-%dT%H:%M")


def _round5(value: float, lo: int = 10) -> int:
    return max(lo, int(5 * round(value / 5)))


def _weighted(rng: random.Random, items: list[tuple[Any, float]]):
    total = sum(w for _, w in items)
    pick = rng.random() * total
    for item, weight in items:
        pick -= weight
        if pick <= 0:
            return item
    return items[-1][0]


def _point(rng: random.Random, box=QINGDAO_BOX) -> tuple[float, float]:
    """A job address: near a neighbourhood centre, inside the box."""
    lat_lo, lat_hi, lon_lo, lon_hi = box
    _, lat0, lon0, spread, _ = _weighted(rng, [(d, d[4]) for d in _DISTRICTS])
    dlat = rng.gauss(0, spread) / 111.2
    dlon = rng.gauss(0, spread) / (111.2 * math.cos(math.radians(lat0)))
    lat = min(lat_hi, max(lat_lo, lat0 + dlat))
    lon = min(lon_hi, max(lon_lo, lon0 + dlon))
    return round(lat, 5), round(lon, 5)


def _largest_remainder(weights: dict[str, float], total: int) -> dict[str, int]:
    """Split ``total`` into integers proportional to ``weights``."""
    wsum = sum(weights.values()) or 1.0
    exact = {k: total * w / wsum for k, w in weights.items()}
    out = {k: int(math.floor(v)) for k, v in exact.items()}
    rest = total - sum(out.values())
    for key in sorted(exact, key=lambda k: (-(exact[k] - out[k]), k))[:rest]:
        out[key] += 1
    return out


# ------------------------------------------------------------------------------------------
# the generator
# ------------------------------------------------------------------------------------------
def generate_scenario(n_technicians: int, n_jobs: int, *, seed: int = 0, date: str = "2026-11-23",
                      with_crews: bool = True, start_time: str = "07:00", name: str | None = None,
                      with_on_call: bool = True, with_split_shifts: bool = True,
                      with_windows: bool = True, with_pins: bool = True,
                      with_expired_certificate: bool = True, n_not_dispatchable: int | None = None,
                      target_load: float = 0.75, speed_kmh: float = 25.0, circuity: float = 1.3,
                      timezone: str = "Asia/Shanghai") -> dict[str, Any]:
    """A contract-v1 scenario dict: ``n_technicians`` technicians and ``n_jobs`` jobs.

    Parameters
    ----------
    n_technicians, n_jobs
        Sizes (>= 1 and >= 0). Scales to thousands of jobs (linear time).
    seed
        Everything is drawn from ``random.Random(seed)``: same arguments -> same dict.
    date
        The plan day ``YYYY-MM-DD`` (local); the horizon is ``start_time`` to +24 h.
    with_crews
        Drain-clearing jobs need a crew of 2 (a trainee may be the second), some road repairs
        too; trainees are hired. Without it every job has crew_size 1 and nobody is a trainee.
    with_on_call
        Some technicians work a 24 h on-call rota (start_time to start_time - 15 min next
        day) and, with >= 12 technicians, one works a 20:00-08:00 night shift; a few
        emergencies arrive before the day shift (start + 10 min .. 08:20).
    with_split_shifts
        About a third of the day staff work 08:30-12:00 + 13:30-17:30 (two shifts); the others
        08:30-17:30 with a floating lunch break (12:00-13:00 start, 60 min).
    with_windows, with_pins, with_expired_certificate, n_not_dispatchable
        Appointment windows; pinned follow-up visits (~2 %); one electrician whose certificate
        expired before the plan day; jobs awaiting prepayment (default 3 for >= 100 jobs,
        else 1 for >= 10 jobs, else 0).
    target_load
        Service minutes / (usable technician minutes - estimated travel). 0.75 leaves room for
        a good solver to plan nearly everything.
    """
    if n_technicians < 1:
        raise ValueError(f"generate_scenario: n_technicians must be >= 1, got {n_technicians!r}")
    if n_jobs < 0:
        raise ValueError(f"generate_scenario: n_jobs must be >= 0, got {n_jobs!r}")
    if not 0 < target_load <= 2:
        raise ValueError(f"generate_scenario: target_load must be in (0, 2], got {target_load!r}")
    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        raise ValueError(f"generate_scenario: date must be YYYY-MM-DD, got {date!r}") from None
    try:
        start_min = _to_min(start_time)
    except ValueError:
        raise ValueError(f"generate_scenario: start_time must be HH:MM, got {start_time!r}") from None
    rng = random.Random(seed)
    tw = max(3, len(str(n_technicians)))
    jw = max(4, len(str(n_jobs)))

    # ---- 1. jobs: categories and the trades they need -----------------------------------
    counts = _largest_remainder(dict(_CATEGORY_MIX), n_jobs)
    categories = [cat for cat, _ in _CATEGORY_MIX for _ in range(counts[cat])]
    rng.shuffle(categories)

    jobs: list[dict[str, Any]] = []
    for i, category in enumerate(categories):
        skills, crew = _job_skills(rng, category, with_crews)
        jobs.append({"id": f"J{i + 1:0{jw}d}", "category": category, "skills": skills,
                     "crew_size": crew,
                     "_base": _BASE_MINUTES[category] * rng.uniform(0.7, 1.3)})

    # ---- 2. technicians: trade mix follows the work --------------------------------------
    techs = _technicians(rng, n_technicians, jobs, day, tw, with_crews=with_crews,
                         with_on_call=with_on_call, with_split_shifts=with_split_shifts,
                         with_expired_certificate=with_expired_certificate,
                         start_min=start_min)

    # Every job must have at least one valid lead; fall back to level 1 / a held trade.
    _make_qualifiable(rng, jobs, techs, day)

    # ---- 3. timing: received, windows, due ------------------------------------------------
    on_call_skills = set()
    for tech in techs:
        if tech.get("_role") == "on_call":
            on_call_skills |= {s for s in tech["skills"] if _cert_ok(tech, s, day)}
    early_budget = sum(1 for t in techs if t.get("_role") == "on_call") if with_on_call else 0
    roles = {t["_role"] for t in techs}
    for job in jobs:
        _timing(rng, job, day, start_min, with_windows, day_cover="on_call" in roles,
                night_cover="night" in roles)
        if (early_budget > 0 and job["category"] in ("emergency", "major_leak", "road_repair")
                and job["crew_size"] == 1 and set(job["skills"]) <= on_call_skills):
            # Reported overnight / at dawn: only the on-call rota can reach it.
            received = rng.randint(start_min + 10, max(start_min + 11, 8 * 60 + 20))
            job["received_at"] = _iso(day, received)
            job.pop("due", None)
            early_budget -= 1

    # ---- 4. locations ------------------------------------------------------------------------
    for job in jobs:
        lat, lon = _point(rng)
        job["location"] = {"lat": lat, "lon": lon}

    # ---- 5. sizes: scale service minutes to the target load ----------------------------------
    _scale_durations(jobs, techs, target_load)

    # ---- 6. demand, pins, non-dispatchable -------------------------------------------------
    for job in jobs:
        if job["category"] in ("meter_change", "installation"):
            job["demand"] = 1
    if with_pins and n_jobs >= 20:
        _pin(rng, jobs, techs, day)
    if n_not_dispatchable is None:
        n_not_dispatchable = 3 if n_jobs >= 100 else (1 if n_jobs >= 10 else 0)
    candidates = [j for j in jobs if j["category"] in ("standard", "installation", "small_repair")
                  and "pinned_to" not in j and j["crew_size"] == 1]
    for job in rng.sample(candidates, min(n_not_dispatchable, len(candidates))):
        job["dispatchable"] = False          # paid repair over 500 yuan awaiting prepayment

    # ---- 7. assemble -------------------------------------------------------------------------
    start_iso = _iso(day, start_min)
    end_iso = _iso(day, start_min + 24 * 60)
    scenario: dict[str, Any] = {
        "name": name or f"qingdao-{date}-{n_technicians}x{n_jobs}-s{seed}",
        "timezone": timezone,
        "start": start_iso,
        "end": end_iso,
        "travel": {"model": "haversine", "speed_kmh": speed_kmh, "circuity": circuity},
        "technicians": [_clean(t) for t in techs],
        "jobs": [_job_out(j) for j in jobs],
    }
    return scenario


def _job_skills(rng: random.Random, category: str, with_crews: bool) -> tuple[dict[str, int], int]:
    """The trades (with minimum levels) and crew size of a job of ``category``."""
    crew = 1
    if category == "emergency":
        trade = _weighted(rng, [("plumbing", 0.6), ("electrical", 0.3), ("gas", 0.1)])
        skills = {trade: 2}
    elif category == "major_leak":
        skills = {"plumbing": 2}
    elif category == "road_repair":
        skills = {"road_repair": rng.choice((1, 2))}
        if with_crews and rng.random() < 0.3:
            crew = 2
    elif category == "urgent":
        trade = _weighted(rng, [("plumbing", 0.5), ("electrical", 0.3), ("appliance", 0.2)])
        skills = {trade: rng.choice((1, 1, 2))}
    elif category == "drainage":
        skills = {"drain_clearing": 1}
    elif category == "drain_clearing":
        skills = {"drain_clearing": rng.choice((1, 1, 2))}
        crew = 2 if with_crews else 1       # truck: driver + clearing worker
    elif category == "small_repair":
        trade = _weighted(rng, [("plumbing", 0.5), ("electrical", 0.25), ("appliance", 0.25)])
        skills = {trade: 1}
    elif category == "standard":
        trade = _weighted(rng, [("plumbing", 0.4), ("electrical", 0.25), ("appliance", 0.3), ("gas", 0.05)])
        skills = {trade: rng.choice((1, 1, 2))}
    elif category == "meter_change":
        skills = {"meter": 1}
    elif category == "installation":
        skills = {"installation": rng.choice((1, 2))}
        if rng.random() < 0.4:                # water purifier: also a plumbing connection
            skills["plumbing"] = 1
    elif category == "survey":
        skills = {"survey": 1}
    else:  # pragma: no cover - every built-in category is listed above
        skills = {"plumbing": 1}
    return skills, crew


def _technicians(rng, n, jobs, day, tw, *, with_crews, with_on_call, with_split_shifts,
                 with_expired_certificate, start_min) -> list[dict[str, Any]]:
    techs: list[dict[str, Any]] = []
    next_id = iter(range(1, n + 1))

    def new(role: str) -> dict[str, Any]:
        k = next(next_id)
        depot = _DEPOTS[(k - 1) % len(_DEPOTS)]
        return {"id": f"T{k:0{tw}d}", "_role": role, "_depot": depot[0],
                "start": {"lat": depot[1], "lon": depot[2]}}

    # On-call rota and night crew.
    n_on_call = 0
    if with_on_call and n >= 4:
        n_on_call = min(4, max(1, math.ceil(n * 0.06)))
    n_night = 1 if with_on_call and n >= 12 else 0
    on_call_profiles = (
        {"plumbing": 3, "road_repair": 2, "drain_clearing": 1},
        {"electrical": 2, "plumbing": 2, "gas": 2},
        {"plumbing": 3, "road_repair": 2, "electrical": 1},
        {"plumbing": 2, "drain_clearing": 2, "road_repair": 1},
    )
    for i in range(n_on_call):
        tech = new("on_call")
        tech["skills"] = dict(on_call_profiles[i % len(on_call_profiles)])
        tech["shift"] = {"start": _hm(start_min), "end": _hm(start_min - 15)}
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

    # Trainees (drain-clearing crews' second member, learning plumbing).
    remaining = n - len(techs)
    n_trainees = 0
    if with_crews and remaining >= 6:
        n_trainees = max(1, round(remaining * 0.08))
    day_staff = remaining - n_trainees

    # Primary trades proportional to the minutes of work needing them.
    need: dict[str, float] = {t: 0.0 for t in _TRADES}
    for job in jobs:
        share = job["_base"] * job["crew_size"] / len(job["skills"])
        for trade in job["skills"]:
            need[trade] += share
    if not jobs:
        need = {t: 1.0 for t in _TRADES}
    primaries = _largest_remainder({t: max(w, 1e-9) for t, w in need.items()}, day_staff)
    # Every trade that work needs has at least one primary holder if there are enough people.
    order = [t for t in _TRADES for _ in range(primaries[t])]
    rng.shuffle(order)

    for trade in order:
        tech = new("day")
        skills = {trade: _weighted(rng, [(2, 0.5), (3, 0.35), (1, 0.15)])}
        for extra in rng.sample(_SECONDARY[trade], k=min(len(_SECONDARY[trade]), rng.choice((1, 1, 2)))):
            skills.setdefault(extra, rng.choice((1, 1, 2)))
        tech["skills"] = skills
        techs.append(tech)
    _balance_trades(rng, [t for t in techs if t["_role"] == "day"], need)
    for _ in range(n_trainees):
        tech = new("trainee")
        tech["skills"] = {"drain_clearing": 1, "plumbing": 1}
        if rng.random() < 0.4:
            tech["skills"]["road_repair"] = 1
        tech["trainee"] = True
        techs.append(tech)

    # Shifts, breaks and limits of the day staff.
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

    # Certificates.
    for tech in techs:
        certs = {}
        for trade in tech["skills"]:
            if trade in ("electrical", "gas") or (trade in _CERTIFIED and rng.random() < 0.6):
                expiry = day + dt.timedelta(days=rng.randint(45, 900))
                certs[trade] = expiry.isoformat()
        if certs:
            tech["certificates"] = certs
    if with_expired_certificate:
        electricians = [t for t in techs if t["_role"] == "day" and "electrical" in t["skills"]]
        if len(electricians) >= 2:          # others can still do the electrical work
            victim = rng.choice(electricians)
            victim["certificates"]["electrical"] = (day - dt.timedelta(days=rng.randint(3, 40))).isoformat()
            victim["_expired"] = True
    return techs


def _balance_trades(rng: random.Random, staff: list[dict], need: dict[str, float]) -> None:
    """Give under-staffed trades to more day technicians (as a second or third trade).

    A trade some work needs gets at least ``max(2, 2 x its share of the work x staff)``
    holders (capped by the staff size); adding a trade never takes a holder from another.
    """
    if not staff:
        return
    total_need = sum(need.values()) or 1.0
    for trade in _TRADES:
        if need.get(trade, 0) <= 0:
            continue
        want = min(len(staff), max(2, math.ceil(2.0 * need[trade] / total_need * len(staff))))
        while sum(1 for t in staff if trade in t["skills"]) < want:
            takers = [t for t in staff if trade not in t["skills"] and len(t["skills"]) < 4]
            if not takers:
                break
            related = [t for t in takers if trade in _SECONDARY[next(iter(t["skills"]))]
                       or next(iter(t["skills"])) in _SECONDARY[trade]]
            pool = related or takers
            fewest = min(len(t["skills"]) for t in pool)
            taker = rng.choice([t for t in pool if len(t["skills"]) == fewest])
            taker["skills"][trade] = 2


def _cert_ok(tech: dict, skill: str, day: dt.date) -> bool:
    certs = tech.get("certificates", {})
    if skill in certs:
        return dt.date.fromisoformat(certs[skill]) >= day
    return skill not in ("electrical", "gas")


def _leads(job: dict, techs: list[dict], day: dt.date) -> list[dict]:
    return [t for t in techs if not t.get("trainee")
            and all(t["skills"].get(s, 0) >= lvl and _cert_ok(t, s, day) for s, lvl in job["skills"].items())]


def _make_qualifiable(rng, jobs, techs, day) -> None:
    """Relax a job's levels / drop a second trade until at least two technicians (one if the
    roster is tiny) may lead it, and a crew job has enough members."""
    staff = [t for t in techs if not t.get("trainee")]
    want = 2 if len(staff) >= 4 else 1
    for job in jobs:
        for _ in range(4):
            if len(_leads(job, techs, day)) >= want:
                break
            if any(lvl > 1 for lvl in job["skills"].values()):
                job["skills"] = {s: 1 for s in job["skills"]}
            elif len(job["skills"]) > 1:
                first = sorted(job["skills"])[0]
                job["skills"] = {first: 1}
            else:
                break
        if not _leads(job, techs, day):
            # Nobody holds the trade at all (tiny rosters): give it to a day technician.
            holder = rng.choice(staff)
            for skill in job["skills"]:
                holder["skills"][skill] = max(holder["skills"].get(skill, 0), job["skills"][skill])
                if skill in ("electrical", "gas"):
                    holder.setdefault("certificates", {})[skill] = (day + dt.timedelta(days=365)).isoformat()
                elif skill in holder.get("certificates", {}) and not _cert_ok(holder, skill, day):
                    holder["certificates"][skill] = (day + dt.timedelta(days=365)).isoformat()
        if job["crew_size"] > 1:
            members = [t for t in techs if all(t["skills"].get(s, 0) >= (1 if t.get("trainee") else lvl)
                                               and _cert_ok(t, s, day) for s, lvl in job["skills"].items())]
            if len(members) < job["crew_size"]:
                job["crew_size"] = 1


def _timing(rng: random.Random, job: dict, day: dt.date, start_min: int, with_windows: bool, *,
            day_cover: bool = False, night_cover: bool = False) -> None:
    """received_at, an optional window (due = window end) for the day's work."""
    category = job["category"]
    prev = day - dt.timedelta(days=1)
    if category in ("emergency", "major_leak"):
        if night_cover and category == "emergency" and rng.random() < 0.15:
            received = rng.randint(20 * 60 + 30, 23 * 60)     # evening call: the night crew
        else:
            # Without an on-call rota only the day shift can respond: calls up to 16:00.
            received = rng.randint(8 * 60 + 30, 18 * 60 if day_cover else 16 * 60)
        job["received_at"] = _iso(day, received)
        return
    if category in ("road_repair", "urgent", "drainage", "drain_clearing"):
        # Reported during the working day (and the evening before for drainage).
        if category in ("drainage", "drain_clearing") and rng.random() < 0.3:
            # Reported last evening; the desk promised the crew for this morning.
            job["received_at"] = _iso(prev, rng.randint(17 * 60, 22 * 60))
            job["due"] = _iso(day, 10 * 60 if category == "drain_clearing" else 11 * 60)
        else:
            earliest = max(start_min, 7 * 60) if category != "road_repair" else 8 * 60 + 30
            job["received_at"] = _iso(day, rng.randint(earliest, 15 * 60))
        return
    if category == "survey":
        back = rng.choice((2, 3, 4))                       # Thu/Fri/Sat before a Monday
        job["received_at"] = _iso(day - dt.timedelta(days=back), rng.randint(9 * 60, 17 * 60))
    elif category == "installation":
        back = rng.choice((1, 2))
        job["received_at"] = _iso(day - dt.timedelta(days=back), rng.randint(9 * 60, 20 * 60))
    else:
        # Small repairs, standard work and meter changes: last evening's calls or today's.
        if rng.random() < 0.5:
            job["received_at"] = _iso(prev, rng.randint(10 * 60, 21 * 60))
        else:
            job["received_at"] = _iso(day, rng.randint(max(start_min, 7 * 60), 13 * 60))
    if with_windows and rng.random() < _WINDOW_SHARE.get(category, 0.0):
        long_job = job["_base"] > 60
        received_min = _minutes_on(day, job["received_at"])
        options = [w for w in _MORNING_WINDOWS + _AFTERNOON_WINDOWS
                   if _to_min(w[0]) >= received_min + 60 and not (long_job and w[1] > "16:30")]
        if options:
            w_start, w_end = rng.choice(options)
            job["window"] = {"start": _iso(day, _to_min(w_start)), "end": _iso(day, _to_min(w_end))}
            job["due"] = job["window"]["end"]               # on site at the agreed appointment


def _minutes_on(day: dt.date, iso: str) -> int:
    when = dt.datetime.fromisoformat(iso)
    return int((when - dt.datetime.combine(day, dt.time(0, 0))).total_seconds() // 60)


def _usable_minutes(tech: dict) -> float:
    shifts = tech["shift"] if isinstance(tech["shift"], list) else [tech["shift"]]
    total = 0
    for s in shifts:
        a, b = _to_min(s["start"]), _to_min(s["end"])
        total += (b - a) if b > a else (b + 24 * 60 - a)
    total -= sum(b["minutes"] for b in tech.get("breaks", []))
    if "max_work_minutes" in tech:
        total = min(total, tech["max_work_minutes"])
    return float(total)


def _scale_durations(jobs: list[dict], techs: list[dict], target_load: float) -> None:
    """Scale base minutes so the work is ``target_load`` of the usable minutes minus travel."""
    if not jobs:
        return
    active = jobs
    staff_min = sum(_usable_minutes(t) for t in techs if not t.get("trainee")
                    and t["_role"] in ("day",))
    # The on-call rota and the night crew mainly wait for emergencies: count a fifth of them.
    staff_min += 0.2 * sum(_usable_minutes(t) for t in techs if t["_role"] in ("on_call", "night"))
    trainee_min = sum(_usable_minutes(t) for t in techs if t.get("trainee"))
    visits = sum(j["crew_size"] for j in active)
    base_total = sum(j["_base"] * j["crew_size"] for j in active)
    assist_total = sum(j["_base"] * (j["crew_size"] - 1) for j in active if j["crew_size"] > 1)
    scale = 1.0
    for _ in range(20):
        trainee_use = min(trainee_min, assist_total * scale)
        capacity = staff_min + trainee_use - visits * TRAVEL_ESTIMATE_MIN
        new_scale = max(0.2, target_load * capacity / base_total) if base_total else 1.0
        if abs(new_scale - scale) < 1e-6:
            break
        scale = new_scale
    scale = min(scale, 3.0)
    for job in jobs:
        job["duration_minutes"] = _round5(job["_base"] * scale)


def _pin(rng: random.Random, jobs: list[dict], techs: list[dict], day: dt.date) -> None:
    """Pin ~2 % of the jobs (follow-up visits) to a technician who may lead them."""
    n_pins = max(1, len(jobs) // 50)
    day_techs = [t for t in techs if t["_role"] == "day" and "max_jobs" not in t]
    candidates = [j for j in jobs if j["category"] in ("small_repair", "standard", "installation")
                  and j["crew_size"] == 1]
    rng.shuffle(candidates)
    for job in candidates[:n_pins]:
        leads = _leads(job, day_techs, day)
        if leads:
            job["pinned_to"] = rng.choice(leads)["id"]
    crew_jobs = [j for j in jobs if j["crew_size"] == 2 and j["category"] == "drain_clearing"]
    if crew_jobs and len(jobs) >= 100:
        job = rng.choice(crew_jobs)
        leads = _leads(job, day_techs, day)
        trainees = [t for t in techs if t.get("trainee")
                    and all(t["skills"].get(s, 0) >= 1 for s in job["skills"])]
        if leads and trainees:       # the dispatcher keeps a trainee with his mentor
            job["pinned_to"] = [rng.choice(leads)["id"], rng.choice(trainees)["id"]]


def _clean(tech: dict) -> dict[str, Any]:
    order = ("id", "skills", "certificates", "shift", "breaks", "start", "end", "max_jobs",
             "max_work_minutes", "max_overtime_minutes", "capacity", "trainee")
    return {k: tech[k] for k in order if k in tech}


def _job_out(job: dict) -> dict[str, Any]:
    order = ("id", "location", "category", "skills", "duration_minutes", "received_at", "due",
             "window", "crew_size", "demand", "pinned_to", "dispatchable")
    out = {k: job[k] for k in order if k in job}
    if out.get("crew_size") == 1:
        del out["crew_size"]
    return out


# ------------------------------------------------------------------------------------------
# road graph
# ------------------------------------------------------------------------------------------
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
                length = _haversine_m(a["lat"], a["lon"], b["lat"], b["lon"])
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
                    graph.add_edge(node, other, length=round(_haversine_m(a["lat"], a["lon"], b["lat"], b["lon"]), 1),
                                   speed_kmh=street_kmh)
                    linked = True
                    break
            if linked:
                main |= comp
                break
    return graph


def _haversine_m(lat1, lon1, lat2, lon2) -> float:
    r = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


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


# ------------------------------------------------------------------------------------------
# summary (for the README and the CLI)
# ------------------------------------------------------------------------------------------
def scenario_summary(scenario: dict[str, Any]) -> dict[str, Any]:
    """Counts and load figures of a generated scenario dict (no validation)."""
    techs, jobs = scenario["technicians"], scenario["jobs"]
    cats: dict[str, int] = {}
    for job in jobs:
        cats[job["category"]] = cats.get(job["category"], 0) + 1
    usable = sum(_usable_minutes(t) for t in techs if not t.get("trainee"))
    service = sum(j["duration_minutes"] * j.get("crew_size", 1) for j in jobs if j.get("dispatchable", True))
    return {
        "technicians": len(techs),
        "trainees": sum(1 for t in techs if t.get("trainee")),
        "split_shift": sum(1 for t in techs if isinstance(t["shift"], list)),
        "jobs": len(jobs),
        "categories": dict(sorted(cats.items())),
        "crew_jobs": sum(1 for j in jobs if j.get("crew_size", 1) > 1),
        "windows": sum(1 for j in jobs if "window" in j),
        "pinned": sum(1 for j in jobs if "pinned_to" in j),
        "not_dispatchable": sum(1 for j in jobs if j.get("dispatchable", True) is False),
        "service_minutes": service,
        "usable_minutes_non_trainee": usable,
        "mean_duration_minutes": round(service / max(1, sum(j.get("crew_size", 1) for j in jobs)), 1),
    }
