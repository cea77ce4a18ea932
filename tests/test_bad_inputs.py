"""Every public function of physics, control, data, evaluate, attention (numpy)
and checks refuses bad input with a ValueError or TypeError naming the argument.

(The policy that ``control.heuristic`` returns trusts its states, as every
per-step core does: ``rollout`` and ``EpisodeBatch`` check them.)

Written down before the issue-13 refactors (validation once, at the public
boundary) and kept: each case was refused by the code before them.
"""

import numpy as np
import pytest
import torch

from dtcart import attention, checks, control, data, evaluate, physics
from dtcart.model import DecisionTransformer, DTConfig

# (the overflowing-scores case overflows on purpose)
pytestmark = pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
NAN, INF = float("nan"), float("inf")
S = np.zeros((2, 4))  # a good batch of two states
P = physics.DEFAULT_PARAMS


def _model():
    torch.manual_seed(0)
    config = DTConfig(d_model=8, n_layers=1, n_heads=1, context=3,
                      max_timestep=20)
    return DecisionTransformer(config=config).eval()


MODEL = _model()


def _batch():
    return control.EpisodeBatch(S, P, 5)


def _run():
    return control.rollout(control.heuristic(30.0), S, P, 5)


def _dataset_fields(**change):
    ds = data.make_dataset(seed=0, n_episodes=3, max_steps=5)
    fields = {f: getattr(ds, f) for f in ("states", "actions", "rewards",
                                          "lengths", "gains")}
    fields.update(change)
    return fields


STATE_BAD = [  # (value, argument name in the message)
    ("abc", "state"), (None, "state"), (object(), "state"),
    (np.zeros(3), "state"), (np.zeros((2, 5)), "state"), (1.0, "state"),
    ([NAN, 0, 0, 0], "state"), ([0, INF, 0, 0], "state"),
    ([[0, 0, 0, 0], [0, 0, -INF, 0]], "state"),
]
FORCE_BAD = [("abc", "force"), (NAN, "force"), (INF, "force"),
             (np.zeros(3), "force"), ([0.0, NAN], "force"),
             (object(), "force")]
PARAMS_BAD = [None, "default", 1.0, {"gravity": 9.8}]

CASES = []  # (id, callable, expected exception, text the message contains)


def case(name, fn, error, text):
    CASES.append(pytest.param(fn, error, text, id=name))


# --- physics -------------------------------------------------------------
for field in ("gravity", "cart_mass", "pole_mass", "half_length", "dt"):
    for value, error in ((True, TypeError), ("1", TypeError),
                         (None, TypeError), (0.0, ValueError),
                         (-1.0, ValueError), (NAN, ValueError),
                         (INF, ValueError)):
        case(f"CartPoleParams-{field}={value!r}",
             lambda f=field, v=value: physics.CartPoleParams(**{f: v}),
             error, field)

for fn in (physics.accelerations, physics.step, physics.step_explicit_euler,
           physics.step_rk4, physics.energy, physics.momentum):
    name = fn.__name__
    takes_force = fn not in (physics.energy, physics.momentum)
    for i, (value, text) in enumerate(STATE_BAD):
        case(f"{name}-state{i}", lambda fn=fn, v=value: fn(v), (ValueError,
             TypeError), text)
    for i, value in enumerate(PARAMS_BAD):
        case(f"{name}-params{i}", lambda fn=fn, v=value, f=takes_force:
             fn(S, 0.0, v) if f else fn(S, v), TypeError, "params")
    for i, (value, text) in enumerate(FORCE_BAD * takes_force):
        case(f"{name}-force{i}", lambda fn=fn, v=value: fn(S, v),
             (ValueError, TypeError), text)

for i, (value, text) in enumerate(STATE_BAD):
    case(f"simulate-initial_state{i}",
         lambda v=value: physics.simulate(v, np.zeros(3)),
         (ValueError, TypeError), "initial_state")
for i, value in enumerate(["abc", 1.0, [0.0, NAN], [INF], np.zeros((3, 5)),
                           object()]):
    case(f"simulate-forces{i}", lambda v=value: physics.simulate(S, v),
         (ValueError, TypeError), "force")
