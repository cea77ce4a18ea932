"""Scaled dot-product attention from scratch (numpy) and multi-head attention (torch)."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn


def softmax(x, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax along ``axis``: subtract the max before exponentiating.

    Entries of ``-inf`` get weight 0 (how a mask removes a position); a row that is all
    ``-inf`` raises ``ValueError`` since it has no weights to share.
    """
    x = np.asarray(x, dtype=np.float64)
    if np.isnan(x).any() or np.isposinf(x).any():
        raise ValueError("softmax input must not contain NaN or +inf")
    m = np.max(x, axis=axis, keepdims=True)
    if np.isneginf(m).any():
        raise ValueError("softmax over a row that is entirely -inf (every position masked)")
    e = np.exp(x - m)
    return e / e.sum(axis=axis, keepdims=True)


def causal_mask(T: int) -> np.ndarray:
    """``(T, T)`` bool, True where query i may look at key j (j <= i)."""
    return np.tril(np.ones((T, T), dtype=bool))


def attention(Q, K, V, causal: bool = False):
    """Scaled dot-product attention, softmax(Q K^T / sqrt(d_k)) V.

    Args:
        Q: ``(..., T_q, d_k)`` queries.
        K: ``(..., T_k, d_k)`` keys.
        V: ``(..., T_k, d_v)`` values.
        causal: if True, query i sees keys j <= i only (needs T_q == T_k).

    Returns:
        ``(output (..., T_q, d_v), weights (..., T_q, T_k))``; each row of weights sums to 1.
    """
    Q, K, V = (np.asarray(a, dtype=np.float64) for a in (Q, K, V))
    for name, a in (("Q", Q), ("K", K), ("V", V)):
        if a.ndim < 2:
            raise ValueError(f"{name} must have shape (..., T, d), got {a.shape}")
        if not np.isfinite(a).all():
            raise ValueError(f"{name} must be finite")
    if Q.shape[-1] != K.shape[-1]:
        raise ValueError(f"Q and K must share d_k, got {Q.shape[-1]} and {K.shape[-1]}")
    if K.shape[-2] != V.shape[-2]:
        raise ValueError(f"K and V must have the same number of positions, got {K.shape[-2]} and {V.shape[-2]}")
    scores = Q @ np.swapaxes(K, -1, -2) / math.sqrt(Q.shape[-1])
    if causal:
        if Q.shape[-2] != K.shape[-2]:
            raise ValueError(f"causal attention needs T_q == T_k, got {Q.shape[-2]} and {K.shape[-2]}")
        scores = np.where(causal_mask(Q.shape[-2]), scores, -np.inf)
    weights = softmax(scores, axis=-1)
    return weights @ V, weights


class MultiHeadAttention(nn.Module):
    """Multi-head self-attention written out: project, split into heads, attend, concatenate, project.

    Args:
        d_model: width of each token.
        n_heads: number of heads h; each works in a subspace of size d_model / h.
        causal: if True, token t attends to tokens <= t only.
        dropout: dropout on the attention weights (training only).

    ``forward(x (B, T, d_model))`` returns ``(B, T, d_model)``, or with ``return_weights=True``
    also the per-head weights ``(B, h, T, T)``.
    """

    def __init__(self, d_model: int, n_heads: int, causal: bool = True, dropout: float = 0.0):
        super().__init__()
        for name, v in (("d_model", d_model), ("n_heads", n_heads)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        if d_model % n_heads:
            raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        self.d_model, self.n_heads, self.d_head, self.causal = d_model, n_heads, d_model // n_heads, causal
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)
        self.attn_dropout = nn.Dropout(dropout)

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        B, T, _ = x.shape
        return x.view(B, T, self.n_heads, self.d_head).transpose(1, 2)  # (B, h, T, d_head)

    def forward(self, x: torch.Tensor, return_weights: bool = False):
        if x.dim() != 3 or x.shape[-1] != self.d_model:
            raise ValueError(f"x must have shape (B, T, {self.d_model}), got {tuple(x.shape)}")
        B, T, _ = x.shape
        q, k, v = self._split(self.q_proj(x)), self._split(self.k_proj(x)), self._split(self.v_proj(x))
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_head)  # (B, h, T, T)
        if self.causal:
            mask = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        out = self.attn_dropout(weights) @ v  # (B, h, T, d_head)
        out = self.out_proj(out.transpose(1, 2).reshape(B, T, self.d_model))
        return (out, weights) if return_weights else out
