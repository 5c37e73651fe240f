"""travel."""
