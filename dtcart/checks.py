"""Argument checks: every rule a public function applies to its arguments,
written once, each raising a ``ValueError`` or ``TypeError`` that names the
argument.

Public functions call these where a caller enters (functions, constructors,
file loads); the cores they call trust their arguments and check nothing.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping

import numpy as np

REAL = (int, float, np.integer, np.floating)
INTEGERS = (int, np.integer)


class NotNumbersError(TypeError, ValueError):
    """An argument that is not (an array of) real numbers: a wrong type and a
    wrong value at once, so ``except TypeError`` and ``except ValueError``
    both catch it (numpy itself raises either, depending on the input)."""


def require(ok, message: str, error: type = ValueError) -> None:
    """Raise ``error(message)`` unless ``ok``: one rule, one line (the message
    names the argument and what was expected)."""
    if not ok:
        raise error(message)


def expect(ok, name: str, expected: str, got, error: type = ValueError) -> None:
    """:func:`require` with the message every rule here gives: "``name`` must
    be ``expected``, got ``got``"."""
    require(ok, f"{name} must be {expected}, got {got}", error)


def is_number(value, kinds: tuple = REAL) -> bool:
    """Whether ``value`` is a real number (Python's or numpy's; one of
    ``kinds``, e.g. :data:`INTEGERS`), not a bool."""
    return isinstance(value, kinds) and not isinstance(value, bool)


def check_type(value, cls: type, name: str):
    """Return ``value``, or raise ``TypeError`` naming ``name`` unless it is an
    instance of ``cls``."""
    expect(isinstance(value, cls), name, f"a {cls.__name__}", type(value).__name__, TypeError)
    return value


def one_of(value, name: str, options, error: type = ValueError):
    """Return ``value``, or raise ``error`` naming ``name`` unless it is one
    of ``options`` (an unhashable value, a list say, is none of them)."""
    expect(isinstance(value, Hashable) and value in options, name, f"one of {[*options]}", repr(value),
           error)
    return value


def number(value, name: str, ok, expected: str, error=ValueError) -> float:
    """``value`` as a float if it is a real number (not a bool) for which
    ``ok(value)`` holds: :class:`NotNumbersError` if it is no real number,
    else ``error`` saying ``name`` must be ``expected``."""
    expect(is_number(value), name, expected, type(value).__name__, NotNumbersError)
    expect(ok(value), name, expected, repr(value), error)
    return float(value)


def integer(value, name: str, low: int = 1, high: float = math.inf) -> int:
    """``value`` as an ``int``, or ``ValueError`` naming ``name`` unless it is
    an integer (Python or numpy; not a ``bool``) in [low, high]."""
    expected = "a positive integer" if (low, high) == (1, math.inf) else (
        f"an integer >= {low}" if high == math.inf else f"an int in [{low}, {high}]")
    expect(is_number(value, INTEGERS) and low <= value <= high, name, expected, repr(value))
    return int(value)


def positive_int(value, name: str) -> int:
    """``value`` as an ``int``, or ``ValueError`` unless an integer >= 1."""
    return integer(value, name, 1)


def nonnegative_int(value, name: str) -> int:
    """``value`` as an ``int``, or ``ValueError`` unless an integer >= 0."""
    return integer(value, name, 0)


def nonnegative(value, name: str) -> float:
    """``value`` as a float, or ``ValueError`` unless a finite number >= 0."""
    return number(value, name, lambda v: math.isfinite(v) and v >= 0,
                   "a finite number >= 0")


def positive_number(value, name: str) -> float:
    """``value`` as a float, or an error naming ``name`` unless it is a finite
    number > 0 (:class:`NotNumbersError` if it is no number at all)."""
    return number(value, name, lambda v: math.isfinite(v) and v > 0,
                   "positive and finite")


def dropout_rate(value, name: str = "dropout") -> float:
    """``value`` as a float, or ``ValueError`` unless a number in [0, 1)."""
    return number(value, name, lambda v: 0.0 <= v < 1.0, "a number in [0, 1)")


def validate_fields(config, **rules) -> None:
    """Check the frozen dataclass ``config``'s fields in place: each field
    ``name`` becomes ``rule(value, "Class.name")``, which raises naming it."""
    owner = type(config).__name__
    for name, rule in rules.items():
        value = rule(getattr(config, name), f"{owner}.{name}")
        object.__setattr__(config, name, value)  # frozen: set once, here


