"""Acting with a trained Decision Transformer: ask for a return, and decrement it as rewards come."""

from __future__ import annotations

import numpy as np
import torch

from .control import MAX_STEPS, EpisodeBatch, Rollout, check_initial_states, check_max_steps
from .model import DecisionTransformer
from .physics import DEFAULT_PARAMS, CartPoleParams, _check_params


def check_targets(target_return, n: int) -> np.ndarray:
    """``(n,)`` float64 targets from a scalar or an ``(n,)`` array, or raise ``ValueError``."""
    try:
        target = np.asarray(target_return, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"target_return must be a real number or an array of them, got {target_return!r}") from err
    if target.ndim > 1 or (target.ndim == 1 and target.shape[0] != n):
        raise ValueError(f"target_return must be a scalar or shaped ({n},), got shape {target.shape}")
    if not np.isfinite(target).all():
        raise ValueError(f"target_return must be finite, got {target_return!r}")
    return np.broadcast_to(target, (n,)).copy()


def _tensor(a: np.ndarray, device) -> torch.Tensor:
    return torch.as_tensor(a, dtype=torch.float32, device=device)


@torch.inference_mode()
def rollout_dt(model: DecisionTransformer, target_return, initial_states, params: CartPoleParams = DEFAULT_PARAMS,
               max_steps: int = MAX_STEPS) -> Rollout:
    """Run a batch of episodes with the Decision Transformer as the policy, under the task's rules.

    The first return-to-go is ``target_return``; after each step it drops by that step's reward,
    exactly as the dataset's returns-to-go do (R_{t+1} = R_t - r_t). At step t the model sees
    the last ``K = model.config.context`` steps (all of them while t < K), with a zero placeholder
    for the action it is about to choose; one forward pass serves the whole batch.

    Args:
        model: a trained :class:`DecisionTransformer`.
        target_return: the return to ask for: a scalar, or ``(N,)`` one per episode.
        initial_states: ``(N, 4)`` start states.
        params: the physical constants.
        max_steps: the step at which an episode is cut; at most ``model.config.max_timestep``.

    Returns:
        A :class:`dtcart.control.Rollout`, as :func:`dtcart.control.rollout` gives.

    Raises:
        ValueError: for a non-finite target, bad start states, or ``max_steps`` beyond the timestep embedding.
    """
    if not isinstance(model, DecisionTransformer):
        raise TypeError(f"model must be a DecisionTransformer, got {type(model).__name__}")
    starts = check_initial_states(initial_states)
    max_steps = check_max_steps(max_steps)
    c = model.config
    if max_steps > c.max_timestep:
        raise ValueError(f"max_steps ({max_steps}) exceeds the model's max_timestep ({c.max_timestep})")
    target = check_targets(target_return, starts.shape[0])
    episodes = EpisodeBatch(starts, _check_params(params), max_steps)
    model.eval()
    device = next(model.parameters()).device
    rtg = np.empty((starts.shape[0], max_steps))
    rtg[:, 0] = target
    while not episodes.done:
        t, alive = episodes.t, episodes.alive
        lo = max(0, t + 1 - c.context)
        actions = np.zeros((int(alive.sum()), t + 1 - lo, 1))
        actions[:, :-1, 0] = episodes.actions[alive, lo:t]
        timesteps = torch.arange(lo, t + 1, device=device).expand(len(actions), -1)
        predicted = model(_tensor(rtg[alive, lo:t + 1, None], device), _tensor(episodes.states[alive, lo:t + 1], device),
                          _tensor(actions, device), timesteps)
        forces = np.zeros(starts.shape[0])
        forces[alive] = predicted[:, -1, 0].double().cpu().numpy()
        episodes.advance(forces)
        if t + 1 < max_steps:
            rtg[:, t + 1] = rtg[:, t] - episodes.rewards[:, t]
    return episodes.result()


def target_sweep(model: DecisionTransformer, targets, initial_states, params: CartPoleParams = DEFAULT_PARAMS,
                 max_steps: int = MAX_STEPS) -> Rollout:
    """Each of the ``(G,)`` targets played from each of the ``(N, 4)`` starts, as one batch of :func:`rollout_dt`.

    Episode ``g * N + i`` is target g from start i, so ``run.returns.reshape(G, N)`` are the achieved
    returns by target, and ``run.select(slice(g * N, (g + 1) * N))`` is target g's rollout.
    """
    targets = np.asarray(targets, dtype=np.float64)
    if targets.ndim != 1 or targets.size == 0:
        raise ValueError(f"targets must be a non-empty 1-D array, got shape {targets.shape}")
    starts = check_initial_states(initial_states)
    return rollout_dt(model, np.repeat(targets, len(starts)), np.tile(starts, (len(targets), 1)), params, max_steps)


def tracking_error(targets, achieved) -> float:
    """Mean over the targets of ``|mean achieved - target| / target``: 0 is a perfect dial.

    Args:
        targets: ``(G,)`` positive target returns.
        achieved: ``(G, N)`` achieved returns, e.g. ``target_sweep(...).returns.reshape(G, N)``.
    """
    targets = np.asarray(targets, dtype=np.float64)
    achieved = np.asarray(achieved, dtype=np.float64)
    if targets.ndim != 1 or achieved.ndim != 2 or achieved.shape[0] != targets.shape[0] or achieved.shape[1] == 0:
        raise ValueError(f"achieved must have shape (G, N) with G = len(targets) = {targets.shape}, "
                         f"got {achieved.shape}")
    if not (np.isfinite(targets).all() and (targets > 0).all()):
        raise ValueError(f"targets must be positive and finite, got {targets!r}")
    return float(np.mean(np.abs(achieved.mean(axis=1) - targets) / targets))


def copy_coefficient(run: Rollout) -> float:
    """How much a policy leans on its previous force: c of the least-squares fit ``a_t = c a_(t-1) + k theta_t``.

    The fit runs over steps 1 .. length - 1 of every episode of ``run``. The heuristic u = K theta has
    c = 0; a policy that copies its previous force has c near 1, and acts as if a step late.
    """
    if not isinstance(run, Rollout):
        raise TypeError(f"run must be a Rollout, got {type(run).__name__}")
    steps = np.arange(1, run.actions.shape[1])[None, :] < run.lengths[:, None]
    if steps.sum() < 2:
        raise ValueError("run must hold at least two steps after the first to fit two coefficients")
    design = np.column_stack([run.actions[:, :-1][steps], run.states[:, 1:-1, 0][steps]])
    return float(np.linalg.lstsq(design, run.actions[:, 1:][steps], rcond=None)[0][0])
