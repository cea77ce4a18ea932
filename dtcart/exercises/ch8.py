"""Chapter 8's exercises: the return-conditioned MLP's countdown (8.1), and
whether the log's failures were luck or the controller (8.2)."""

from __future__ import annotations

import numpy as np
import torch

from .. import control
from ..baselines import StateMLP
from .ch2 import centring_controller
from .harness import Wrong, as_function, as_number, call, exercise

__all__ = ["PUSH_SCALE", "check_exercise_8_1", "check_exercise_8_2",
           "pushed_share", "rvs_policy"]


def rvs_policy(model, target_return):
    """Exercise 8.1: an RvS network as a policy asking for ``target_return``:
    it reads ``[state, R_t]``, and R_t drops by 1 (the step's reward) after
    every step."""
    rtg = np.array(target_return, dtype=np.float64)  # R_0, a scalar or (N,)

    def act(states):
        nonlocal rtg
        rtg = np.broadcast_to(rtg, (len(states),))
        inputs = np.column_stack([states, rtg])  # (N, 5)
        rtg = rtg - 1.0  # R_{t+1} = R_t - r_t
        with torch.inference_mode():
            return model(torch.as_tensor(inputs, dtype=torch.float32)).numpy()

    return act


@exercise
def check_exercise_8_1(my_rvs_policy, model) -> str:
    """Exercise 8.1: ``my_rvs_policy(model, target_return)`` plays the RvS
    ``model`` as ``model.policy(target_return)`` does."""
    fn = as_function(my_rvs_policy, "my_rvs_policy")
    if not isinstance(model, StateMLP) or not model.conditioned:
        raise TypeError(f"model must be an RvS StateMLP (from "
                        f"baselines.train_rvs), got {type(model).__name__}")
    starts = control.random_initial_states(20, seed=777)
    for target in (100.0, 300.0):
        shown = f"my_rvs_policy(model, {target:g}) on 20 starts (seed 777)"
        policy = call(fn, (model, target), shown)
        if not callable(policy):
            raise Wrong(f"{shown} returned {type(policy).__name__}, not a "
                        f"policy (a function of states)")
        mine = call(control.rollout, (policy, starts), f"rollout of {shown}")
        expected = control.rollout(model.policy(target), starts)
        if not np.allclose(mine.actions, expected.actions, atol=1e-4):
            t = int(np.argmax(np.abs(mine.actions - expected.actions).max(0)
                              > 1e-4))
            raise Wrong(f"{shown}: the forces first differ from "
                        f"model.policy({target:g})'s at step {t} (does "
                        f"R_t start at the target and drop by 1 each step?)")
    return ("your policy plays the RvS network exactly as model.policy does, "
            "asked for 100 and for 300")


PUSH_SCALE = 0.5  # Exercise 8.2: the world's shoves [N], std


def pushed_share(policy=centring_controller, scale=PUSH_SCALE):
    """Exercise 8.2: the share of 100 episodes of ``policy`` (by default the
    centring controller of Exercise 2.4) from the starts of seed 777 that
    hold 500 steps while the world shoves the cart with ``scale`` [N]
    (``random_pushes(100, scale, seed=1)``)."""
    starts = control.random_initial_states(100, seed=777)
    pushes = control.random_pushes(100, scale, seed=1)
    return float(control.rollout(policy, starts, pushes=pushes).solved.mean())


@exercise
def check_exercise_8_2(share) -> str:
    """Exercise 8.2: the predicted share of pushed episodes that the centring
    controller holds for 500 steps (within 0.1)."""
    share = as_number(share, "predicted share")
    measured = pushed_share()
    heuristic = pushed_share(control.heuristic(26.0))
    if not abs(share - measured) <= 0.1:
        raise Wrong(f"you predicted {share:.2f}; with 0.5 N shoves the "
                    f"centring controller holds {measured:.2f} of the 100 "
                    f"starts, heuristic(26) {heuristic:.2f} (within 0.1 "
                    f"needed)")
    return (f"you predicted {share:.2f}; with 0.5 N shoves the centring "
            f"controller holds {measured:.2f} of the 100 starts, "
            f"heuristic(26) {heuristic:.2f}: its failures were its drift, "
            f"not bad luck alone")
