"""Service levels per job category, with the built-in defaults from DOMAIN.md."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .frozen import FrozenMap


@dataclass(frozen=True)
class SlaLevel:
    """How fast a category must be served and how much a late or dropped job of it costs.

    ``respond_minutes``: on site within this many minutes of ``received_at`` (the default
    ``due``). ``working_days``, when set, replaces it: due at the same clock time that many
    working days (Monday-Friday) later. ``weight`` multiplies the late-minute and unassigned
    costs, so a heavier category is dropped last and made late last.
    """

    respond_minutes: float
    weight: float = 1.0
    working_days: int | None = None


# Figures from ../shared/DOMAIN.md ("Service levels (SLA) by job category"). Scenario `sla:`
# entries override these per category and may add new categories.
DEFAULT_SLA: Mapping[str, SlaLevel] = FrozenMap({
    "emergency": SlaLevel(respond_minutes=30, weight=100),      # 急修: on site within 30 min
    "major_leak": SlaLevel(respond_minutes=30, weight=100),     # 大漏: on site within 30 min
    "road_repair": SlaLevel(respond_minutes=30, weight=50),     # road / mains: 30 min
    "urgent": SlaLevel(respond_minutes=180, weight=10),         # urgent small repair (contract example: 3 h)
    "drainage": SlaLevel(respond_minutes=180, weight=10),       # drainage repair request: 3 h
    "drain_clearing": SlaLevel(respond_minutes=180, weight=10),  # crew out at once; on site as drainage
    "small_repair": SlaLevel(respond_minutes=1440, weight=2),   # 小修: fixed within 24 h
    "standard": SlaLevel(respond_minutes=1440, weight=1),       # everything else: 24 h
    "meter_change": SlaLevel(respond_minutes=1440, weight=1),
    "installation": SlaLevel(respond_minutes=2880, weight=1),
    "survey": SlaLevel(respond_minutes=2880, weight=1, working_days=2),  # new connection: 2 working days
})
