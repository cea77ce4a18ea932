"""Chapter 2's exercises: a log in thirds (2.1), a lighter pole (2.2),
damping (2.3), and a controller that brings the cart home (2.4)."""

from __future__ import annotations

import numpy as np

from .. import control, data, physics
from .harness import Wrong, as_function, as_number, call, exercise, is_number

__all__ = ["CENTRING_GAINS", "DAMPING", "LIGHT_POLE", "MIX_TOLERANCE",
           "balanced_gain_range", "centring_controller", "check_exercise_2_1",
           "check_exercise_2_2", "check_exercise_2_3", "check_exercise_2_4",
           "return_mix", "smallest_holding_gain"]

MIX_TOLERANCE = 0.05  # exercise 2.1: each kind within this of a third
BOOK_GAINS = (14.0, 26.0)  # N/rad, data.make_dataset's default gain_range


def return_mix(returns):
    """Shares of short failures (return below 100), middling episodes (100 to
    499) and solved ones (500) among ``returns`` (N,) [steps], as Chapter 2
    counts them."""
    try:
        returns = np.asarray(returns, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError("returns must be an (N,) array of numbers") from err
    if returns.ndim != 1 or returns.size == 0:
        raise ValueError(f"returns must be a non-empty (N,) array, got shape "
                         f"{returns.shape}")
    return np.array([np.mean(returns < 100),
                     np.mean((returns >= 100) & (returns < 500)),
                     np.mean(returns >= 500)])


def balanced_gain_range(returns, gain_range=BOOK_GAINS):
    """Exercise 2.1: a gain range [N/rad] whose log holds about as many short
    failures as middling and solved episodes, read off ``returns``, a log
    played with gains drawn uniformly from ``gain_range``."""
    low, high = gain_range
    short, middling, solved = return_mix(returns)
    # uniform gains: a kind's share is its stretch of gains / the range
    falls_below = low + short * (high - low)  # short failures below this K
    holds_above = high - solved * (high - low)  # solved episodes above it
    width = holds_above - falls_below  # the middling stretch
    return falls_below - width, holds_above + width  # three equal stretches


def _gain_range(answer) -> tuple:
    """``answer`` as a pair of numbers; anything else is a misuse."""
    if not (isinstance(answer, (tuple, list)) and len(answer) == 2
            and all(is_number(g) for g in answer)):
        raise TypeError(f"gain_range must be a pair (low, high) of gains "
                        f"[N/rad], got {answer!r}")
    return float(answer[0]), float(answer[1])


@exercise
def check_exercise_2_1(gain_range) -> str:
    """Exercise 2.1: ``gain_range`` (low, high) [N/rad] for which
    ``data.make_dataset(gain_range=...)`` logs short failures, middling and
    solved episodes each within 5 percentage points of a third."""
    low, high = _gain_range(gain_range)
    shown = f"data.make_dataset(gain_range=({low:g}, {high:g}))"
    ds = call(lambda: data.make_dataset(gain_range=(low, high)), (), shown)
    mix = return_mix(ds.returns)
    said = (f"with gains from {low:.4g} to {high:.4g} N/rad the 1000 "
            f"episodes (seed 0) are {mix[0]:.0%} short failures, "
            f"{mix[1]:.0%} middling and {mix[2]:.0%} solved")
    if np.abs(mix - 1 / 3).max() > MIX_TOLERANCE:
        raise Wrong(f"{said}; each kind should make up "
                    f"{1 / 3 - MIX_TOLERANCE:.0%} to "
                    f"{1 / 3 + MIX_TOLERANCE:.0%}")
    return f"{said}: a log in thirds"


def _fall_threshold(params, starts, grid):
    """The gain where the share of ``starts`` that fall crosses one half,
    interpolated on ``grid`` as in Chapter 2's sweep."""
    fell = control.gain_sweep(grid, starts, params).fell
    j = int(np.argmax(fell < 0.5))
    if j == 0:
        return float(grid[0])
    return float(np.interp(0.5, fell[[j, j - 1]], grid[[j, j - 1]]))


LIGHT_POLE = physics.CartPoleParams(pole_mass=0.5)  # exercise 2.2


@exercise
def check_exercise_2_2(k_star) -> str:
    """Exercise 2.2: the critical gain [N/rad] for a 0.5 kg pole, checked by a
    gain sweep like Chapter 2's."""
    k_star = as_number(k_star, "critical gain K* [N/rad]")
    truth = control.critical_gain(LIGHT_POLE)
    grid = np.round(np.arange(0.9 * truth, 1.1 * truth, 0.1), 2)
    starts = control.random_initial_states(100, seed=0)
    measured = _fall_threshold(LIGHT_POLE, starts, grid)
    if abs(k_star / measured - 1) > 0.03:
        raise Wrong(f"you predicted K* = {k_star:.4g} N/rad; with a 0.5 kg "
                    f"pole, half of 100 random starts fall at K = "
                    f"{measured:.2f} N/rad (within 3% needed)")
    return (f"you predicted K* = {k_star:.4g} N/rad; in a sweep, half of 100 "
            f"starts fall at K = {measured:.2f} N/rad")


DAMPING = 1.0  # N s/rad, exercise 2.3


def _holds_all(K, D, starts) -> bool:
    """Whether u = K theta + D theta_dot keeps every start 500 steps."""
    policy = lambda s: K * s[:, 0] + D * s[:, 1]  # noqa: E731
    return bool(control.rollout(policy, starts).solved.all())


def smallest_holding_gain(D=DAMPING, starts=None, low=19.6, high=40.0):
    """Exercise 2.3: the smallest K, to 0.1 N/rad, with which u = K theta +
    D theta_dot keeps every start (default: Chapter 2's 200) up and on the
    track for 500 steps; a bisection between ``low`` and ``high``, which
    assumes that every gain above the answer holds too."""
    if starts is None:
        starts = control.random_initial_states(200, seed=0)
    low, high = round(low * 10), round(high * 10)  # in units of 0.1 N/rad
    while high - low > 1:
        middle = (low + high) // 2
        if _holds_all(middle / 10, D, starts):
            high = middle
        else:
            low = middle
    return high / 10


@exercise
def check_exercise_2_3(k_min) -> str:
    """Exercise 2.3: the smallest gain K [N/rad] (to 0.1) with which u = K theta
    + 1.0 theta_dot holds all 200 of Chapter 2's starts for 500 steps."""
    k_min = round(as_number(k_min, "smallest gain K [N/rad]"), 1)
    starts = control.random_initial_states(200, seed=0)
    if not _holds_all(k_min, DAMPING, starts):
        raise Wrong(f"with K = {k_min:g} and D = {DAMPING:g}, not all 200 "
                    f"starts (seed 0) last 500 steps: K must be larger")
    if _holds_all(k_min - 0.1, DAMPING, starts):
        raise Wrong(f"K = {k_min - 0.1:.1f} (with D = {DAMPING:g}) already "
                    f"holds all 200 starts (seed 0), so {k_min:g} is not the "
                    f"smallest")
    return (f"K = {k_min:g} holds all 200 starts with D = {DAMPING:g} and "
            f"{k_min - 0.1:.1f} does not")


#: Exercise 2.4: gains on (theta, theta_dot, x, x_dot) [N/rad, N s/rad, N/m,
#: N s/m]; the cart's terms have the sign of the pole's, and are small.
CENTRING_GAINS = (30.0, 5.0, 1.0, 1.0)


def centring_controller(states):
    """Exercise 2.4: u = k . s, states (N, 4) -> forces (N,) [N], with the
    gains ``CENTRING_GAINS``. To bring the cart back toward -x the pole must
    first lean toward -x, so the cart is first pushed toward +x: the x terms
    have the sign of the theta term."""
    return states @ np.array(CENTRING_GAINS)


def _centring_starts():
    """Chapter 2's 200 starts, every other one moved to x = +1 m, the rest to
    x = -1 m."""
    starts = control.random_initial_states(200, seed=0)
    starts[:, 2] += np.where(np.arange(200) % 2, 1.0, -1.0)
    return starts


@exercise
def check_exercise_2_4(policy) -> str:
    """Exercise 2.4: a policy, states (N, 4) -> forces (N,), that keeps every
    start 1 m off centre up for 500 steps and brings the cart back to within
    0.1 m of the centre."""
    fn = as_function(policy, "policy")
    starts = _centring_starts()
    run = call(control.rollout, (fn, starts),
               "control.rollout(policy, starts)")
    if not run.solved.all():
        i = int(np.argmin(run.solved))
        how = "the pole fell" if run.fell[i] else "the cart left the track"
        raise Wrong(f"{np.sum(~run.solved)} of 200 starts 1 m off centre "
                    f"did not last 500 steps; from start {i} "
                    f"{np.round(starts[i], 3).tolist()} {how} after "
                    f"{run.lengths[i]} steps")
    final = np.abs(run.states[:, -1, 2])
    if final.max() > 0.1:
        raise Wrong(f"every start lasted 500 steps, but {np.sum(final > 0.1)}"
                    f" of 200 carts end more than 0.1 m from the centre "
                    f"(worst: {final.max():.2f} m)")
    return (f"all 200 starts 1 m off centre last 500 steps and end within "
            f"{final.max():.3f} m of the centre")
