"""Random but realistic field-service scenarios (contract v1 dicts), set in Qingdao.

:func:`generate_scenario` builds a day of repair work for a utility / property repair desk
from the business rules of the domain (docs: scenarios/README.md):

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

By default service times are scaled so that the total service minutes (crew jobs counted once
per member) are about ``target_load`` of the usable technician minutes minus an estimate of the
travel, so a good solver can plan nearly everything. A **busy day** (``load=``) instead sets the
load exactly as a dispatch centre measures it (see :func:`load_of`) and adds what makes real
days hard: jobs clustered in a few hot spots, emergencies received before the day shift starts,
2-hour appointment windows on most standard work, drainage crews and, for large rosters,
neighbourhood stations. Everything is drawn from one ``random.Random(seed)``: same arguments,
same dict; the default output for the arguments that existed before ``load`` is unchanged. The
result contains only plain str / int / float / bool / list / dict values (YAML and JSON ready);
it is not validated here - load it with ``dispatchopt.scenario.problem_from_dict``.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Any

from ..errors import ParameterError
from .common import (DEPOTS, DISTRICTS, QINGDAO_BOX, SATELLITE_DEPOTS, cert_ok, iso,
                     largest_remainder, leads, minutes_on, round5, to_min, usable_minutes, weighted)
from .roster import make_qualifiable, technicians

__all__ = ["generate_scenario", "load_of", "scenario_summary", "QINGDAO_BOX", "TRAVEL_ESTIMATE_MIN",
           "MAX_JOB_MINUTES"]

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

# Fraction of jobs of a category that have an appointment window (default day, busy day).
_WINDOW_SHARE = {"small_repair": 0.55, "installation": 0.8, "meter_change": 0.4, "standard": 0.25,
                 "survey": 0.1}
_BUSY_WINDOW_SHARE = {"small_repair": 0.7, "installation": 0.8, "meter_change": 0.4, "standard": 0.75,
                      "survey": 0.1}

# Appointment windows offered by the call centre (local clock): 2-3 h; a busy desk offers 2 h.
_MORNING_WINDOWS = (("08:30", "11:00"), ("09:00", "12:00"), ("10:00", "12:00"))
_AFTERNOON_WINDOWS = (("13:30", "16:00"), ("14:00", "16:30"), ("14:30", "17:00"))
_TWO_HOUR_WINDOWS = (("08:30", "10:30"), ("09:00", "11:00"), ("10:00", "12:00"),
                     ("13:30", "15:30"), ("14:00", "16:00"), ("15:00", "17:00"))

# Busy day: share of emergencies / major leaks reported before the day shift (queued calls),
# share of drainage requests that need the truck crew, share of jobs from the hot spots.
_EARLY_EMERGENCY_SHARE = 0.35
_DRAINAGE_CREW_SHARE = 0.4
_HOTSPOT_SHARE = 0.55
_DEFAULT_HOTSPOTS = 3

TRAVEL_ESTIMATE_MIN = 10.0
"""Travel minutes assumed per visit when sizing the work (a routed city day at 25 km/h)."""

MAX_JOB_MINUTES = 360
"""Longest job a busy day makes: a load beyond what the jobs can carry at this length is not
reached (few jobs per technician); :func:`load_of` tells what came out."""


def generate_scenario(n_technicians: int, n_jobs: int, *, seed: int = 0, date: str = "2026-11-23",
                      with_crews: bool = True, start_time: str = "07:00", name: str | None = None,
                      with_on_call: bool = True, with_split_shifts: bool = True,
                      with_windows: bool = True, with_pins: bool = True,
                      with_expired_certificate: bool = True, n_not_dispatchable: int | None = None,
                      target_load: float = 0.75, speed_kmh: float = 25.0, circuity: float = 1.3,
                      timezone: str = "Asia/Shanghai", load: float | None = None,
                      hotspots: int | None = None, busy: bool | None = None) -> dict[str, Any]:
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
        Without ``load``: service minutes / (usable technician minutes - estimated travel).
        0.75 leaves room for a good solver to plan nearly everything.
    load
        The dispatch centre's load (:func:`load_of`): service technician-minutes of the
        dispatchable jobs (duration x crew size) over the work minutes of the technicians who
        may work alone. 0.7 is a quiet day, 1.0 a full one, 1.3 more than the crew can do.
        Durations are scaled to it exactly (to 5 minutes); replaces ``target_load``. In (0, 3].
    hotspots
        Hot spots (a burst main, a housing estate) ~55 % of the jobs cluster around; default
        3 on a busy day, else 0.
    busy
        Early emergencies, 2-hour windows, drainage crews, stations; default: with ``load``.
    """
    day, start_min = _check_arguments(n_technicians, n_jobs, date, start_time, target_load, load, hotspots)
    busy = (load is not None) if busy is None else busy
    n_spots = (_DEFAULT_HOTSPOTS if busy else 0) if hotspots is None else hotspots
    rng = random.Random(seed)
    tw = max(3, len(str(n_technicians)))
    jw = max(4, len(str(n_jobs)))

    jobs = _draw_jobs(rng, n_jobs, jw, with_crews, busy)
    depots = DEPOTS + SATELLITE_DEPOTS if busy and n_technicians >= 60 else DEPOTS
    techs = technicians(rng, n_technicians, jobs, day, tw, with_crews=with_crews,
                        with_on_call=with_on_call, with_split_shifts=with_split_shifts,
                        with_expired_certificate=with_expired_certificate,
                        start_min=start_min, depots=depots)
    # Every job must have at least one valid lead; fall back to level 1 / a held trade.
    make_qualifiable(rng, jobs, techs, day)
    _draw_times(rng, jobs, techs, day, start_min, with_windows=with_windows,
                with_on_call=with_on_call, busy=busy)
    _draw_places(rng, jobs, n_spots)
    if load is None:
        _scale_durations(jobs, techs, target_load)
    _demand_pins_prepayment(rng, jobs, techs, day, with_pins=with_pins,
                            n_not_dispatchable=n_not_dispatchable)
    if load is not None:
        _scale_to_load(jobs, techs, load)
    return {
        "name": name or f"qingdao-{date}-{n_technicians}x{n_jobs}-s{seed}",
        "timezone": timezone,
        "start": iso(day, start_min),
        "end": iso(day, start_min + 24 * 60),
        "travel": {"model": "haversine", "speed_kmh": speed_kmh, "circuity": circuity},
        "technicians": [_clean(t) for t in techs],
        "jobs": [_job_out(j) for j in jobs],
    }


