"""Acting with a trained Decision Transformer: ask for a return, and decrement it as rewards come."""

from __future__ import annotations

import numpy as np
import torch

from .checks import (
    check_episode,
    check_episodes,
    check_grid,
    check_pushes,
    check_retarget,
    check_targets,
    check_type,
    expect,
    positive_int,
    require,
)
from .control import MAX_STEPS, EpisodeBatch, Rollout
from .model import DecisionTransformer
from .physics import DEFAULT_PARAMS, CartPoleParams


def rollout_dt(model: DecisionTransformer, target_return, initial_states,
               params: CartPoleParams = DEFAULT_PARAMS,
               max_steps: int = MAX_STEPS, pushes=None,
               retarget=None) -> Rollout:
    """Run a batch of episodes with the Decision Transformer as the policy,
    under the task's rules.

    The first return-to-go is ``target_return``; after each step it drops by
    that step's reward, exactly as the dataset's returns-to-go do
    (R_{t+1} = R_t - r_t). At step t the model sees the last
    ``K = model.config.context`` steps (all of them while t < K), with a zero
    placeholder for the action it is about to choose (:func:`context_window`);
    one forward pass serves the whole batch.

    Args:
        model: a trained :class:`DecisionTransformer`.
        target_return: the return to ask for: a scalar, or ``(N,)`` one per
            episode.
        initial_states: ``(N, 4)`` start states.
        params: the physical constants.
        max_steps: the step at which an episode is cut; at most
            ``model.config.max_timestep``.
        pushes: optional ``(N, max_steps)`` random shoves [N] from the world,
            as in :func:`dtcart.control.rollout`.
        retarget: optional ``{step: new return-to-go}``, the dial turned
            mid-episode: before choosing the action of ``step`` (an integer in
            ``0 .. max_steps - 1``) the return-to-go becomes the new value (a
            scalar, or ``(N,)`` one per episode), and later steps decrement
            from it as usual. The returns-to-go of earlier steps, still in the
            context, keep the values the model was given then.

    Returns:
        A :class:`dtcart.control.Rollout`, as :func:`dtcart.control.rollout`
        gives.

    Raises:
        ValueError: for a non-finite target, bad start states,
            ``max_steps`` beyond the timestep embedding, or a ``retarget``
            step outside the episode or value that is not finite.
        TypeError: if ``model`` is not a :class:`DecisionTransformer`, or
            ``retarget`` is not a mapping.
    """
    episodes = EpisodeBatch(initial_states, params, max_steps)
    _check_model(model, episodes.max_steps)
    target = check_targets(target_return, len(episodes.alive))
    pushes = check_pushes(pushes, len(target), episodes.max_steps)
    retarget = check_retarget(retarget, len(target), episodes.max_steps)
    return _play_dt(model, target, episodes, pushes, retarget)


def _check_model(model: DecisionTransformer, max_steps: int) -> None:
    """Raise unless ``model`` is a :class:`DecisionTransformer` whose timestep
    embedding reaches ``max_steps``."""
    check_type(model, DecisionTransformer, "model")
    horizon = model.config.max_timestep
    expect(max_steps <= horizon, "max_steps", f"at most the model's max_timestep {horizon}", max_steps)


@torch.inference_mode()
def _play_dt(model: DecisionTransformer, target: np.ndarray,
             episodes: EpisodeBatch, pushes=None, retarget=None) -> Rollout:
    """The core of :func:`rollout_dt`: play ``episodes`` asking for the
    ``(N,)`` returns ``target`` (``pushes``: the world's shoves, or None;
    ``retarget``: ``{step: (N,) new return-to-go}``, or None)."""
    model.eval()
    device = next(model.parameters()).device
    rtg = np.empty((len(target), episodes.max_steps))  # (N, T) returns-to-go
    rtg[:, 0] = target
    while not episodes.done:
        t, alive = episodes.t, episodes.alive
        if retarget and t in retarget:  # the dial turned before step t
            rtg[:, t] = retarget[t]
        window = context_window(episodes, rtg, t, model.config.context, alive)
        predicted = model(*(torch.as_tensor(w, device=device) for w in window))
        forces = np.zeros(len(target))
        forces[alive] = predicted[:, -1, 0].double().cpu().numpy()  # a_t [N]
        episodes.advance(forces, None if pushes is None else pushes[:, t])
        if t + 1 < episodes.max_steps:  # R_{t+1} = R_t - r_t
            rtg[:, t + 1] = rtg[:, t] - episodes.rewards[:, t]
    return episodes.result()


