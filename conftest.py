"""Repository-wide pytest configuration."""

import os

from hypothesis import HealthCheck, settings

# No wall-clock deadline (a loaded 2-core CI machine is slow, not wrong); derandomised on CI so a
# failure reproduces, while local runs keep exploring new examples.
settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", parent=settings.get_profile("default"), derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")
