"""The Decision Transformer: returns-to-go, states and actions as tokens of one causal sequence.

In the style of Chen et al. (2021)'s code: each of the three inputs of a time step has its own
linear embedding, a learned embedding of the time step is added to all three, the tokens are
interleaved ``(R_1, s_1, a_1, R_2, s_2, a_2, ...)``, normalised by a LayerNorm, and passed through
a causal stack of :class:`dtcart.blocks.Block`. The action of step t is read from the output of
the token ``s_t``, which by causality has seen ``R_<=t, s_<=t, a_<t`` and nothing later.

The model speaks physical units: it takes returns-to-go (steps left), states ``[theta [rad],
theta_dot [rad/s], x [m], x_dot [m/s]]`` and forces [N], and returns forces [N]. The scalings
that keep the network's numbers near 1 (state mean and standard deviation, the return scale,
the action scale) are part of its :class:`DTConfig`, so training, evaluation and a saved
checkpoint always use the same ones.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from functools import partial

import torch
from torch import nn

from .blocks import Block
from .checks import (
    check_heads,
    check_type,
    dropout_rate,
    expect,
    finite_vector,
    positive_int,
    positive_number,
    require,
    validate_fields,
)

#: How each scalar field of a :class:`DTConfig` is checked (one table, one call).
_RULES = {**dict.fromkeys(("state_dim", "act_dim", "d_model", "n_layers", "n_heads", "context",
                           "max_timestep"), positive_int),
          "dropout": dropout_rate, "rtg_scale": positive_number, "action_scale": positive_number}

@dataclass(frozen=True)
class DTConfig:
    """Hyper-parameters of a :class:`DecisionTransformer`, and the scalings of its inputs.

    Attributes:
        state_dim: size of a state (4 for the cart-pole).
        act_dim: size of an action (1: the force).
        d_model: width of every token.
        n_layers: number of transformer blocks.
        n_heads: attention heads per block.
        context: K, the number of time steps the model sees (3K tokens).
        max_timestep: size of the timestep embedding; time steps run 0 .. max_timestep - 1.
        dropout: dropout inside the blocks and on the embeddings (training only).
        state_mean, state_std: per-component statistics of the dataset's states; the model
            feeds ``(s - mean) / std``.
        rtg_scale: the model feeds ``R / rtg_scale`` (500: the best return maps to 1).
        action_scale: [N] the network's output is multiplied by this to give a force.
    """

    state_dim: int = 4
    act_dim: int = 1
    d_model: int = 64
    n_layers: int = 2
    n_heads: int = 1
    context: int = 20
    max_timestep: int = 500
    dropout: float = 0.0
    state_mean: tuple = (0.0, 0.0, 0.0, 0.0)
    state_std: tuple = (1.0, 1.0, 1.0, 1.0)
    rtg_scale: float = 500.0
    action_scale: float = 1.0

    def __post_init__(self):
        validate_fields(self, **_RULES)
        check_heads(self.d_model, self.n_heads, "DTConfig.")
        vector = partial(finite_vector, size=self.state_dim)
        validate_fields(self, state_mean=vector, state_std=vector)
        require(min(self.state_std) > 0, f"DTConfig.state_std must be positive, got {self.state_std!r}")

    def to_dict(self) -> dict:
        """Plain Python values (ints, floats, lists), as stored in a checkpoint."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict) -> "DTConfig":
        """Inverse of :meth:`to_dict`; unknown or missing keys raise ``ValueError``."""
        require(isinstance(d, dict), f"a DTConfig is stored as a dict, got {type(d).__name__}")
        names = {f.name for f in fields(cls)}
        require(set(d) == names, f"a DTConfig dict needs exactly the keys {sorted(names)}, got {sorted(d)}")
        return cls(**d)


def _init_weights(module: nn.Module) -> None:
    """GPT-2's initialisation: weights N(0, 0.02), biases 0.

    It matters for the timestep embedding: PyTorch's default N(0, 1) would give every one of the
    500 time steps a large random offset that training has to undo step by step, and the
    leftover jitter shows up as a jittery force.
    """
    if isinstance(module, (nn.Linear, nn.Embedding)):
        nn.init.normal_(module.weight, std=0.02)
    if isinstance(module, nn.Linear) and module.bias is not None:
        nn.init.zeros_(module.bias)


def _config(config, state_dim, act_dim, kwargs: dict) -> DTConfig:
    """The model's config: ``config``, or one made of the keyword hyper-parameters."""
    if config is None:
        return DTConfig(state_dim=state_dim, act_dim=act_dim, **kwargs)
    check_type(config, DTConfig, "config")
    if kwargs or (state_dim, act_dim) != (config.state_dim, config.act_dim):
        raise ValueError("pass either a config or keyword hyper-parameters, not both")
    return config


