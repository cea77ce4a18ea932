"""The offline dataset: heuristic rollouts of mixed quality, returns-to-go, and .npz storage."""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass, fields

import numpy as np

from .control import MAX_STEPS, heuristic, random_initial_states, rollout
from .physics import DEFAULT_PARAMS, CartPoleParams

FORMAT_VERSION = 1


def returns_to_go(rewards) -> np.ndarray:
    """Return-to-go R_t = r_t + r_{t+1} + ... : the reverse cumulative sum along the last axis.

    Args:
        rewards: ``(..., T)`` rewards. Returns an array of the same shape; ``R_0`` is the episode's return.
    """
    rewards = np.asarray(rewards)
    if rewards.ndim == 0:
        raise ValueError("rewards must have at least one axis (time), got a scalar")
    if not np.issubdtype(rewards.dtype, np.number) or not np.isfinite(rewards).all():
        raise ValueError("rewards must be finite numbers")
    return np.flip(np.cumsum(np.flip(rewards, axis=-1), axis=-1), axis=-1)


@dataclass(frozen=True)
class Dataset:
    """N logged episodes of the heuristic controller.

    Attributes:
        states: ``(N, T + 1, 4)`` float64, ``[theta, theta_dot, x, x_dot]`` before each action.
        actions: ``(N, T)`` float64 forces [N]; 0 after the end.
        rewards: ``(N, T)`` float64; 1 per step taken, 0 after the end.
        lengths: ``(N,)`` int64 steps taken.
        gains: ``(N,)`` float64 gain K [N/rad] of the controller that produced each episode.
        T is ``max_steps`` (500).
    """

    states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    lengths: np.ndarray
    gains: np.ndarray

    def __post_init__(self):
        n, t = self.actions.shape if self.actions.ndim == 2 else (None, None)
        expected = {"states": (n, None if t is None else t + 1, 4), "actions": (n, t), "rewards": (n, t),
                    "lengths": (n,), "gains": (n,)}
        for name, shape in expected.items():
            arr = getattr(self, name)
            if not isinstance(arr, np.ndarray) or arr.shape != shape:
                got = getattr(arr, "shape", type(arr).__name__)
                raise ValueError(f"Dataset.{name} must have shape {shape} (N episodes, T steps), got {got}")

    def __len__(self) -> int:
        return self.lengths.shape[0]

    @property
    def max_steps(self) -> int:
        return self.actions.shape[1]

    @property
    def returns(self) -> np.ndarray:
        """``(N,)`` return of each episode (its length, with +1 per step)."""
        return self.rewards.sum(axis=1)

    @property
    def rtg(self) -> np.ndarray:
        """``(N, T)`` return-to-go before each action."""
        return returns_to_go(self.rewards)


def make_dataset(seed: int = 0, n_episodes: int = 1000, gain_range=(15.0, 30.0),
                 start_scale: float = 0.05, params: CartPoleParams = DEFAULT_PARAMS,
                 max_steps: int = MAX_STEPS) -> Dataset:
    """Roll out the heuristic u = K theta over a spread of gains to get data of mixed quality.

    Each episode draws its gain K uniformly from ``gain_range`` (straddling K* = 19.6 N/rad)
    and its start uniformly in +-``start_scale`` per component, as Gymnasium's reset does.
    Gains below K* give short failures, gains just above give middling episodes that end
    when the cart leaves the track, and larger gains reach ``max_steps``.

    Args:
        seed: the seed of every random draw; the same seed gives the same dataset.
        n_episodes: N.
        gain_range: ``(low, high)`` gains [N/rad].
        start_scale: half-width of the uniform start distribution.
        params: the physical constants.
        max_steps: the episode cut.

    Returns:
        A :class:`Dataset`.
    """
    if isinstance(n_episodes, bool) or not isinstance(n_episodes, (int, np.integer)) or n_episodes < 1:
        raise ValueError(f"n_episodes must be a positive integer, got {n_episodes!r}")
    low, high = (float(g) for g in gain_range)
    if not (np.isfinite(low) and np.isfinite(high) and low <= high):
        raise ValueError(f"gain_range must be finite (low, high) with low <= high, got {gain_range!r}")
    if not (np.isfinite(start_scale) and start_scale >= 0):
        raise ValueError(f"start_scale must be finite and >= 0, got {start_scale!r}")
    rng = np.random.default_rng(seed)
    gains = rng.uniform(low, high, size=n_episodes)
    starts = random_initial_states(n_episodes, rng, -start_scale, start_scale)
    run = rollout(heuristic(gains), starts, params, max_steps)
    return Dataset(run.states, run.actions, run.rewards, run.lengths, gains)


def save_dataset(ds: Dataset, path) -> None:
    """Write ``ds`` to an uncompressed ``.npz`` file (no pickle); :func:`load_dataset` reads it back exactly."""
    if not isinstance(ds, Dataset):
        raise TypeError(f"ds must be a Dataset, got {type(ds).__name__}")
    arrays = {f.name: getattr(ds, f.name) for f in fields(ds)}
    with open(os.fspath(path), "wb") as fh:
        np.savez(fh, format_version=np.array(FORMAT_VERSION), **arrays)


def load_dataset(path) -> Dataset:
    """Read a dataset written by :func:`save_dataset`.

    Raises:
        ValueError: if the file is truncated, corrupt, not a dtcart dataset, or of another format version.
    """
    path = os.fspath(path)
    names = [f.name for f in fields(Dataset)]
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in ["format_version", *names] if k not in npz.files]
            if missing:
                raise ValueError(f"{path!r} is not a dtcart dataset: missing arrays {missing}")
            version = int(npz["format_version"])
            if version != FORMAT_VERSION:
                raise ValueError(f"{path!r} has dataset format {version}, this dtcart reads {FORMAT_VERSION}")
            arrays = {k: npz[k] for k in names}
    except (zipfile.BadZipFile, OSError, EOFError, KeyError) as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise ValueError(f"{path!r} is truncated or corrupt and cannot be read as a dtcart dataset: {err}") from err
    return Dataset(**arrays)
