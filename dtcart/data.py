"""The offline dataset: heuristic rollouts of mixed quality, returns-to-go, and .npz storage."""

from __future__ import annotations

import os
import tempfile
import zipfile
from dataclasses import dataclass, fields

import numpy as np

from .checks import (
    check_max_steps,
    check_params,
    check_type,
    expect,
    interval,
    nonnegative,
    positive_int,
    require,
)
from .control import (
    MAX_STEPS,
    EpisodeBatch,
    critical_gain,
    heuristic,
    random_initial_states,
)
from .physics import DEFAULT_PARAMS, CartPoleParams

FORMAT_VERSION = 2  # 2 added drop_steps and drop_gains; version 1 files still load
OPTIONAL = ("drop_steps", "drop_gains")  # fields a version-1 file lacks
DROP_WINDOW = 0.8  # gains drop only in the first 80% of the steps (see make_dataset)
# make_dataset's options for the Decision Transformer's data (see book_dataset): exploration noise [N] on
# every logged force, and a share of controllers that give out, their gain dropping to 0..10 N/rad
BOOK_DATA = {"action_noise": 0.5, "drop_share": 0.35, "drop_gain_range": (0.0, 10.0)}


def returns_to_go(rewards) -> np.ndarray:
    """Return-to-go R_t = r_t + r_{t+1} + ... + r_{T-1}: the reverse cumulative sum along the last axis.

    Args:
        rewards: ``(..., T)`` finite rewards.

    Returns:
        An array of the same shape; ``R[..., 0]`` is the episode's return and ``R[..., -1] = r[..., -1]``.
    """
    rewards = _check_rewards(rewards)
    backwards = np.flip(rewards, axis=-1)  # r_{T-1}, ..., r_1, r_0
    return np.flip(np.cumsum(backwards, axis=-1), axis=-1)


def _check_rewards(rewards) -> np.ndarray:
    """``rewards`` as an array of finite numbers with a time axis, or raise."""
    rewards = np.asarray(rewards)
    require(rewards.ndim and np.issubdtype(rewards.dtype, np.number) and np.isfinite(rewards).all(),
            f"rewards must be finite numbers with a time axis, got shape {rewards.shape}")
    return rewards


@dataclass(frozen=True, eq=False)  # arrays inside: compare fields with numpy, not ==
class Dataset:
    """N logged episodes of the heuristic controller, each padded to T = ``max_steps`` steps.

    Attributes:
        states: ``(N, T + 1, 4)`` float64 ``[theta, theta_dot, x, x_dot]``; ``states[i, t]`` is the state
            before action t, valid for ``t <= lengths[i]`` (then held).
        actions: ``(N, T)`` float64 forces applied [N]; 0 after the end.
        rewards: ``(N, T)`` float64; 1 per step taken, 0 after the end.
        lengths: ``(N,)`` int64 steps taken (= the return).
        gains: ``(N,)`` float64 gain K [N/rad] of the controller that produced each episode (until
            ``drop_steps``).
        drop_steps: ``(N,)`` int64 step at which the controller's gain dropped to ``drop_gains``
            (``T``, the default, for an episode whose gain never dropped).
        drop_gains: ``(N,)`` float64 gain [N/rad] from ``drop_steps`` on (defaults to ``gains``).

    Raises:
        ValueError: if the arrays' shapes, dtypes or values do not fit together.
    """

    states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    lengths: np.ndarray
    gains: np.ndarray
    drop_steps: np.ndarray | None = None
    drop_gains: np.ndarray | None = None

    def __post_init__(self):
        actions = self.actions
        n, t = actions.shape if isinstance(actions, np.ndarray) and actions.ndim == 2 else (None, None)
        if self.drop_steps is None and n is not None:
            object.__setattr__(self, "drop_steps", np.full(n, t, dtype=np.int64))
        if self.drop_gains is None and isinstance(self.gains, np.ndarray):
            object.__setattr__(self, "drop_gains", self.gains.copy())
        expected = {"states": (n, None if t is None else t + 1, 4), "actions": (n, t), "rewards": (n, t),
                    "lengths": (n,), "gains": (n,), "drop_steps": (n,), "drop_gains": (n,)}
        for name, shape in expected.items():
            arr = getattr(self, name)
            if not isinstance(arr, np.ndarray) or arr.shape != shape:
                got = getattr(arr, "shape", type(arr).__name__)
                raise ValueError(f"Dataset.{name} must have shape {shape} (N episodes, T steps), got {got}")
            kind = "i" if name in ("lengths", "drop_steps") else "f"
            require(arr.dtype.kind == kind, f"Dataset.{name} must have dtype kind {kind!r}, got {arr.dtype}")
            require(kind != "f" or np.isfinite(arr).all(), f"Dataset.{name} must be finite")
        require(n != 0 and t != 0, f"a Dataset needs at least one episode and one step, got N={n}, T={t}")
        for name, steps in (("lengths", self.lengths), ("drop_steps", self.drop_steps)):
            require(np.all((steps >= 0) & (steps <= t)), f"Dataset.{name} must lie in [0, {t}]")
        require(np.array_equal(self.rewards.sum(axis=1), self.lengths),
                "Dataset.rewards must add up to Dataset.lengths (+1 per step taken)")

    def __len__(self) -> int:
        return self.lengths.shape[0]

    @property
    def max_steps(self) -> int:
        """T, the step at which episodes were cut."""
        return self.actions.shape[1]

    @property
    def returns(self) -> np.ndarray:
        """``(N,)`` return of each episode (its length, with +1 per step)."""
        return self.rewards.sum(axis=1)

    @property
    def rtg(self) -> np.ndarray:
        """``(N, T)`` return-to-go before each action; ``rtg[:, 0]`` equals :attr:`returns`."""
        return returns_to_go(self.rewards)


