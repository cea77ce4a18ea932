"""Baselines on the same data: behaviour cloning (BC) and filtered BC on the best episodes.

BC is the plainest offline learner: regress the logged force on the current state, with no
notion of return. Filtered BC (the paper's "%BC") does the same on the top fraction of episodes
by return. Both train with :func:`dtcart.train.fit`, the loop the Decision Transformer uses.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .control import Policy
from .data import Dataset
from .train import DEFAULT_TRAIN, Batch, TrainConfig, episode_mask, fit


class StateMLP(nn.Module):
    """A policy network from states ``(B, 4)`` [SI units] to forces ``(B,)`` [N].

    Two hidden layers of ``hidden`` GELU units; inputs are standardised with the training data's
    state mean and standard deviation, outputs scaled by the logged forces' standard deviation
    (the same scalings as the Decision Transformer's).
    """

    def __init__(self, state_mean, state_std, action_scale: float, hidden: int = 64):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4, hidden), nn.GELU(), nn.Linear(hidden, hidden), nn.GELU(),
                                 nn.Linear(hidden, 1))
        self.register_buffer("state_mean", torch.as_tensor(state_mean, dtype=torch.float32))
        self.register_buffer("state_std", torch.as_tensor(state_std, dtype=torch.float32))
        self.action_scale = float(action_scale)

    def forward(self, states: torch.Tensor) -> torch.Tensor:
        return self.net((states - self.state_mean) / self.state_std)[..., 0] * self.action_scale

    def policy(self) -> Policy:
        """The network as a :data:`dtcart.control.Policy` (numpy states ``(N, 4)`` -> forces ``(N,)``)."""
        def act(states: np.ndarray) -> np.ndarray:
            with torch.inference_mode():
                return self(torch.as_tensor(states, dtype=torch.float32)).double().numpy()
        return act


def top_episodes(ds: Dataset, fraction: float) -> np.ndarray:
    """Indices of the ``fraction`` of episodes with the highest returns (ties: the earlier episode first)."""
    if not (isinstance(fraction, (int, float)) and 0 < fraction <= 1):
        raise ValueError(f"fraction must be in (0, 1], got {fraction!r}")
    n = max(1, int(round(fraction * len(ds))))
    return np.sort(np.argsort(-ds.returns, kind="stable")[:n])


def bc_loss(model: StateMLP, batch: Batch) -> torch.Tensor:
    """Mean squared error of the predicted force, in units of ``action_scale``."""
    return (((model(batch["states"]) - batch["actions"]) / model.action_scale) ** 2).mean()


def train_bc(ds: Dataset, fraction: float = 1.0,
             train: TrainConfig = DEFAULT_TRAIN, seed: int = 0,
             progress: bool = False) -> tuple[StateMLP, np.ndarray]:
    """Behaviour cloning on the top ``fraction`` of episodes (1.0: all of them, plain BC).

    Every logged step of the kept episodes is a training pair (state, force), drawn uniformly.
    Returns ``(model, losses (train.steps,))``.
    """
    if not isinstance(ds, Dataset):
        raise TypeError(f"ds must be a Dataset, got {type(ds).__name__}")
    keep = top_episodes(ds, fraction)
    mask = episode_mask(ds)[keep]
    states = torch.as_tensor(ds.states[keep, :-1][mask],
                             dtype=torch.float32)  # (n steps, 4)
    actions = torch.as_tensor(ds.actions[keep][mask],
                              dtype=torch.float32)  # (n steps,)
    torch.manual_seed(seed)
    model = StateMLP(states.mean(0), states.std(0), float(actions.std()))

    def sample(rng: np.random.Generator, batch_size: int) -> Batch:
        i = torch.as_tensor(rng.integers(0, len(states), size=batch_size))
        return {"states": states[i], "actions": actions[i]}

    return model, fit(model, sample, bc_loss, train, seed, progress)
