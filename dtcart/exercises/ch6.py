"""Chapter 6's exercises: a late controller without a transformer (6.1), the
copy coefficient by hand (6.2), asking for nothing (6.3), and a calibrated
dial (6.4)."""

from __future__ import annotations

import numpy as np

from .. import control
from ..checks import check_type
from ..evaluate import copy_coefficient, rollout_dt
from ..model import DecisionTransformer
from .harness import Wrong, as_function, as_number, call, exercise, is_number

__all__ = ["LAG_GAIN", "LAG_GRID", "calibrated_target", "check_exercise_6_1",
           "check_exercise_6_2", "check_exercise_6_3", "check_exercise_6_4",
           "lagged_heuristic", "largest_holding_lag", "zero_target_return"]

LAG_GAIN = 24.0  # N/rad, exercises 6.1 and 6.2
LAG_GRID = 0.05  # the copy shares c of exercise 6.1 are multiples of this


def lagged_heuristic(c, K=LAG_GAIN):
    """Exercise 6.1: a policy that copies a share ``c`` of its previous force,
    u_t = c u_(t-1) + (1 - c) K theta_t; ``c`` a number or one per cart (N,).
    It remembers its last forces, so use a fresh one for every rollout."""
    last = 0.0

    def policy(states):
        nonlocal last
        last = c * last + (1 - c) * K * states[:, 0]
        return last

    return policy


def _eval_starts():
    """Chapter 6's 60 evaluation starts (seed 777)."""
    return control.random_initial_states(60, seed=777)


def _lag_holds(c, starts) -> bool:
    run = control.rollout(lagged_heuristic(c), starts)
    return bool(run.solved.all())


def largest_holding_lag(starts=None):
    """Exercise 6.1: the largest multiple of 0.05 that, as the copy share c of
    :func:`lagged_heuristic`, still keeps every start (default: Chapter 6's
    60) for 500 steps: all shares 0, 0.05, ..., 0.95 at once, as one batch."""
    starts = _eval_starts() if starts is None else starts
    shares = np.arange(20) * LAG_GRID
    run = control.rollout(lagged_heuristic(np.repeat(shares, len(starts))),
                          np.tile(starts, (len(shares), 1)))
    holds = run.solved.reshape(len(shares), len(starts)).all(axis=1)
    return round(float(shares[np.argmin(holds) - 1]), 2)


@exercise
def check_exercise_6_1(c_max) -> str:
    """Exercise 6.1: the largest copy share c (a multiple of 0.05) with which
    u_t = c u_(t-1) + (1 - c) 24 theta_t holds Chapter 6's 60 starts."""
    c_max = as_number(c_max, "largest copy share c")
    if not 0 <= c_max < 1 or abs(c_max / LAG_GRID - round(c_max / LAG_GRID)) \
            > 1e-9:
        raise Wrong(f"c = {c_max:g} is not one of 0, 0.05, ..., 0.95")
    starts = _eval_starts()
    if not _lag_holds(c_max, starts):
        raise Wrong(f"copying c = {c_max:g} of the last force, not all 60 "
                    f"starts (seed 777) last 500 steps: c must be smaller")
    above = round(c_max + LAG_GRID, 2)
    if above < 1 and _lag_holds(above, starts):
        raise Wrong(f"c = {above:g} still holds all 60 starts (seed 777), "
                    f"so {c_max:g} is not the largest")
    return (f"c = {c_max:g} holds all 60 starts and c = {above:g} does not: "
            f"a controller that leans on its last force is a late one")


def _lag_runs():
    """Rollouts to fit: the lagged heuristic at c = 0.3 (every episode lasts
    500 steps) and at c = 0.6 (episodes of different lengths)."""
    starts = _eval_starts()[:20]
    return {c: control.rollout(lagged_heuristic(c), starts)
            for c in (0.3, 0.6)}