def _check_arguments(n_technicians: int, n_jobs: int, date: str, start_time: str, target_load: float,
                     load: float | None, hotspots: int | None) -> tuple[dt.date, int]:
    """Validate the sizes and knobs; the plan day and the start minute."""
    def bad(field: str, expected: str, value: object) -> ParameterError:
        return ParameterError(f"generate_scenario: {field} must be {expected}, got {value!r}")

    if n_technicians < 1:
        raise bad("n_technicians", ">= 1", n_technicians)
    if n_jobs < 0:
        raise bad("n_jobs", ">= 0", n_jobs)
    if not 0 < target_load <= 2:
        raise bad("target_load", "in (0, 2]", target_load)
    if load is not None and not (isinstance(load, (int, float)) and 0 < load <= 3):
        raise bad("load", "in (0, 3]", load)
    if hotspots is not None and not (isinstance(hotspots, int) and 0 <= hotspots <= 50):
        raise bad("hotspots", "an integer in [0, 50]", hotspots)
    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        raise bad("date", "YYYY-MM-DD", date) from None
    try:
        start_min = to_min(start_time)
    except ValueError:
        raise bad("start_time", "HH:MM", start_time) from None
    return day, start_min


def _draw_jobs(rng: random.Random, n_jobs: int, jw: int, with_crews: bool, busy: bool) -> list[dict]:
    """Categories (in the city-day mix, shuffled) and the trades each job needs."""
    counts = largest_remainder(dict(_CATEGORY_MIX), n_jobs)
    categories = [cat for cat, _ in _CATEGORY_MIX for _ in range(counts[cat])]
    rng.shuffle(categories)
    jobs: list[dict[str, Any]] = []
    for i, category in enumerate(categories):
        skills, crew = _job_skills(rng, category, with_crews, busy)
        jobs.append({"id": f"J{i + 1:0{jw}d}", "category": category, "skills": skills,
                     "crew_size": crew,
                     "_base": _BASE_MINUTES[category] * rng.uniform(0.7, 1.3)})
    return jobs


