"""Checks for the exercises at the end of each chapter, and their reference
solutions.

Every check is ``check_exercise_C_N(answer, ...)`` for exercise N of chapter C.
It prints one line, ``PASS: ...`` or ``FAIL: ...``, saying what was expected on
which input, and returns True or False. A wrong answer never raises: an answer
that raises, or returns the wrong shape or type, is a FAIL that quotes the
error. Only a misuse of the check itself (a number where a function is
expected, say) raises ``TypeError`` or ``ValueError``. A prediction left at
``None`` is a FAIL that gives nothing away.

Chapters 1 and 2 do not use torch, so this module imports it (and the
modules that need it) only inside the checks of Chapters 3 to 7.

The reference solutions (``hinge_friction_accelerations``, ...) are what the
chapters' collapsed solution cells show and what the tests feed the checks.
"""

from __future__ import annotations

import functools
import math
import sys
import textwrap

import numpy as np

from . import control, data, physics
from .physics import DEFAULT_PARAMS

# The API is the checks. The reference solutions below them are what the
# chapters' solution cells show and the tests feed the checks; they take the
# reader's arguments and validate nothing a check does not.
__all__ = [f"check_exercise_{c}_{n}" for c, n in (
    (1, 1), (1, 2), (2, 1), (2, 2), (2, 3), (2, 4), (3, 1), (3, 2), (3, 3),
    (4, 1), (4, 2), (4, 3), (5, 1), (5, 2), (5, 3), (6, 1), (6, 2), (6, 3),
    (7, 1), (7, 2))]


class _Wrong(Exception):
    """Raised inside a check when the answer is wrong; the message says why."""


def _exercise(check):
    """Turn a check that returns a PASS message or raises ``_Wrong`` into one
    that prints PASS/FAIL and returns True/False."""

    @functools.wraps(check)
    def run(*args, **kwargs):
        try:
            message = check(*args, **kwargs)
        except _Wrong as wrong:
            _say("FAIL", str(wrong))
            return False
        _say("PASS", message)
        return True

    return run


def _say(verdict: str, message: str) -> None:
    """Print the verdict and its message, long lines wrapped to 72 columns
    (what a solution cell of the rendered book shows without scrolling)."""
    lines = f"{verdict}: {message}".splitlines()
    print("\n".join(textwrap.fill(line, 72, subsequent_indent="  ")
                    for line in lines))


def _function(answer, name: str):
    """``answer`` if it is callable; a misuse of the check otherwise."""
    if not callable(answer):
        raise TypeError(f"{name} must be a function, got "
                        f"{type(answer).__name__}")
    return answer


def _call(fn, args: tuple, call: str):
    """``fn(*args)``; any exception the reader's code raises is a FAIL."""
    try:
        return fn(*args)
    except Exception as err:  # the reader's code: any error is a wrong answer
        raise _Wrong(f"{call} raised {type(err).__name__}: {err}") from err


def _array(value, shape: tuple, call: str, dtype=np.float64) -> np.ndarray:
    """``value`` as an array of ``shape``; a wrong type or shape is a FAIL."""
    torch = sys.modules.get("torch")  # a tensor means torch is imported
    if torch is not None and isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as err:
        raise _Wrong(f"{call} returned {type(value).__name__}, not an array "
                     f"of numbers") from err
    if array.shape != shape:
        raise _Wrong(f"{call} returned shape {array.shape}, expected {shape}")
    return array


def _number(answer, name: str) -> float:
    """A prediction as a float; None (not answered yet) or NaN is a FAIL."""
    if answer is None:
        raise _Wrong(f"no answer yet: replace None by your {name}")
    if isinstance(answer, bool) or not isinstance(
            answer, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got "
                        f"{type(answer).__name__}")
    if not math.isfinite(answer):
        raise _Wrong(f"your {name} is {answer!r}, not a finite number")
    return float(answer)


def _close(got, expected, call: str, atol: float) -> None:
    """FAIL unless ``got`` matches ``expected`` to ``atol`` everywhere."""
    wrong = ~np.isclose(got, expected, rtol=0, atol=atol)
    if wrong.any():
        i = tuple(int(k) for k in np.unravel_index(np.argmax(wrong),
                                                   wrong.shape))
        shown = f"; expected\n{expected}" if expected.size <= 12 else ""
        raise _Wrong(f"{call}: entry {i} is {got[i]:.6g}, expected "
                     f"{expected[i]:.6g} (to {atol:g}){shown}")