def make_dataset(seed: int = 0, n_episodes: int = 1000,
                 gain_range=(14.0, 26.0), start_scale: float = 0.05,
                 action_noise: float = 0.0,
                 params: CartPoleParams = DEFAULT_PARAMS,
                 max_steps: int = MAX_STEPS, drop_share: float = 0.0,
                 drop_gain_range=(0.0, 10.0),
                 push_noise: float = 0.0) -> Dataset:
    """Roll out the heuristic u = K theta over a spread of gains to get data of mixed quality.

    Each episode draws its gain K uniformly from ``gain_range`` (straddling K* = 19.6 N/rad)
    and its start uniformly in +-``start_scale`` per component, as Gymnasium's reset does.
    Gains below K* give short failures (the pole falls), gains just above give middling
    episodes that end when the cart leaves the track, and larger gains reach ``max_steps``.

    Optionally a share of the episodes has a controller that gives out: at a step drawn uniformly
    from the first ``DROP_WINDOW`` (80%) of ``max_steps`` its gain drops to one drawn from
    ``drop_gain_range`` (below K*), and the pole falls soon after. Such an episode ends when its
    controller decided it would, which is the behaviour a return-conditioned model needs to see
    to end an episode on request. (No drops in the last 20%: a drop there would often be cut
    short by ``max_steps`` and blur the line between episodes that held and episodes that did not.)

    Args:
        seed: seed of every random draw (gains, starts, drops, noise); the same seed gives the same dataset.
        n_episodes: N.
        gain_range: ``(low, high)`` gains [N/rad].
        start_scale: half-width of the uniform start distribution (rad, rad/s, m, m/s).
        action_noise: standard deviation [N] of Gaussian noise added to every force; the dataset
            records the forces actually applied. 0 (the default) keeps the controller deterministic.
        params: the physical constants.
        max_steps: the episode cut.
        drop_share: share of the episodes, in [0, 1], whose gain drops (each episode independently).
        drop_gain_range: ``(low, high)`` gains [N/rad] after a drop; high must be below K*.
        push_noise: standard deviation [N] of the world's random shoves, a fresh
            Gaussian one every step, added to the force the cart feels but not
            recorded (see :func:`dtcart.control.random_pushes`); 0 for none.

    Returns:
        A :class:`Dataset` of ``n_episodes`` episodes.
    """
    n = positive_int(n_episodes, "n_episodes")
    params, max_steps = check_params(params), check_max_steps(max_steps)
    (low, high), (drop_low, drop_high) = _check_recipe(
        params, gain_range, drop_gain_range, start_scale=start_scale,
        action_noise=action_noise, drop_share=drop_share, push_noise=push_noise)
    rng = np.random.default_rng(seed)
    gains = rng.uniform(low, high, size=n)  # (N,) [N/rad]
    starts = random_initial_states(n, rng, -start_scale, start_scale)
    # the step from which each controller gives out: never, unless it drops
    drop_steps, drop_gains = np.full(n, max_steps, dtype=np.int64), gains.copy()
    if drop_share > 0:
        drops = rng.random(n) < drop_share
        last = max(1, int(DROP_WINDOW * max_steps))  # drops in the first 80%
        drop_steps[drops] = rng.integers(0, last, size=drops.sum())
        drop_gains[drops] = rng.uniform(drop_low, drop_high, size=drops.sum())
    episodes = EpisodeBatch._unchecked(starts, params, max_steps)
    while not episodes.done:
        gain_now = np.where(episodes.t < drop_steps, gains, drop_gains)
        forces = heuristic(gain_now)(episodes.current())
        if action_noise > 0:  # the log records the forces applied
            forces = forces + action_noise * rng.standard_normal(n)
        # the world's shoves: felt by the cart, not logged
        pushes = push_noise * rng.standard_normal(n) if push_noise else None
        episodes.advance(forces, pushes)
    run = episodes.result()
    return Dataset(run.states, run.actions, run.rewards, run.lengths, gains,
                   drop_steps, drop_gains)


