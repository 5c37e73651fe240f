"""Live dispatch: the plan of the morning kept up to date as the day happens.

``DispatchState.start(problem, plan, now_s)`` takes a published plan; :func:`apply` answers an
event at once (best insertion, emergencies first, preemption per category); :func:`replan`
re-optimises with OR-Tools warm-started from the current plan, with a churn penalty. Each returns
an :class:`Update`: the new state (its plan to publish), the diff and the notices.
"""

from .booking import (CandidateWindows as CandidateWindows, Slot as Slot, book as book,
                      candidate_windows as candidate_windows)
from .events import (CustomerNotHome as CustomerNotHome, DurationOverrun as DurationOverrun,
                     Event as Event, JobCancelled as JobCancelled, JobCompleted as JobCompleted,
                     JobStarted as JobStarted, NewJob as NewJob,
                     TechnicianUnavailable as TechnicianUnavailable, apply as apply,
                     apply_all as apply_all, event_to_json as event_to_json,
                     parse_event as parse_event, parse_job as parse_job)
from .notify import (Bumped as Bumped, CallCustomer as CallCustomer, Diff as Diff,
                     JobChange as JobChange, Reappoint as Reappoint, Update as Update)
from .preemption import is_emergency as is_emergency
from .replan import replan as replan
from .state import DispatchState as DispatchState, TechnicianStatus as TechnicianStatus
from .workspace import Dispatch as Dispatch

__all__ = ["Bumped", "CallCustomer", "CandidateWindows", "Slot", "book", "candidate_windows", "CustomerNotHome", "Diff", "Dispatch", "DispatchState",
           "DurationOverrun", "Event", "JobCancelled", "JobChange", "JobCompleted", "JobStarted",
           "NewJob", "Reappoint", "TechnicianStatus", "TechnicianUnavailable", "Update", "apply",
           "apply_all", "event_to_json", "is_emergency", "parse_event", "parse_job", "replan"]
