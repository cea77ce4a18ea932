"""What keeping the speed tricks off the teaching path costs (issue 23), timed
in one run, on one thread, the variants interleaved.

(a) One training update of the book's model (``dt_loss``, backward, AdamW) as
    the book shows it, every block computing every token, against the same
    model whose last block computes the state tokens only (the outputs the
    action is read from; the trick the displayed forward used to carry). The
    variant lives here, off the displayed path.
(b) ``physics.step`` on 16,384 carts with numpy's sin and cos, against the
    same step with both from one tan of the half angle,
    sin = 2t / (1 + t^2), cos = (1 - t^2) / (1 + t^2), t = tan(theta / 2).

``python -m benchmarks --only teaching`` records ``results.json["teaching"]``.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import asdict
from unittest import mock

import numpy as np
import torch

from dtcart import physics
from dtcart.data import book_dataset
from dtcart.model import DecisionTransformer
from dtcart.train import (
    DEFAULT_MODEL,
    DEFAULT_TRAIN,
    WindowSampler,
    dt_loss,
    fit_scalings,
)

from .dt_bench import with_threads
from .timing import best_time

CARTS = 16_384


def settings() -> dict:
    """What the record measured; the appendix refuses a record made with
    other settings."""
    return {"model": DEFAULT_MODEL.to_dict(), "train": asdict(DEFAULT_TRAIN),
            "carts": CARTS, "threads": 1}


def states_only_forward(model: DecisionTransformer, returns_to_go, states,
                        actions, timesteps) -> torch.Tensor:
    """``model``'s forward with its last (pre-LN) block computing the state
    tokens' outputs only: the same actions, less arithmetic."""
    h = model.embed(returns_to_go, states, actions, timesteps)  # (B, 3T, d)
    for block in model.blocks[:-1]:
        h = block(h)
    last, picked = model.blocks[-1], slice(1, None, 3)  # s_1, s_2, ...
    attn = last.attn
    q, k, v = attn.heads(last.ln1(h))  # (B, h, 3T, d_head)
    scores = q[:, :, picked] @ k.transpose(-2, -1) / math.sqrt(attn.d_head)
    allowed = attn.mask(h.shape[1], h.device)[picked]  # (T, 3T)
    weights = torch.softmax(scores.masked_fill(~allowed, -math.inf), dim=-1)
    out = attn.out_proj((attn.attn_dropout(weights) @ v).transpose(1, 2)
                        .flatten(2))  # (B, T, d)
    h = h[:, picked] + last.resid_dropout(out)
    h = h + last.mlp(last.ln2(h))
    return model.predict_action(model.ln_f(h)) * model.config.action_scale


def _updater(model, batches, forward=None):
    """A callable that runs one AdamW update per batch of ``batches``."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=DEFAULT_TRAIN.lr)
    patch = mock.patch.object(model, "forward", forward.__get__(model)) \
        if forward else contextlib.nullcontext()

    def run():
        with patch:
            for batch in batches:
                loss = dt_loss(model, batch)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
    return run


def training(steps: int, repeat: int) -> dict:
    ds = book_dataset()
    torch.manual_seed(0)
    model = DecisionTransformer(config=fit_scalings(ds, DEFAULT_MODEL)).train()
    sampler = WindowSampler(ds, model.config.context)
    rng = np.random.default_rng(0)
    batches = [sampler.sample(rng, DEFAULT_TRAIN.batch_size)
               for _ in range(steps)]
    with torch.no_grad():
        gap = (model(**batches[0]) - states_only_forward(model, **batches[0])
               ).abs().max().item()
    shown, trick = _updater(model, batches), _updater(
        model, batches, states_only_forward)
    times = {"shown": [], "states_only": []}
    for _ in range(repeat):  # interleaved: a busy moment hits both
        times["shown"].append(best_time(shown, repeat=1) / steps)
        times["states_only"].append(best_time(trick, repeat=1) / steps)
    best = {k: min(v) for k, v in times.items()}
    return {"update_ms": {k: 1e3 * v for k, v in best.items()},
            "ratio": best["shown"] / best["states_only"], "max_gap": gap,
            "steps": steps, "repeat": repeat}


class _TanHalfAngle:
    """numpy for ``physics``, except that ``sin`` computes sin and cos from
    one tan of the half angle, and the ``cos`` that follows returns that cos
    (``_accelerations`` calls ``np.sin(theta), np.cos(theta)``)."""

    def __getattr__(self, name):
        return getattr(np, name)

    def sin(self, theta):
        t = np.tan(0.5 * theta)
        inv = 1.0 / (1.0 + t * t)
        self.last_cos = (1.0 - t * t) * inv
        return 2.0 * t * inv

    def cos(self, theta):
        return self.last_cos


def tan_half_angle_step(state, force, params=physics.DEFAULT_PARAMS):
    """``physics.step`` with sin and cos from one tan of the half angle."""
    with mock.patch.object(physics, "np", _TanHalfAngle()):
        return physics.step(state, force, params)


def physics_step(repeat: int) -> dict:
    rng = np.random.default_rng(0)
    state = np.zeros((CARTS, 4))
    state[:, 0] = rng.uniform(-0.3, 0.3, CARTS)
    gap = np.abs(tan_half_angle_step(state, 1.0)
                 - physics.step(state, 1.0)).max()
    times = {"sin_cos": [], "tan_half_angle": []}
    for _ in range(repeat):
        times["sin_cos"].append(best_time(lambda: physics.step(state, 1.0),
                                          min_time=0.2, repeat=1))
        times["tan_half_angle"].append(best_time(
            lambda: tan_half_angle_step(state, 1.0), min_time=0.2, repeat=1))
    best = {k: min(v) for k, v in times.items()}
    return {"step_us": {k: 1e6 * v for k, v in best.items()},
            "ratio": best["sin_cos"] / best["tan_half_angle"],
            "max_gap": float(gap), "repeat": repeat}


def run(quick: bool = False) -> dict:
    return with_threads(1, lambda: {
        "settings": settings(),
        "training": training(steps=10 if quick else 40,
                             repeat=2 if quick else 7),
        "physics": physics_step(repeat=2 if quick else 7),
    })
