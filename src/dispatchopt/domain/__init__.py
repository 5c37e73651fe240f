"""Frozen domain objects: data only, no solver or travel-builder imports here.

Inside the domain every time is an ``int`` number of seconds from the problem's horizon
start (its :class:`~dispatchopt.domain.time.Clock` origin); datetimes appear only at I/O.
"""

from .frozen import FrozenMap as FrozenMap
from .job import Job as Job, Window as Window
from .location import Location as Location
from .problem import Objective as Objective, Problem as Problem
from .sla import DEFAULT_SLA as DEFAULT_SLA, SlaLevel as SlaLevel
from .technician import BreakRule as BreakRule, Shift as Shift, Technician as Technician
from .time import Clock as Clock
from .travel import TravelMatrix as TravelMatrix, TravelSpec as TravelSpec

__all__ = ["BreakRule", "Clock", "DEFAULT_SLA", "FrozenMap", "Job", "Location", "Objective", "Problem",
           "Shift", "SlaLevel", "Technician", "TravelMatrix", "TravelSpec", "Window"]
