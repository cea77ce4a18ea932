"""Cart-pole physics: constants, equations of motion and integrators.

State convention (the post's order), every array shaped ``(..., 4)``::

    state[..., 0] = theta      pole angle from upright [rad], positive leans toward +x
    state[..., 1] = theta_dot  pole angular velocity [rad/s]
    state[..., 2] = x          cart position [m]
    state[..., 3] = x_dot      cart velocity [m/s]

A positive ``force`` [N] pushes the cart toward +x (Gymnasium's convention).
The pole is a uniform rod of half-length ``l`` hinged on a frictionless cart;
the equations are the friction-free ones of Barto, Sutton & Anderson (1983),
as corrected by Florian (2007) and used by Gymnasium's ``CartPole``.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass, fields

import numpy as np

from .checks import (
    check_force,
    check_params,
    check_state,
    finite_array,
    one_of,
    positive_number,
    require,
    validate_fields,
)

THETA, THETA_DOT, X, X_DOT = 0, 1, 2, 3
STATE_NAMES = ("theta", "theta_dot", "x", "x_dot")


@dataclass(frozen=True)
class CartPoleParams:
    """Physical constants of the cart-pole, in SI units.

    Attributes:
        gravity: g [m/s^2].
        cart_mass: M [kg].
        pole_mass: m [kg].
        half_length: l, the distance from the hinge to the pole's centre of mass [m].
        dt: the integration time step tau [s].

    The defaults (a 1 kg cart and a 1 kg pole) put the critical gain of the
    proportional controller, K* = (M + m) g, at 19.6 N/rad: the post's "about 20".
    :meth:`gymnasium` gives Gymnasium's constants (a 0.1 kg pole).
    """

    gravity: float = 9.8
    cart_mass: float = 1.0
    pole_mass: float = 1.0
    half_length: float = 0.5
    dt: float = 0.02

    def __post_init__(self):
        validate_fields(self, **{f.name: positive_number for f in fields(self)})

    @classmethod
    def gymnasium(cls) -> "CartPoleParams":
        """Gymnasium's ``CartPole-v1`` constants: M = 1 kg, m = 0.1 kg, l = 0.5 m, tau = 0.02 s."""
        return cls(gravity=9.8, cart_mass=1.0, pole_mass=0.1, half_length=0.5, dt=0.02)

    @property
    def total_mass(self) -> float:
        """M + m [kg]."""
        return self.cart_mass + self.pole_mass


DEFAULT_PARAMS = CartPoleParams()


def _check_inputs(state, force, params):
    """``(state, force, params)`` of a step or an acceleration, checked."""
    state = check_state(state)
    return state, check_force(force, state.shape[:-1]), check_params(params)


def _accelerations(theta, theta_dot, force, p: CartPoleParams):
    """Unchecked core of :func:`accelerations`, on separate component arrays.

    The constants are folded into Python floats first, so each line costs few
    array operations.
    """
    sin, cos = np.sin(theta), np.cos(theta)
    inv_mass = 1.0 / p.total_mass
    ml = p.pole_mass * p.half_length
    temp = (force + ml * theta_dot * theta_dot * sin) * inv_mass
    theta_acc = (p.gravity * sin - cos * temp) / (
        p.half_length * 4.0 / 3.0
        - p.half_length * p.pole_mass * inv_mass * cos * cos)
    x_acc = temp - ml * inv_mass * theta_acc * cos
    return theta_acc, x_acc


def accelerations(state, force=0.0, params: CartPoleParams = DEFAULT_PARAMS):
    """Angular and linear accelerations from the equations of motion.

    Args:
        state: ``(..., 4)`` array ``[theta, theta_dot, x, x_dot]``.
        force: force on the cart [N], broadcasting against ``state[..., 0]``.
        params: the physical constants.

    Returns:
        ``(theta_ddot [rad/s^2], x_ddot [m/s^2])``, each shaped like
        ``state[..., 0]`` broadcast with ``force``.
    """
    state, force, params = _check_inputs(state, force, params)
    return _accelerations(state[..., THETA], state[..., THETA_DOT], force,
                          params)


def _derivative(state, force, p):
    theta_acc, x_acc = _accelerations(state[..., THETA], state[..., THETA_DOT],
                                      force, p)
    return np.stack(np.broadcast_arrays(state[..., THETA_DOT], theta_acc,
                                        state[..., X_DOT], x_acc), axis=-1)