def context_window(run, rtg, t: int, context: int, rows=slice(None)):
    """What the model sees to choose action ``t``: the last ``context`` steps
    up to ``t`` of the episodes ``rows`` of ``run``.

    Args:
        run: an :class:`~dtcart.control.EpisodeBatch` being played, or a
            finished :class:`~dtcart.control.Rollout`.
        rtg: ``(N, T)`` returns-to-go before each step (see
            :func:`played_returns_to_go`).
        t: the step whose action is chosen.
        context: K, the steps the model sees.
        rows: which episodes (a mask, indices or a slice of the first axis).

    Returns:
        Tensors ``(returns-to-go (n, k, 1), states (n, k, 4), actions
        (n, k, 1), timesteps (n, k))``, k = min(K, t + 1), float32 but for
        the int64 timesteps: the inputs of :class:`DecisionTransformer`.
        The last action is a 0 placeholder for the one being chosen.
    """
    lo = max(0, t + 1 - context)  # first step of the window
    states = run.states[rows, lo:t + 1]  # (n, k, 4)
    actions = np.zeros(states.shape[:2] + (1,))  # (n, k, 1)
    actions[:, :-1, 0] = run.actions[rows, lo:t]  # a_t itself is unknown: 0
    timesteps = torch.arange(lo, t + 1).expand(len(states), -1)  # (n, k)
    return (torch.as_tensor(rtg[rows, lo:t + 1, None], dtype=torch.float32),
            torch.as_tensor(states, dtype=torch.float32),
            torch.as_tensor(actions, dtype=torch.float32), timesteps)


def played_returns_to_go(target_return, run: Rollout) -> np.ndarray:
    """``(N, T)`` returns-to-go :func:`rollout_dt` fed the episodes of ``run``
    played at ``target_return`` (a scalar or ``(N,)``): the target, less one
    reward per step taken, in the same float64 arithmetic."""
    check_type(run, Rollout, "run")
    target = check_targets(target_return, run.rewards.shape[0])
    steps = np.column_stack([target, run.rewards[:, :-1]])
    return np.subtract.accumulate(steps, axis=1)  # R_{t+1} = R_t - r_t


def target_sweep(model: DecisionTransformer, targets, initial_states,
                 params: CartPoleParams = DEFAULT_PARAMS,
                 max_steps: int = MAX_STEPS, pushes=None,
                 progress: bool = False) -> Rollout:
    """Each of the ``(G,)`` targets played from each of the ``(N, 4)`` starts,
    as one batch of :func:`rollout_dt`.

    Episode ``g * N + i`` is target g from start i, so
    ``run.returns.reshape(G, N)`` are the achieved returns by target, and
    ``run.select(slice(g * N, (g + 1) * N))`` is target g's rollout.
    ``pushes``, ``(N, max_steps)`` [N] or None: start i meets the same shoves
    whatever the target. ``progress``: a progress bar (tqdm) over the steps.
    """
    targets = check_grid(targets, "targets")
    starts, params, max_steps = check_episodes(initial_states, params, max_steps)
    _check_model(model, max_steps)
    check_type(progress, bool, "progress")
    target = np.repeat(targets, len(starts))  # (G N,) target g of episode g N + i
    batch = _TickingBatch if progress else EpisodeBatch
    episodes = batch._unchecked(np.tile(starts, (len(targets), 1)), params,
                                max_steps)
    if pushes is not None:  # (N, T) checked, then one copy per target
        pushes = check_pushes(pushes, len(starts), max_steps)
        pushes = np.tile(pushes, (len(targets), 1))  # (G N, T)
    if not progress:
        return _play_dt(model, target, episodes, pushes)
    from tqdm.auto import tqdm

    with tqdm(total=max_steps, desc=f"{len(target)} episodes", unit="step",
              mininterval=1.0) as bar:
        episodes.bar = bar
        run = _play_dt(model, target, episodes, pushes)
        bar.total = bar.n  # all ended: a full bar, not a failure
        bar.refresh()
    return run


