"""Chapter 3's exercises: a stable softmax (3.1), the causal mask (3.2), and
scaled dot-product attention (3.3). Their solutions are
:mod:`dtcart.attention`'s own ``softmax``, ``causal_mask`` and
``attention``."""

from __future__ import annotations

import numpy as np

from ..attention import attention, causal_mask, softmax
from .harness import Wrong, as_array, as_function, assert_close, call, \
    exercise

__all__ = ["check_exercise_3_1", "check_exercise_3_2", "check_exercise_3_3"]


@exercise
def check_exercise_3_1(my_softmax) -> str:
    """Exercise 3.1: ``my_softmax(x)`` along the last axis, stable for large
    logits, weight 0 for -inf."""
    fn = as_function(my_softmax, "my_softmax")
    cases = (np.array([1.0, 2.0, 3.0]), np.array([1000.0, 999.0, -1000.0]),
             np.array([-np.inf, 0.0, 1.0]),
             np.array([[1.0, 1.0, 1.0, 1.0], [0.0, 10.0, 20.0, 30.0]]))
    for x in cases:
        shown = f"my_softmax({x.tolist()})"
        got = as_array(call(fn, (x.copy(),), shown), x.shape, shown)
        assert_close(got, softmax(x), shown, atol=1e-12)
    return ("your softmax matches dtcart.attention.softmax, logits of "
            "+-1000, -inf and a batch of rows included")


@exercise
def check_exercise_3_2(my_causal_mask) -> str:
    """Exercise 3.2: ``my_causal_mask(T)``, (T, T) bool, True where j <= i."""
    fn = as_function(my_causal_mask, "my_causal_mask")
    for T in (1, 2, 5):
        shown = f"my_causal_mask({T})"
        got = call(fn, (T,), shown)
        if not isinstance(got, np.ndarray) or got.dtype != bool:
            raise Wrong(f"{shown} must return a numpy array of dtype bool "
                        f"(~mask must flip it), got "
                        f"{getattr(got, 'dtype', type(got).__name__)}")
        got = as_array(got, (T, T), shown, dtype=bool)
        if not np.array_equal(got, causal_mask(T)):
            raise Wrong(f"{shown} is\n{got}\nexpected (query i may see key "
                        f"j <= i)\n{causal_mask(T)}")
    return "your mask matches dtcart.attention.causal_mask for T = 1, 2, 5"


@exercise
def check_exercise_3_3(my_attention) -> str:
    """Exercise 3.3: ``my_attention(Q, K, V, causal)`` returns (output,
    weights) of scaled dot-product attention, for batches too."""
    fn = as_function(my_attention, "my_attention")
    rng = np.random.default_rng(33)
    # (batch shape, T, d_k, d_v): one sequence, then a batch of two
    for batch, T, d_k, d_v in (((), 5, 3, 2), ((2,), 4, 8, 3)):
        Q = rng.normal(size=(*batch, T, d_k))
        K = rng.normal(size=(*batch, T, d_k))
        V = rng.normal(size=(*batch, T, d_v))
        for causal in (False, True):
            shown = (f"my_attention(Q {Q.shape}, K {K.shape}, V {V.shape}, "
                     f"causal={causal})")
            result = call(fn, (Q.copy(), K.copy(), V.copy(), causal), shown)
            if not isinstance(result, (tuple, list)) or len(result) != 2:
                raise Wrong(f"{shown} must return (output, weights), got "
                            f"{type(result).__name__}")
            out, weights = attention(Q, K, V, causal=causal)
            assert_close(as_array(result[1], weights.shape,
                                  f"{shown}'s weights"),
                         weights, f"{shown}'s weights", atol=1e-10)
            assert_close(as_array(result[0], out.shape, f"{shown}'s output"),
                         out, f"{shown}'s output", atol=1e-10)
    return ("your attention matches dtcart.attention.attention, with and "
            "without the mask, on one sequence and a batch of two")