def _check_recipe(params, gain_range, drop_gain_range, **given):
    """``make_dataset``'s two ``(low, high)`` gain ranges as floats, or raise
    naming the argument that is wrong: the drop range must lie below K*, and
    each of ``given`` must be a finite number >= 0 (``drop_share`` at most 1)."""
    gains, drops = interval(gain_range, "gain_range"), interval(drop_gain_range, "drop_gain_range")
    k_star = critical_gain(params)
    expect(drops[1] < k_star, "drop_gain_range", f"below K* = {k_star:.2f} N/rad", drop_gain_range)
    for name, value in given.items():
        nonnegative(value, name)
    require(given["drop_share"] <= 1, f"drop_share must be in [0, 1], got {given['drop_share']!r}")
    return gains, drops


def book_dataset() -> Dataset:
    """The Decision Transformer's training data: ``make_dataset(**BOOK_DATA)``.

    Two departures from Chapter 2's log, both about what a return-conditioned imitator can learn:

    * Noise on the logged forces. The heuristic's forces are exactly K theta, so consecutive forces
      nearly repeat and a model that sees past forces learns to lean on the last one; it then acts late,
      and a late proportional controller lets the cart drift off. Noise makes the last force a poor guide.
    * Controllers that give out (``drop_share``): a middling return in Chapter 2's log comes from a cart
      drifting off, which depends on details of the policy no imitation reproduces; an episode whose
      gain drops at a chosen step ends about 25 steps later, on cue, which a model can learn to do.
    """
    return make_dataset(**BOOK_DATA)


def save_dataset(ds: Dataset, path) -> None:
    """Write ``ds`` to an uncompressed ``.npz`` file at exactly ``path`` (no pickle, written atomically).

    :func:`load_dataset` reads it back bit for bit.
    """
    check_type(ds, Dataset, "ds")
    path = os.fspath(path)
    arrays = {f.name: getattr(ds, f.name) for f in fields(ds)}
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, format_version=np.array(FORMAT_VERSION), **arrays)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):  # the write failed: the old file stays as it was
            os.unlink(tmp)


def load_dataset(path) -> Dataset:
    """Read a dataset written by :func:`save_dataset`.

    Raises:
        FileNotFoundError: if there is no file at ``path``.
        ValueError: if the file is truncated, corrupt, not a dtcart dataset, or of another format version.
    """
    path = os.fspath(path)
    names = [f.name for f in fields(Dataset)]
    require(os.path.isfile(path), f"no dataset file at {path!r}", FileNotFoundError)
    try:
        loaded = np.load(path, allow_pickle=False)
        require(isinstance(loaded, np.lib.npyio.NpzFile), "it holds a single array, not an .npz archive")
        with loaded as npz:
            require("format_version" in npz.files, "it is not a dtcart dataset: missing arrays ['format_version']")
            version = npz["format_version"]
            require(version.shape == () and version.dtype.kind in "iu" and int(version) in (1, FORMAT_VERSION),
                    f"it has dataset format {version!r}, this dtcart reads 1 and {FORMAT_VERSION}")
            needed = [k for k in names if int(version) == FORMAT_VERSION or k not in OPTIONAL]
            missing = [k for k in needed if k not in npz.files]
            require(not missing, f"it is not a dtcart dataset: missing arrays {missing}")
            arrays = {k: npz[k] for k in needed}
        return Dataset(**arrays)
    except (ValueError, zipfile.BadZipFile, OSError, EOFError, KeyError, AttributeError) as err:
        raise ValueError(f"cannot read {path!r} as a dtcart dataset: {err}") from err