class _TickingBatch(EpisodeBatch):
    """An :class:`EpisodeBatch` that moves its progress bar ``bar`` one step
    per :meth:`advance`: a progress bar for a rollout, outside its loop."""

    bar = None

    def advance(self, forces, pushes=None) -> None:
        super().advance(forces, pushes)
        self.bar.update()


def tracking_error(targets, achieved) -> float:
    """Mean over the targets of ``|mean achieved - target| / target``: 0 is a perfect dial.

    Args:
        targets: ``(G,)`` positive target returns.
        achieved: ``(G, N)`` achieved returns, e.g. ``target_sweep(...).returns.reshape(G, N)``.
    """
    targets = np.asarray(targets, dtype=np.float64)
    achieved = np.asarray(achieved, dtype=np.float64)
    require(targets.ndim == 1 and achieved.ndim == 2 and achieved.shape[0] == len(targets) and achieved.shape[1],
            f"achieved must have shape (G, N) with G = len(targets) = {targets.shape}, got {achieved.shape}")
    require(np.isfinite(targets).all() and (targets > 0).all(), f"targets must be positive and finite, got {targets!r}")
    return float(np.mean(np.abs(achieved.mean(axis=1) - targets) / targets))


def copy_coefficient(run: Rollout) -> float:
    """How much a policy leans on its previous force: c of the least-squares
    fit ``a_t = c a_(t-1) + k theta_t``.

    The fit runs over steps 1 .. length - 1 of every episode of ``run``. The
    heuristic u = K theta has c = 0; a policy that copies its previous force
    has c near 1, and acts as if a step late.
    """
    steps = _check_fit_steps(run)  # (N, T - 1): steps 1 .. length - 1
    previous, theta = run.actions[:, :-1][steps], run.states[:, 1:-1, 0][steps]
    design = np.column_stack([previous, theta])  # a_t = c a_(t-1) + k theta_t
    fit = np.linalg.lstsq(design, run.actions[:, 1:][steps], rcond=None)
    return float(fit[0][0])  # c


def _check_fit_steps(run) -> np.ndarray:
    """The steps ``copy_coefficient`` fits, ``(N, T - 1)`` bool, or raise
    unless ``run`` is a Rollout with at least two of them."""
    check_type(run, Rollout, "run")
    steps = np.arange(1, run.actions.shape[1])[None, :] < run.lengths[:, None]
    require(steps.sum() >= 2, "run must hold at least two steps after the first to fit two coefficients")
    return steps


def effective_gain(states, actions, length, window: int = 25) -> np.ndarray:
    """``(length,)`` the gain [N/rad] a policy's forces amount to: at step t,
    the least-squares g of ``a_s = g theta_s`` over the last ``window`` steps
    s (25: half a second). The heuristic u = K theta gives K exactly; a
    policy that lets the pole go drops below K* = (M + m) g."""
    states, length = check_episode(states, length)
    actions = np.asarray(actions, dtype=np.float64)
    require(actions.ndim == 1 and len(actions) >= length and (length >= 1),
            f"actions must have shape (T,) with T >= length >= 1, got {actions.shape} and length {length}")
    window = positive_int(window, "window")
    theta, force = states[:length, 0], actions[:length]
    # running sums of a theta and theta^2; a window is a difference of two
    fit = np.concatenate([[0.0], np.cumsum(force * theta)])
    norm = np.concatenate([[0.0], np.cumsum(theta * theta)])
    end = np.arange(1, length + 1)
    start = np.maximum(end - window, 0)
    return (fit[end] - fit[start]) / (norm[end] - norm[start])
