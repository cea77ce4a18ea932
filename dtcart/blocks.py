"""The transformer block of the post's diagram: attention, residual, LayerNorm, MLP."""

from __future__ import annotations

import torch
from torch import nn

from .attention import MultiHeadAttention


class MLP(nn.Module):
    """Per-token feed-forward network: Linear(d_model, hidden), GELU, Linear(hidden, d_model), dropout.

    ``forward(x (..., d_model)) -> (..., d_model)``.
    """

    def __init__(self, d_model: int, hidden: int | None = None, dropout: float = 0.0):
        super().__init__()
        hidden = 4 * d_model if hidden is None else hidden
        for name, v in (("d_model", d_model), ("hidden", hidden)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        self.fc1 = nn.Linear(d_model, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.fc2(self.act(self.fc1(x))))


class Block(nn.Module):
    """One transformer block over ``(B, T, d_model)`` tokens, causal.

    ``norm="post"`` (the post's diagram, and the original Transformer)::

        x -> MultiHeadAttention -> (+ x) -> LayerNorm -> MLP -> (+) -> LayerNorm -> output

    ``norm="pre"`` (GPT-2, the Decision Transformer's backbone)::

        x -> x + Attention(LayerNorm(x)) -> x + MLP(LayerNorm(x))

    ``residual=False`` drops both skip connections (for the vanishing-gradient experiment).
    """

    def __init__(self, d_model: int, n_heads: int, dropout: float = 0.0, norm: str = "post",
                 residual: bool = True):
        super().__init__()
        if norm not in ("post", "pre"):
            raise ValueError(f"norm must be 'post' or 'pre', got {norm!r}")
        self.norm, self.residual = norm, residual
        self.attn = MultiHeadAttention(d_model, n_heads, causal=True, dropout=dropout)
        self.ln1 = nn.LayerNorm(d_model)
        self.mlp = MLP(d_model, dropout=dropout)
        self.ln2 = nn.LayerNorm(d_model)
        self.resid_dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skip = 1.0 if self.residual else 0.0
        if self.norm == "post":
            x = self.ln1(skip * x + self.resid_dropout(self.attn(x)))
            return self.ln2(skip * x + self.mlp(x))
        x = skip * x + self.resid_dropout(self.attn(self.ln1(x)))
        return skip * x + self.mlp(self.ln2(x))
