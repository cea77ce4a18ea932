"""Chapter 8's record: what the Decision Transformer is worth here.

Four experiments, each over several seeds (the chapter runs one of each live
and refuses this record when its settings are not the code's):

* ``ppo``: stable-baselines3's PPO, default settings, seeds 0-4: environment
  steps until its deterministic policy holds all 20 evaluation starts.
* ``learners``: every learner of :data:`dtcart.compare.LEARNERS` (the history
  MLP among them), trained on the book's log with seeds 0-4, scored on the
  three tuning sets and the test set of 60 unseen starts
  (:data:`dtcart.compare.SCORED_SEEDS`).
* ``scarce``: the Decision Transformer, filtered BC and BC on a log in which
  few episodes reach 500 (:data:`dtcart.compare.SCARCE_DATA`), seeds 0-4.
* ``pushes``: the Decision Transformer trained and tested with the world
  shoving the cart at random (:data:`dtcart.compare.PUSH_SCALES`), seeds 0-2.

About 15 minutes on one quiet core (hours on a crowded one); ``--only worth`` runs them all, and
``worth_bench.run(parts=...)`` some of them.
"""

from __future__ import annotations

import time
import numpy as np
import torch

from dtcart import compare, online
from dtcart.control import random_initial_states, random_pushes
from dtcart.data import BOOK_DATA, make_dataset

PARTS = ("ppo", "learners", "scarce", "pushes")


def _scored(model, seed: int, pushes_scale: float = 0.0, **labels) -> list:
    """One row per start set for a trained ``model``."""
    rows = []
    for start_seed in compare.SCORED_SEEDS:
        starts = random_initial_states(60, seed=start_seed)
        pushes = random_pushes(60, pushes_scale, seed=start_seed + 1) \
            if pushes_scale else None
        rows.append({**labels, "seed": seed, "starts": start_seed,
                     **compare.score(model, starts, pushes)})
    return rows


def ppo(seeds=range(5)) -> list:
    rows = []
    for seed in seeds:
        _, run = online.train_ppo(int(seed))
        rows.append({"seed": int(seed), "steps_to_solve": run.steps_to_solve,
                     "episodes_to_solve": run.episodes_to_solve,
                     "seconds": run.seconds, "steps": run.steps.tolist(),
                     "mean_returns": run.mean_returns.tolist(),
                     "solved": run.solved.tolist()})
        print(f"  PPO seed {seed}: {run.steps_to_solve} steps, "
              f"{run.episodes_to_solve} episodes, {run.seconds:.1f} s",
              flush=True)
    return rows


def learners(ds, names=compare.LEARNERS, seeds=range(5), log="book",
             pushes_scale: float = 0.0) -> list:
    rows = []
    for name in names:
        for seed in seeds:
            start = time.perf_counter()
            model = compare.train_learner(name, ds, int(seed))
            seconds = time.perf_counter() - start
            new = _scored(model, int(seed), pushes_scale, log=log,
                          learner=name, train_s=seconds, pushes=pushes_scale)
            rows += new
            print(f"  {log}, {name}, seed {seed}: " + ", ".join(
                f"{r['solved_500']:.0%}/" + (f"{r['tracking']:.1%}"
                                            if r["tracking"] is not None
                                            else "-") for r in new),
                  flush=True)
    return rows


def run(parts=PARTS) -> dict:
    """The record: ``settings`` and one list of rows per part."""
    torch.set_num_threads(1)
    record = {"settings": compare.settings()}
    if "ppo" in parts:
        record["ppo"] = ppo()
    if "learners" in parts:
        record["learners"] = learners(make_dataset(**BOOK_DATA))
    if "scarce" in parts:
        scarce = make_dataset(**compare.SCARCE_DATA)
        record["scarce_share_500"] = float(np.mean(scarce.returns == 500))
        record["scarce"] = learners(scarce, ("DT", "filtered BC", "BC"),
                                    log="scarce")
    if "pushes" in parts:
        record["pushes"] = []
        for scale in compare.PUSH_SCALES:
            if not scale and "learners" in record:  # the book's DT, trained
                record["pushes"] += [{**r, "log": "pushes"} for r in
                                     record["learners"] if r["learner"] ==
                                     "DT" and r["seed"] < 3]
                continue
            ds = make_dataset(**BOOK_DATA, push_noise=scale)
            record["pushes"] += learners(ds, ("DT",), range(3), "pushes",
                                         scale)
    return record


def merge(*records: dict) -> dict:
    """One record from records of different parts, made with one setting."""
    if any(r["settings"] != records[0]["settings"] for r in records):
        raise ValueError("the records were made with different settings")
    merged = {}
    for r in records:
        merged.update(r)
    return merged
