"""What every exercise check shares: the PASS/FAIL verdict, and helpers that
turn a wrong answer into a FAIL that says what was expected on which input.

A check is written as a function that returns its PASS message or raises
:class:`Wrong`; :func:`exercise` turns it into one that prints ``PASS: ...``
or ``FAIL: ...`` and returns True or False. Only a misuse of the check itself
(a number where a function is expected, say) raises ``TypeError`` or
``ValueError``.
"""

from __future__ import annotations

import functools
import math
import sys
import textwrap

import numpy as np

from ..checks import expect, is_number


class Wrong(Exception):
    """Raised inside a check when the answer is wrong; the message says why."""


def exercise(check):
    """Turn a check that returns a PASS message or raises :class:`Wrong` into
    one that prints PASS/FAIL and returns True/False."""

    @functools.wraps(check)
    def run(*args, **kwargs):
        try:
            message = check(*args, **kwargs)
        except Wrong as wrong:
            say("FAIL", str(wrong))
            return False
        say("PASS", message)
        return True

    return run


def say(verdict: str, message: str) -> None:
    """Print the verdict and its message, long lines wrapped to 72 columns
    (what a solution cell of the rendered book shows without scrolling)."""
    lines = f"{verdict}: {message}".splitlines()
    print("\n".join(textwrap.fill(line, 72, subsequent_indent="  ")
                    for line in lines))


def as_function(answer, name: str):
    """``answer`` if it is callable; a misuse of the check otherwise."""
    expect(callable(answer), name, "a function", type(answer).__name__,
           TypeError)
    return answer


def call(fn, args: tuple, shown: str):
    """``fn(*args)``; any exception the reader's code raises is a FAIL that
    quotes it, introduced by ``shown`` (the call as the reader would write
    it)."""
    try:
        return fn(*args)
    except Exception as err:  # the reader's code: any error is a wrong answer
        raise Wrong(f"{shown} raised {type(err).__name__}: {err}") from err


def as_array(value, shape: tuple, shown: str, dtype=np.float64) -> np.ndarray:
    """``value`` (an array, list or torch tensor) as an array of ``shape``; a
    wrong type or shape is a FAIL."""
    torch = sys.modules.get("torch")  # a tensor means torch is imported
    if torch is not None and isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as err:
        raise Wrong(f"{shown} returned {type(value).__name__}, not an array "
                    f"of numbers") from err
    if array.shape != shape:
        raise Wrong(f"{shown} returned shape {array.shape}, expected {shape}")
    return array


def as_number(answer, name: str) -> float:
    """A prediction as a float; None (not answered yet) or NaN is a FAIL,
    anything but a number a misuse."""
    if answer is None:
        raise Wrong(f"no answer yet: replace None by your {name}")
    expect(is_number(answer), name, "a number", type(answer).__name__,
           TypeError)
    if not math.isfinite(answer):
        raise Wrong(f"your {name} is {answer!r}, not a finite number")
    return float(answer)


def assert_close(got, expected, shown: str, atol: float) -> None:
    """FAIL unless ``got`` matches ``expected`` to ``atol`` everywhere; the
    message names the first entry that does not."""
    wrong = ~np.isclose(got, expected, rtol=0, atol=atol)
    if wrong.any():
        i = tuple(int(k) for k in np.unravel_index(np.argmax(wrong),
                                                   wrong.shape))
        listed = f"; expected\n{expected}" if expected.size <= 12 else ""
        raise Wrong(f"{shown}: entry {i} is {got[i]:.6g}, expected "
                    f"{expected[i]:.6g} (to {atol:g}){listed}")
