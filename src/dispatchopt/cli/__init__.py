"""The ``dispatchopt`` command (the only package that prints)."""

from .main import main as main

__all__ = ["main"]
