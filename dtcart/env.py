"""The book's task as a Gymnasium environment with a continuous force.

Importing this module registers :data:`ENV_ID`, so that
``gymnasium.make(ENV_ID)`` builds a :class:`CartPoleEnv`; any library written
for Gymnasium (stable-baselines3 in :mod:`dtcart.online`) can then learn it.

The rules are not written again here: each :meth:`CartPoleEnv.step` advances
a one-cart :class:`dtcart.control.EpisodeBatch`, the class behind
:func:`dtcart.control.rollout`, so an episode played through the environment
is the episode ``rollout`` plays under the same forces, bit for bit.
"""

from __future__ import annotations

import gymnasium
import numpy as np
from gymnasium import spaces

from .checks import (
    check_max_steps,
    check_params,
    check_state,
    finite_array,
    require,
)
from .control import MAX_STEPS, THETA_LIMIT, X_LIMIT, EpisodeBatch
from .physics import DEFAULT_PARAMS, CartPoleParams

ENV_ID = "dtcart/CartPole-v0"
FORCE_LIMIT = 10.0  # N, Gymnasium's force_mag: the largest push allowed
START_LIMIT = 0.05  # reset draws each component uniformly in +-START_LIMIT

# Gymnasium's CartPole bounds, in our order [theta, theta_dot, x, x_dot]:
# twice the limits on theta and x (an episode ends just past a limit; from
# the starts reset draws, forces of at most 10 N never reach twice it), and
# "unbounded" velocities (float32's largest, as Gymnasium).
_BIG = float(np.finfo(np.float32).max)
_OBS_HIGH = np.array([2 * THETA_LIMIT, _BIG, 2 * X_LIMIT, _BIG])


class CartPoleEnv(gymnasium.Env):
    """The cart-pole task of the book as a Gymnasium environment.

    Observation: the exact state ``[theta, theta_dot, x, x_dot]`` in rad,
    rad/s, m and m/s, float64 ``(4,)``, no cast. Action: the force on the cart
    [N], shaped ``(1,)``, in ``[-FORCE_LIMIT, FORCE_LIMIT]``; a force beyond
    that range is clipped to it, a force within it is applied as given (in
    float64). Reward: +1.0 for every step taken, the terminating one included.

    ``terminated`` after a step that leaves |theta| > 12 degrees (``fell``) or
    |x| > 2.4 m (``left_track``); ``truncated`` after ``max_steps`` steps that
    did not. These are :func:`dtcart.control.rollout`'s rules, applied by the
    same code. ``info`` holds the bools ``fell`` and ``left_track``.

    Args:
        params: the physical constants.
        max_steps: the step at which an episode is truncated.

    Raises:
        TypeError: if ``params`` is not a :class:`CartPoleParams`.
        ValueError: if ``max_steps`` is not a positive integer.
    """

    metadata = {"render_modes": []}

    def __init__(self, params: CartPoleParams = DEFAULT_PARAMS,
                 max_steps: int = MAX_STEPS):
        self.params, self.max_steps = check_params(params), check_max_steps(max_steps)
        self.observation_space = spaces.Box(-_OBS_HIGH, _OBS_HIGH,
                                            dtype=np.float64)
        self.action_space = spaces.Box(-FORCE_LIMIT, FORCE_LIMIT, shape=(1,),
                                       dtype=np.float32)
        self._episode = None  # an EpisodeBatch of one cart, from reset()

    def reset(self, *, seed: int | None = None,
              options: dict | None = None) -> tuple[np.ndarray, dict]:
        """Start an episode; return ``(observation, {})``.

        The start is drawn uniformly in +-0.05 per component from
        ``self.np_random`` (Gymnasium's start distribution; for a ``seed`` it
        is ``control.random_initial_states(1, seed)[0]``), unless
        ``options={"state": s}`` gives it: a finite ``(4,)`` state within
        :attr:`observation_space`.

        Raises:
            ValueError: if ``options`` has another key, or
                ``options["state"]`` is not such a state.
        """
        super().reset(seed=seed)
        options = {} if options is None else options
        require(isinstance(options, dict) and (not set(options) - {"state"}),
                f"options must be None or a dict with at most the key 'state', got {options!r}")
        if "state" in options:
            start = _check_start(options["state"])
        else:
            start = self.np_random.uniform(-START_LIMIT, START_LIMIT, (4,))
        self._episode = EpisodeBatch._unchecked(start[None], self.params,
                                              self.max_steps)
        return self._episode.current()[0], {}

    def step(self, action) -> tuple[np.ndarray, float, bool, bool, dict]:
        """Push the cart with ``action`` (a force [N], shaped ``(1,)``) for
        one time step; return ``(observation, reward, terminated, truncated,
        info)``.

        Raises:
            ValueError: if ``action`` is not one finite force.
            TypeError: if ``action`` is not a number.
            RuntimeError: before :meth:`reset`, or after the episode ended.
        """
        episode = self._episode
        require(episode is not None and not episode.done,
                "step() needs a running episode: call reset()", RuntimeError)
        episode.advance(_check_action(action))
        fell, left = bool(episode.fell[0]), bool(episode.left_track[0])
        terminated = fell or left
        truncated = episode.done and not terminated
        info = {"fell": fell, "left_track": left}
        return episode.current()[0], 1.0, terminated, truncated, info


def _check_start(state) -> np.ndarray:
    """``options["state"]`` as a float64 ``(4,)`` copy, or raise."""
    name = 'options["state"]'
    start = np.array(check_state(state, name, single=True))
    require((np.abs(start) <= _OBS_HIGH).all(), f"{name} must lie within the observation space "
            f"(|theta| <= {_OBS_HIGH[0]:.4f} rad, |x| <= {_OBS_HIGH[2]} m), got {start}")
    return start


def _check_action(action) -> np.ndarray:
    """``action`` as a float64 ``(1,)`` force clipped to +-FORCE_LIMIT, or
    raise naming ``action``."""
    force = finite_array(action, "action", "one finite force [N], (1,)", lambda a: a.size == 1)
    return np.clip(force.reshape(1), -FORCE_LIMIT, FORCE_LIMIT)


if ENV_ID not in gymnasium.registry:
    # no max_episode_steps: make() adds no TimeLimit, the env truncates itself
    gymnasium.register(ENV_ID, entry_point="dtcart.env:CartPoleEnv")