def _step(state, force, p: CartPoleParams) -> np.ndarray:
    """Unchecked semi-implicit Euler step (the engine behind :func:`step` and
    rollouts)."""
    theta_acc, x_acc = _accelerations(state[..., THETA], state[..., THETA_DOT],
                                      force, p)
    # a fresh copy of the old state, (..., 4), broadcast with the force's shape
    new = np.array(np.broadcast_to(state, theta_acc.shape + (4,)))
    dt = p.dt
    new[..., THETA_DOT] += dt * theta_acc  # velocities first ...
    new[..., X_DOT] += dt * x_acc
    new[..., THETA] += dt * new[..., THETA_DOT]  # ... then positions,
    new[..., X] += dt * new[..., X_DOT]  # with the new velocities
    return new


def step(state, force=0.0, params: CartPoleParams = DEFAULT_PARAMS) -> np.ndarray:
    """Advance the cart-pole by one semi-implicit Euler step of ``params.dt`` seconds.

    Velocities are updated first from the accelerations at the current state,
    then positions move with the *new* velocities::

        velocity_new = velocity_old + acceleration * dt
        position_new = position_old + velocity_new * dt

    Args:
        state: ``(..., 4)`` array ``[theta, theta_dot, x, x_dot]`` (any leading batch shape).
        force: force on the cart [N], a scalar or an array broadcasting against ``state[..., 0]``.
        params: the physical constants.

    Returns:
        The new state, a float64 array of shape ``(..., 4)`` (the batch shape broadcast with ``force``'s).

    Raises:
        ValueError: if ``state`` is not shaped ``(..., 4)``, ``force`` does not broadcast against its
            batch shape, or either is not finite.
        TypeError: if ``params`` is not a :class:`CartPoleParams`.
    """
    return _step(*_check_inputs(state, force, params))


def step_explicit_euler(state, force=0.0, params: CartPoleParams = DEFAULT_PARAMS) -> np.ndarray:
    """One explicit (forward) Euler step: positions move with the *old* velocities.

    Same arguments and shapes as :func:`step`. Shown for comparison: it gains energy every step.
    """
    return _step_explicit_euler(*_check_inputs(state, force, params))


def _step_explicit_euler(state, force, p: CartPoleParams) -> np.ndarray:
    return state + p.dt * _derivative(state, force, p)


def step_rk4(state, force=0.0, params: CartPoleParams = DEFAULT_PARAMS) -> np.ndarray:
    """One classical fourth-order Runge-Kutta step, the force held constant over the step.

    Same arguments and shapes as :func:`step`. Used as the accurate reference.
    """
    return _step_rk4(*_check_inputs(state, force, params))


def _step_rk4(state, force, p: CartPoleParams) -> np.ndarray:
    dt = p.dt
    k1 = _derivative(state, force, p)
    k2 = _derivative(state + 0.5 * dt * k1, force, p)
    k3 = _derivative(state + 0.5 * dt * k2, force, p)
    k4 = _derivative(state + dt * k3, force, p)
    return state + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)


INTEGRATORS = {
    "explicit-euler": step_explicit_euler,
    "semi-implicit-euler": step,
    "rk4": step_rk4,
}
# their unchecked cores, for simulate (which checks its arguments once)
_CORES = {"explicit-euler": _step_explicit_euler, "semi-implicit-euler": _step,
          "rk4": _step_rk4}


def simulate(initial_state, forces, params: CartPoleParams = DEFAULT_PARAMS,
             integrator: str = "semi-implicit-euler") -> np.ndarray:
    """Integrate an open-loop force sequence from ``initial_state``.

    Args:
        initial_state: ``(..., 4)`` start state(s).
        forces: ``(n_steps,)`` forces shared by every cart, or ``(..., n_steps)`` one sequence per cart [N].
        params: the physical constants.
        integrator: one of ``"explicit-euler"``, ``"semi-implicit-euler"`` (the book's ``step``) or ``"rk4"``.

    Returns:
        The trajectory, shaped ``(..., n_steps + 1, 4)``; index 0 is ``initial_state``.
    """
    error = ValueError if isinstance(integrator, Hashable) else TypeError  # unhashable: TypeError
    one_of(integrator, "integrator", INTEGRATORS, error)
    state, params = check_state(initial_state, "initial_state"), check_params(params)
    forces = finite_array(forces, "forces", "finite forces [N] shaped (..., n_steps)", lambda a: a.ndim)
    check_force(forces[..., 0], state.shape[:-1])
    advance = _CORES[integrator]
    n_steps = forces.shape[-1]
    batch = np.broadcast_shapes(state.shape[:-1], forces.shape[:-1])
    traj = np.empty(batch + (n_steps + 1, 4))
    traj[..., 0, :] = state
    for t in range(n_steps):
        traj[..., t + 1, :] = advance(traj[..., t, :], forces[..., t], params)
    return traj


