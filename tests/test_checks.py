"""The shared argument checks: one rule, one message, plain Python numbers out."""

import numpy as np
import pytest

from dtcart.checks import check_type, dropout_rate, float_array, positive_int
from dtcart.model import DTConfig


def test_positive_int_returns_a_python_int():
    assert positive_int(3, "n") == 3 and type(positive_int(np.int64(3), "n")) is int


@pytest.mark.parametrize("bad", [0, -1, True, 2.0, "3", None])
def test_positive_int_names_the_argument(bad):
    with pytest.raises(ValueError, match="^n_episodes must be a positive integer"):
        positive_int(bad, "n_episodes")


@pytest.mark.parametrize("bad", [1.0, -0.1, True, "0.1", float("nan")])
def test_dropout_rate_names_the_argument(bad):
    with pytest.raises(ValueError, match=r"^p must be a number in \[0, 1\)"):
        dropout_rate(bad, "p")


def test_configs_store_plain_numbers():
    config = DTConfig(d_model=np.int64(32), dropout=np.float32(0.1))
    assert type(config.d_model) is int and type(config.dropout) is float


def test_float_array_converts_or_names_the_argument():
    a = np.arange(3.0)
    assert float_array(a, "x", "numbers") is a
    copied = float_array(a, "x", "numbers", copy=True)
    assert copied is not a and np.array_equal(copied, a)
    assert float_array([1, 2], "x", "numbers").dtype == np.float64
    for bad in ("abc", object(), {1: 2}):
        for error in (TypeError, ValueError):  # numpy raises either
            with pytest.raises(error, match="^x must be numbers, got "):
                float_array(bad, "x", "numbers")


def test_check_type_names_the_argument():
    assert check_type(3, int, "n") == 3
    with pytest.raises(TypeError, match="^run must be a Rollout, got str"):
        from dtcart.control import Rollout
        check_type("x", Rollout, "run")
