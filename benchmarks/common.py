"""Inputs and the anchorlib calls shared by run.py (numpy only) and peers.py (the peers' environment)."""

from __future__ import annotations

import statistics
import time
from typing import Callable

import numpy as np

import anchorlib

#: The RetinaNet papers' input: shorter side 800, longer side at most 1333.
IMAGE = (800, 1333)


def random_boxes(count: int, rng: np.random.Generator, extent: float = 1333.0) -> np.ndarray:
    """``count`` boxes with corners uniform in ``[0, extent)`` and sides uniform in ``[8, 400)``."""
    corners = rng.uniform(0, extent, size=(count, 2))
    return np.concatenate([corners, corners + rng.uniform(8, 400, size=(count, 2))], axis=1)


def anchorlib_anchors(preset: str, image_shape) -> np.ndarray:
    """Every anchor of a preset on an image: ``PRESETS[preset].anchors(image_shape)``, one array in
    the preset's own dtype, each level written once straight into its slice."""
    return anchorlib.PRESETS[preset].anchors(image_shape)


def median_seconds(function: Callable[[], object], *, budget: float = 10.0, most: int = 15, least: int = 1,
                   warm_up: bool = True) -> float:
    """Median wall time of between ``least`` and ``most`` calls, about ``budget`` seconds in all,
    after one warm-up call (first-touch page faults and cold caches are not what is measured)."""
    first = 0.0
    if warm_up:
        start = time.perf_counter()
        function()
        first = time.perf_counter() - start
    repeats = max(least, min(most, int(budget / max(first, 1e-9)))) if warm_up else max(least, most)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved(functions: list[Callable[[], object]], repeats: int) -> list[tuple[float, float]]:
    """(median wall seconds, median CPU seconds of this process) of each function, called in turn
    ``repeats`` times after one warm-up call each, so that a burst of load from other users hits
    them all alike. On a machine shared beyond its cores the CPU time of single-threaded code is
    the steadier of the two."""
    for function in functions:
        function()
    times: list[list[tuple[float, float]]] = [[] for _ in functions]
    for _ in range(repeats):
        for function, record in zip(functions, times):
            wall, cpu = time.perf_counter(), time.process_time()
            function()
            record.append((time.perf_counter() - wall, time.process_time() - cpu))
    return [(statistics.median(w for w, _ in record), statistics.median(c for _, c in record)) for record in times]
