"""Experiments over many runs: ``batch`` (scenarios x backends x seeds) and ``whatif`` sweeps."""
