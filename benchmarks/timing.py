"""Timing helpers: best-of-N wall time with time.perf_counter, and the machine's load beside it."""

from __future__ import annotations

import os
import time
from typing import Callable


def best_time(fn: Callable[[], object], number: int = 1, repeat: int = 5, min_time: float = 0.0) -> float:
    """Best (smallest) wall time per call [s] of ``fn`` over ``repeat`` rounds of ``number`` calls.

    With ``min_time > 0``, ``number`` is first raised until one round takes at least that long, so that
    very fast calls are timed over many repetitions. The minimum is the least disturbed round: on a shared
    machine other processes only ever make a round slower.
    """
    if min_time > 0:
        while True:
            start = time.perf_counter()
            for _ in range(number):
                fn()
            if time.perf_counter() - start >= min_time:
                break
            number *= 2
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def load() -> str:
    """The 1, 5 and 15 minute load averages and the number of CPUs, for printing beside timings."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def table(headers: list[str], rows: list[list], title: str = "") -> str:
    """A plain-text table with right-aligned columns."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = [title] if title else []
    for k, row in enumerate(cells):
        lines.append("  ".join(c.rjust(w) for c, w in zip(row, widths)))
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def si(value: float, unit: str = "") -> str:
    """``value`` with a k/M/G prefix, three significant digits."""
    for factor, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}".rstrip()
