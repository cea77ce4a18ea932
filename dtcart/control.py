"""The heuristic controller, the CartPole-v1 task rules, and batched rollouts.

Task rules (Gymnasium's CartPole-v1, on our physics): reward +1 for every step
taken, the terminating one included; the episode ends after a step that leaves
|theta| > 12 degrees or |x| > 2.4 m; it is cut at ``max_steps`` (500) steps.
An episode's return is therefore its length, and 500 means solved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .physics import DEFAULT_PARAMS, CartPoleParams, _as_state, _check_params, _step

THETA_LIMIT = 12 * 2 * math.pi / 360  # rad, as in Gymnasium (0.2094)
X_LIMIT = 2.4  # m
MAX_STEPS = 500

Policy = Callable[[np.ndarray], np.ndarray]


def critical_gain(params: CartPoleParams = DEFAULT_PARAMS) -> float:
    """K* = (M + m) g [N/rad]: the smallest gain of u = K theta that stops the linearised pole falling."""
    params = _check_params(params)
    return params.total_mass * params.gravity


def heuristic(K) -> Policy:
    """The deterministic proportional controller u = K theta.

    Args:
        K: the gain [N/rad], a scalar or an array of shape ``(N,)`` (one gain per cart of a batch).

    Returns:
        A policy: a callable from states ``(N, 4)`` to forces ``(N,)`` [N].

    Raises:
        ValueError: if ``K`` is not finite.
    """
    try:
        gain = np.asarray(K, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"K must be a real number or an array of them, got {type(K).__name__}") from err
    if gain.ndim > 1:
        raise ValueError(f"K must be a scalar or shaped (N,), got shape {gain.shape}")
    if not np.isfinite(gain).all():
        raise ValueError(f"K must be finite, got {K!r}")

    def policy(states: np.ndarray) -> np.ndarray:
        return gain * states[..., 0]

    policy.gain = gain
    return policy


@dataclass(frozen=True)
class Rollout:
    """A batch of N episodes under the task's rules.

    Attributes:
        states: ``(N, max_steps + 1, 4)``; ``states[:, t]`` is the state before action t.
            After an episode ends its last state is held.
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
        """``(N,)`` bool, the episode lasted all ``max_steps`` steps."""
        return self.lengths == self.rewards.shape[-1]


def check_initial_states(initial_states) -> np.ndarray:
    """Return ``initial_states`` as a float64 ``(N, 4)`` array, or raise ``ValueError``."""
    states = np.asarray(initial_states, dtype=np.float64) if not isinstance(initial_states, np.ndarray) \
        else initial_states.astype(np.float64, copy=False)
    if states.ndim != 2 or states.shape[1] != 4 or states.shape[0] == 0:
        raise ValueError(f"initial_states must have shape (N, 4) with N >= 1, got {states.shape}")
    return _as_state(states, "initial_states")


def check_max_steps(max_steps) -> int:
    if isinstance(max_steps, bool) or not isinstance(max_steps, (int, np.integer)) or max_steps < 1:
        raise ValueError(f"max_steps must be a positive integer, got {max_steps!r}")
    return int(max_steps)


class EpisodeBatch:
    """The task's rules applied to N carts at once, one step at a time.

    ``control.rollout`` and ``evaluate.rollout_dt`` both drive their episodes
    through this class, so the rules live in one place.
    """

    def __init__(self, initial_states: np.ndarray, params: CartPoleParams, max_steps: int):
        n = initial_states.shape[0]
        self.params = params
        self.max_steps = max_steps
        self.states = np.empty((n, max_steps + 1, 4))
        self.states[:, 0] = initial_states
        self.actions = np.zeros((n, max_steps))
        self.rewards = np.zeros((n, max_steps))
        self.lengths = np.zeros(n, dtype=np.int64)
        self.fell = np.zeros(n, dtype=bool)
        self.left_track = np.zeros(n, dtype=bool)
        self.alive = np.ones(n, dtype=bool)
        self.t = 0

    @property
    def done(self) -> bool:
        return self.t >= self.max_steps or not self.alive.any()

    def current(self) -> np.ndarray:
        """``(N, 4)`` states before the next action."""
        return self.states[:, self.t]

    def advance(self, forces: np.ndarray) -> None:
        """Apply ``forces`` ``(N,)`` [N] to the carts still running, and score the step."""
        forces = np.asarray(forces, dtype=np.float64).reshape(-1)
        if not np.isfinite(forces[self.alive]).all():
            raise ValueError("the policy returned a non-finite force")
        t, alive = self.t, self.alive
        forces = np.where(alive, forces, 0.0)
        new = _step(self.states[:, t], forces, self.params)
        self.states[:, t + 1] = np.where(alive[:, None], new, self.states[:, t])
        self.actions[:, t] = forces
        self.rewards[:, t] = alive
        self.lengths += alive
        fell = alive & (np.abs(new[:, 0]) > THETA_LIMIT)
        left = alive & ~fell & (np.abs(new[:, 2]) > X_LIMIT)
        self.fell |= fell
        self.left_track |= left
        self.alive = alive & ~fell & ~left
        self.t += 1

    def result(self) -> Rollout:
        if self.t < self.max_steps:
            self.states[:, self.t + 1:] = self.states[:, self.t:self.t + 1]
        return Rollout(self.states, self.actions, self.rewards, self.lengths, self.fell, self.left_track)


def rollout(policy: Policy, initial_states, params: CartPoleParams = DEFAULT_PARAMS,
            max_steps: int = MAX_STEPS) -> Rollout:
    """Run a batch of episodes at once under the task's rules.

    Args:
        policy: a callable from states ``(N, 4)`` to forces ``(N,)`` [N], e.g. :func:`heuristic`.
        initial_states: ``(N, 4)`` start states.
        params: the physical constants.
        max_steps: the step at which an episode is cut (500 in CartPole-v1).

    Returns:
        A :class:`Rollout` with ``states (N, max_steps+1, 4)``, ``actions``, ``rewards (N, max_steps)``
        and ``lengths (N,)``.

    Raises:
        ValueError: if ``initial_states`` is not a finite ``(N, 4)`` array.
    """
    if not callable(policy):
        raise TypeError(f"policy must be callable, got {type(policy).__name__}")
    episodes = EpisodeBatch(check_initial_states(initial_states), _check_params(params),
                            check_max_steps(max_steps))
    while not episodes.done:
        episodes.advance(policy(episodes.current()))
    return episodes.result()


def random_initial_states(n: int, seed=None, low: float = -0.05, high: float = 0.05) -> np.ndarray:
    """``(n, 4)`` start states drawn uniformly in [low, high] per component, as Gymnasium's reset does.

    ``seed`` is an int or a ``numpy.random.Generator``.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    return rng.uniform(low, high, size=(int(n), 4))
