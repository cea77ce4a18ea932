"""The heuristic controller, the CartPole-v1 task rules, and batched rollouts.

Task rules (Gymnasium's CartPole-v1, on our physics): reward +1 for every step
taken, the terminating one included; the episode ends after a step that leaves
|theta| > 12 degrees or |x| > 2.4 m; it is cut at ``max_steps`` (500) steps.
An episode's return is therefore its length, and 500 means solved.

Contents: the proportional controller :func:`heuristic` and its :func:`critical_gain` (with the
linearised :func:`linear_coefficient`); the rules, :class:`EpisodeBatch`, and :func:`rollout`, which
plays a batch of episodes under them into a :class:`Rollout`; :func:`gain_sweep`, the outcomes over a
grid of gains; and :func:`random_initial_states`, Gymnasium's start distribution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Callable

import numpy as np

from .checks import (
    check_episodes,
    check_gains,
    check_grid,
    check_max_steps,
    check_params,
    check_pushes,
    float_array,
    interval,
    nonnegative,
    positive_int,
    require,
)
from .physics import DEFAULT_PARAMS, THETA, X, CartPoleParams, _step

THETA_LIMIT = 12 * 2 * math.pi / 360  # rad, as in Gymnasium (0.2094)
X_LIMIT = 2.4  # m
MAX_STEPS = 500

Policy = Callable[[np.ndarray], np.ndarray]


def critical_gain(params: CartPoleParams = DEFAULT_PARAMS) -> float:
    """K* = (M + m) g [N/rad]: the smallest gain of u = K theta that stops the linearised pole falling."""
    params = check_params(params)
    return params.total_mass * params.gravity


def linear_coefficient(K, params: CartPoleParams = DEFAULT_PARAMS):
    """alpha [1/s^2] of the pole linearised near upright under u = K theta: theta_ddot = alpha theta.

    alpha = (g - K/(M+m)) / (l (4/3 - m/(M+m))). Positive below :func:`critical_gain` (the tilt grows like
    exp(sqrt(alpha) t)), negative above it (an undamped swing at angular frequency sqrt(-alpha)).
    ``K`` is a gain [N/rad] or an array of them; the result has its shape.
    """
    p, gain = check_params(params), check_gains(K)
    M = p.total_mass
    numerator = p.gravity - gain / M  # g - K/(M+m)
    value = numerator / (p.half_length * (4.0 / 3.0 - p.pole_mass / M))
    return float(value) if value.ndim == 0 else value


def heuristic(K) -> Policy:
    """The book's heuristic controller: the proportional policy u = K theta.

    Args:
        K: the gain [N/rad], a scalar or an array of shape ``(N,)`` (one gain per cart of a batch).

    Returns:
        A policy: a callable from states ``(N, 4)`` to forces ``(N,)`` [N]. Its ``gain`` attribute is ``K``.
        It trusts its states: :func:`rollout` and :class:`EpisodeBatch` check them.

    Raises:
        TypeError: if ``K`` is not a real number or an array of them.
        ValueError: if ``K`` is not finite or has more than one axis.
    """
    gain = check_gains(K, max_ndim=1)  # a scalar, or one gain per cart (N,)

    def policy(states: np.ndarray) -> np.ndarray:  # (N, 4) -> (N,)
        return gain * states[:, THETA]  # (N,) forces [N]: u = K theta

    policy.gain = gain
    return policy


@dataclass(frozen=True, eq=False)  # arrays inside: compare fields with numpy, not ==
class Rollout:
    """A batch of N episodes under the task's rules.

    Attributes:
        states: ``(N, max_steps + 1, 4)``; ``states[:, t]`` is the state before action t, and
            ``states[i, lengths[i]]`` the state the last step led to. After an episode ends that state is held.
        actions: ``(N, max_steps)`` forces applied [N]; 0 after the end.
        rewards: ``(N, max_steps)``; 1 for each step taken, 0 after the end.
        lengths: ``(N,)`` int, steps taken (= the return).
        fell: ``(N,)`` bool, the episode ended because |theta| > 12 degrees.
        left_track: ``(N,)`` bool, the episode ended because |x| > 2.4 m (and the pole was still up).
    """

    states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    lengths: np.ndarray
    fell: np.ndarray
    left_track: np.ndarray

    @property
    def returns(self) -> np.ndarray:
        """``(N,)`` undiscounted return of each episode."""
        return self.rewards.sum(axis=-1)

    @property
    def solved(self) -> np.ndarray:
        """``(N,)`` bool, the episode was cut at ``max_steps`` steps without failing (return ``max_steps``)."""
        return (self.lengths == self.rewards.shape[-1]) & ~self.fell & ~self.left_track

    def select(self, episodes) -> "Rollout":
        """The rollout of some of the episodes: ``episodes`` indexes the first axis (a slice, indices or a mask)."""
        require(not isinstance(episodes, (int, np.integer)), "episodes must be a slice, an index "
                f"array or a mask (to keep the episode axis), got {episodes!r}", TypeError)
        return Rollout(*(getattr(self, f.name)[episodes] for f in fields(self)))


class EpisodeBatch:
    """The task's rules applied to N carts at once, one step at a time.

    ``control.rollout`` and ``evaluate.rollout_dt`` both drive their episodes
    through this class, so the rules live in one place::

        episodes = EpisodeBatch(initial_states, params, max_steps)
        while not episodes.done:
            episodes.advance(policy(episodes.current()))
        result = episodes.result()

    Attributes:
        t: the number of steps advanced so far.
        alive: ``(N,)`` bool, the episode is still running.
        lengths, fell, left_track: as in :class:`Rollout`, up to step ``t``.
        states: ``(N, max_steps + 1, 4)`` read-only view; only ``[:, :t + 1]`` is filled yet.
        actions, rewards: ``(N, max_steps)`` read-only views; only ``[:, :t]`` is filled yet.
    """

    def __init__(self, initial_states, params: CartPoleParams = DEFAULT_PARAMS,
                 max_steps: int = MAX_STEPS):
        self._start(*check_episodes(initial_states, params, max_steps))

    @classmethod
    def _unchecked(cls, initial_states: np.ndarray, params: CartPoleParams,
                 max_steps: int) -> "EpisodeBatch":
        """A batch from arguments its caller has already checked (as
        :func:`check_initial_states`, :func:`check_params` and
        :func:`check_max_steps` return them): no second check."""
        episodes = cls.__new__(cls)
        episodes._start(initial_states, params, max_steps)
        return episodes

    def _start(self, initial_states, params, max_steps):
        self.params, self.max_steps = params, max_steps
        n = initial_states.shape[0]
        # Time-major storage: each step writes one contiguous block, which
        # keeps large batches fast.
        self._states = np.zeros((self.max_steps + 1, n, 4))
        self._states[0] = initial_states
        self._actions = np.zeros((self.max_steps, n))
        self._rewards = np.zeros((self.max_steps, n))
        self.lengths = np.zeros(n, dtype=np.int64)
        self.fell = np.zeros(n, dtype=bool)
        self.left_track = np.zeros(n, dtype=bool)
        self.alive = np.ones(n, dtype=bool)
        self.t = 0

    @property
    def done(self) -> bool:
        """True once every episode has ended or ``max_steps`` steps have been taken."""
        return self.t >= self.max_steps or not self.alive.any()

    @property
    def states(self) -> np.ndarray:
        return _read_only(self._states.transpose(1, 0, 2))

    @property
    def actions(self) -> np.ndarray:
        return _read_only(self._actions.T)

    @property
    def rewards(self) -> np.ndarray:
        return _read_only(self._rewards.T)

    def current(self) -> np.ndarray:
        """``(N, 4)`` states before the next action (ended episodes hold their last state); a copy."""
        return self._states[self.t].copy()

    def advance(self, forces, pushes=None) -> None:
        """Apply ``forces`` ``(N,)`` [N] to the carts still running, and score
        the step.

        Forces of ended episodes are ignored (recorded as 0) and may be
        anything, NaN included. ``pushes`` ``(N,)`` [N], if given, are the
        world's random shoves: added to the force the cart feels, but not
        recorded as the action (the policy did not choose them). The caller
        checks them (:func:`check_pushes`).

        Raises:
            ValueError: if ``forces`` has not N entries or a running cart's
                force is not finite.
            TypeError: if ``forces`` are not numbers.
            RuntimeError: if the batch is already :attr:`done`.
        """
        forces = self._check_forces(forces)
        t, alive = self.t, self.alive
        forces = np.where(alive, forces, 0.0)  # ended episodes: no force
        before = self._states[t]  # (N, 4)
        felt = forces if pushes is None else forces + pushes
        after = _step(before, felt, self.params)
        self._states[t + 1] = np.where(alive[:, None], after, before)
        self._actions[t] = forces
        self._rewards[t] = alive  # +1 for every step taken, the last included
        self.lengths += alive
        fell = alive & (np.abs(after[:, THETA]) > THETA_LIMIT)
        left = alive & ~fell & (np.abs(after[:, X]) > X_LIMIT)
        self.fell |= fell
        self.left_track |= left
        self.alive = alive & ~fell & ~left
        self.t += 1

    def _check_forces(self, forces) -> np.ndarray:
        """``forces`` as a float64 ``(N,)`` array, finite where a cart still
        runs, or raise (see :meth:`advance`)."""
        require(not self.done, "advance() on a finished EpisodeBatch (check .done first)", RuntimeError)
        n = self.alive.shape[0]
        forces = float_array(forces, "forces", f"{n} real numbers [N]")
        require(forces.size == n, f"forces must have {n} entries (one per cart), got shape {forces.shape}")
        forces = forces.reshape(n)
        require(np.isfinite(forces[self.alive]).all(), "forces must be finite where a cart still runs")
        return forces

    def result(self) -> Rollout:
        """The episodes as a :class:`Rollout` (states after the last step taken are held).

        Its arrays are transposed views of the batch's time-major storage (no copy).
        """
        self._states[self.t + 1:] = self._states[self.t]
        return Rollout(self._states.transpose(1, 0, 2), self._actions.T, self._rewards.T, self.lengths.copy(),
                       self.fell.copy(), self.left_track.copy())


def _read_only(view: np.ndarray) -> np.ndarray:
    view = view.view()
    view.flags.writeable = False
    return view


def rollout(policy: Policy, initial_states, params: CartPoleParams = DEFAULT_PARAMS,
            max_steps: int = MAX_STEPS, pushes=None) -> Rollout:
    """Run a batch of episodes at once under the task's rules.

    Args:
        policy: a callable from states ``(N, 4)`` to forces ``(N,)`` [N], e.g. :func:`heuristic`.
        initial_states: ``(N, 4)`` start states.
        params: the physical constants.
        max_steps: the step at which an episode is cut (500 in CartPole-v1).
        pushes: optional ``(N, max_steps)`` random shoves [N] the world adds
            to the cart's force at each step, unrecorded (see
            :func:`random_pushes`); None for none.

    Returns:
        A :class:`Rollout` with ``states (N, max_steps+1, 4)``, ``actions``, ``rewards (N, max_steps)``
        and ``lengths (N,)``.

    Raises:
        ValueError: if ``initial_states`` is not a finite ``(N, 4)`` array or ``max_steps`` not a positive int.
        TypeError: if ``policy`` is not callable.
    """
    require(callable(policy), f"policy must be callable, got {type(policy).__name__}", TypeError)
    episodes = EpisodeBatch(initial_states, params, max_steps)
    pushes = check_pushes(pushes, len(episodes.alive), episodes.max_steps)
    return _play(policy, episodes, pushes)


def _play(policy: Policy, episodes: EpisodeBatch, pushes=None) -> Rollout:
    """Drive ``episodes`` with ``policy`` to the end (``pushes``: see
    :func:`rollout`)."""
    while not episodes.done:
        shove = None if pushes is None else pushes[:, episodes.t]
        episodes.advance(policy(episodes.current()), shove)
    return episodes.result()


def random_pushes(n: int, scale: float, seed=None,
                  max_steps: int = MAX_STEPS) -> np.ndarray:
    """``(n, max_steps)`` random shoves [N]: Gaussian, standard deviation
    ``scale`` [N], a fresh one every step (``seed``: an int, None or a
    ``numpy.random.Generator``)."""
    n, max_steps = positive_int(n, "n"), check_max_steps(max_steps)
    scale = nonnegative(scale, "scale")
    rng = seed if isinstance(seed, np.random.Generator) \
        else np.random.default_rng(seed)
    return scale * rng.standard_normal((n, max_steps))


@dataclass(frozen=True, eq=False)  # arrays inside: compare fields with numpy, not ==
class Sweep:
    """Outcomes of the heuristic over a grid of G gains, each run from the same N starts.

    Attributes:
        gains: ``(G,)`` gains K [N/rad].
        fell: ``(G,)`` share of episodes that ended with |theta| > 12 degrees.
        left_track: ``(G,)`` share that ended with |x| > 2.4 m.
        solved: ``(G,)`` share cut at ``max_steps`` steps without failing (the three shares add up to 1).
        mean_length: ``(G,)`` mean episode length (= mean return) [steps].
    """

    gains: np.ndarray
    fell: np.ndarray
    left_track: np.ndarray
    solved: np.ndarray
    mean_length: np.ndarray


def gain_sweep(gains, initial_states, params: CartPoleParams = DEFAULT_PARAMS, max_steps: int = MAX_STEPS,
               batch_size: int = 4096) -> Sweep:
    """Run ``heuristic(K)`` from every start for every K of ``gains`` and summarise the outcomes.

    Args:
        gains: ``(G,)`` finite gains [N/rad].
        initial_states: ``(N, 4)`` starts shared by every gain.
        params: the physical constants.
        max_steps: the episode cut.
        batch_size: about how many carts run at once (bounds memory; the result does not depend on it).

    Returns:
        A :class:`Sweep`.
    """
    gains = check_grid(gains, "gains", copy=True)
    starts, params, max_steps = check_episodes(initial_states, params, max_steps)
    n = starts.shape[0]
    per_batch = max(1, int(batch_size) // n)
    outcomes = np.empty((4, gains.size))
    for lo in range(0, gains.size, per_batch):
        chunk = gains[lo:lo + per_batch]
        episodes = EpisodeBatch._unchecked(np.tile(starts, (chunk.size, 1)),
                                         params, max_steps)
        run = _play(heuristic(np.repeat(chunk, n)), episodes)
        per_gain = np.stack([run.fell, run.left_track, run.solved, run.lengths]).reshape(4, chunk.size, n)
        outcomes[:, lo:lo + chunk.size] = per_gain.mean(axis=2)
    return Sweep(gains, *outcomes)


def random_initial_states(n: int, seed=None, low: float = -0.05, high: float = 0.05) -> np.ndarray:
    """``(n, 4)`` start states drawn uniformly in [low, high) per component, as Gymnasium's reset does.

    ``seed`` is an int, None or a ``numpy.random.Generator`` (whose stream is then advanced).
    """
    n, (low, high) = positive_int(n, "n"), interval((low, high), "low and high")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    return rng.uniform(low, high, size=(int(n), 4))