# Chapter 1

HINGE_FRICTION = 0.05  # N m s/rad, exercises 1.1 and 1.2


def hinge_friction_accelerations(state, force, friction,
                                 params=DEFAULT_PARAMS):
    """(theta_ddot, x_ddot) with a viscous torque -friction * theta_dot [N m]
    at the hinge: the frictionless accelerations plus the torque's share.
    ``state`` is (..., 4), ``force`` [N], ``friction`` [N m s/rad]."""
    theta_acc, x_acc = physics.accelerations(state, force, params)
    theta, theta_dot = np.asarray(state)[..., 0], np.asarray(state)[..., 1]
    m, l, total = params.pole_mass, params.half_length, params.total_mass
    cos = np.cos(theta)
    # the torque enters the pole's row of eq-ch1-mass-matrix; solved again:
    extra = -friction * theta_dot / (m * l * l * (4 / 3 - m * cos**2 / total))
    return theta_acc + extra, x_acc - m * l * cos * extra / total


def _solved_with_friction(state, force, friction, p=DEFAULT_PARAMS):
    """The same accelerations by a direct solve of the 2x2 system."""
    m, l = p.pole_mass, p.half_length
    theta, theta_dot = state[..., 0], state[..., 1]
    mass = np.empty(theta.shape + (2, 2))
    mass[..., 0, 0], mass[..., 1, 1] = p.total_mass, 4 / 3 * m * l**2
    mass[..., 0, 1] = mass[..., 1, 0] = m * l * np.cos(theta)
    rhs = np.stack([force + m * l * theta_dot**2 * np.sin(theta),
                    m * p.gravity * l * np.sin(theta)
                    - friction * theta_dot], axis=-1)
    x_acc, theta_acc = np.moveaxis(np.linalg.solve(mass, rhs[..., None])[
        ..., 0], -1, 0)
    return theta_acc, x_acc


@_exercise
def check_exercise_1_1(friction_accelerations) -> str:
    """Exercise 1.1: ``friction_accelerations(state, force, friction)`` returns
    (theta_ddot, x_ddot) with a torque -friction * theta_dot at the hinge."""
    fn = _function(friction_accelerations, "friction_accelerations")
    rng = np.random.default_rng(11)
    states, forces = rng.uniform(-2, 2, (20, 4)), rng.uniform(-10, 10, 20)
    for friction in (0.0, 0.3):
        call = f"friction_accelerations(states, forces, {friction})"
        result = _call(fn, (states.copy(), forces, friction), call)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise _Wrong(f"{call} must return a pair (theta_ddot, x_ddot), "
                         f"got {type(result).__name__}")
        expected = _solved_with_friction(states, forces, friction)
        for got, want, name in zip(result, expected, ("theta_ddot", "x_ddot")):
            got = _array(got, (20,), f"{call}'s {name}")
            _close(got, want, f"{call}'s {name} on 20 random states "
                   f"(seed 11)", atol=1e-9)
    return ("your accelerations agree with a direct solve of the mass-matrix "
            "system, with and without friction, on 20 random states")


def predicted_friction_rate():
    """Exercise 1.2: the rate [1/s] at which the swing energy of the hanging
    pole decays, E(t) ~ E(0) exp(-rate t), under the hinge friction
    HINGE_FRICTION, with the book's constants.

    Near the bottom the pole obeys l_eff phi'' = -g phi - friction phi' / (m l)
    (phi = theta - pi, l_eff as in eq-ch1-linear-gain), a damped oscillator
    whose energy decays at twice its amplitude's rate."""
    m, l = DEFAULT_PARAMS.pole_mass, DEFAULT_PARAMS.half_length
    l_eff = l * (4 / 3 - m / DEFAULT_PARAMS.total_mass)
    return HINGE_FRICTION / (m * l * l_eff)


@functools.lru_cache(maxsize=None)
def _measured_friction_rate(swing=0.1, seconds=10.0, dt=0.002):
    """The decay rate [1/s] of E + m g l (the swing's energy) for the pole
    released at ``swing`` rad from hanging, with HINGE_FRICTION: the slope of
    log energy, fitted over ``seconds`` of semi-implicit Euler steps of
    ``dt`` (ten times finer than the book's, so the integrator's own drift
    is negligible)."""
    friction = HINGE_FRICTION
    p = physics.CartPoleParams(dt=dt)
    state = np.array([math.pi + swing, 0.0, 0.0, 0.0])
    energies = [physics.energy(state, p)]
    for _ in range(round(seconds / dt)):
        theta_acc, x_acc = hinge_friction_accelerations(state, 0.0,
                                                        friction, p)
        state = state + dt * np.array([0.0, theta_acc, 0.0, x_acc])
        state[[0, 2]] += dt * state[[1, 3]]
        energies.append(physics.energy(state, p))
    swing_energy = np.array(energies) + p.pole_mass * p.gravity * p.half_length
    times = np.arange(len(energies)) * dt
    return -np.polyfit(times, np.log(swing_energy), 1)[0]


