"""Chapter 4's exercises: split into heads (4.1), a head that looks one step
back (4.2), and where the scores start to cost more than the projections
(4.3)."""

from __future__ import annotations

import numpy as np
import torch

from ..attention import MultiHeadAttention, attention_cost
from ..checks import check_type
from .harness import Wrong, as_array, as_function, as_number, call, exercise

__all__ = ["CROSSOVER_WIDTH", "PREVIOUS_T", "check_exercise_4_1",
           "check_exercise_4_2", "check_exercise_4_3", "previous_token_head",
           "split_heads"]


def split_heads(x, n_heads):
    """Exercise 4.1: (B, T, d) -> (B, h, T, d/h), as MultiHeadAttention does:
    view each token's features as h slices, then swap tokens and heads."""
    B, T, d = x.shape
    # (B, T, d) -> (B, T, h, d/h) -> (B, h, T, d/h)
    return x.view(B, T, n_heads, d // n_heads).transpose(1, 2)


@exercise
def check_exercise_4_1(split_heads) -> str:
    """Exercise 4.1: ``split_heads(x, n_heads)``: (B, T, d) -> (B, h, T, d/h),
    head i holding features i d/h .. (i + 1) d/h - 1 of every token."""
    fn = as_function(split_heads, "split_heads")
    x = torch.arange(2 * 3 * 8, dtype=torch.float32).reshape(2, 3, 8)
    for h in (1, 2, 4):
        shown = f"split_heads(x (2, 3, 8), {h})"
        expected = MultiHeadAttention(8, h)._split(x).numpy()
        got = as_array(call(fn, (x.clone(), h), shown), expected.shape, shown)
        if not np.array_equal(got, expected):
            raise Wrong(f"{shown}: head 0 of sequence 0 is\n{got[0, 0]}\n"
                        f"expected (the first {8 // h} features of each of "
                        f"the 3 tokens)\n{expected[0, 0]}")
    return "your split matches MultiHeadAttention's for 1, 2 and 4 heads"


PREVIOUS_T = 8  # tokens of exercise 4.2


def previous_token_head():
    """Exercise 4.2: a one-head causal MultiHeadAttention over one-hot position
    tokens (width T = 8) that copies each token's predecessor: query i is
    ``sharpness * e_(i-1)``, key j is e_j, so the score peaks at j = i - 1;
    values and output are the identity."""
    T, sharpness = PREVIOUS_T, 30.0  # 30 / sqrt(8): weight 0.999 on i - 1
    head = MultiHeadAttention(T, 1, causal=True)
    with torch.no_grad():
        for p in head.parameters():
            p.zero_()
        # nn.Linear maps x to W x: column i of W is what token e_i becomes
        head.q_proj.weight.copy_(sharpness * torch.eye(T).roll(-1, dims=0))
        for proj in (head.k_proj, head.v_proj, head.out_proj):
            proj.weight.copy_(torch.eye(T))
    return head


@exercise
def check_exercise_4_2(head) -> str:
    """Exercise 4.2: a MultiHeadAttention(8, 1) whose output at every position
    i >= 1 of the one-hot tokens eye(8) is token i - 1 (within 0.05)."""
    check_type(head, MultiHeadAttention, "head")
    tokens = torch.eye(PREVIOUS_T)[None]  # (1, T, T): token i is e_i
    shown = f"head(torch.eye({PREVIOUS_T})[None], return_weights=True)"
    with torch.no_grad():
        result = call(lambda: head(tokens.to(head.q_proj.weight.dtype),
                                   return_weights=True), (), shown)
    out = as_array(result[0], (1, PREVIOUS_T, PREVIOUS_T), shown)[0]
    weights = as_array(result[1], (1, 1, PREVIOUS_T, PREVIOUS_T),
                       shown)[0, 0]
    previous = weights[np.arange(1, PREVIOUS_T), np.arange(PREVIOUS_T - 1)]
    expected = np.eye(PREVIOUS_T)[:-1]
    error = np.abs(out[1:] - expected).max()
    if error > 0.05:
        i = 1 + int(np.argmin(previous))
        raise Wrong(f"the output at positions 1..{PREVIOUS_T - 1} should be "
                    f"the previous token (largest error {error:.3f} > 0.05);"
                    f" position {i} puts weight {previous[i - 1]:.3f} on "
                    f"position {i - 1}, weights\n{np.round(weights[i], 3)}")
    return (f"every position copies its predecessor (largest error "
            f"{error:.4f}; weight on the previous token at least "
            f"{previous.min():.3f})")


CROSSOVER_WIDTH = 128  # d of exercise 4.3
TABLE_T = 30  # the tokens of Chapter 4's cost table


@exercise
def check_exercise_4_3(T_cross) -> str:
    """Exercise 4.3: the context length T at which QK^T and the mixing cost as
    many FLOPs as the four projections, for d = 128."""
    T_cross = as_number(T_cross, "context length T [tokens]")
    cost = attention_cost(CROSSOVER_WIDTH, 4, TABLE_T)
    projection, scores = (cost["projection_flops"],
                          cost["score_flops"] + cost["mix_flops"])
    # the scores grow like T^2 and the projections like T: equal at
    measured = TABLE_T * projection / scores
    if abs(T_cross / measured - 1) > 0.01:
        raise Wrong(f"you predicted T = {T_cross:g}; at T = {TABLE_T}, "
                    f"attention_cost counts {projection:,} projection and "
                    f"{scores:,} score + mixing FLOPs for d = "
                    f"{CROSSOVER_WIDTH}, which cross at T = {measured:g}")
    return (f"you predicted T = {T_cross:g}; attention_cost puts the crossing "
            f"at T = {measured:g}")
