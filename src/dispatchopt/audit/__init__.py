"""Checking and scoring a plan: ``verify`` (independent of the solvers) and ``kpi``."""
