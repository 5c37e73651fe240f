"""Synthetic scenarios: seeded generators of realistic days and road graphs."""

from .generate import generate_scenario as generate_scenario

__all__ = ["generate_scenario"]
