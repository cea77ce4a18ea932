"""Scaled dot-product attention from scratch (numpy) and multi-head attention (torch).

``softmax``, ``causal_mask`` and ``attention`` are numpy, float64, for the chapters to take apart;
``MultiHeadAttention`` is the torch module the transformer blocks use; ``attention_cost`` counts its
parameters and FLOPs.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from .checks import (
    check_heads,
    dropout_rate,
    finite_array,
    positive_int,
    positive_number,
    require,
)


def softmax(x, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax along ``axis``: subtract the max before
    exponentiating.

    ``softmax(x)_i = exp(x_i - max x) / sum_j exp(x_j - max x)``, which equals
    ``exp(x_i) / sum_j exp(x_j)`` but never overflows (logits of +-1000 are
    fine). Entries of ``-inf`` get weight exactly 0 (how a mask removes a
    position).

    Args:
        x: logits, any shape, converted to float64.
        axis: the axis whose entries share one unit of weight.

    Returns:
        Weights of the same shape, in [0, 1], summing to 1 along ``axis``.

    Raises:
        ValueError: on NaN or +inf, on an empty ``axis``, or on a row that is
            entirely ``-inf`` (every position masked: there is no weight to
            share).
    """
    x = _check_logits(x, axis)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))  # every e <= 1
    return e / e.sum(axis=axis, keepdims=True)


def _check_logits(x, axis: int) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    require(x.ndim and x.shape[axis], f"x must have an entry along axis {axis}, got {x.shape}")
    require(not np.isnan(x).any() and not np.isposinf(x).any(), "x must not contain NaN or +inf")
    require(not np.isneginf(x.max(axis)).any(), "x has a row entirely -inf (every position masked)")
    return x


def causal_mask(T: int) -> np.ndarray:
    """``(T, T)`` bool, True where query i may look at key j, that is j <= i
    (no peeking at the future)."""
    T = positive_int(T, "T")
    return np.tril(np.ones((T, T), dtype=bool))


def attention(Q, K, V, causal: bool = False, scale: float | None = None):
    """Scaled dot-product attention, ``softmax(Q K^T * scale) V`` with
    ``scale = 1 / sqrt(d_k)``.

    Args:
        Q: ``(..., T_q, d_k)`` queries.
        K: ``(..., T_k, d_k)`` keys.
        V: ``(..., T_k, d_v)`` values. Leading (batch) dimensions broadcast as
            in ``np.matmul``.
        causal: if True, query i sees keys j <= i only (needs
            ``T_q == T_k``); the weights above the diagonal are then exactly 0.
        scale: the factor on the scores; ``None`` means ``1 / sqrt(d_k)``
            (Vaswani et al. 2017), ``1.0`` gives the unscaled
            ``softmax(Q K^T) V``. Same meaning as in
            ``torch.nn.functional.scaled_dot_product_attention``.

    Returns:
        ``(output (..., T_q, d_v), weights (..., T_q, T_k))``, float64; each
        row of weights sums to 1.

    Raises:
        ValueError: if an array is not at least 2-D, is empty, is not finite,
            if ``Q`` and ``K`` differ in ``d_k``, if ``K`` and ``V`` differ in
            ``T_k``, if ``causal`` with ``T_q != T_k``, or if ``scale`` is not
            a finite positive number.
    """
    Q, K, V, scale = _check_attention(Q, K, V, causal, scale)
    scores = Q @ np.swapaxes(K, -1, -2) * scale  # (..., T_q, T_k)
    if causal:  # query i sees keys j <= i only
        scores = np.where(causal_mask(Q.shape[-2]), scores, -np.inf)
    weights = softmax(scores, axis=-1)  # (..., T_q, T_k), rows sum to 1
    return weights @ V, weights  # (..., T_q, d_v), (..., T_q, T_k)


def _check_attention(Q, K, V, causal, scale):
    """``attention``'s arguments as float64 arrays and a float scale, or
    raise ``ValueError`` naming the one that is wrong."""
    shaped = "finite, shaped (..., T, d) with T, d >= 1"
    Q, K, V = (finite_array(a, name, shaped, lambda a: a.ndim >= 2 and 0 not in a.shape[-2:])
               for a, name in ((Q, "Q"), (K, "K"), (V, "V")))
    require(Q.shape[-1] == K.shape[-1], f"Q and K must share d_k, got {Q.shape[-1]} and {K.shape[-1]}")
    require(K.shape[-2] == V.shape[-2], f"K and V must share positions, got {K.shape} {V.shape}")
    require(not causal or Q.shape[-2] == K.shape[-2],
            f"causal attention needs T_q == T_k, got {Q.shape[-2]} and {K.shape[-2]}")
    if scale is None:
        return Q, K, V, 1.0 / math.sqrt(Q.shape[-1])
    return Q, K, V, positive_number(scale, "scale")


