"""Baselines on the same data: behaviour cloning (BC), filtered BC on the best
episodes, a return-conditioned MLP (RvS), and an MLP on the Decision
Transformer's window of history.

BC is the plainest offline learner: regress the logged force on the current state, with no
notion of return. Filtered BC (the paper's "%BC") does the same on the top fraction of episodes
by return. RvS (Emmons et al. 2021) is BC with the return-to-go as a fifth input: the
Decision Transformer's conditioning, without a transformer and without any history. The
history MLP sees what the Decision Transformer sees, the last K steps of (return-to-go, state,
previous action, time step), stacked into one vector: history without attention. All four
train with :func:`dtcart.train.fit`, the loop the Decision Transformer uses.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .checks import check_targets, check_type, number, positive_int, require
from .control import Policy
from .data import Dataset
from .model import DTConfig
from .train import (
    DEFAULT_MODEL,
    DEFAULT_TRAIN,
    Batch,
    TrainConfig,
    WindowSampler,
    dt_loss,
    episode_mask,
    fit,
    fit_scalings,
)


class StateMLP(nn.Module):
    """A policy network from inputs ``(B, n)`` [SI units] to forces ``(B,)`` [N].

    The inputs are a state (n = 4), or a state and a return-to-go (n = 5, for
    RvS). Two hidden layers of ``hidden`` GELU units; inputs are standardised
    with the training data's mean and standard deviation, outputs scaled by the
    logged forces' standard deviation (the Decision Transformer's scalings).
    """

    def __init__(self, state_mean, state_std, action_scale: float, hidden: int = 64):
        super().__init__()
        n = len(state_mean)
        self.net = nn.Sequential(nn.Linear(n, hidden), nn.GELU(), nn.Linear(hidden, hidden), nn.GELU(),
                                 nn.Linear(hidden, 1))
        self.register_buffer("state_mean", torch.as_tensor(state_mean, dtype=torch.float32))
        self.register_buffer("state_std", torch.as_tensor(state_std, dtype=torch.float32))
        self.action_scale = float(action_scale)

    @property
    def conditioned(self) -> bool:
        """True for RvS: the network reads a return-to-go after the state."""
        return self.state_mean.shape[0] == 5

    def forward(self, states: torch.Tensor) -> torch.Tensor:
        return self.net((states - self.state_mean) / self.state_std)[..., 0] * self.action_scale

    def policy(self, target_return=None) -> Policy:
        """The network as a :data:`dtcart.control.Policy` (numpy states ``(N, 4)`` -> forces ``(N,)``).

        An RvS network needs ``target_return`` (a scalar or ``(N,)``): the
        return-to-go starts there and drops by each step's reward, 1 per call
        (every call is a step of the episodes still running), as in
        :func:`dtcart.evaluate.rollout_dt`.
        """
        require(self.conditioned != (target_return is None),
                "target_return must be given for an RvS network and only for one")
        target = None if target_return is None else check_targets(
            target_return, None)
        t = 0  # steps taken

        def act(states: np.ndarray) -> np.ndarray:
            nonlocal t
            if target is not None:  # R_t = target - t, one reward per step
                rtg = np.broadcast_to(target - t, (len(states),))  # (N,)
                states = np.column_stack([states, rtg])  # (N, 5)
                t += 1
            with torch.inference_mode():
                inputs = torch.as_tensor(states, dtype=torch.float32)
                return self(inputs).double().numpy()  # (N,) forces [N]
        return act


def top_episodes(ds: Dataset, fraction: float) -> np.ndarray:
    """Indices of the ``fraction`` of episodes with the highest returns (ties: the earlier episode first)."""
    fraction = number(fraction, "fraction", lambda f: 0 < f <= 1, "in (0, 1]")
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
    check_type(ds, Dataset, "ds")
    keep = top_episodes(ds, fraction)
    mask = episode_mask(ds)[keep]
    return _fit_rows(ds.states[keep, :-1][mask], ds.actions[keep][mask],
                     train, seed, progress)


def train_rvs(ds: Dataset, train: TrainConfig = DEFAULT_TRAIN, seed: int = 0,
              progress: bool = False) -> tuple[StateMLP, np.ndarray]:
    """RvS: behaviour cloning on every logged step, with the step's
    return-to-go as a fifth input. Returns ``(model, losses (train.steps,))``;
    act with ``model.policy(target_return)``."""
    check_type(ds, Dataset, "ds")
    mask = episode_mask(ds)
    inputs = np.concatenate([ds.states[:, :-1], ds.rtg[..., None]], axis=-1)
    return _fit_rows(inputs[mask], ds.actions[mask], train, seed, progress)


def _fit_rows(inputs: np.ndarray, forces: np.ndarray, train: TrainConfig,
              seed: int, progress: bool) -> tuple[StateMLP, np.ndarray]:
    """A :class:`StateMLP` fitted to rows ``inputs (n, 4 or 5)`` -> ``forces
    (n,)`` [N], each update on rows drawn uniformly."""
    inputs = torch.as_tensor(inputs, dtype=torch.float32)  # (n steps, 4 or 5)
    forces = torch.as_tensor(forces, dtype=torch.float32)  # (n steps,)
    torch.manual_seed(seed)
    model = StateMLP(inputs.mean(0), inputs.std(0), float(forces.std()))

    def sample(rng: np.random.Generator, batch_size: int) -> Batch:
        i = torch.as_tensor(rng.integers(0, len(inputs), size=batch_size))
        return {"states": inputs[i], "actions": forces[i]}

    return model, fit(model, sample, bc_loss, train, seed, progress)


class HistoryMLP(nn.Module):
    """The Decision Transformer's inputs and outputs, without attention.

    ``forward(returns_to_go (B, T, 1), states (B, T, 4), actions (B, T, 1),
    timesteps (B, T))``, ``T <= config.context``, returns forces ``(B, T, 1)``
    [N], as :class:`~dtcart.model.DecisionTransformer` does: the force of
    step t from the K = ``config.context`` steps up to t (zeros before the
    first), each step as (R_t, s_t, a_(t-1), t, 1) with the model's scalings,
    the K steps stacked into one vector of 8 K numbers for an MLP with two
    hidden layers of ``hidden`` GELU units. The final 1 tells a step from
    the zeros of padding. ``config`` is a :class:`~dtcart.model.DTConfig`
    (only its context, sizes and scalings are used).
    """

    def __init__(self, config: DTConfig, hidden: int = 128):
        super().__init__()
        self.config, hidden = check_type(config, DTConfig, "config"), positive_int(hidden, "hidden")
        self.net = nn.Sequential(nn.Linear(8 * config.context, hidden),
                                 nn.GELU(), nn.Linear(hidden, hidden),
                                 nn.GELU(), nn.Linear(hidden, 1))
        self.register_buffer("state_mean", torch.tensor(config.state_mean))
        self.register_buffer("state_std", torch.tensor(config.state_std))

    def forward(self, returns_to_go, states, actions, timesteps):
        c = self.config
        B, T, _ = states.shape
        assert T <= c.context and returns_to_go.shape == actions.shape == (B, T, 1)
        previous = nn.functional.pad(actions, (0, 0, 1, 0))[:, :-1]  # a_(t-1)
        steps = torch.cat([returns_to_go / c.rtg_scale,
                           (states - self.state_mean) / self.state_std,
                           previous / c.action_scale,
                           timesteps[..., None] / c.max_timestep,
                           torch.ones_like(returns_to_go)], -1)  # (B, T, 8)
        K = c.context  # each step's window: zeros, then steps up to t
        padded = nn.functional.pad(steps, (0, 0, K - 1, 0))  # (B, K-1+T, 8)
        windows = padded.unfold(1, K, 1)  # (B, T, 8, K)
        flat = windows.transpose(2, 3).reshape(B, T, 8 * K)  # (B, T, 8 K)
        return self.net(flat) * c.action_scale  # (B, T, 1) [N]


def train_history(ds: Dataset, train: TrainConfig = DEFAULT_TRAIN,
                  seed: int = 0, progress: bool = False,
                  config: DTConfig = DEFAULT_MODEL
                  ) -> tuple[HistoryMLP, np.ndarray]:
    """A :class:`HistoryMLP` trained exactly as
    :func:`~dtcart.train.train_dt` trains the Decision Transformer: the same
    windows of ``config.context`` steps, loss and loop. Returns ``(model,
    losses (train.steps,))``."""
    config = fit_scalings(ds, config)  # checks ds and config (fit checks train)
    torch.manual_seed(seed)
    model = HistoryMLP(config)
    sampler = WindowSampler(ds, model.config.context)
    return model, fit(model, sampler.sample, dt_loss, train, seed, progress)