@_exercise
def check_exercise_1_2(rate) -> str:
    """Exercise 1.2: the predicted decay rate [1/s] of the swing energy of the
    hanging pole under a hinge friction of 0.05 N m s/rad."""
    rate = _number(rate, "predicted decay rate [1/s]")
    measured = _measured_friction_rate()
    if abs(rate / measured - 1) > 0.05:
        raise _Wrong(f"you predicted {rate:.4g} 1/s; the simulated pole, "
                     f"released 0.1 rad from hanging with a hinge friction of "
                     f"{HINGE_FRICTION} N m s/rad, loses its swing energy at "
                     f"{measured:.4g} 1/s (within 5% needed)")
    return (f"you predicted {rate:.4g} 1/s; the simulation measures "
            f"{measured:.4g} 1/s")


# Chapter 2

@_exercise
def check_exercise_2_1(my_returns_to_go) -> str:
    """Exercise 2.1: ``my_returns_to_go(rewards)`` along the last axis."""
    fn = _function(my_returns_to_go, "my_returns_to_go")
    cases = (np.array([1.0, 1.0, 1.0, 0.0, 0.0]),
             np.array([0.5, -1.0, 2.0, 3.0]),
             np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0]]))
    for rewards in cases:
        call = f"my_returns_to_go({rewards.tolist()})"
        got = _array(_call(fn, (rewards.copy(),), call), rewards.shape, call)
        _close(got, data.returns_to_go(rewards), call, atol=1e-12)
    return ("your returns-to-go match data.returns_to_go on a padded "
            "episode, rewards that are not all 1, and a batch of two")


def _fall_threshold(params, starts, grid):
    """The gain where the share of ``starts`` that fall crosses one half,
    interpolated on ``grid`` as in Chapter 2's sweep."""
    fell = control.gain_sweep(grid, starts, params).fell
    j = int(np.argmax(fell < 0.5))
    if j == 0:
        return float(grid[0])
    return float(np.interp(0.5, fell[[j, j - 1]], grid[[j, j - 1]]))


LIGHT_POLE = physics.CartPoleParams(pole_mass=0.5)  # exercise 2.2


