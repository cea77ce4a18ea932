"""Chapter 8's comparisons: the Decision Transformer against simpler learners
on the same log, and return conditioning where returns are partly luck.

Every learner here is trained by :func:`dtcart.train.fit` on one
:class:`~dtcart.data.Dataset` and scored the same way (:func:`score`): played
from the same starts, asked for each of ``TARGETS``, with the same pushes from
the world if any. The settings are up front, so that the benchmark that
records five seeds (``python -m benchmarks --only worth``) and the chapter
that trains one run exactly the same experiment.
"""

from __future__ import annotations

from dataclasses import asdict, fields, replace

import numpy as np

from .baselines import HistoryMLP, StateMLP, train_bc, train_history, train_rvs
from .checks import (
    check_grid,
    check_initial_states,
    check_pushes,
    check_type,
    integer,
    one_of,
    positive_int,
    require,
)
from .control import MAX_STEPS, EpisodeBatch, Rollout, heuristic, random_pushes, rollout
from .data import BOOK_DATA, Dataset
from .evaluate import _play_dt, target_sweep, tracking_error
from .model import DecisionTransformer
from .physics import DEFAULT_PARAMS
from .train import DEFAULT_MODEL, DEFAULT_TRAIN, train_dt

TARGETS = (100.0, 200.0, 300.0, 400.0, 500.0)  # returns asked for [steps]
# The learners that see one step at a time get as many logged actions per
# update as the Decision Transformer's 64 windows of 10 steps hold.
ROW_TRAIN = replace(DEFAULT_TRAIN, batch_size=DEFAULT_TRAIN.batch_size
                    * DEFAULT_MODEL.context)
TOP_SHARE = 0.1  # filtered BC keeps the best 10% of the episodes
LEARNERS = ("DT", "DT, context 1", "history MLP", "RvS MLP", "filtered BC",
            "BC")
# A log in which few episodes reach 500: 80% of the controllers give out.
SCARCE_DATA = {**BOOK_DATA, "drop_share": 0.8}
PUSH_SCALES = (0.0, 0.25, 0.5, 1.0)  # the world's random shoves [N], std
# The tuning sets: three sets of 60 unseen starts on which the data, model
# and training recipes were chosen (777 is Chapter 6's).
START_SEEDS = (777, 12345, 4242)
# The test set: 60 starts used for nothing but the headline figures.
TEST_SEED = 2718
SCORED_SEEDS = START_SEEDS + (TEST_SEED,)  # every set a record scores


def settings() -> dict:
    """Everything a recorded comparison depends on, as plain values: a record
    made with other settings is stale."""
    return {"model": DEFAULT_MODEL.to_dict(), "train": asdict(DEFAULT_TRAIN),
            "row_train": asdict(ROW_TRAIN), "book_data": dict(BOOK_DATA),
            "scarce_data": dict(SCARCE_DATA),
            "push_scales": list(PUSH_SCALES), "targets": list(TARGETS),
            "top_share": TOP_SHARE, "start_seeds": list(START_SEEDS),
            "test_seed": TEST_SEED}


def first_episodes(ds: Dataset, n: int) -> Dataset:
    """The first ``n`` episodes of ``ds`` (a smaller log, the same
    episodes)."""
    check_type(ds, Dataset, "ds")
    n = integer(n, "n", 1, len(ds))
    return Dataset(**{f.name: getattr(ds, f.name)[:n] for f in fields(ds)})


