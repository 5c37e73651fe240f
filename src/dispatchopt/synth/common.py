"""What the scenario generators share: the city (districts, depots), the trades, and small
helpers for clock strings, weighted draws and qualification checks on contract dicts."""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Any

# Urban Qingdao (Shinan / Shibei / Licang): lat 36.06-36.12, lon 120.33-120.45.
QINGDAO_BOX = (36.06, 36.12, 120.33, 120.45)

# Neighbourhoods where work orders come from: (name, lat, lon, spread_km, weight).
DISTRICTS = (
    ("Shinan west", 36.0660, 120.3380, 0.9, 1.0),
    ("Shinan centre", 36.0690, 120.3750, 1.1, 1.6),
    ("Fushan Bay", 36.0640, 120.4050, 1.0, 1.2),
    ("Shibei", 36.0880, 120.3650, 1.2, 1.6),
    ("Shibei east", 36.0920, 120.3950, 1.0, 1.2),
    ("Licang", 36.1100, 120.4200, 1.2, 1.2),
    ("Laoshan west", 36.0780, 120.4380, 0.9, 0.8),
)

# Depots (service stations) where technicians start and end.
DEPOTS = (
    ("Shinan station", 36.0700, 120.3800),
    ("Shibei station", 36.0890, 120.3700),
    ("Licang station", 36.1080, 120.4150),
    ("East station", 36.0760, 120.4300),
)
# Neighbourhood stations a large service company adds (busy days with >= 60 technicians).
SATELLITE_DEPOTS = (
    ("Shinan west station", 36.0665, 120.3420),
    ("Fushan Bay station", 36.0650, 120.4060),
    ("Shibei east station", 36.0930, 120.3960),
    ("Licang north station", 36.1150, 120.4100),
)

TRADES = ("plumbing", "electrical", "appliance", "gas", "drain_clearing", "meter", "survey",
          "road_repair", "installation")
# A second trade a technician of a primary trade often has.
SECONDARY = {
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
CERTIFIED = ("electrical", "gas", "plumbing", "appliance")


def hm(minutes: int) -> str:
    """``HH:MM`` of ``minutes`` after midnight (wraps at 24 h)."""
    minutes %= 24 * 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def to_min(hhmm: str) -> int:
    """Minutes after midnight of ``HH:MM``."""
    hours, mins = hhmm.split(":")
    return int(hours) * 60 + int(mins)


def iso(day: dt.date, minutes: int) -> str:
    """Local ISO time (no offset) ``minutes`` after midnight of ``day`` (may spill over)."""
    when = dt.datetime.combine(day, dt.time(0, 0)) + dt.timedelta(minutes=minutes)
    return when.strftime("%Y-%m-%dT%H:%M")


def minutes_on(day: dt.date, when_iso: str) -> int:
    """Minutes from midnight of ``day`` to the local ISO time ``when_iso``."""
    when = dt.datetime.fromisoformat(when_iso)
    return int((when - dt.datetime.combine(day, dt.time(0, 0))).total_seconds() // 60)


def round5(value: float, lo: int = 10) -> int:
    """``value`` rounded to 5 minutes, at least ``lo``."""
    return max(lo, int(5 * round(value / 5)))


def weighted(rng: random.Random, items: list[tuple[Any, float]]):
    """One item drawn with probability proportional to its weight."""
    total = sum(w for _, w in items)
    pick = rng.random() * total
    for item, weight in items:
        pick -= weight
        if pick <= 0:
            return item
    return items[-1][0]


def largest_remainder(weights: dict[str, float], total: int) -> dict[str, int]:
    """Split ``total`` into integers proportional to ``weights``."""
    wsum = sum(weights.values()) or 1.0
    exact = {k: total * w / wsum for k, w in weights.items()}
    out = {k: int(math.floor(v)) for k, v in exact.items()}
    rest = total - sum(out.values())
    for key in sorted(exact, key=lambda k: (-(exact[k] - out[k]), k))[:rest]:
        out[key] += 1
    return out


def cert_ok(tech: dict, skill: str, day: dt.date) -> bool:
    """Does the technician dict hold ``skill`` with a certificate valid on ``day`` (if needed)?"""
    certs = tech.get("certificates", {})
    if skill in certs:
        return dt.date.fromisoformat(certs[skill]) >= day
    return skill not in ("electrical", "gas")


def leads(job: dict, techs: list[dict], day: dt.date) -> list[dict]:
    """The technician dicts that may lead the job dict (not trainees; levels and certificates)."""
    return [t for t in techs if not t.get("trainee")
            and all(t["skills"].get(s, 0) >= lvl and cert_ok(t, s, day) for s, lvl in job["skills"].items())]


def usable_minutes(tech: dict) -> float:
    """Work minutes of a technician dict: its shifts minus its breaks, capped by max_work_minutes."""
    shifts = tech["shift"] if isinstance(tech["shift"], list) else [tech["shift"]]
    total = 0
    for s in shifts:
        a, b = to_min(s["start"]), to_min(s["end"])
        total += (b - a) if b > a else (b + 24 * 60 - a)
    total -= sum(b["minutes"] for b in tech.get("breaks", []))
    if "max_work_minutes" in tech:
        total = min(total, tech["max_work_minutes"])
    return float(total)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle metres between two points (the generators' own copy: no travel import)."""
    r = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))