for i, value in enumerate(["rk5", "", None, "euler", ["rk4"], 4]):
    case(f"simulate-integrator{i}",
         lambda v=value: physics.simulate(S, np.zeros(2), integrator=v),
         TypeError if isinstance(value, list) else ValueError, "integrator")

ENV = physics.gymnasium_env()
for i, (value, text) in enumerate(STATE_BAD + [(S, "state")]):
    case(f"gymnasium_step-state{i}",
         lambda v=value: physics.gymnasium_step(ENV, v, 1.0),
         (ValueError, TypeError), text)
for i, value in enumerate([NAN, INF, -INF]):
    case(f"gymnasium_step-force{i}",
         lambda v=value: physics.gymnasium_step(ENV, np.zeros(4), v),
         ValueError, "force")

# --- control -------------------------------------------------------------
for i, value in enumerate([NAN, INF, [1.0, NAN], [-INF]]):
    case(f"linear_coefficient-K{i}",
         lambda v=value: control.linear_coefficient(v), ValueError, "K")

for i, (value, error) in enumerate([
        ("abc", TypeError), (None, ValueError), (object(), TypeError),
        ({1: 2}, TypeError), (NAN, ValueError), (INF, ValueError),
        ([1.0, NAN], ValueError), (np.zeros((2, 2)), ValueError),
        ([[1.0]], ValueError)]):
    case(f"heuristic-K{i}", lambda v=value: control.heuristic(v), error, "K")
STARTS_BAD = STATE_BAD + [(np.zeros(4), "initial_states"),
                          (np.zeros((0, 4)), "initial_states"),
                          (np.zeros((2, 2, 4)), "initial_states")]
MAX_STEPS_BAD = [0, -1, 2.5, "10", None, True, np.float64(3.0)]
for i, (value, _) in enumerate(STARTS_BAD):
    case(f"check_initial_states{i}",
         lambda v=value: checks.check_initial_states(v),
         (ValueError, TypeError), "initial_states")
    case(f"EpisodeBatch-initial_states{i}",
         lambda v=value: control.EpisodeBatch(v), (ValueError, TypeError),
         "initial_states")
    case(f"rollout-initial_states{i}",
         lambda v=value: control.rollout(control.heuristic(1.0), v),
         (ValueError, TypeError), "initial_states")
    case(f"gain_sweep-initial_states{i}",
         lambda v=value: control.gain_sweep([20.0], v),
         (ValueError, TypeError), "initial_states")
for i, value in enumerate(MAX_STEPS_BAD):
    case(f"check_max_steps{i}", lambda v=value: checks.check_max_steps(v),
         ValueError, "max_steps")
    case(f"EpisodeBatch-max_steps{i}",
         lambda v=value: control.EpisodeBatch(S, P, v), ValueError,
         "max_steps")
    case(f"rollout-max_steps{i}",
         lambda v=value: control.rollout(control.heuristic(1.0), S, P, v),
         ValueError, "max_steps")
    case(f"gain_sweep-max_steps{i}",
         lambda v=value: control.gain_sweep([20.0], S, P, v), ValueError,
         "max_steps")
for i, value in enumerate([None, 3, "u = K theta", np.zeros(2)]):
    case(f"rollout-policy{i}", lambda v=value: control.rollout(v, S),
         TypeError, "policy")
for i, value in enumerate([np.zeros(3), np.zeros(1), [NAN, 0.0],
                           [INF, 0.0], "ab"]):
    case(f"EpisodeBatch.advance-forces{i}",
         lambda v=value: _batch().advance(v), (ValueError, TypeError),
         "forces")
case("rollout-policy-returns-nan",
     lambda: control.rollout(lambda s: np.full(len(s), NAN), S), ValueError,
     "forces")
case("rollout-policy-returns-wrong-size",
     lambda: control.rollout(lambda s: np.zeros(3), S), ValueError, "forces")
for i, value in enumerate([3, np.int64(0)]):
    case(f"Rollout.select-episodes{i}", lambda v=value: _run().select(v),
         TypeError, "episodes")
for i, value in enumerate([[], [[20.0]], [NAN], [20.0, INF], "abc",
                           None]):
    case(f"gain_sweep-gains{i}",
         lambda v=value: control.gain_sweep(v, S), (ValueError, TypeError),
         "gains")