class DecisionTransformer(nn.Module):
    """A causal transformer over interleaved (return-to-go, state, action) tokens.

    ``forward(returns_to_go (B, T, 1), states (B, T, state_dim), actions (B, T, act_dim),
    timesteps (B, T) long)`` returns predicted actions ``(B, T, act_dim)`` [N], with
    ``T <= config.context``. The prediction at step t depends on ``R_<=t``, ``s_<=t`` and
    ``a_<t`` only (``actions[:, -1]`` may be anything, e.g. zeros, when acting).

    Build it from a :class:`DTConfig`, or with keyword arguments that make one:
    ``DecisionTransformer(state_dim=4, act_dim=1, d_model=64)``.
    """

    def __init__(self, state_dim: int = 4, act_dim: int = 1,
                 config: DTConfig | None = None, **kwargs):
        super().__init__()
        self.config = c = _config(config, state_dim, act_dim, kwargs)
        d = c.d_model
        self.embed_rtg = nn.Linear(1, d)  # one embedding per kind of token
        self.embed_state = nn.Linear(c.state_dim, d)
        self.embed_action = nn.Linear(c.act_dim, d)
        self.embed_timestep = nn.Embedding(c.max_timestep, d)  # added to all three
        self.embed_ln = nn.LayerNorm(d)
        self.embed_dropout = nn.Dropout(c.dropout)
        self.blocks = nn.ModuleList(Block(d, c.n_heads, c.dropout, norm="pre")
                                    for _ in range(c.n_layers))
        self.ln_f = nn.LayerNorm(d)  # GPT-2's final LayerNorm after a pre-LN stack
        self.predict_action = nn.Linear(d, c.act_dim)
        self.register_buffer("state_mean", torch.tensor(c.state_mean))
        self.register_buffer("state_std", torch.tensor(c.state_std))
        self.apply(_init_weights)

    def embed(self, returns_to_go, states, actions, timesteps) -> torch.Tensor:
        """The token sequence ``(B, 3T, d_model)``: R_1, s_1, a_1, R_2, ...
        (scaled, embedded, interleaved)."""
        c = self.config
        B, T, _ = states.shape
        time = self.embed_timestep(timesteps)  # (B, T, d)
        r = self.embed_rtg(returns_to_go / c.rtg_scale) + time
        s = self.embed_state((states - self.state_mean) / self.state_std) + time
        a = self.embed_action(actions / c.action_scale) + time
        # interleave: (B, T, 3, d) -> (B, 3T, d)
        tokens = torch.stack((r, s, a), dim=2).reshape(B, 3 * T, c.d_model)
        return self.embed_dropout(self.embed_ln(tokens))

    def forward(self, returns_to_go: torch.Tensor, states: torch.Tensor,
                actions: torch.Tensor, timesteps: torch.Tensor) -> torch.Tensor:
        assert states.shape[1] <= self.config.context, "T exceeds the context"
        h = self.embed(returns_to_go, states, actions, timesteps)  # (B, 3T, d)
        for block in self.blocks:
            h = block(h)  # causal: token i sees tokens 0..i
        # a_t is read at the state token s_t (tokens 1, 4, 7, ...), which has
        # seen R_<=t, s_<=t, a_<t: not a_t itself, and nothing later.
        h = h[:, 1::3]  # (B, 3T, d) -> (B, T, d)
        return self.predict_action(self.ln_f(h)) * self.config.action_scale

    def check_inputs(self, returns_to_go, states, actions, timesteps) -> None:
        """``ValueError``/``TypeError`` naming the input unless the four inputs
        fit the config: for callers that build them (:meth:`forward` trusts
        them; :meth:`attention_weights` calls this)."""
        c = self.config
        inputs = {"returns_to_go": returns_to_go, "states": states,
                  "actions": actions, "timesteps": timesteps}
        for name, x in inputs.items():
            check_type(x, torch.Tensor, name)
        B, T = states.shape[:2] if states.dim() == 3 else (0, 0)
        expect(1 <= T <= c.context, "states", f"shaped (B, T, {c.state_dim}) with T in 1..{c.context} "
               "(the context)", tuple(states.shape))
        shapes = {"returns_to_go": (B, T, 1), "states": (B, T, c.state_dim),
                  "actions": (B, T, c.act_dim), "timesteps": (B, T)}
        for name, x in inputs.items():
            expect(tuple(x.shape) == shapes[name], name, f"shaped {shapes[name]}", tuple(x.shape))
        if timesteps.dtype != torch.long or timesteps.min() < 0 or timesteps.max() >= c.max_timestep:
            raise ValueError(f"timesteps must be a long (int64) tensor in 0..{c.max_timestep - 1}")

    def attention_weights(self, returns_to_go, states, actions, timesteps) -> list[torch.Tensor]:
        """Each block's attention weights ``(B, n_heads, 3T, 3T)`` for one input, a list of n_layers tensors."""
        self.check_inputs(returns_to_go, states, actions, timesteps)
        h = self.embed(returns_to_go, states, actions, timesteps)
        weights = []
        for block in self.blocks:
            weights.append(block.attn(block.ln1(h), return_weights=True)[1])
            h = block(h)
        return weights