def _draw_times(rng: random.Random, jobs: list[dict], techs: list[dict], day: dt.date, start_min: int, *,
                with_windows: bool, with_on_call: bool, busy: bool) -> None:
    """received_at, windows and due times; a few emergencies only the on-call rota can reach."""
    on_call_skills = set()
    for tech in techs:
        if tech.get("_role") == "on_call":
            on_call_skills |= {s for s in tech["skills"] if cert_ok(tech, s, day)}
    early_budget = sum(1 for t in techs if t.get("_role") == "on_call") if with_on_call else 0
    roles = {t["_role"] for t in techs}
    for job in jobs:
        _timing(rng, job, day, start_min, with_windows, day_cover="on_call" in roles,
                night_cover="night" in roles, busy=busy)
        if (early_budget > 0 and job["category"] in ("emergency", "major_leak", "road_repair")
                and job["crew_size"] == 1 and set(job["skills"]) <= on_call_skills):
            # Reported overnight / at dawn: only the on-call rota can reach it.
            received = rng.randint(start_min + 10, max(start_min + 11, 8 * 60 + 20))
            job["received_at"] = iso(day, received)
            job.pop("due", None)
            early_budget -= 1


def _draw_places(rng: random.Random, jobs: list[dict], n_spots: int) -> None:
    """Job addresses: around the neighbourhoods, and ~55 % around ``n_spots`` hot spots."""
    spots = [_hot_spot(rng) for _ in range(n_spots)]
    for job in jobs:
        if spots and rng.random() < _HOTSPOT_SHARE:
            lat, lon = _near(rng, weighted(rng, [(s, s[3]) for s in spots]))
        else:
            lat, lon = _point(rng)
        job["location"] = {"lat": lat, "lon": lon}


def _demand_pins_prepayment(rng: random.Random, jobs: list[dict], techs: list[dict], day: dt.date, *,
                            with_pins: bool, n_not_dispatchable: int | None) -> None:
    """Van demand of meters and appliances, pinned follow-ups, jobs awaiting prepayment."""
    for job in jobs:
        if job["category"] in ("meter_change", "installation"):
            job["demand"] = 1
    if with_pins and len(jobs) >= 20:
        _pin(rng, jobs, techs, day)
    if n_not_dispatchable is None:
        n_not_dispatchable = 3 if len(jobs) >= 100 else (1 if len(jobs) >= 10 else 0)
    candidates = [j for j in jobs if j["category"] in ("standard", "installation", "small_repair")
                  and "pinned_to" not in j and j["crew_size"] == 1]
    for job in rng.sample(candidates, min(n_not_dispatchable, len(candidates))):
        job["dispatchable"] = False          # paid repair over 500 yuan awaiting prepayment


def _job_skills(rng: random.Random, category: str, with_crews: bool,
                busy: bool = False) -> tuple[dict[str, int], int]:
    """The trades (with minimum levels) and crew size of a job of ``category``."""
    crew = 1
    if category == "emergency":
        trade = weighted(rng, [("plumbing", 0.6), ("electrical", 0.3), ("gas", 0.1)])
        skills = {trade: 2}
    elif category == "major_leak":
        skills = {"plumbing": 2}
    elif category == "road_repair":
        skills = {"road_repair": rng.choice((1, 2))}
        if with_crews and rng.random() < 0.3:
            crew = 2
    elif category == "urgent":
        trade = weighted(rng, [("plumbing", 0.5), ("electrical", 0.3), ("appliance", 0.2)])
        skills = {trade: rng.choice((1, 1, 2))}
    elif category == "drainage":
        skills = {"drain_clearing": 1}
        if busy and with_crews and rng.random() < _DRAINAGE_CREW_SHARE:
            crew = 2                        # manhole / pipe repair: the truck and two hands
    elif category == "drain_clearing":
        skills = {"drain_clearing": rng.choice((1, 1, 2))}
        crew = 2 if with_crews else 1       # truck: driver + clearing worker
    elif category == "small_repair":
        trade = weighted(rng, [("plumbing", 0.5), ("electrical", 0.25), ("appliance", 0.25)])
        skills = {trade: 1}
    elif category == "standard":
        trade = weighted(rng, [("plumbing", 0.4), ("electrical", 0.25), ("appliance", 0.3), ("gas", 0.05)])
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