def energy(state, params: CartPoleParams = DEFAULT_PARAMS) -> np.ndarray:
    """Total mechanical energy [J] of the cart and the uniform rod, zero potential at the hinge height.

    E = 1/2 (M+m) x_dot^2 + m l cos(theta) x_dot theta_dot + 2/3 m l^2 theta_dot^2 + m g l cos(theta)

    Args:
        state: ``(..., 4)`` array. Returns an array shaped ``state[..., 0]``.
    """
    state, p = check_state(state), check_params(params)
    theta, theta_dot = state[..., THETA], state[..., THETA_DOT]
    x_dot = state[..., X_DOT]
    m, l = p.pole_mass, p.half_length
    return (0.5 * p.total_mass * x_dot**2
            + m * l * np.cos(theta) * x_dot * theta_dot
            + (2.0 / 3.0) * m * l**2 * theta_dot**2
            + m * p.gravity * l * np.cos(theta))


def momentum(state, params: CartPoleParams = DEFAULT_PARAMS) -> np.ndarray:
    """Horizontal momentum [kg m/s] of cart plus pole: p = (M+m) x_dot + m l cos(theta) theta_dot.

    Conserved when no force acts (x does not appear in the equations). ``state`` is ``(..., 4)``;
    returns ``state[..., 0]``'s shape.
    """
    state, p = check_state(state), check_params(params)
    return (p.total_mass * state[..., X_DOT]
            + p.pole_mass * p.half_length * np.cos(state[..., THETA]) * state[..., THETA_DOT])


def linear_rate(params: CartPoleParams = DEFAULT_PARAMS) -> float:
    """lambda = sqrt(g / (l (4/3 - m/(M+m)))) [1/s], the rate of the linearised unforced pole.

    Near upright a small tilt grows like exp(lambda t); hanging down, the pole swings with
    angular frequency lambda (period 2 pi / lambda).
    """
    p = check_params(params)
    return math.sqrt(p.gravity / (p.half_length * (4.0 / 3.0 - p.pole_mass / p.total_mass)))


def gymnasium_env(params: CartPoleParams = DEFAULT_PARAMS):
    """Gymnasium's own ``CartPoleEnv`` with its constants set to ``params`` and semi-implicit Euler.

    For cross-checking :func:`step` against the reference implementation (Towers et al. 2024);
    needs the ``gymnasium`` package, imported only here.
    """
    import gymnasium as gym

    p = check_params(params)
    env = gym.make("CartPole-v1").unwrapped
    env.gravity, env.masscart, env.masspole, env.length, env.tau = (
        p.gravity, p.cart_mass, p.pole_mass, p.half_length, p.dt)
    env.total_mass = p.total_mass
    env.polemass_length = p.pole_mass * p.half_length
    env.kinematics_integrator = "semi-implicit euler"
    env.reset(seed=0)
    return env


def gymnasium_step(env, state, force: float) -> np.ndarray:
    """One step of a :func:`gymnasium_env` from our ``(4,)`` ``state`` under an arbitrary ``force`` [N].

    Gymnasium only pushes with +-``force_mag``, so any force u is the action ``u > 0`` with
    ``force_mag = |u|``. Its state order is ``[x, x_dot, theta, theta_dot]``; this converts both ways.
    Returns the new state in our order, float64 ``(4,)``.
    """
    theta, theta_dot, x, x_dot = check_state(state, single=True)
    force = float(force)
    require(math.isfinite(force), f"force must be finite, got {force!r}")
    env.state = np.array([x, x_dot, theta, theta_dot])  # Gymnasium's order
    env.steps_beyond_terminated = None  # a fresh step, whatever came before
    env.force_mag = abs(force)  # Gymnasium pushes with +-force_mag only:
    env.step(int(force > 0))  # action 1 pushes toward +x, action 0 toward -x
    x, x_dot, theta, theta_dot = env.state
    return np.array([theta, theta_dot, x, x_dot])
