"""The transformer block of the post's diagram: attention, residual, LayerNorm,
MLP."""

from __future__ import annotations

import torch
from torch import nn

from .attention import MultiHeadAttention
from .checks import dropout_rate, expect, one_of, positive_int


class MLP(nn.Module):
    """Per-token feed-forward network: Linear(d_model, hidden), GELU,
    Linear(hidden, d_model), dropout.

    Every token goes through the same two layers on its own: no information
    moves between tokens here (that is attention's job); what the MLP adds is a
    nonlinearity inside each token.

    Args:
        d_model: width of each token.
        hidden: width of the hidden layer (default ``4 * d_model``, as in the
            Transformer and GPT-2).
        dropout: dropout on the output (training only), in [0, 1).

    ``forward(x (..., d_model)) -> (..., d_model)``.
    """

    def __init__(self, d_model: int, hidden: int | None = None,
                 dropout: float = 0.0):
        super().__init__()
        d_model = positive_int(d_model, "d_model")
        hidden = 4 * d_model if hidden is None \
            else positive_int(hidden, "hidden")
        self.d_model = d_model
        self.fc1 = nn.Linear(d_model, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, d_model)
        self.dropout = nn.Dropout(dropout_rate(dropout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.fc2(self.act(self.fc1(x))))


class Block(nn.Module):
    """One causal transformer block over ``(B, T, d_model)`` tokens.

    ``norm="post"`` (the post's diagram, and the original Transformer)::

        x -> MultiHeadAttention -> (+ x) -> LayerNorm -> MLP -> (+) -> LayerNorm

    ``norm="pre"`` (GPT-2, the Decision Transformer's backbone)::

        x -> x + Attention(LayerNorm(x)) -> x + MLP(LayerNorm(x)) -> output

    A pre-LN stack leaves its output un-normalised; GPT-2 puts one more
    LayerNorm after the last block.

    Args:
        d_model: width of each token.
        n_heads: attention heads; must divide ``d_model``.
        dropout: dropout on the attention weights and on both branches (training
            only), in [0, 1).
        norm: ``"post"`` or ``"pre"``, where the LayerNorms sit.
        residual: ``False`` drops both skip connections (``x + f(x)`` becomes
            ``f(x)``), only for the vanishing-gradient experiment of chapter 5.

    ``forward(x (B, T, d_model)) -> (B, T, d_model)``; output t depends on
    inputs 0..t only.
    """

    def __init__(self, d_model: int, n_heads: int, dropout: float = 0.0,
                 norm: str = "post", residual: bool = True):
        super().__init__()
        one_of(norm, "norm", ("post", "pre"))
        expect(isinstance(residual, bool), "residual", "a bool", residual)
        self.norm, self.residual = norm, residual
        # the attention checks d_model, n_heads and dropout for the whole block
        self.attn = MultiHeadAttention(d_model, n_heads, causal=True,
                                       dropout=dropout)
        self.ln1 = nn.LayerNorm(d_model)
        self.mlp = MLP(d_model, dropout=dropout)
        self.ln2 = nn.LayerNorm(d_model)
        self.resid_dropout = nn.Dropout(dropout)

    def _add(self, x: torch.Tensor, branch: torch.Tensor) -> torch.Tensor:
        """The skip connection: ``x + branch``, or ``branch`` alone."""
        return x + branch if self.residual else branch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.norm == "post":
            x = self.ln1(self._add(x, self.resid_dropout(self.attn(x))))
            return self.ln2(self._add(x, self.mlp(x)))
        x = self._add(x, self.resid_dropout(self.attn(self.ln1(x))))
        return self._add(x, self.mlp(self.ln2(x)))


def input_gradient_norm(net: nn.Module, x: torch.Tensor,
                        seed: int = 0) -> float:
    """How much gradient reaches the input of ``net``: the norm of dL/dx for a
    random linear loss.

    The loss is ``L = sum(net(x) * r)`` with ``r`` a fixed standard-normal
    tensor of the output's shape (drawn from ``seed``), so the gradient arriving
    at the output is ``r`` itself, of norm about ``sqrt(r.numel())`` whatever
    the depth; what is left of it at the input measures how well the gradient
    survives the trip back through the network.

    Args:
        net: a module (or any callable) mapping ``x`` to a tensor.
        x: the input, any shape ``net`` accepts, e.g. ``(B, T, d_model)``.
        seed: seed of the probe ``r``.

    Returns:
        ``||dL/dx||`` (Frobenius norm over all entries of ``x``), a float.
    """
    expect(isinstance(x, torch.Tensor) and x.is_floating_point(), "x",
           "a floating-point torch.Tensor", type(x).__name__, TypeError)
    x = x.detach().clone().requires_grad_(True)
    y = net(x)
    probe = torch.Generator().manual_seed(seed)
    r = torch.randn(y.shape, generator=probe, dtype=y.dtype).to(y.device)
    (grad,) = torch.autograd.grad((y * r).sum(), x)
    return grad.norm().item()
