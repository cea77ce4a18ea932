"""Chapter 5's exercises: LayerNorm by hand (5.1), what a block weighs (5.2),
and which tokens each layer's outputs read (5.3)."""

from __future__ import annotations

import functools

import numpy as np
import torch
from torch import nn

from ..attention import MultiHeadAttention
from ..blocks import MLP, Block, input_gradient_norm
from .harness import Wrong, as_array, as_function, assert_close, call, \
    exercise

__all__ = ["check_exercise_5_1", "check_exercise_5_2", "check_exercise_5_3",
           "block_parameters", "gradient_ratio", "layer_norm",
           "token_dependence"]


def layer_norm(x, eps=1e-5):
    """Exercise 5.1: LayerNorm without gain or bias, over the last axis
    (each token's own features), as nn.LayerNorm(d) computes at init."""
    mean = x.mean(dim=-1, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)  # biased, as torch
    return (x - mean) / (var + eps).sqrt()


@exercise
def check_exercise_5_1(my_layer_norm) -> str:
    """Exercise 5.1: ``my_layer_norm(x)`` equals nn.LayerNorm(d) at init."""
    fn = as_function(my_layer_norm, "my_layer_norm")
    gen = torch.Generator().manual_seed(51)
    offsets = torch.tensor([-3.0, 0.0, 0.5, 4.0])[:, None]
    for x in (offsets + torch.randn(4, 16, generator=gen),
              5 * torch.randn(2, 3, 8, generator=gen) + 1):
        shown = f"my_layer_norm(x of shape {tuple(x.shape)})"
        with torch.no_grad():
            expected = nn.LayerNorm(x.shape[-1])(x).numpy()
        got = as_array(call(fn, (x.clone(),), shown), expected.shape, shown)
        assert_close(got, expected, shown, atol=1e-5)
    return "your LayerNorm matches nn.LayerNorm on tokens of width 16 and 8"


def block_parameters(d):
    """Exercise 5.2: parameters of Block(d, n_heads): attention 4 (d^2 + d),
    MLP d -> 4d -> d with biases 8 d^2 + 5 d, two LayerNorms 4 d."""
    return 12 * d * d + 13 * d


@exercise
def check_exercise_5_2(my_block_parameters) -> str:
    """Exercise 5.2: ``my_block_parameters(d)``, the parameter count of a
    Block of width d (any number of heads)."""
    fn = as_function(my_block_parameters, "my_block_parameters")
    for d in (4, 16, 32, 64):
        shown = f"my_block_parameters({d})"
        got = call(fn, (d,), shown)
        counted = sum(p.numel() for p in Block(d, 2).parameters())
        if isinstance(got, bool) or not isinstance(got, (int, np.integer)) \
                or got != counted:
            raise Wrong(f"{shown} returned {got!r}; Block({d}, 2) has "
                        f"{counted:,} parameters")
    return "your formula counts the parameters of Blocks of width 4 to 64"


def token_dependence(layer, x):
    """Exercise 5.3: (T, T) bool, True where output token i of ``layer(x)``
    changes with input token j; ``x`` is (1, T, d)."""
    # every d out[0, i, k] / d x[0, j, l]: each output feature on its own
    # (their sum will not do: after a LayerNorm it is always 0)
    jac = torch.autograd.functional.jacobian(layer, x)  # (1, T, d, 1, T, d)
    return (jac[0, :, :, 0].abs().sum(dim=(1, 3)) > 0).numpy()  # (T, T)


class _Previous(nn.Module):
    """Hands each token its predecessor (token 0 gets zeros)."""

    def forward(self, x):
        return torch.cat([torch.zeros_like(x[:, :1]), x[:, :-1]], dim=1)


def _dependence_cases(T: int, d: int) -> dict:
    """Layers of width ``d`` with the map each should give over T tokens."""
    lower = np.tril(np.ones((T, T), dtype=bool))
    return {
        f"MLP({d})": (MLP(d), np.eye(T, dtype=bool)),
        f"Block({d}, 2)": (Block(d, 2), lower),
        f"MultiHeadAttention({d}, 2, causal=False)":
            (MultiHeadAttention(d, 2, causal=False),
             np.ones((T, T), dtype=bool)),
        "a layer that hands each token its predecessor":
            (_Previous(), np.eye(T, k=-1, dtype=bool)),
    }


@exercise
def check_exercise_5_3(my_token_dependence) -> str:
    """Exercise 5.3: ``my_token_dependence(layer, x)``, the (T, T) map of
    which input tokens j each output token i of ``layer(x)`` reads."""
    fn = as_function(my_token_dependence, "my_token_dependence")
    T, d = 5, 8
    with torch.random.fork_rng():  # fresh layers, the reader's RNG untouched
        torch.manual_seed(53)
        cases = _dependence_cases(T, d)
        x = torch.randn(1, T, d)
    for name, (layer, expected) in cases.items():
        shown = f"my_token_dependence({name}, x of shape {tuple(x.shape)})"
        got = as_array(call(fn, (layer.eval(), x.clone()), shown), (T, T),
                       shown, dtype=bool)
        if not np.array_equal(got, expected):
            raise Wrong(f"{shown} is\n{got.astype(int)}\nexpected (row i: "
                        f"the input tokens output i reads)\n"
                        f"{expected.astype(int)}")
    return ("your maps are right: the MLP reads each token alone, the causal "
            "block every token up to its own, attention without the mask "
            "every token, and the shift only the previous one")


@functools.lru_cache(maxsize=None)
def gradient_ratio():
    """How many times more gradient reaches the input of a post-LN stack of 16
    blocks with residuals than without, on Chapter 5's recipe (d = 16,
    2 heads, x0 = randn(16, 8, 16), seed 0)."""
    depth, seed, norms = 16, 0, []
    for residual in (True, False):
        torch.manual_seed(seed)
        x0 = torch.randn(16, 8, 16)
        stack = nn.Sequential(*[Block(16, 2, residual=residual)
                                for _ in range(depth)])
        norms.append(input_gradient_norm(stack, x0, seed=seed))
    return norms[0] / norms[1]
