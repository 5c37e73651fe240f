"""Route timing: the forward pass (``forward``) and timed routes (``schedule.build_route``)."""
