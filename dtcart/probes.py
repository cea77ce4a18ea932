"""Linear probes: how much of a hidden quantity a set of features carries.

Chapter 7 asks what tells the Decision Transformer which of the log's
behaviours to imitate. Each episode of the book's log has its own gain, and
maybe a step where its controller gives out; neither is in the model's
input. A probe fits the hidden quantity from some features by least squares
on part of the rows, and scores the fit by its R² on the rest: 1 if the
features determine it linearly, 0 if they say nothing a constant would not.
:func:`sample_log` draws the rows and every set of features the chapter
probes; :func:`hidden_states` reads what the trained model made of them.
:func:`episode_tokens` writes one logged episode as the tokens Chapters 3
and 4 attend over.
"""

from __future__ import annotations

import numpy as np
import torch

from .checks import (
    check_shaped,
    check_type,
    expect,
    finite_array,
    integer,
    number,
    positive_int,
    require,
)
from .data import Dataset
from .model import DecisionTransformer, DTConfig
from .train import fit_scalings

#: The channels of :func:`episode_tokens`: one kind of token in each group.
TOKEN_CHANNELS = ("R", "theta", "theta_dot", "x", "x_dot", "a")


def probe_r2(features, target, train_share: float = 0.7,
             seed: int = 0) -> float:
    """R² on held-out rows of the least-squares fit ``target ~ features w + b``.

    Args:
        features: ``(n, f)`` (or ``(n,)``, one feature) real numbers.
        target: ``(n,)`` the quantity probed.
        train_share: the share of the rows, drawn at random with ``seed``,
            that the fit sees; it is scored on the others.
        seed: seed of the split.

    Returns:
        ``1 - SSE / SST`` on the held-out rows, SST around their own mean:
        1 for a perfect fit, 0 for one no better than a constant, negative
        for a worse one.

    Raises:
        ValueError: if the shapes do not fit, a value is not finite, the
            split leaves fewer than two rows on either side, or the held-out
            target is constant.
    """
    x, y, fit, held = _probe_rows(features, target, train_share, seed)
    design = np.column_stack([x, np.ones(len(y))])  # features and a constant
    w = np.linalg.lstsq(design[fit], y[fit], rcond=None)[0]
    residual = y[held] - design[held] @ w
    spread = y[held] - y[held].mean()
    return float(1 - residual @ residual / (spread @ spread))


def _probe_rows(features, target, train_share, seed):
    """``(x (n, f), y (n,), fit rows, held-out rows)`` for :func:`probe_r2`,
    or raise ``ValueError`` naming what is wrong."""
    x = finite_array(features, "features", "a finite (n, f) array", lambda a: a.ndim in (1, 2))
    y = check_shaped(target, "target", (len(x),))
    x = x[:, None] if x.ndim == 1 else x
    train_share = number(train_share, "train_share", lambda s: 0 < s < 1, "in (0, 1)")
    order = np.random.default_rng(seed).permutation(len(y))
    fit, held = np.split(order, [round(train_share * len(y))])
    require(min(len(fit), len(held)) >= 2, f"train_share {train_share!r} leaves under 2 rows on a side")
    require(np.ptp(y[held]) != 0, "the held-out target is constant: R² is undefined")
    return x, y, fit, held