def _timing(rng: random.Random, job: dict, day: dt.date, start_min: int, with_windows: bool, *,
            day_cover: bool = False, night_cover: bool = False, busy: bool = False) -> None:
    """received_at, an optional window (due = window end) for the day's work."""
    category = job["category"]
    prev = day - dt.timedelta(days=1)
    if category in ("emergency", "major_leak"):
        if busy and rng.random() < _EARLY_EMERGENCY_SHARE:
            # Calls queued before the day shift: on site within 30 min of its start, or late.
            received = rng.randint(max(start_min, 7 * 60 + 30), max(start_min, 8 * 60 + 30))
        elif night_cover and category == "emergency" and rng.random() < 0.15:
            received = rng.randint(20 * 60 + 30, 23 * 60)     # evening call: the night crew
        else:
            # Without an on-call rota only the day shift can respond: calls up to 16:00.
            received = rng.randint(8 * 60 + 30, 18 * 60 if day_cover else 16 * 60)
        job["received_at"] = iso(day, received)
        return
    if category in ("road_repair", "urgent", "drainage", "drain_clearing"):
        # Reported during the working day (and the evening before for drainage).
        if category in ("drainage", "drain_clearing") and rng.random() < 0.3:
            # Reported last evening; the desk promised the crew for this morning.
            job["received_at"] = iso(prev, rng.randint(17 * 60, 22 * 60))
            job["due"] = iso(day, 10 * 60 if category == "drain_clearing" else 11 * 60)
        else:
            earliest = max(start_min, 7 * 60) if category != "road_repair" else 8 * 60 + 30
            job["received_at"] = iso(day, rng.randint(earliest, 15 * 60))
        return
    if category == "survey":
        back = rng.choice((2, 3, 4))                       # Thu/Fri/Sat before a Monday
        job["received_at"] = iso(day - dt.timedelta(days=back), rng.randint(9 * 60, 17 * 60))
    elif category == "installation":
        back = rng.choice((1, 2))
        job["received_at"] = iso(day - dt.timedelta(days=back), rng.randint(9 * 60, 20 * 60))
    else:
        # Small repairs, standard work and meter changes: last evening's calls or today's.
        if rng.random() < 0.5:
            job["received_at"] = iso(prev, rng.randint(10 * 60, 21 * 60))
        else:
            job["received_at"] = iso(day, rng.randint(max(start_min, 7 * 60), 13 * 60))
    share = (_BUSY_WINDOW_SHARE if busy else _WINDOW_SHARE).get(category, 0.0)
    if with_windows and rng.random() < share:
        long_job = job["_base"] > 60
        received_min = minutes_on(day, job["received_at"])
        offered = _TWO_HOUR_WINDOWS if busy else _MORNING_WINDOWS + _AFTERNOON_WINDOWS
        options = [w for w in offered
                   if to_min(w[0]) >= received_min + 60 and not (long_job and w[1] > "16:30")]
        if options:
            w_start, w_end = rng.choice(options)
            job["window"] = {"start": iso(day, to_min(w_start)), "end": iso(day, to_min(w_end))}
            job["due"] = job["window"]["end"]               # on site at the agreed appointment


def _point(rng: random.Random, box=QINGDAO_BOX) -> tuple[float, float]:
    """A job address: near a neighbourhood centre, inside the box."""
    _, lat0, lon0, spread, _ = weighted(rng, [(d, d[4]) for d in DISTRICTS])
    return _clamped(lat0 + rng.gauss(0, spread) / 111.2,
                    lon0 + rng.gauss(0, spread) / (111.2 * math.cos(math.radians(lat0))), box)


def _clamped(lat: float, lon: float, box=QINGDAO_BOX) -> tuple[float, float]:
    lat_lo, lat_hi, lon_lo, lon_hi = box
    return round(min(lat_hi, max(lat_lo, lat)), 5), round(min(lon_hi, max(lon_lo, lon)), 5)


def _hot_spot(rng: random.Random) -> tuple[float, float, float, float]:
    """(lat, lon, spread_km, weight) of a hot spot inside a neighbourhood."""
    lat, lon = _point(rng)
    return lat, lon, rng.uniform(0.3, 0.6), rng.uniform(1.0, 3.0)


def _near(rng: random.Random, spot: tuple[float, float, float, float]) -> tuple[float, float]:
    lat0, lon0, spread, _ = spot
    return _clamped(lat0 + rng.gauss(0, spread) / 111.2,
                    lon0 + rng.gauss(0, spread) / (111.2 * math.cos(math.radians(lat0))))