for i, value in enumerate([0, -3, 2.5, "5", None, True]):
    case(f"random_initial_states-n{i}",
         lambda v=value: control.random_initial_states(v), ValueError, "n")
for i, (low, high) in enumerate([(1.0, -1.0), (NAN, 1.0), (-INF, 0.0),
                                 (0.0, INF)]):
    case(f"random_initial_states-low-high{i}",
         lambda lo=low, hi=high: control.random_initial_states(3, 0, lo, hi),
         ValueError, "low and high")

# --- data ----------------------------------------------------------------
for i, (value, error) in enumerate([
        (3.0, ValueError), ([1.0, NAN], ValueError), ([INF], ValueError),
        (["a", "b"], ValueError), (np.array([object()]), ValueError)]):
    case(f"returns_to_go{i}", lambda v=value: data.returns_to_go(v), error,
         "rewards")

for name, value in (("n_episodes", 0), ("n_episodes", -1),
                    ("n_episodes", 2.5), ("n_episodes", "3"),
                    ("n_episodes", True), ("max_steps", 0),
                    ("max_steps", 1.5), ("max_steps", None),
                    ("gain_range", (26.0, 14.0)), ("gain_range", (NAN, 1.0)),
                    ("gain_range", 3.0), ("gain_range", (1.0, 2.0, 3.0)),
                    ("gain_range", ("a", "b")), ("gain_range", (0.0, INF)),
                    ("drop_gain_range", (0.0, 25.0)),
                    ("drop_gain_range", (5.0, 1.0)),
                    ("drop_gain_range", None),
                    ("start_scale", -0.1), ("start_scale", NAN),
                    ("start_scale", "0.05"), ("start_scale", True),
                    ("action_noise", -1.0), ("action_noise", INF),
                    ("action_noise", None), ("drop_share", -0.1),
                    ("drop_share", 1.5), ("drop_share", NAN)):
    case(f"make_dataset-{name}={value!r}",
         lambda n=name, v=value: data.make_dataset(n_episodes=2, max_steps=5,
                                                   **{n: v}),
         (ValueError, TypeError), name)
for name, value in (("states", np.zeros((3, 5, 4))),
                    ("states", np.zeros((3, 6, 3))),
                    ("states", [[0.0]]),
                    ("rewards", np.zeros((3, 5), dtype=np.int64)),
                    ("lengths", np.zeros(3)),
                    ("lengths", np.full(3, 9, dtype=np.int64)),
                    ("gains", np.zeros(2)),
                    ("gains", np.array([NAN, 0.0, 0.0])),
                    ("drop_steps", np.full(3, -1, dtype=np.int64)),
                    ("drop_gains", np.zeros(4))):
    case(f"Dataset-{name}", lambda n=name, v=value: data.Dataset(
        **_dataset_fields(**{n: v})), ValueError, name)
case("Dataset-actions", lambda: data.Dataset(**_dataset_fields(
    actions=np.zeros((3, 4, 1)))), ValueError, "Dataset.states")
case("Dataset-rewards-disagree-with-lengths", lambda: data.Dataset(
    **_dataset_fields(lengths=np.zeros(3, dtype=np.int64))), ValueError,
     "lengths")
case("Dataset-empty", lambda: data.Dataset(
    np.zeros((0, 6, 4)), np.zeros((0, 5)), np.zeros((0, 5)),
    np.zeros(0, dtype=np.int64), np.zeros(0)), ValueError, "at least one")
for i, value in enumerate([None, {"states": 1}, "ds.npz"]):
    case(f"save_dataset-ds{i}", lambda v=value: data.save_dataset(v, "x.npz"),
         TypeError, "ds")
case("load_dataset-missing",
     lambda: data.load_dataset("/nonexistent/dtcart.npz"),
     FileNotFoundError, "dtcart.npz")

