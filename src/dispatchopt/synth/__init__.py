"""Synthetic scenarios: seeded generators of realistic days and road graphs."""

from .generate import generate_scenario as generate_scenario
from .generate import load_of as load_of
from .generate import scenario_summary as scenario_summary
from .roads import generate_graph_scenario as generate_graph_scenario
from .roads import generate_road_graph as generate_road_graph

__all__ = ["generate_graph_scenario", "generate_road_graph", "generate_scenario", "load_of",
           "scenario_summary"]
