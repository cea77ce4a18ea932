"""Chapter 8's record: how much log does the Decision Transformer need?

The Decision Transformer and filtered BC (the book's recipes, unchanged)
trained on the first 25, 50, ..., 1000 episodes of the book's log
(:data:`SIZES`, subsets of one log), training seeds 0-2, each scored on the
three tuning sets and the test set of 60 starts (:func:`dtcart.compare.score`)
against issue 6's figures (:data:`benchmarks.seeds_bench.LIMITS`; for
filtered BC, which takes no target, the share reaching 500 alone). The
chapter refuses the record when its settings are not the code's.

About 15 minutes on one core: ``python -m benchmarks --only datasize``.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from dtcart import compare
from dtcart.data import make_dataset
from dtcart.data import BOOK_DATA

from .seeds_bench import LIMITS
from .worth_bench import _scored

SIZES = (25, 50, 100, 250, 500, 1000)  # episodes of the book's log
NAMES = ("DT", "filtered BC")


def holds(row: dict) -> bool:
    """Whether one scored row meets issue 6's figures (a learner that takes
    no target: the share reaching 500 alone)."""
    if row["solved_500"] < LIMITS["solved_500"]:
        return False
    return row["tracking"] is None or (
        row["tracking"] <= LIMITS["tracking"]
        and bool(np.all(np.diff(row["means"]) > 0)))


def run(sizes=SIZES, seeds=range(3), names=NAMES) -> dict:
    """The record: ``settings``, ``sizes``, ``log_steps`` (logged steps in
    each subset) and ``rows`` (one per learner, size, seed and start set)."""
    torch.set_num_threads(1)
    log = make_dataset(**BOOK_DATA)
    rows, steps = [], []
    for size in sizes:
        ds = compare.first_episodes(log, size)
        steps.append(int(ds.lengths.sum()))
        for name in names:
            for seed in seeds:
                start = time.perf_counter()
                model = compare.train_learner(name, ds, int(seed))
                seconds = time.perf_counter() - start
                new = _scored(model, int(seed), learner=name, episodes=size,
                              train_s=seconds)
                rows += [{**r, "holds": holds(r)} for r in new]
                print(f"  {size} episodes, {name}, seed {seed}: " + ", ".join(
                    f"{r['solved_500']:.0%}/" + (
                        "-" if r["tracking"] is None
                        else f"{r['tracking']:.1%}") for r in new),
                    flush=True)
    return {"settings": {**compare.settings(), "sizes": list(sizes),
                         "seeds": [int(s) for s in seeds]},
            "log_steps": steps, "rows": rows}


def smallest(record: dict, name: str, starts=None):
    """The fewest episodes from which on every row of ``name`` (every seed,
    on the start sets ``starts``, all when None) holds the figures, at that
    size and every larger one; None if not even the whole log does."""
    found = None
    for size in reversed(record["settings"]["sizes"]):
        rows = [r for r in record["rows"] if r["learner"] == name
                and r["episodes"] == size
                and (starts is None or r["starts"] in starts)]
        if not (rows and all(r["holds"] for r in rows)):
            break
        found = size
    return found
