"""The scenario input boundary: contract v1 files (YAML, JSON, CSV tables) <-> Problem.

``load_scenario(path)`` reads and validates a file or table directory; ``problem_from_dict`` is
the one validator behind every form; ``dump_scenario`` / ``save_scenario`` write a Problem back so
that it loads equal. Every input error is a :class:`~dispatchopt.errors.ScenarioError` naming the
file, field, id and value.
"""

from .dump import dump_scenario as dump_scenario, save_scenario as save_scenario
from .load import load_scenario as load_scenario, problem_from_dict as problem_from_dict

__all__ = ["dump_scenario", "load_scenario", "problem_from_dict", "save_scenario"]
