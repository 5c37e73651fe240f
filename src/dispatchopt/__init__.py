"""dispatchopt: plan and re-plan field-service repair work with Google OR-Tools."""

__version__ = "0.1.0"