def sample_log(ds: Dataset, n: int, context: int, seed: int = 0) -> dict:
    """``n`` random steps of the log, each with what is hidden at it and what
    a model could see.

    A step t of episode e is drawn uniformly among the steps the episodes
    took with a full window behind them (``t >= context - 1``).

    Returns:
        A dict of arrays, n rows each: the hidden quantities ``gain``, the
        controller's gain at t [N/rad] (``ds.drop_gains`` from its drop on),
        and ``given_out``, 1.0 once the controller has given out, else 0.0;
        the features ``episode_return``, R̂_t + t (the episode's return),
        ``state``, s_t ``(n, 4)``, and ``history``, the raw window of the
        ``context`` states up to s_t and the forces before a_t ``(n,
        5 context - 1)``; and ``window``, the model's inputs for the step
        (returns-to-go ``(n, C, 1)``, states ``(n, C, 4)``, actions ``(n, C,
        1)`` with a_t zeroed, timesteps ``(n, C)``), as
        :func:`dtcart.evaluate.context_window` gives them.
    """
    check_type(ds, Dataset, "ds")
    n, context = positive_int(n, "n"), positive_int(context, "context")
    steps = np.arange(ds.max_steps)[None, :]  # (1, T)
    valid = (steps >= context - 1) & (steps < ds.lengths[:, None])  # (N, T)
    require(valid.any(), f"no episode of ds is {context} steps long")
    episode, t = np.nonzero(valid)
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(t), size=n, replace=n > len(t))
    e, t = episode[pick], t[pick]  # (n,) episodes and steps
    span = t[:, None] - context + 1 + np.arange(context)  # (n, C) steps
    states = ds.states[e[:, None], span]  # (n, C, 4)
    actions = ds.actions[e[:, None], span].copy()  # (n, C)
    actions[:, -1] = 0.0  # a_t is what is being chosen
    dropped = t >= ds.drop_steps[e]
    rtg = ds.rtg  # (N, T)
    as_float = dict(dtype=torch.float32)
    return {
        "gain": np.where(dropped, ds.drop_gains[e], ds.gains[e]),
        "given_out": dropped.astype(np.float64),
        "episode_return": rtg[e, t] + t,
        "state": states[:, -1],
        "history": np.column_stack([states.reshape(n, -1), actions[:, :-1]]),
        "window": (torch.as_tensor(rtg[e[:, None], span, None], **as_float),
                   torch.as_tensor(states, **as_float),
                   torch.as_tensor(actions[..., None], **as_float),
                   torch.as_tensor(span)),
    }


@torch.inference_mode()
def hidden_states(model: DecisionTransformer, window) -> np.ndarray:
    """``(n, d_model)``: the model's last hidden state at the last state
    token of each window (after the final LayerNorm), the vector its action
    is read from."""
    check_type(model, DecisionTransformer, "model")
    require(isinstance(window, (tuple, list)) and len(window) == 4, "window must be the model's "
            "4 inputs (returns_to_go, states, actions, timesteps), as sample_log gives", TypeError)
    model.eval()
    seen = []
    hook = model.ln_f.register_forward_hook(
        lambda module, args, out: seen.append(out[:, -1]))  # (n, T, d)
    try:
        model(*window)
    finally:
        hook.remove()
    return seen[0].double().numpy()


def episode_tokens(ds: Dataset, episode: int, steps,
                   config: DTConfig | None = None) -> np.ndarray:
    """``(3n, 6)``: the tokens ``R_t, s_t, a_t`` of the ``(n,)`` ``steps`` of
    one episode of ``ds``, in the Decision Transformer's order and scalings
    (``config``'s; by default :func:`dtcart.train.fit_scalings` of ``ds``).

    Each kind of token has its own channels (:data:`TOKEN_CHANNELS`), the
    others 0: ``R_t / rtg_scale`` in channel 0, ``(s_t - mean) / std`` in
    1-4, ``a_t / action_scale`` in 5.
    """
    check_type(ds, Dataset, "ds")
    episode = integer(episode, "episode", 0, len(ds) - 1)
    steps, took = np.asarray(steps), ds.lengths[episode]
    expect(steps.ndim == 1 and steps.dtype.kind in "iu" and len(steps) and 0 <= steps.min()
           and steps.max() < took, "steps", f"1-D, steps episode {episode} took (0..{took - 1})", steps)
    c = fit_scalings(ds) if config is None \
        else check_type(config, DTConfig, "config")
    tokens = np.zeros((len(steps), 3, len(TOKEN_CHANNELS)))  # (n, 3, 6)
    tokens[:, 0, 0] = ds.rtg[episode, steps] / c.rtg_scale
    tokens[:, 1, 1:5] = (ds.states[episode, steps] - c.state_mean) \
        / c.state_std
    tokens[:, 2, 5] = ds.actions[episode, steps] / c.action_scale
    return tokens.reshape(-1, len(TOKEN_CHANNELS))  # (n, 3, 6) -> (3n, 6)
