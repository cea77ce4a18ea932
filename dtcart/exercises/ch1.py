"""Chapter 1's exercises: friction at the hinge (1.1), and how fast it
damps the swing of the hanging pole (1.2)."""

from __future__ import annotations

import functools
import math

import numpy as np

from .. import physics
from ..physics import DEFAULT_PARAMS
from .harness import Wrong, as_array, as_function, as_number, assert_close, \
    call, exercise

__all__ = ["HINGE_FRICTION", "check_exercise_1_1", "check_exercise_1_2",
           "hinge_friction_accelerations", "predicted_friction_rate"]

HINGE_FRICTION = 0.05  # N m s/rad, exercise 1.2


def hinge_friction_accelerations(state, force, friction,
                                 params=DEFAULT_PARAMS):
    """Exercise 1.1: (theta_ddot, x_ddot) with a viscous torque
    -friction * theta_dot [N m] at the hinge: the frictionless accelerations
    plus the torque's share. ``state`` is (..., 4), ``force`` [N],
    ``friction`` [N m s/rad]."""
    theta_acc, x_acc = physics.accelerations(state, force, params)
    theta, theta_dot = np.asarray(state)[..., 0], np.asarray(state)[..., 1]
    m, l, total = params.pole_mass, params.half_length, params.total_mass
    cos = np.cos(theta)
    # the torque enters the pole's row of eq-ch1-mass-matrix; solved again:
    extra = -friction * theta_dot / (m * l * l * (4 / 3 - m * cos**2 / total))
    return theta_acc + extra, x_acc - m * l * cos * extra / total


def _solved_with_friction(state, force, friction, p=DEFAULT_PARAMS):
    """The same accelerations by a direct solve of the 2x2 system."""
    m, l = p.pole_mass, p.half_length
    theta, theta_dot = state[..., 0], state[..., 1]
    mass = np.empty(theta.shape + (2, 2))
    mass[..., 0, 0], mass[..., 1, 1] = p.total_mass, 4 / 3 * m * l**2
    mass[..., 0, 1] = mass[..., 1, 0] = m * l * np.cos(theta)
    rhs = np.stack([force + m * l * theta_dot**2 * np.sin(theta),
                    m * p.gravity * l * np.sin(theta)
                    - friction * theta_dot], axis=-1)
    solved = np.linalg.solve(mass, rhs[..., None])[..., 0]  # (..., 2)
    return solved[..., 1], solved[..., 0]  # theta_ddot, x_ddot


@exercise
def check_exercise_1_1(friction_accelerations) -> str:
    """Exercise 1.1: ``friction_accelerations(state, force, friction)`` returns
    (theta_ddot, x_ddot) with a torque -friction * theta_dot at the hinge."""
    fn = as_function(friction_accelerations, "friction_accelerations")
    rng = np.random.default_rng(11)
    states, forces = rng.uniform(-2, 2, (20, 4)), rng.uniform(-10, 10, 20)
    for friction in (0.0, 0.3):
        shown = f"friction_accelerations(states, forces, {friction})"
        result = call(fn, (states.copy(), forces, friction), shown)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise Wrong(f"{shown} must return a pair (theta_ddot, x_ddot), "
                        f"got {type(result).__name__}")
        expected = _solved_with_friction(states, forces, friction)
        for got, want, name in zip(result, expected, ("theta_ddot", "x_ddot")):
            got = as_array(got, (20,), f"{shown}'s {name}")
            assert_close(got, want, f"{shown}'s {name} on 20 random states "
                         f"(seed 11)", atol=1e-9)
    return ("your accelerations agree with a direct solve of the mass-matrix "
            "system, with and without friction, on 20 random states")


def predicted_friction_rate():
    """Exercise 1.2: the rate [1/s] at which the swing energy of the hanging
    pole decays, E(t) ~ E(0) exp(-rate t), under the hinge friction
    HINGE_FRICTION, with the book's constants.

    Near the bottom the pole obeys l_eff phi'' = -g phi - friction phi' / (m l)
    (phi = theta - pi, l_eff as in eq-ch1-linear-gain), a damped oscillator
    whose energy decays at twice its amplitude's rate."""
    m, l = DEFAULT_PARAMS.pole_mass, DEFAULT_PARAMS.half_length
    l_eff = l * (4 / 3 - m / DEFAULT_PARAMS.total_mass)
    return HINGE_FRICTION / (m * l * l_eff)


@functools.lru_cache(maxsize=None)
def _measured_friction_rate(swing=0.1, seconds=10.0, dt=0.002):
    """The decay rate [1/s] of E + m g l (the swing's energy) for the pole
    released at ``swing`` rad from hanging, with HINGE_FRICTION: the slope of
    log energy, fitted over ``seconds`` of semi-implicit Euler steps of
    ``dt`` (ten times finer than the book's, so the integrator's own drift
    is negligible)."""
    p = physics.CartPoleParams(dt=dt)
    state = np.array([math.pi + swing, 0.0, 0.0, 0.0])
    energies = [physics.energy(state, p)]
    for _ in range(round(seconds / dt)):
        theta_acc, x_acc = hinge_friction_accelerations(
            state, 0.0, HINGE_FRICTION, p)
        state = state + dt * np.array([0.0, theta_acc, 0.0, x_acc])
        state[[0, 2]] += dt * state[[1, 3]]
        energies.append(physics.energy(state, p))
    swing_energy = np.array(energies) + p.pole_mass * p.gravity * p.half_length
    times = np.arange(len(energies)) * dt
    return -np.polyfit(times, np.log(swing_energy), 1)[0]


@exercise
def check_exercise_1_2(rate) -> str:
    """Exercise 1.2: the predicted decay rate [1/s] of the swing energy of the
    hanging pole under a hinge friction of 0.05 N m s/rad."""
    rate = as_number(rate, "predicted decay rate [1/s]")
    measured = _measured_friction_rate()
    if abs(rate / measured - 1) > 0.05:
        raise Wrong(f"you predicted {rate:.4g} 1/s; the simulated pole, "
                    f"released 0.1 rad from hanging with a hinge friction of "
                    f"{HINGE_FRICTION} N m s/rad, loses its swing energy at "
                    f"{measured:.4g} 1/s (within 5% needed)")
    return (f"you predicted {rate:.4g} 1/s; the simulation measures "
            f"{measured:.4g} 1/s")
