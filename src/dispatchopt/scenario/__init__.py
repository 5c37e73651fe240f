"""The scenario input boundary: contract v1 files (YAML, JSON, CSV tables) <-> Problem.

``load_scenario(path)`` reads and validates a file or table directory; ``problem_from_dict`` is
the one validator behind every form; ``dump_scenario`` / ``save_scenario`` write a Problem back so
that it loads equal (``job_to_dict`` writes one job). Every input error is a
:class:`~dispatchopt.errors.ScenarioError` naming the file, field, id and value.

Modules: :mod:`.load` (the validator and the entry points), :mod:`.fields` (the shared field
readers, the place of an error, the numeric bounds), :mod:`.shifts` (shifts and breaks),
:mod:`.files` (YAML/JSON text to a mapping, with its size limits), :mod:`.tables`
(the CSV table form), :mod:`.dump` (Problem to scenario data). The user reference of the format is
``docs/format.md``.
"""

from .dump import (dump_scenario as dump_scenario, job_to_dict as job_to_dict,
                   save_scenario as save_scenario)
from .load import load_scenario as load_scenario, problem_from_dict as problem_from_dict

__all__ = ["dump_scenario", "job_to_dict", "load_scenario", "problem_from_dict", "save_scenario"]