# --- evaluate ------------------------------------------------------------
for i, (value, error) in enumerate([
        (NAN, ValueError), (INF, ValueError), ([1.0, 2.0, 3.0], ValueError),
        ([[1.0, 2.0]], ValueError), ([1.0, NAN], ValueError),
        ("abc", TypeError), (None, ValueError), (object(), TypeError)]):
    case(f"check_targets{i}", lambda v=value: checks.check_targets(v, 2),
         error, "target_return")
    case(f"rollout_dt-target_return{i}",
         lambda v=value: evaluate.rollout_dt(MODEL, v, S, max_steps=5),
         error, "target_return")
for i, value in enumerate([None, "model", torch.nn.Linear(2, 2)]):
    case(f"rollout_dt-model{i}",
         lambda v=value: evaluate.rollout_dt(v, 10.0, S, max_steps=5),
         TypeError, "model")
    case(f"target_sweep-model{i}",
         lambda v=value: evaluate.target_sweep(v, [10.0], S, max_steps=5),
         TypeError, "model")
for i, (value, _) in enumerate(STARTS_BAD):
    case(f"rollout_dt-initial_states{i}",
         lambda v=value: evaluate.rollout_dt(MODEL, 10.0, v, max_steps=5),
         (ValueError, TypeError), "initial_states")
    case(f"target_sweep-initial_states{i}",
         lambda v=value: evaluate.target_sweep(MODEL, [10.0], v, max_steps=5),
         (ValueError, TypeError), "initial_states")
for i, value in enumerate(MAX_STEPS_BAD + [21, 500]):
    case(f"rollout_dt-max_steps{i}",
         lambda v=value: evaluate.rollout_dt(MODEL, 10.0, S, max_steps=v),
         ValueError, "max_steps")
    case(f"target_sweep-max_steps{i}",
         lambda v=value: evaluate.target_sweep(MODEL, [10.0], S, max_steps=v),
         ValueError, "max_steps")
for i, value in enumerate([[], [[10.0]], 10.0, np.zeros((2, 2))]):
    case(f"target_sweep-targets{i}",
         lambda v=value: evaluate.target_sweep(MODEL, v, S, max_steps=5),
         ValueError, "targets")
for i, (targets, achieved, text) in enumerate([
        ([100.0], np.zeros((2, 3)), "achieved"),
        ([100.0], np.zeros(3), "achieved"),
        ([100.0], np.zeros((1, 0)), "achieved"),
        ([[100.0]], np.zeros((1, 3)), "achieved"),
        ([0.0], np.zeros((1, 3)), "targets"),
        ([-5.0], np.zeros((1, 3)), "targets"),
        ([NAN], np.zeros((1, 3)), "targets")]):
    case(f"tracking_error{i}",
         lambda t=targets, a=achieved: evaluate.tracking_error(t, a),
         ValueError, text)
for i, value in enumerate([None, "run", np.zeros((2, 5))]):
    case(f"copy_coefficient-run{i}",
         lambda v=value: evaluate.copy_coefficient(v), TypeError, "run")
case("copy_coefficient-too-short", lambda: evaluate.copy_coefficient(
    control.rollout(control.heuristic(0.0), [[0.2, 0, 0, 0]], P, 2)),
     ValueError, "run")

for i, (target, run) in enumerate([(10.0, None), (10.0, np.zeros((2, 5))),
                                   (NAN, "run"), ([1.0, 2.0, 3.0], "run")]):
    case(f"played_returns_to_go{i}",
         lambda tr=target, r=run: evaluate.played_returns_to_go(
             tr, _run() if isinstance(r, str) else r),
         (ValueError, TypeError), "run" if i < 2 else "target_return")

# --- attention (numpy) ---------------------------------------------------
for i, (value, axis) in enumerate([
        (3.0, -1), (np.zeros((2, 0)), -1), ([1.0, NAN], -1), ([1.0, INF], -1),
        ([-INF, -INF], -1), ([[0.0, -INF], [-INF, -INF]], -1)]):
    case(f"softmax-x{i}", lambda v=value, a=axis: attention.softmax(v, a),
         ValueError, "x")
for i, value in enumerate([0, -2, 2.5, "3", None, True]):
    case(f"causal_mask-T{i}", lambda v=value: attention.causal_mask(v),
         ValueError, "T")
