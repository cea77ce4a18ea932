"""Chapter 4's question, measured: does the book's Decision Transformer
need a second attention head?

The book's model (``DEFAULT_MODEL``: width 32, one head in each of two
blocks) against the same model with two heads of width 16, everything else
the same (data, training, seeds 0-4), each scored like Chapter 6's seeds
(:func:`seeds_bench.run_log`) on the three tuning start sets
(``compare.START_SEEDS``) and the test set (``compare.TEST_SEED``). About
15 minutes on one core.
"""

from __future__ import annotations

from dataclasses import asdict, replace

import numpy as np

from dtcart.compare import START_SEEDS, TEST_SEED
from dtcart.data import BOOK_DATA
from dtcart.train import DEFAULT_MODEL, DEFAULT_TRAIN

from .seeds_bench import holds, run_log

HEADS = (1, 2)  # heads per block, at the book's width


def name(heads: int) -> str:
    """The rows' ``data`` label of a model with ``heads`` heads."""
    return f"{heads} head" + ("s" if heads > 1 else "")


def settings() -> dict:
    """What a record must have been made with: a record made with other
    settings is stale."""
    return {"model": DEFAULT_MODEL.to_dict(), "train": asdict(DEFAULT_TRAIN),
            "book_data": dict(BOOK_DATA), "heads": list(HEADS),
            "start_seeds": list(START_SEEDS), "test_seed": TEST_SEED}


def summary(rows: list) -> dict:
    """Per number of heads, on the tuning sets and on the test set: the mean
    tracking error, the lowest share reaching 500, and whether every row
    meets issue 6's figures."""
    out = {}
    for heads in HEADS:
        for part, seeds in (("tuning", START_SEEDS), ("test", (TEST_SEED,))):
            mine = [r for r in rows
                    if r["data"] == name(heads) and r["starts"] in seeds]
            out[f"{name(heads)}, {part}"] = {
                "tracking_mean": float(np.mean([r["tracking"] for r in mine])),
                "solved_min": min(r["solved_500"] for r in mine),
                "all_hold": all(holds(r) for r in mine)}
    return out


def run(seeds=range(5), n_starts: int = 60) -> dict:
    """Each number of heads trained on the book's log with ``seeds``, scored
    on every start set: rows as :func:`seeds_bench.run_log`'s."""
    rows = [row for heads in HEADS
            for row in run_log(name(heads), BOOK_DATA, seeds, n_starts,
                               replace(DEFAULT_MODEL, n_heads=heads))]
    return {"rows": rows, "n_starts": n_starts, "settings": settings(),
            "summary": summary(rows)}
