"""Argument checks shared by the modules, so each rule and its error message is written once."""

from __future__ import annotations

import numpy as np


def positive_int(value, name: str) -> int:
    """Return ``value`` as an ``int``, or raise ``ValueError`` naming ``name`` unless it is an integer >= 1.

    Python and numpy integers are accepted; ``bool`` is not.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def nonnegative(value, name: str) -> float:
    """Return ``value`` as a ``float``, or raise ``ValueError`` naming ``name``
    unless it is a finite real number >= 0 (``bool`` is not)."""
    if isinstance(value, bool) or not isinstance(
            value, (int, float, np.integer, np.floating)) or not (
            np.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def check_type(value, cls: type, name: str):
    """Return ``value``, or raise ``TypeError`` naming ``name`` unless it is an
    instance of ``cls``."""
    if not isinstance(value, cls):
        raise TypeError(f"{name} must be a {cls.__name__}, "
                        f"got {type(value).__name__}")
    return value


class NotNumbersError(TypeError, ValueError):
    """An argument that is not (an array of) real numbers: a wrong type and a
    wrong value at once, so ``except TypeError`` and ``except ValueError``
    both catch it (numpy itself raises either, depending on the input)."""


def float_array(value, name: str, expected: str,
                copy: bool = False) -> np.ndarray:
    """Return ``value`` as a float64 array (a copy if ``copy``), or raise
    :class:`NotNumbersError` saying that ``name`` must be ``expected``."""
    try:
        return (np.array if copy else np.asarray)(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise NotNumbersError(f"{name} must be {expected}, "
                              f"got {type(value).__name__}") from err


def dropout_rate(value, name: str = "dropout") -> float:
    """Return ``value`` as a ``float``, or raise ``ValueError`` naming ``name`` unless it is a number in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be a number in [0, 1), got {value!r}")
    return float(value)
