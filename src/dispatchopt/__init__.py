"""dispatchopt: plan and re-plan field-service repair work with Google OR-Tools.

The everyday API is re-exported here::

    import dispatchopt as dx

    problem = dx.load_scenario("scenarios/small.yaml")
    result = dx.solve(problem, backend="ortools", time_limit_s=10, seed=0)
    violations = dx.verify(problem, result.plan)
    plan = result.plan.with_kpis(dx.compute_kpis(problem, result.plan))

Batch runs, what-if sweeps and live re-planning stay in their modules
(``dispatchopt.experiments.batch``, ``dispatchopt.experiments.whatif``, ``dispatchopt.live``). Importing this package
does not import OR-Tools (only ``solve(backend="ortools")`` does).
"""

__version__ = "0.1.0"

from .domain import (Clock as Clock, Job as Job, Location as Location, Objective as Objective,
                     Problem as Problem, Technician as Technician)
from .errors import (DispatchOptError as DispatchOptError, EventError as EventError,
                     ParameterError as ParameterError,
                     PlanFormatError as PlanFormatError, ScenarioError as ScenarioError,
                     SolverError as SolverError, TravelError as TravelError)
from .audit.kpi import compute_kpis as compute_kpis, kpi_table as kpi_table
from .plan import Plan as Plan, Route as Route, Unassigned as Unassigned, Visit as Visit
from .scenario import (dump_scenario as dump_scenario, load_scenario as load_scenario,
                       problem_from_dict as problem_from_dict, save_scenario as save_scenario)
from .solvers import Result as Result, SolveStatus as SolveStatus, Statistics as Statistics, solve as solve
from .audit.verify import Violation as Violation, verify as verify

__all__ = ["Clock", "DispatchOptError", "EventError", "Job", "Location", "Objective", "ParameterError", "Plan",
           "PlanFormatError", "Problem", "Result", "Route", "ScenarioError", "SolveStatus",
           "SolverError", "Statistics", "Technician", "TravelError", "Unassigned", "Violation", "Visit",
           "__version__", "compute_kpis", "dump_scenario", "kpi_table", "load_scenario",
           "problem_from_dict", "save_scenario", "solve", "verify"]
