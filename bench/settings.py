"""The project's settings with a URLconf that adds the baseline ``/bench-hello/`` view."""

from madang.config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