def float_array(value, name: str, expected: str,
                copy: bool = False) -> np.ndarray:
    """Return ``value`` as a float64 array (a copy if ``copy``), or raise
    :class:`NotNumbersError` saying that ``name`` must be ``expected``."""
    try:
        return (np.array if copy else np.asarray)(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise NotNumbersError(f"{name} must be {expected}, got {type(value).__name__}") from err


def finite_array(value, name: str, expected: str, ok=lambda a: True,
                 copy: bool = False) -> np.ndarray:
    """:func:`float_array`, then ``ValueError`` saying ``name`` must be
    ``expected`` unless the array is finite and ``ok(array)`` holds."""
    array = float_array(value, name, expected, copy)
    expect(ok(array) and np.isfinite(array).all(), name, expected, f"shape {array.shape}")
    return array


def check_shaped(value, name: str, shape: tuple) -> np.ndarray:
    """``value`` as a finite float64 array of ``shape``, or raise naming
    ``name``."""
    return finite_array(value, name, f"finite, shaped {shape}", lambda a: a.shape == shape)


def check_grid(values, name: str, copy: bool = False) -> np.ndarray:
    """``values`` as a non-empty finite float64 ``(G,)`` array (a copy if
    ``copy``), a grid of gains or targets, or raise naming ``name``."""
    return finite_array(values, name, "a non-empty finite (G,) array",
                        lambda a: a.ndim == 1 and a.size, copy)


def finite_vector(value, name: str, size: int) -> tuple:
    """``value`` as a tuple of ``size`` finite floats, or raise naming
    ``name``."""
    expected = f"{size} finite numbers"
    return tuple(finite_array(value, name, expected,
                              lambda a: a.shape == (size,)).tolist())


def check_state(state, name: str = "state",
                single: bool = False) -> np.ndarray:
    """``state`` as a finite float64 array of shape ``(..., 4)`` (``(4,)`` if
    ``single``), or raise naming ``name``.

    Cheap where it runs often: no copy for a float64 array, and one finiteness
    test of the sum (a NaN or an infinity anywhere makes the sum non-finite).
    """
    if not isinstance(state, np.ndarray) or state.dtype != np.float64:
        state = float_array(state, name, "an array of real numbers shaped (..., 4)")
    shape = "(4,)" if single else "(..., 4)"
    expect(state.shape == (4,) if single else state.ndim and state.shape[-1] == 4, name,
           f"shaped {shape} = [theta, theta_dot, x, x_dot]", state.shape)
    return _finite(state, name)


def _finite(array: np.ndarray, name: str) -> np.ndarray:
    """``array``, or ``ValueError`` naming ``name`` unless it is all finite
    (one test of the sum first: a NaN or an infinity makes it non-finite)."""
    finite = math.isfinite(array.sum()) or np.isfinite(array).all()
    require(finite, f"{name} must be finite (no NaN or inf)")
    return array


def check_force(force, batch_shape: tuple, name: str = "force") -> np.ndarray:
    """``force`` as a finite float64 array that broadcasts against
    ``batch_shape``, or raise naming ``name``."""
    if not isinstance(force, np.ndarray) or force.dtype != np.float64:
        force = float_array(force, name, "a real number or an array of them [N]")
    if force.ndim and force.shape != batch_shape:
        try:
            np.broadcast_shapes(force.shape, batch_shape)
        except ValueError as err:
            raise ValueError(f"{name} must broadcast to {batch_shape}, got {force.shape}") from err
    return _finite(force, name)


def check_params(params):
    """``params``, or ``TypeError`` unless it is a
    :class:`~dtcart.physics.CartPoleParams`."""
    from .physics import CartPoleParams  # physics itself uses these checks
    return check_type(params, CartPoleParams, "params")


def check_initial_states(initial_states, name: str = "initial_states",
                         shape: str = "(N, 4)") -> np.ndarray:
    """``initial_states`` as a finite float64 ``(N, 4)`` array with N >= 1, or
    ``ValueError`` naming ``name`` (and writing the shape as ``shape``)."""
    states = check_state(initial_states, name)
    require(states.ndim == 2 and len(states), f"{name} must have shape {shape}, got {states.shape}")
    return states


def check_max_steps(max_steps) -> int:
    """``max_steps`` as an int, or ``ValueError`` unless a positive integer."""
    return positive_int(max_steps, "max_steps")


def check_episodes(initial_states, params, max_steps) -> tuple:
    """``(initial_states, params, max_steps)`` of a batch of episodes, checked
    (:func:`check_initial_states`, :func:`check_params`,
    :func:`check_max_steps`)."""
    return (check_initial_states(initial_states), check_params(params),
            check_max_steps(max_steps))


def check_pushes(pushes, n: int, max_steps: int):
    """``pushes`` as a finite float64 ``(n, max_steps)`` array, or None; raise
    ``ValueError`` naming ``pushes`` otherwise."""
    shape = (n, max_steps)
    return None if pushes is None else finite_array(
        pushes, "pushes", f"a finite array of forces [N] of shape {shape} "
        "(N episodes, max_steps)", lambda a: a.shape == shape)


def check_gains(K, max_ndim: int | None = None) -> np.ndarray:
    """``K`` as a finite float64 array (a copy) with at most ``max_ndim`` axes,
    or raise naming ``K``."""
    return finite_array(K, "K", "a finite real number or an array of them"
                        + ("" if max_ndim is None else " shaped (N,)"),
                        lambda a: max_ndim is None or a.ndim <= max_ndim,
                        copy=True)


def check_targets(target_return, n: int | None, name: str = "target_return") -> np.ndarray:
    """``(n,)`` float64 targets from a scalar or an ``(n,)`` array, or
    ``ValueError`` naming ``name``; with ``n=None`` any scalar or 1-D array
    passes, and keeps its shape."""
    expected = f"a finite scalar or shaped ({n or 'N'},)"
    target = finite_array(target_return, name, expected, lambda a: a.shape in ((), (n or a.size,)))
    return target.copy() if n is None else np.broadcast_to(target, (n,)).copy()


def check_retarget(retarget, n: int, max_steps: int) -> dict:
    """``retarget`` as ``{step (int): (n,) float64 return-to-go}``; None is
    ``{}`` (see :func:`dtcart.evaluate.rollout_dt`)."""
    if retarget is None:
        return {}
    check_type(retarget, Mapping, "retarget")
    checked = {}
    for step, value in retarget.items():
        step = integer(step, "retarget's steps", 0, max_steps - 1)
        checked[step] = check_targets(value, n, f"retarget's value at step {step}")
    return checked


def check_heads(d_model, n_heads, owner: str = "") -> tuple[int, int]:
    """``(d_model, n_heads)`` as ints, or ``ValueError`` naming them (prefixed
    with ``owner``, e.g. ``"DTConfig."``) unless both are positive integers and
    ``n_heads`` divides ``d_model``."""
    d_model, n_heads = positive_int(d_model, f"{owner}d_model"), positive_int(n_heads, f"{owner}n_heads")
    expect(not d_model % n_heads, f"{owner}d_model", f"divisible by n_heads = {n_heads}", d_model)
    return d_model, n_heads


def interval(pair, name: str, strict: bool = False) -> tuple[float, float]:
    """``pair`` as ``(low, high)`` floats, finite, with low <= high (low < high
    if ``strict``), or raise naming ``name``."""
    expected = f"two finite numbers (low, high) with low {'<' if strict else '<='} high"
    try:
        low, high = (float(v) for v in pair)
    except (TypeError, ValueError) as err:
        raise NotNumbersError(f"{name} must be {expected}, got {pair!r}") from err
    ordered = low < high if strict else low <= high
    expect(math.isfinite(low) and math.isfinite(high) and ordered, name, expected, repr(pair))
    return low, high


def sequence(values, name: str, expected: str, ok=lambda v: True) -> list:
    """``values`` as a list; ``TypeError`` unless it is a sequence (not a
    ``str`` or ``bytes``), ``ValueError`` unless ``ok(list)``; both say that
    ``name`` must be ``expected``."""
    expect(hasattr(values, "__iter__") and not isinstance(values, (str, bytes)), name, expected,
           type(values).__name__, TypeError)
    values = list(values)
    require(ok(values), f"{name} must be {expected}")
    return values


def check_episode(states, length) -> tuple[np.ndarray, int]:
    """``(states (T + 1, 4), length)`` of one episode, ``0 <= length <= T``,
    or raise naming the one that is wrong."""
    states = check_initial_states(states, "states", "(T + 1, 4)")
    return states, integer(length, "length", 0, len(states) - 1)
