"""Training the Decision Transformer on the heuristic's logged episodes, and checkpoints.

The recipe is plain supervised learning: cut the episodes into windows of K consecutive steps,
feed each window's returns-to-go, states and actions, and regress the logged actions (mean
squared error, in units of the model's ``action_scale``). AdamW, a linear warmup, and gradient
clipping keep the first updates of a freshly initialised transformer from blowing up.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from .checks import (
    check_type,
    dropout_rate,
    integer,
    nonnegative,
    nonnegative_int,
    positive_int,
    positive_number,
    require,
    validate_fields,
)
from .data import Dataset, book_dataset
from .model import DecisionTransformer, DTConfig

CHECKPOINT_FORMAT = "dtcart-decision-transformer-1"


@dataclass(frozen=True)
class TrainConfig:
    """The optimisation recipe.

    Attributes:
        steps: number of gradient updates.
        batch_size: windows (or, for behaviour cloning, steps) per update.
        lr: peak learning rate of AdamW.
        weight_decay: AdamW's decoupled weight decay.
        warmup: updates over which the learning rate rises linearly from 0 to ``lr``;
            it then decays along a half cosine to ``lr / 10``.
        grad_clip: the gradients' global norm is clipped to this.
        threads: CPU threads torch may use while training (restored afterwards). The book's model
            is so small that a second thread barely helps; one leaves the other core free.
        average: if > 0, the model ends with an exponential moving average of its weights over
            the updates, with this decay per update (Polyak averaging); it smooths away the
            jitter that noisy targets leave in the last updates. 0 keeps the last weights.
    """

    steps: int = 2000
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 1e-4
    warmup: int = 200
    grad_clip: float = 1.0
    threads: int = 1
    average: float = 0.0

    def __post_init__(self):
        validate_fields(self, steps=positive_int, batch_size=positive_int, lr=positive_number,
                        weight_decay=nonnegative, warmup=nonnegative_int, grad_clip=positive_number,
                        threads=positive_int, average=dropout_rate)


DEFAULT_TRAIN = TrainConfig(average=0.995)
DEFAULT_MODEL = DTConfig(d_model=32, n_layers=2, n_heads=1, context=10, dropout=0.0)
Batch = dict  # name -> tensor


def episode_mask(ds: Dataset) -> np.ndarray:
    """``(N, T)`` bool, True at the steps an episode actually took (before its end)."""
    return np.arange(ds.max_steps)[None, :] < ds.lengths[:, None]


def fit_scalings(ds: Dataset, config: DTConfig = DEFAULT_MODEL) -> DTConfig:
    """``config`` with the dataset's state mean/std and force scale filled in.

    The statistics are over the steps the episodes took (not the frozen states after an end);
    ``action_scale`` is the standard deviation of the logged forces [N]; ``rtg_scale`` is the
    dataset's best return, so returns-to-go enter the network in [0, 1].
    """
    check_type(ds, Dataset, "ds")
    check_type(config, DTConfig, "config")
    mask = episode_mask(ds)
    states, forces = ds.states[:, :-1][mask], ds.actions[mask]
    return DTConfig(**{**config.to_dict(), "state_mean": tuple(states.mean(axis=0)),
                       "state_std": tuple(states.std(axis=0)), "action_scale": float(forces.std()),
                       "rtg_scale": float(ds.returns.max())})


class WindowSampler:
    """Random windows of K consecutive steps, every window inside an episode equally likely.

    An episode of length L holds L - K + 1 windows, so it is drawn in proportion to its length
    (episodes shorter than K are skipped). ``sample(rng, batch_size)`` returns a dict of tensors
    ``returns_to_go (B, K, 1)``, ``states (B, K, 4)``, ``actions (B, K, 1)`` [N], ``timesteps (B, K)``.
    """

    def __init__(self, ds: Dataset, context: int):
        check_type(ds, Dataset, "ds")
        self.context = context
        counts = np.maximum(ds.lengths - context + 1, 0)
        require(counts.sum() != 0, f"no episode is at least {context} steps long (the context)")
        self.cumulative = np.cumsum(counts)
        self.start_offset = self.cumulative - counts
        self.rtg = torch.as_tensor(np.ascontiguousarray(ds.rtg), dtype=torch.float32)[..., None]
        self.states = torch.as_tensor(ds.states[:, :-1], dtype=torch.float32)
        self.actions = torch.as_tensor(ds.actions, dtype=torch.float32)[..., None]

    def sample(self, rng: np.random.Generator, batch_size: int) -> Batch:
        flat = rng.integers(0, self.cumulative[-1], size=batch_size)
        episode = np.searchsorted(self.cumulative, flat, side="right")
        start = flat - self.start_offset[episode]
        steps = torch.as_tensor(start[:, None] + np.arange(self.context))  # (B, K)
        ep = torch.as_tensor(episode[:, None])
        return {"returns_to_go": self.rtg[ep, steps], "states": self.states[ep, steps],
                "actions": self.actions[ep, steps], "timesteps": steps}


def dt_loss(model: DecisionTransformer, batch: Batch) -> torch.Tensor:
    """Mean squared error of the predicted actions, in units of action_scale."""
    predicted = model(batch["returns_to_go"], batch["states"], batch["actions"],
                      batch["timesteps"])
    error = (predicted - batch["actions"]) / model.config.action_scale
    return (error**2).mean()


def training_step(model: nn.Module, optimizer: torch.optim.Optimizer, scheduler,
                  batch: Batch, loss_fn: Callable, grad_clip: float) -> float:
    """One update: loss, backpropagation, clip the gradient's norm, AdamW step,
    learning-rate step."""
    model.train()
    loss = loss_fn(model, batch)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), grad_clip, foreach=True)
    optimizer.step()
    scheduler.step()
    return loss.item()


def lr_factor(step: int, train: TrainConfig) -> float:
    """Linear warmup to 1 over ``train.warmup`` updates, then a half cosine down to 0.1."""
    if step < train.warmup:
        return (step + 1) / train.warmup
    progress = (step - train.warmup) / max(1, train.steps - train.warmup)
    return 0.1 + 0.45 * (1.0 + math.cos(math.pi * min(progress, 1.0)))


def fit(model: nn.Module, sample: Callable, loss_fn: Callable, train: TrainConfig = DEFAULT_TRAIN,
        seed: int = 0, progress: bool = False) -> np.ndarray:
    """Optimise ``model`` in place and return the loss of every update, ``(train.steps,)``.

    ``sample(rng, batch_size)`` draws a batch (a dict of tensors) and ``loss_fn(model, batch)``
    scores it; the Decision Transformer and the behaviour-cloning baselines share this loop.
    """
    check_type(train, TrainConfig, "train")
    rng = np.random.default_rng(seed)
    decay = [p for p in model.parameters() if p.dim() >= 2]  # matrices and embeddings; not biases or norms
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": train.weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=train.lr,
                                  fused=True)  # one kernel updates every tensor
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, train))
    losses = np.empty(train.steps)
    steps = range(train.steps)
    if progress:
        from tqdm.auto import tqdm
        steps = tqdm(steps, desc="training", unit="step", mininterval=1.0)
    # the weights' exponential moving average (public API; starts at the
    # initial weights, then a += (1 - average) (p - a) after every update)
    ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(train.average),
                        use_buffers=False) if train.average else None
    if ema is not None:
        ema.update_parameters(model)
    threads = torch.get_num_threads()
    torch.set_num_threads(train.threads)
    try:
        for i in steps:
            losses[i] = training_step(model, optimizer, scheduler, sample(rng, train.batch_size), loss_fn,
                                      train.grad_clip)
            if ema is not None:
                ema.update_parameters(model)
    finally:
        torch.set_num_threads(threads)
    if ema is not None:
        with torch.no_grad():
            for p, a in zip(model.parameters(), ema.module.parameters()):
                p.copy_(a)
    model.eval()
    return losses


def train_dt(ds: Dataset, config: DTConfig = DEFAULT_MODEL, train: TrainConfig = DEFAULT_TRAIN, seed: int = 0,
             progress: bool = False) -> tuple[DecisionTransformer, np.ndarray]:
    """Train a Decision Transformer on ``ds``; returns ``(model, losses (train.steps,))``.

    The state and force scalings are fitted to ``ds`` (:func:`fit_scalings`) and stored in the
    model's config. Deterministic for a given ``seed``.
    """
    config = fit_scalings(ds, config)  # checks ds and config (fit checks train)
    torch.manual_seed(seed)
    model = DecisionTransformer(config=config)
    sampler = WindowSampler(ds, model.config.context)
    return model, fit(model, sampler.sample, dt_loss, train, seed, progress)


def train_default(seed: int = 0, progress: bool = False) -> tuple[DecisionTransformer, np.ndarray]:
    """The book's Decision Transformer: :func:`book_dataset` and the book's hyper-parameters.

    ``seed`` seeds the initialisation and the window sampling (the dataset is always the book's).
    Returns ``(model, losses)``; the model is in eval mode on the CPU.
    """
    seed = integer(seed, "seed", 0)  # numpy's generators refuse a negative seed
    return train_dt(book_dataset(), DEFAULT_MODEL, DEFAULT_TRAIN, seed, progress)


def save_checkpoint(model: DecisionTransformer, path) -> None:
    """Write the model's config (scalings included) and weights to ``path`` (a ``torch.save`` file)."""
    check_type(model, DecisionTransformer, "model")
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    torch.save({"format": CHECKPOINT_FORMAT, "config": model.config.to_dict(), "state_dict": state},
               os.fspath(path))


def load_checkpoint(path) -> DecisionTransformer:
    """Read a model written by :func:`save_checkpoint` (safely: ``weights_only=True``), in eval mode.

    Raises:
        ValueError: if the file is truncated, corrupt, or not a dtcart Decision Transformer checkpoint.
    """
    path = os.fspath(path)
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        require(payload["format"] == CHECKPOINT_FORMAT, "it holds no Decision Transformer")
    except FileNotFoundError:
        raise
    except Exception as err:  # truncated, corrupt, not plain tensors and containers, or no DT's
        raise ValueError(f"{path!r} is truncated, corrupt or not a dtcart checkpoint: {err}") from err
    model = DecisionTransformer(config=DTConfig.from_dict(payload.get("config")))
    try:
        model.load_state_dict(payload.get("state_dict"))
    except (RuntimeError, TypeError, AttributeError) as err:
        raise ValueError(f"{path!r} holds weights that do not fit its config: {err}") from err
    return model.eval()