@_exercise
def check_exercise_2_2(k_star) -> str:
    """Exercise 2.2: the critical gain [N/rad] for a 0.5 kg pole, checked by a
    gain sweep like Chapter 2's."""
    k_star = _number(k_star, "critical gain K* [N/rad]")
    truth = control.critical_gain(LIGHT_POLE)
    grid = np.round(np.arange(0.9 * truth, 1.1 * truth, 0.1), 2)
    starts = control.random_initial_states(100, seed=0)
    measured = _fall_threshold(LIGHT_POLE, starts, grid)
    if abs(k_star / measured - 1) > 0.03:
        raise _Wrong(f"you predicted K* = {k_star:.4g} N/rad; with a 0.5 kg "
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


@_exercise
def check_exercise_2_3(k_min) -> str:
    """Exercise 2.3: the smallest gain K [N/rad] (to 0.1) with which u = K theta
    + 1.0 theta_dot holds all 200 of Chapter 2's starts for 500 steps."""
    k_min = round(_number(k_min, "smallest gain K [N/rad]"), 1)
    starts = control.random_initial_states(200, seed=0)
    if not _holds_all(k_min, DAMPING, starts):
        raise _Wrong(f"with K = {k_min:g} and D = {DAMPING:g}, not all 200 "
                     f"starts (seed 0) last 500 steps: K must be larger")
    if _holds_all(k_min - 0.1, DAMPING, starts):
        raise _Wrong(f"K = {k_min - 0.1:.1f} (with D = {DAMPING:g}) already "
                     f"holds all 200 starts (seed 0), so {k_min:g} is not the "
                     f"smallest")
    return (f"K = {k_min:g} holds all 200 starts with D = {DAMPING:g} and "
            f"{k_min - 0.1:.1f} does not")


#: Exercise 2.4: gains on (theta, theta_dot, x, x_dot), placing the four
#: poles of the linearised closed loop within 0.02 of -1, -1.5, -2, -2.5 1/s.
CENTRING_GAINS = (34.817, 6.925, 0.638, 1.637)


def centring_controller(states):
    """Exercise 2.4: u = k . s, states (N, 4) -> forces (N,) [N]. The x terms
    have the sign of the theta term: to bring the cart back toward -x the
    pole must first lean toward -x, so the cart is first pushed toward +x."""
    return states @ np.array(CENTRING_GAINS)


def _centring_starts():
    """Chapter 2's 200 starts, every other one moved to x = +1 m, the rest to
    x = -1 m."""
    starts = control.random_initial_states(200, seed=0)
    starts[:, 2] += np.where(np.arange(200) % 2, 1.0, -1.0)
    return starts


@_exercise
def check_exercise_2_4(policy) -> str:
    """Exercise 2.4: a policy, states (N, 4) -> forces (N,), that keeps every
    start 1 m off centre up for 500 steps and brings the cart back to within
    0.1 m of the centre."""
    fn = _function(policy, "policy")
    starts = _centring_starts()
    run = _call(control.rollout, (fn, starts),
                "control.rollout(policy, starts)")
    if not run.solved.all():
        i = int(np.argmin(run.solved))
        how = "the pole fell" if run.fell[i] else "the cart left the track"
        raise _Wrong(f"{np.sum(~run.solved)} of 200 starts 1 m off centre "
                     f"did not last 500 steps; from start {i} "
                     f"{np.round(starts[i], 3).tolist()} {how} after "
                     f"{run.lengths[i]} steps")
    final = np.abs(run.states[:, -1, 2])
    if final.max() > 0.1:
        raise _Wrong(f"every start lasted 500 steps, but {np.sum(final > 0.1)}"
                     f" of 200 carts end more than 0.1 m from the centre "
                     f"(worst: {final.max():.2f} m)")
    return (f"all 200 starts 1 m off centre last 500 steps and end within "
            f"{final.max():.3f} m of the centre")


# Chapter 3

@_exercise
def check_exercise_3_1(my_softmax) -> str:
    """Exercise 3.1: ``my_softmax(x)`` along the last axis, stable for large
    logits, weight 0 for -inf."""
    from .attention import softmax

    fn = _function(my_softmax, "my_softmax")
    cases = (np.array([1.0, 2.0, 3.0]), np.array([1000.0, 999.0, -1000.0]),
             np.array([-np.inf, 0.0, 1.0]),
             np.array([[1.0, 1.0, 1.0, 1.0], [0.0, 10.0, 20.0, 30.0]]))
    for x in cases:
        call = f"my_softmax({x.tolist()})"
        got = _array(_call(fn, (x.copy(),), call), x.shape, call)
        _close(got, softmax(x), call, atol=1e-12)
    return ("your softmax matches dtcart.attention.softmax, logits of "
            "+-1000, -inf and a batch of rows included")


@_exercise
def check_exercise_3_2(my_causal_mask) -> str:
    """Exercise 3.2: ``my_causal_mask(T)``, (T, T) bool, True where j <= i."""
    from .attention import causal_mask

    fn = _function(my_causal_mask, "my_causal_mask")
    for T in (1, 2, 5):
        call = f"my_causal_mask({T})"
        got = _call(fn, (T,), call)
        if not isinstance(got, np.ndarray) or got.dtype != bool:
            raise _Wrong(f"{call} must return a numpy array of dtype bool "
                         f"(~mask must flip it), got "
                         f"{getattr(got, 'dtype', type(got).__name__)}")
        got = _array(got, (T, T), call, dtype=bool)
        if not np.array_equal(got, causal_mask(T)):
            raise _Wrong(f"{call} is\n{got}\nexpected (query i may see key "
                         f"j <= i)\n{causal_mask(T)}")
    return "your mask matches dtcart.attention.causal_mask for T = 1, 2, 5"


@_exercise
def check_exercise_3_3(my_attention) -> str:
    """Exercise 3.3: ``my_attention(Q, K, V, causal)`` returns (output,
    weights) of scaled dot-product attention, for batches too."""
    from .attention import attention

    fn = _function(my_attention, "my_attention")
    rng = np.random.default_rng(33)
    # (batch shape, T, d_k, d_v): one sequence, then a batch of two
    for batch, T, d_k, d_v in (((), 5, 3, 2), ((2,), 4, 8, 3)):
        Q = rng.normal(size=(*batch, T, d_k))
        K = rng.normal(size=(*batch, T, d_k))
        V = rng.normal(size=(*batch, T, d_v))
        for causal in (False, True):
            call = (f"my_attention(Q {Q.shape}, K {K.shape}, V {V.shape}, "
                    f"causal={causal})")
            result = _call(fn, (Q.copy(), K.copy(), V.copy(), causal), call)
            if not isinstance(result, (tuple, list)) or len(result) != 2:
                raise _Wrong(f"{call} must return (output, weights), got "
                             f"{type(result).__name__}")
            out, weights = attention(Q, K, V, causal=causal)
            _close(_array(result[1], weights.shape, f"{call}'s weights"),
                   weights, f"{call}'s weights", atol=1e-10)
            _close(_array(result[0], out.shape, f"{call}'s output"), out,
                   f"{call}'s output", atol=1e-10)
    return ("your attention matches dtcart.attention.attention, with and "
            "without the mask, on one sequence and a batch of two")


# Chapter 4

def split_heads(x, n_heads):
    """Exercise 4.1: (B, T, d) -> (B, h, T, d/h), as MultiHeadAttention does:
    view each token's features as h slices, then swap tokens and heads."""
    B, T, d = x.shape
    # (B, T, d) -> (B, T, h, d/h) -> (B, h, T, d/h)
    return x.view(B, T, n_heads, d // n_heads).transpose(1, 2)


@_exercise
def check_exercise_4_1(split_heads) -> str:
    """Exercise 4.1: ``split_heads(x, n_heads)``: (B, T, d) -> (B, h, T, d/h),
    head i holding features i d/h .. (i + 1) d/h - 1 of every token."""
    import torch

    from .attention import MultiHeadAttention

    fn = _function(split_heads, "split_heads")
    x = torch.arange(2 * 3 * 8, dtype=torch.float32).reshape(2, 3, 8)
    for h in (1, 2, 4):
        call = f"split_heads(x (2, 3, 8), {h})"
        expected = MultiHeadAttention(8, h)._split(x).numpy()
        got = _array(_call(fn, (x.clone(), h), call), expected.shape, call)
        if not np.array_equal(got, expected):
            raise _Wrong(f"{call}: head 0 of sequence 0 is\n{got[0, 0]}\n"
                         f"expected (the first {8 // h} features of each of "
                         f"the 3 tokens)\n{expected[0, 0]}")
    return "your split matches MultiHeadAttention's for 1, 2 and 4 heads"


PREVIOUS_T = 8  # tokens of exercise 4.2


def previous_token_head():
    """Exercise 4.2: a one-head causal MultiHeadAttention over one-hot position
    tokens (width T = 8) that copies each token's predecessor: query i is
    ``sharpness * e_(i-1)``, key j is e_j, so the score peaks at j = i - 1;
    values and output are the identity."""
    import torch

    from .attention import MultiHeadAttention

    T, sharpness = PREVIOUS_T, 30.0  # 30 / sqrt(8): weight 0.999 on i - 1
    head = MultiHeadAttention(T, 1, causal=True)
    with torch.no_grad():
        for p in head.parameters():
            p.zero_()
        # nn.Linear maps x to W x: column i of W is what token e_i becomes
        head.q_proj.weight.copy_(sharpness * torch.eye(T).roll(-1, dims=0))
        for proj in (head.k_proj, head.v_proj, head.out_proj):
            proj.weight.copy_(torch.eye(T))
    return head


@_exercise
def check_exercise_4_2(head) -> str:
    """Exercise 4.2: a MultiHeadAttention(8, 1) whose output at every position
    i >= 1 of the one-hot tokens eye(8) is token i - 1 (within 0.05)."""
    import torch

    from .attention import MultiHeadAttention

    if not isinstance(head, MultiHeadAttention):
        raise TypeError(f"head must be a MultiHeadAttention, got "
                        f"{type(head).__name__}")
    tokens = torch.eye(PREVIOUS_T)[None]  # (1, T, T): token i is e_i
    call = f"head(torch.eye({PREVIOUS_T})[None], return_weights=True)"
    with torch.no_grad():
        result = _call(lambda: head(tokens.to(head.q_proj.weight.dtype),
                                    return_weights=True), (), call)
    out = _array(result[0], (1, PREVIOUS_T, PREVIOUS_T), call)[0]
    weights = _array(result[1], (1, 1, PREVIOUS_T, PREVIOUS_T), call)[0, 0]
    previous = weights[np.arange(1, PREVIOUS_T), np.arange(PREVIOUS_T - 1)]
    expected = np.eye(PREVIOUS_T)[:-1]
    error = np.abs(out[1:] - expected).max()
    if error > 0.05:
        i = 1 + int(np.argmin(previous))
        raise _Wrong(f"the output at positions 1..{PREVIOUS_T - 1} should be "
                     f"the previous token (largest error {error:.3f} > 0.05);"
                     f" position {i} puts weight {previous[i - 1]:.3f} on "
                     f"position {i - 1}, weights\n{np.round(weights[i], 3)}")
    return (f"every position copies its predecessor (largest error "
            f"{error:.4f}; weight on the previous token at least "
            f"{previous.min():.3f})")


CROSSOVER_WIDTH = 128  # d of exercise 4.3


@_exercise
def check_exercise_4_3(T_cross) -> str:
    """Exercise 4.3: the context length T at which QK^T and the mixing cost as
    many FLOPs as the four projections, for d = 128."""
    from .attention import attention_cost

    T_cross = _number(T_cross, "context length T [tokens]")
    cost = attention_cost(CROSSOVER_WIDTH, 4, 60)
    projection, scores = (cost["projection_flops"],
                          cost["score_flops"] + cost["mix_flops"])
    measured = 60 * projection / scores  # scores grow like T^2, projections T
    if abs(T_cross / measured - 1) > 0.01:
        raise _Wrong(f"you predicted T = {T_cross:g}; at T = 60 attention_cost"
                     f" counts {projection:,} projection and {scores:,} score "
                     f"+ mixing FLOPs, which cross at T = {measured:g}")
    return (f"you predicted T = {T_cross:g}; attention_cost puts the crossing "
            f"at T = {measured:g}")


# Chapter 5

def layer_norm(x, eps=1e-5):
    """Exercise 5.1: LayerNorm without gain or bias, over the last axis
    (each token's own features), as nn.LayerNorm(d) computes at init."""
    mean = x.mean(dim=-1, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)  # biased, as torch
    return (x - mean) / (var + eps).sqrt()


@_exercise
def check_exercise_5_1(my_layer_norm) -> str:
    """Exercise 5.1: ``my_layer_norm(x)`` equals nn.LayerNorm(d) at init."""
    import torch
    from torch import nn

    fn = _function(my_layer_norm, "my_layer_norm")
    gen = torch.Generator().manual_seed(51)
    offsets = torch.tensor([-3.0, 0.0, 0.5, 4.0])[:, None]
    for x in (offsets + torch.randn(4, 16, generator=gen),
              5 * torch.randn(2, 3, 8, generator=gen) + 1):
        call = f"my_layer_norm(x of shape {tuple(x.shape)})"
        with torch.no_grad():
            expected = nn.LayerNorm(x.shape[-1])(x).numpy()
        got = _array(_call(fn, (x.clone(),), call), expected.shape, call)
        _close(got, expected, call, atol=1e-5)
    return "your LayerNorm matches nn.LayerNorm on tokens of width 16 and 8"


def block_parameters(d):
    """Exercise 5.2: parameters of Block(d, n_heads): attention 4 (d^2 + d),
    MLP d -> 4d -> d with biases 8 d^2 + 5 d, two LayerNorms 4 d."""
    return 12 * d * d + 13 * d


@_exercise
def check_exercise_5_2(my_block_parameters) -> str:
    """Exercise 5.2: ``my_block_parameters(d)``, the parameter count of a
    Block of width d (any number of heads)."""
    from .blocks import Block

    fn = _function(my_block_parameters, "my_block_parameters")
    for d in (4, 16, 32, 64):
        call = f"my_block_parameters({d})"
        got = _call(fn, (d,), call)
        counted = sum(p.numel() for p in Block(d, 2).parameters())
        if isinstance(got, bool) or not isinstance(got, (int, np.integer)) \
                or got != counted:
            raise _Wrong(f"{call} returned {got!r}; Block({d}, 2) has "
                         f"{counted:,} parameters")
    return "your formula counts the parameters of Blocks of width 4 to 64"


@functools.lru_cache(maxsize=None)
def gradient_ratio():
    """Exercise 5.3: how many times more gradient reaches the input of a
    post-LN stack of 16 blocks with residuals than without, on Chapter 5's
    recipe (d = 16, 2 heads, x0 = randn(16, 8, 16), seed 0)."""
    import torch
    from torch import nn

    from .blocks import Block, input_gradient_norm

    depth, seed, norms = 16, 0, []
    for residual in (True, False):
        torch.manual_seed(seed)
        x0 = torch.randn(16, 8, 16)
        stack = nn.Sequential(*[Block(16, 2, residual=residual)
                                for _ in range(depth)])
        norms.append(input_gradient_norm(stack, x0, seed=seed))
    return norms[0] / norms[1]


@_exercise
def check_exercise_5_3(ratio) -> str:
    """Exercise 5.3: with / without residuals, the gradient reaching the input
    of 16 post-LN blocks (seed 0)."""
    ratio = _number(ratio, "ratio of gradient norms")
    measured = gradient_ratio()
    if not 0.9 < ratio / measured < 1.1:
        raise _Wrong(f"you found {ratio:.4g}; on Chapter 5's recipe with "
                     f"seed 0, 16 blocks with residuals pass back "
                     f"{measured:.4g} times as much gradient as without "
                     f"(within 10% needed)")
    return (f"you found {ratio:.4g}; measured {measured:.4g}: the residuals "
            f"keep the gradient alive")


# Chapter 6

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


@_exercise
def check_exercise_6_1(c_max) -> str:
    """Exercise 6.1: the largest copy share c (a multiple of 0.05) with which
    u_t = c u_(t-1) + (1 - c) 24 theta_t holds Chapter 6's 60 starts."""
    c_max = _number(c_max, "largest copy share c")
    if not 0 <= c_max < 1 or abs(c_max / LAG_GRID - round(c_max / LAG_GRID)) \
            > 1e-9:
        raise _Wrong(f"c = {c_max:g} is not one of 0, 0.05, ..., 0.95")
    starts = _eval_starts()
    if not _lag_holds(c_max, starts):
        raise _Wrong(f"copying c = {c_max:g} of the last force, not all 60 "
                     f"starts (seed 777) last 500 steps: c must be smaller")
    above = round(c_max + LAG_GRID, 2)
    if above < 1 and _lag_holds(above, starts):
        raise _Wrong(f"c = {above:g} still holds all 60 starts (seed 777), "
                     f"so {c_max:g} is not the largest")
    return (f"c = {c_max:g} holds all 60 starts and c = {above:g} does not: "
            f"a controller that leans on its last force is a late one")


def _lag_runs():
    """Rollouts to fit: the lagged heuristic at c = 0.3 (every episode lasts
    500 steps) and at c = 0.6 (episodes of different lengths)."""
    starts = _eval_starts()[:20]
    return {c: control.rollout(lagged_heuristic(c), starts)
            for c in (0.3, 0.6)}


@_exercise
def check_exercise_6_2(my_copy_coefficient) -> str:
    """Exercise 6.2: ``my_copy_coefficient(run)`` is c of the least-squares
    fit a_t = c a_(t-1) + k theta_t over the steps each episode took."""
    from .evaluate import copy_coefficient

    fn = _function(my_copy_coefficient, "my_copy_coefficient")
    for c, run in _lag_runs().items():
        call = (f"my_copy_coefficient(run) on 20 episodes of the lagged "
                f"heuristic with c = {c} (lengths {run.lengths.min()} to "
                f"{run.lengths.max()})")
        got = _call(fn, (run,), call)
        expected = copy_coefficient(run)
        try:
            got = float(got)
        except (TypeError, ValueError) as err:
            raise _Wrong(f"{call} returned {type(got).__name__}, not a "
                         f"number") from err
        if not abs(got - expected) < 1e-6:
            raise _Wrong(f"{call} returned {got:.6g}, expected "
                         f"{expected:.6g} (only steps 1 .. length - 1 of each "
                         f"episode count)")
    return ("your fit matches evaluate.copy_coefficient, on episodes that all "
            "last 500 steps and on episodes that end early")


def zero_target_return(model, starts=None):
    """Exercise 6.3: the mean return [steps] ``model`` achieves on the starts
    (default: Chapter 6's 60) when it is asked for a return of 0."""
    from .evaluate import rollout_dt

    starts = _eval_starts() if starts is None else starts
    return float(rollout_dt(model, 0.0, starts).returns.mean())


@_exercise
def check_exercise_6_3(mean_return, model) -> str:
    """Exercise 6.3: the predicted mean return of ``model`` on Chapter 6's 60
    starts when asked for 0 (within 20%)."""
    from .model import DecisionTransformer

    mean_return = _number(mean_return, "predicted mean return [steps]")
    if not isinstance(model, DecisionTransformer):
        raise TypeError(f"model must be a DecisionTransformer, got "
                        f"{type(model).__name__}")
    measured = zero_target_return(model)
    if not abs(mean_return - measured) <= 0.2 * measured:
        raise _Wrong(f"you predicted {mean_return:.4g} steps; asked for 0, "
                     f"the model's episodes from the 60 starts (seed 777) "
                     f"last {measured:.4g} steps on average (within 20% "
                     f"needed)")
    return (f"you predicted {mean_return:.4g} steps; asked for 0, the model's "
            f"episodes last {measured:.4g} steps on average")


def rvs_policy(model, target_return):
    """Exercise 7.1: an RvS network as a policy asking for ``target_return``:
    it reads ``[state, R_t]``, and R_t drops by 1 (the step's reward) after
    every step."""
    import torch

    rtg = np.array(target_return, dtype=np.float64)  # R_0, a scalar or (N,)

    def act(states):
        nonlocal rtg
        rtg = np.broadcast_to(rtg, (len(states),))
        inputs = np.column_stack([states, rtg])  # (N, 5)
        rtg = rtg - 1.0  # R_{t+1} = R_t - r_t
        with torch.inference_mode():
            return model(torch.as_tensor(inputs, dtype=torch.float32)).numpy()

    return act


@_exercise
def check_exercise_7_1(my_rvs_policy, model) -> str:
    """Exercise 7.1: ``my_rvs_policy(model, target_return)`` plays the RvS
    ``model`` as ``model.policy(target_return)`` does."""
    from .baselines import StateMLP

    fn = _function(my_rvs_policy, "my_rvs_policy")
    if not isinstance(model, StateMLP) or not model.conditioned:
        raise TypeError(f"model must be an RvS StateMLP (from "
                        f"baselines.train_rvs), got {type(model).__name__}")
    starts = control.random_initial_states(20, seed=777)
    for target in (100.0, 300.0):
        call = f"my_rvs_policy(model, {target:g}) on 20 starts (seed 777)"
        policy = _call(fn, (model, target), call)
        if not callable(policy):
            raise _Wrong(f"{call} returned {type(policy).__name__}, not a "
                         f"policy (a function of states)")
        mine = _call(control.rollout, (policy, starts), f"rollout of {call}")
        expected = control.rollout(model.policy(target), starts)
        if not np.allclose(mine.actions, expected.actions, atol=1e-4):
            t = int(np.argmax(np.abs(mine.actions - expected.actions).max(0)
                              > 1e-4))
            raise _Wrong(f"{call}: the forces first differ from "
                         f"model.policy({target:g})'s at step {t} (does "
                         f"R_t start at the target and drop by 1 each step?)")
    return ("your policy plays the RvS network exactly as model.policy does, "
            "asked for 100 and for 300")


PUSH_SCALE = 0.5  # Exercise 7.2: the world's shoves [N], std


def pushed_share(policy=centring_controller, scale=PUSH_SCALE):
    """Exercise 7.2: the share of 100 episodes of ``policy`` (by default the
    centring controller of Exercise 2.4) from the starts of seed 777 that
    hold 500 steps while the world shoves the cart with ``scale`` [N]
    (``random_pushes(100, scale, seed=1)``)."""
    starts = control.random_initial_states(100, seed=777)
    pushes = control.random_pushes(100, scale, seed=1)
    return float(control.rollout(policy, starts, pushes=pushes).solved.mean())


@_exercise
def check_exercise_7_2(share) -> str:
    """Exercise 7.2: the predicted share of pushed episodes that the centring
    controller holds for 500 steps (within 0.1)."""
    share = _number(share, "predicted share")
    measured = pushed_share()
    heuristic = pushed_share(control.heuristic(26.0))
    if not abs(share - measured) <= 0.1:
        raise _Wrong(f"you predicted {share:.2f}; with 0.5 N shoves the "
                     f"centring controller holds {measured:.2f} of the 100 "
                     f"starts, heuristic(26) {heuristic:.2f} (within 0.1 "
                     f"needed)")
    return (f"you predicted {share:.2f}; with 0.5 N shoves the centring "
            f"controller holds {measured:.2f} of the 100 starts, "
            f"heuristic(26) {heuristic:.2f}: its failures were its drift, "
            f"not bad luck alone")