@exercise
def check_exercise_6_2(my_copy_coefficient) -> str:
    """Exercise 6.2: ``my_copy_coefficient(run)`` is c of the least-squares
    fit a_t = c a_(t-1) + k theta_t over the steps each episode took."""
    fn = as_function(my_copy_coefficient, "my_copy_coefficient")
    for c, run in _lag_runs().items():
        shown = (f"my_copy_coefficient(run) on 20 episodes of the lagged "
                 f"heuristic with c = {c} (lengths {run.lengths.min()} to "
                 f"{run.lengths.max()})")
        got = call(fn, (run,), shown)
        expected = copy_coefficient(run)
        try:
            got = float(got)
        except (TypeError, ValueError) as err:
            raise Wrong(f"{shown} returned {type(got).__name__}, not a "
                        f"number") from err
        if not abs(got - expected) < 1e-6:
            raise Wrong(f"{shown} returned {got:.6g}, expected "
                        f"{expected:.6g} (only steps 1 .. length - 1 of each "
                        f"episode count)")
    return ("your fit matches evaluate.copy_coefficient, on episodes that all "
            "last 500 steps and on episodes that end early")


def zero_target_return(model, starts=None):
    """Exercise 6.3: the mean return [steps] ``model`` achieves on the starts
    (default: Chapter 6's 60) when it is asked for a return of 0."""
    starts = _eval_starts() if starts is None else starts
    return float(rollout_dt(model, 0.0, starts).returns.mean())


@exercise
def check_exercise_6_3(mean_return, model) -> str:
    """Exercise 6.3: the predicted mean return of ``model`` on Chapter 6's 60
    starts when asked for 0 (within 20%)."""
    mean_return = as_number(mean_return, "predicted mean return [steps]")
    check_type(model, DecisionTransformer, "model")
    measured = zero_target_return(model)
    if not abs(mean_return - measured) <= 0.2 * measured:
        raise Wrong(f"you predicted {mean_return:.4g} steps; asked for 0, "
                    f"the model's episodes from the 60 starts (seed 777) "
                    f"last {measured:.4g} steps on average (within 20% "
                    f"needed)")
    return (f"you predicted {mean_return:.4g} steps; asked for 0, the model's "
            f"episodes last {measured:.4g} steps on average")


def calibrated_target(wanted, targets, achieved):
    """Exercise 6.4: the target return to ask for so that the mean achieved
    return is ``wanted`` [steps]: the measured curve, mean achieved against
    target, read backwards by linear interpolation. ``targets`` (G,) were
    each played from N starts, ``achieved`` (G, N); the means must rise with
    the target."""
    means = np.mean(achieved, axis=1)  # (G,): one mean per target
    return float(np.interp(wanted, means, targets))


# Exercise 6.4's dials: targets (G,), achieved (G, N) and the wanted returns.
# The starts' spread is lopsided (its median is not its mean), and the first
# dial falls short of its targets, the second overshoots them.
_SPREAD = np.array([-40.0, 0.0, 5.0, 10.0, 25.0])
_DIALS = (
    (np.array([100.0, 200.0, 300.0, 400.0]),
     np.array([90.0, 180.0, 290.0, 395.0])[:, None] + _SPREAD, (120.0, 250.0)),
    (np.array([50.0, 150.0, 250.0]),
     np.array([70.0, 160.0, 240.0])[:, None] + _SPREAD[::-1], (100.0, 240.0)),
)


@exercise
def check_exercise_6_4(my_calibrated_target) -> str:
    """Exercise 6.4: ``my_calibrated_target(wanted, targets, achieved)``, the
    target at which the mean achieved return, interpolated linearly between
    the ``targets`` played, is ``wanted``."""
    fn = as_function(my_calibrated_target, "my_calibrated_target")
    for targets, achieved, wanted_returns in _DIALS:
        means = achieved.mean(axis=1)
        for wanted in wanted_returns:
            shown = (f"my_calibrated_target({wanted:g}, targets "
                     f"{targets.tolist()}, achieved of shape "
                     f"{achieved.shape} with means {means.tolist()})")
            got = call(fn, (wanted, targets.copy(), achieved.copy()), shown)
            if not (is_number(got) or getattr(got, "shape", None) == ()):
                raise Wrong(f"{shown} returned {type(got).__name__}, not a "
                            f"number")
            expected = np.interp(wanted, means, targets)
            if not abs(float(got) - expected) < 1e-6:
                raise Wrong(f"{shown} returned {float(got):.6g}, expected "
                            f"{expected:.6g}: the target whose mean achieved "
                            f"return, read off the line between the two "
                            f"targets around it, is {wanted:g}")
    return ("your dial reads the curve backwards: on a dial that falls short "
            "and on one that overshoots, it names the target that achieves "
            "the return wanted")