Q = np.ones((3, 2))
for i, (args, kwargs, text) in enumerate([
        ((np.ones(2), Q, Q), {}, "Q"), ((Q, np.ones(2), Q), {}, "K"),
        ((Q, Q, np.ones(2)), {}, "V"), ((np.ones((0, 2)), Q, Q), {}, "Q"),
        ((Q, np.ones((3, 0)), Q), {}, "K"), ((Q, Q, np.ones((3, 0))), {}, "V"),
        ((np.full((3, 2), NAN), Q, Q), {}, "Q"),
        ((Q, np.full((3, 2), INF), Q), {}, "K"),
        ((Q, Q, np.full((3, 2), NAN)), {}, "V"),
        ((Q, np.ones((3, 5)), Q), {}, "d_k"),
        ((Q, Q, np.ones((4, 2))), {}, "positions"),
        ((np.ones((2, 2)), Q, Q), {"causal": True}, "T_q == T_k"),
        ((Q, Q, Q), {"scale": 0.0}, "scale"),
        ((Q, Q, Q), {"scale": -1.0}, "scale"),
        ((Q, Q, Q), {"scale": NAN}, "scale"),
        ((Q, Q, Q), {"scale": INF}, "scale"),
        ((Q, Q, Q), {"scale": "1"}, "scale"),
        ((Q, Q, Q), {"scale": True}, "scale")]):
    case(f"attention{i}", lambda a=args, k=kwargs: attention.attention(*a,
         **k), ValueError, text)
case("attention-scores-overflow", lambda: attention.attention(
    np.full((3, 2), 1e200), np.full((3, 2), 1e200), Q), ValueError, "inf")
for i, value in enumerate([[["a"]], object()]):
    case(f"attention-Q-type{i}",
         lambda v=value: attention.attention(v, Q, Q), (ValueError,
                                                        TypeError), "")

# --- checks --------------------------------------------------------------
for i, value in enumerate([0, -1, 1.5, "2", None, True, np.float64(2.0)]):
    case(f"positive_int{i}", lambda v=value: checks.positive_int(v, "width"),
         ValueError, "width")
for i, value in enumerate([-0.1, 1.0, 1.5, NAN, "0.1", None, True]):
    case(f"dropout_rate{i}", lambda v=value: checks.dropout_rate(v, "p"),
         ValueError, "p")


# every function that takes the physical constants refuses anything else
TAKES_PARAMS = {
    "linear_rate": physics.linear_rate,
    "gymnasium_env": physics.gymnasium_env,
    "simulate": lambda p: physics.simulate(S, np.zeros(3), p),
    "critical_gain": control.critical_gain,
    "linear_coefficient": lambda p: control.linear_coefficient(20.0, p),
    "EpisodeBatch": lambda p: control.EpisodeBatch(S, p),
    "rollout": lambda p: control.rollout(control.heuristic(1.0), S, p),
    "gain_sweep": lambda p: control.gain_sweep([20.0], S, p),
    "make_dataset": lambda p: data.make_dataset(n_episodes=2, max_steps=5,
                                                params=p),
    "rollout_dt": lambda p: evaluate.rollout_dt(MODEL, 10.0, S, p, 5),
    "target_sweep": lambda p: evaluate.target_sweep(MODEL, [10.0], S, p, 5),
}
for name, fn in TAKES_PARAMS.items():
    for i, value in enumerate(PARAMS_BAD):
        case(f"{name}-params{i}", lambda fn=fn, v=value: fn(v), TypeError,
             "params")


@pytest.mark.parametrize("fn, error, text", CASES)
def test_refused(fn, error, text):
    with pytest.raises(error) as caught:
        fn()
    assert text in str(caught.value), (
        f"the message {str(caught.value)!r} should name {text!r}")


@pytest.mark.parametrize("fn", [
    lambda: control.linear_coefficient("abc"),
    lambda: _batch().advance("ab"),
    lambda: control.gain_sweep("abc", S),
    lambda: control.heuristic("abc"),
    lambda: physics.step("abc"),
    lambda: checks.check_targets("abc", 2),
])
def test_text_for_numbers_is_both_a_type_and_a_value_error(fn):
    """numpy refuses some of these with ValueError, the checks with TypeError:
    either kind of handler written against the old code still catches them."""
    for error in (TypeError, ValueError):
        with pytest.raises(error):
            fn()