def attention_cost(d_model: int, n_heads: int, T: int) -> dict:
    """What one forward pass of :class:`MultiHeadAttention` over ``T`` tokens
    costs.

    FLOPs count 2 per multiply-accumulate in the matrix products (biases,
    scaling and softmax excluded), as ``torch.utils.flop_counter`` does.

    Returns:
        A dict with ``params`` (weights and biases of the four projections),
        ``projection_flops`` (Q, K, V and output projections: ``4 * 2 T d^2``),
        ``score_flops`` (``Q K^T`` in every head: ``h * 2 T^2 d/h = 2 T^2 d``),
        ``mix_flops`` (weights times V, the same), ``flops`` (their sum) and
        ``score_entries`` (``h T^2``: the softmax's inputs, and the attention
        weights kept for backward).
    """
    (d_model, n_heads), T = check_heads(d_model, n_heads), positive_int(T, "T")
    d_head = d_model // n_heads
    cost = {
        "params": 4 * (d_model * d_model + d_model),
        "projection_flops": 4 * 2 * T * d_model * d_model,  # W_Q, W_K, W_V, W_O
        "score_flops": n_heads * 2 * T * T * d_head,  # Q K^T in every head
        "mix_flops": n_heads * 2 * T * T * d_head,  # weights times V
        "score_entries": n_heads * T * T,
    }
    cost["flops"] = sum(cost[k] for k in ("projection_flops", "score_flops",
                                          "mix_flops"))
    return cost


class MultiHeadAttention(nn.Module):
    """Multi-head self-attention: project, split into heads, attend,
    concatenate, project.

    Args:
        d_model: width of each token.
        n_heads: number of heads h; each works in a subspace of size
            d_model / h.
        causal: if True, token t attends to tokens <= t only.
        dropout: dropout on the attention weights (training only).

    ``forward(x (B, T, d_model))`` returns ``(B, T, d_model)``, or with
    ``return_weights=True`` also the per-head weights ``(B, h, T, T)`` (before
    dropout); :meth:`weights` computes them from queries and keys.

    The parameters are ``nn.Linear`` layers ``q_proj``, ``k_proj``, ``v_proj``,
    ``out_proj`` (the names torch and Hugging Face use); :meth:`to_torch` packs
    them into an equivalent ``torch.nn.MultiheadAttention``.
    """

    def __init__(self, d_model: int, n_heads: int, causal: bool = True,
                 dropout: float = 0.0):
        super().__init__()
        d_model, n_heads = check_heads(d_model, n_heads)
        self.d_model, self.n_heads = d_model, n_heads
        self.d_head, self.causal = d_model // n_heads, bool(causal)
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)
        self.attn_dropout = nn.Dropout(dropout_rate(dropout))

    def heads(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Queries, keys and values of ``x``, split into heads."""
        return tuple(self._split(proj(x))
                     for proj in (self.q_proj, self.k_proj, self.v_proj))

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        """Split into heads: ``(B, T, d) -> (B, h, T, d_head)``."""
        B, T, _ = x.shape
        # (B, T, d) -> (B, T, h, d_head) -> (B, h, T, d_head)
        return x.view(B, T, self.n_heads, self.d_head).transpose(1, 2)

    def weights(self, q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        """``softmax(q k^T / sqrt(d_head))`` (B, h, T, T), 0 off the mask."""
        # (B, h, T, d_head) @ (B, h, d_head, T) -> (B, h, T, T)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_head)
        allowed = self.mask(q.shape[-2], q.device)
        return torch.softmax(scores.masked_fill(~allowed, -math.inf), dim=-1)

    def mask(self, T: int, device=None) -> torch.Tensor:
        """``(T, T)`` bool, True where query i may look at key j."""
        allowed = torch.ones(T, T, dtype=torch.bool, device=device)
        return allowed.tril() if self.causal else allowed

    def forward(self, x: torch.Tensor, return_weights: bool = False):
        """``(B, T, d_model) -> (B, T, d_model)``; with ``return_weights``
        also the weights of every head ``(B, h, T, T)``."""
        q, k, v = self.heads(x)  # each (B, h, T, d_head)
        weights = self.weights(q, k)  # (B, h, T, T)
        out = self.attn_dropout(weights) @ v  # (B, h, T, d_head)
        # concatenate the heads: (B, h, T, d_head) -> (B, T, h * d_head)
        out = self.out_proj(out.transpose(1, 2).flatten(2))
        return (out, weights) if return_weights else out

    def to_torch(self) -> nn.MultiheadAttention:
        """An ``nn.MultiheadAttention`` (``batch_first=True``) holding these
        weights, same dtype and device.

        Torch packs the three input projections into one matrix,
        ``in_proj_weight = cat(W_q, W_k, W_v)`` of shape
        ``(3 d_model, d_model)``. Torch's module does not store ``causal``: pass
        ``attn_mask=torch.from_numpy(~causal_mask(T))`` (True = not allowed)
        when calling it.
        """
        ref = self.q_proj.weight
        mha = nn.MultiheadAttention(self.d_model, self.n_heads,
                                    dropout=self.attn_dropout.p,
                                    batch_first=True, device=ref.device,
                                    dtype=ref.dtype)
        projections = (self.q_proj, self.k_proj, self.v_proj)
        with torch.no_grad():
            mha.in_proj_weight.copy_(torch.cat([p.weight for p in projections]))
            mha.in_proj_bias.copy_(torch.cat([p.bias for p in projections]))
            mha.out_proj.weight.copy_(self.out_proj.weight)
            mha.out_proj.bias.copy_(self.out_proj.bias)
        return mha.train(self.training)