def _scale_durations(jobs: list[dict], techs: list[dict], target_load: float) -> None:
    """Scale base minutes so the work is ``target_load`` of the usable minutes minus travel."""
    if not jobs:
        return
    active = jobs
    staff_min = sum(usable_minutes(t) for t in techs if not t.get("trainee")
                    and t["_role"] in ("day",))
    # The on-call rota and the night crew mainly wait for emergencies: count a fifth of them.
    staff_min += 0.2 * sum(usable_minutes(t) for t in techs if t["_role"] in ("on_call", "night"))
    trainee_min = sum(usable_minutes(t) for t in techs if t.get("trainee"))
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
        job["duration_minutes"] = round5(job["_base"] * scale)


def load_of(scenario: dict[str, Any]) -> float:
    """The load of a scenario dict as a dispatch centre measures it.

    Service technician-minutes of the dispatchable jobs (``duration_minutes x crew_size``) over
    the work minutes (shifts minus breaks, capped by ``max_work_minutes``) of the technicians
    who may work alone (not trainees). 0.0 when nobody may work alone.
    """
    work = sum(usable_minutes(t) for t in scenario["technicians"] if not t.get("trainee"))
    service = sum(j["duration_minutes"] * j.get("crew_size", 1) for j in scenario["jobs"]
                  if j.get("dispatchable", True))
    return service / work if work else 0.0


def _scale_to_load(jobs: list[dict], techs: list[dict], load: float) -> None:
    """Durations (multiples of 5 min, 10 to MAX_JOB_MINUTES) whose :func:`load_of` is ``load``.

    The base minutes are scaled by one factor and rounded; the rounding error is then taken out
    5 minutes at a time on the solo jobs whose rounding moved them furthest from their share.
    """
    work = sum(usable_minutes(t) for t in techs if not t.get("trainee"))
    active = [j for j in jobs if j.get("dispatchable", True)]
    base = sum(j["_base"] * j["crew_size"] for j in active)
    scale = load * work / base if base else 1.0
    for job in jobs:
        job["duration_minutes"] = min(MAX_JOB_MINUTES, round5(job["_base"] * scale))
    diff = load * work - sum(j["duration_minutes"] * j["crew_size"] for j in active)
    solo = [j for j in active if j["crew_size"] == 1]
    for _ in range(4):               # a few passes: a pass stops at the duration bounds
        step = 5 if diff > 0 else -5
        order = sorted(solo, key=lambda j: (-(j["_base"] * scale - j["duration_minutes"]) * step, j["id"]))
        for job in order:
            if abs(diff) < 2.5:
                return
            if 10 <= job["duration_minutes"] + step <= MAX_JOB_MINUTES:
                job["duration_minutes"] += step
                diff -= step
        if abs(diff) < 2.5:
            return


def _pin(rng: random.Random, jobs: list[dict], techs: list[dict], day: dt.date) -> None:
    """Pin ~2 % of the jobs (follow-up visits) to a technician who may lead them."""
    n_pins = max(1, len(jobs) // 50)
    day_techs = [t for t in techs if t["_role"] == "day" and "max_jobs" not in t]
    candidates = [j for j in jobs if j["category"] in ("small_repair", "standard", "installation")
                  and j["crew_size"] == 1]
    rng.shuffle(candidates)
    for job in candidates[:n_pins]:
        who = leads(job, day_techs, day)
        if who:
            job["pinned_to"] = rng.choice(who)["id"]
    crew_jobs = [j for j in jobs if j["crew_size"] == 2 and j["category"] == "drain_clearing"]
    if crew_jobs and len(jobs) >= 100:
        job = rng.choice(crew_jobs)
        who = leads(job, day_techs, day)
        trainees = [t for t in techs if t.get("trainee")
                    and all(t["skills"].get(s, 0) >= 1 for s in job["skills"])]
        if who and trainees:         # the dispatcher keeps a trainee with his mentor
            job["pinned_to"] = [rng.choice(who)["id"], rng.choice(trainees)["id"]]


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


def scenario_summary(scenario: dict[str, Any]) -> dict[str, Any]:
    """Counts and load figures of a generated scenario dict (no validation)."""
    techs, jobs = scenario["technicians"], scenario["jobs"]
    cats: dict[str, int] = {}
    for job in jobs:
        cats[job["category"]] = cats.get(job["category"], 0) + 1
    usable = sum(usable_minutes(t) for t in techs if not t.get("trainee"))
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
        "load": round(load_of(scenario), 3),
        "mean_duration_minutes": round(service / max(1, sum(j.get("crew_size", 1) for j in jobs)), 1),
    }