def train_learner(name: str, ds: Dataset, seed: int = 0,
                  progress: bool = False):
    """One of :data:`LEARNERS` trained on ``ds`` with ``seed``: a
    :class:`~dtcart.model.DecisionTransformer` or a
    :class:`~dtcart.baselines.StateMLP` or
    :class:`~dtcart.baselines.HistoryMLP` (``progress``: a progress bar).
    Each trainer checks ``ds``."""
    one_of(name, "name", LEARNERS)
    if name == "DT":
        return train_dt(ds, DEFAULT_MODEL, DEFAULT_TRAIN, seed, progress)[0]
    if name == "DT, context 1":
        one_step = replace(DEFAULT_MODEL, context=1)
        return train_dt(ds, one_step, ROW_TRAIN, seed, progress)[0]
    if name == "history MLP":  # the DT's windows, loop and budget
        return train_history(ds, DEFAULT_TRAIN, seed, progress)[0]
    if name == "RvS MLP":
        return train_rvs(ds, ROW_TRAIN, seed, progress)[0]
    share = TOP_SHARE if name == "filtered BC" else 1.0  # "filtered BC" or "BC"
    return train_bc(ds, share, ROW_TRAIN, seed, progress)[0]


def play(model, targets, initial_states, pushes=None) -> Rollout:
    """Each of the ``(G,)`` targets from each of the ``(N, 4)`` starts, as one
    batch: episode ``g * N + i`` is target g from start i (as
    :func:`~dtcart.evaluate.target_sweep`). A learner that takes no target
    (BC) plays the same policy for every target. ``pushes``: ``(N, 500)``
    shoves [N] that start i meets whatever the target, or None."""
    targets = check_grid(targets, "targets")
    if isinstance(model, DecisionTransformer):
        return target_sweep(model, targets, initial_states, pushes=pushes)
    if not isinstance(model, HistoryMLP):
        check_type(model, StateMLP, "model")
    starts = check_initial_states(initial_states)
    G, N = len(targets), len(starts)
    if isinstance(model, HistoryMLP):  # acts as the DT does, window and all
        tiled = None if pushes is None else np.tile(
            check_pushes(pushes, N, MAX_STEPS), (G, 1))  # (G N, T)
        episodes = EpisodeBatch._unchecked(np.tile(starts, (G, 1)), DEFAULT_PARAMS, MAX_STEPS)
        return _play_dt(model, np.repeat(targets, N), episodes, tiled)
    policy = model.policy(np.repeat(targets, N) if model.conditioned
                          else None)
    tiled = None if pushes is None else np.tile(pushes, (G, 1))  # (G N, T)
    return rollout(policy, np.tile(starts, (G, 1)), pushes=tiled)


def score(model, initial_states, pushes=None) -> dict:
    """A learner asked for each of :data:`TARGETS` from every start.

    Returns ``solved_500`` (share of starts reaching 500 when asked for
    500), ``means`` (mean return at each target) and ``tracking`` (mean
    ``|achieved - target| / target`` over 100..400; None for a learner that
    takes no target).
    """
    run = play(model, TARGETS, initial_states, pushes)  # which checks them
    achieved = run.returns.reshape(len(TARGETS), -1)  # (G, N)
    conditioned = not isinstance(model, StateMLP) or model.conditioned
    return {"solved_500": float(np.mean(achieved[-1] == 500)),
            "means": achieved.mean(axis=1).tolist(),
            "tracking": tracking_error(TARGETS[:-1], achieved[:-1])
            if conditioned else None}


def replayed_share(ds: Dataset, scale: float, seed: int = 0,
                   repeats: int = 10) -> float:
    """How much of a 500 was the policy's doing: the share of replays that
    reach 500 again, when each episode of ``ds`` that reached 500 has its
    controller, ``u = K theta`` with the episode's gain, played ``repeats``
    times from the same start (without the log's exploration noise) while
    the world shoves with ``scale`` [N] afresh
    (``random_pushes(..., seed=seed)``)."""
    check_type(ds, Dataset, "ds")
    kept = ds.returns == ds.max_steps  # (N,) the episodes that reached 500
    require(kept.any(), "ds has no episode that reached max_steps")
    repeats = positive_int(repeats, "repeats")
    gains = np.tile(ds.gains[kept], repeats)  # (n R,)
    starts = np.tile(ds.states[kept, 0], (repeats, 1))  # (n R, 4)
    pushes = random_pushes(len(gains), scale, seed, ds.max_steps) \
        if scale else None
    again = rollout(heuristic(gains), starts, max_steps=ds.max_steps,
                    pushes=pushes)
    return float(again.solved.mean())
