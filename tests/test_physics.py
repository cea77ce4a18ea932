"""dtcart.physics: the equations, the invariants, the integrators, the validation and Gymnasium."""

import math

import numpy as np
import pytest

from dtcart import physics
from dtcart.physics import (CartPoleParams, accelerations, energy, gymnasium_env, gymnasium_step, linear_rate,
                            momentum, simulate, step, step_explicit_euler, step_rk4)

STEPPERS = [step, step_explicit_euler, step_rk4]
PARAMS = [CartPoleParams(), CartPoleParams.gymnasium(), CartPoleParams(gravity=3.7, cart_mass=2.5, pole_mass=0.3,
                                                                       half_length=1.2, dt=0.01)]


def random_states(n, seed=0, scale=2.0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-scale, scale, (n, 4)), rng.uniform(-20, 20, n)


def closed_form(state, force, p):
    """The textbook equations (Florian 2007 without friction), written out plainly with np.sin and np.cos."""
    theta, theta_dot = state[..., 0], state[..., 1]
    total = p.cart_mass + p.pole_mass
    temp = (force + p.pole_mass * p.half_length * theta_dot**2 * np.sin(theta)) / total
    theta_acc = (p.gravity * np.sin(theta) - np.cos(theta) * temp) / (
        p.half_length * (4.0 / 3.0 - p.pole_mass * np.cos(theta) ** 2 / total))
    x_acc = temp - p.pole_mass * p.half_length * theta_acc * np.cos(theta) / total
    return theta_acc, x_acc


def lagrangian_accelerations(state, force, p):
    """Accelerations from the Lagrangian's 2x2 mass-matrix system, solved numerically (an independent route).

    (M+m) x'' + m l cos(th) th''     = F + m l sin(th) th'^2
    m l cos(th) x'' + 4/3 m l^2 th'' = m g l sin(th)
    """
    theta, theta_dot = state[..., 0], state[..., 1]
    m, l = p.pole_mass, p.half_length
    mass = np.empty(theta.shape + (2, 2))
    mass[..., 0, 0] = p.cart_mass + m
    mass[..., 0, 1] = mass[..., 1, 0] = m * l * np.cos(theta)
    mass[..., 1, 1] = 4.0 / 3.0 * m * l**2
    rhs = np.stack([force + m * l * np.sin(theta) * theta_dot**2, m * p.gravity * l * np.sin(theta)], axis=-1)
    x_acc, theta_acc = np.moveaxis(np.linalg.solve(mass, rhs[..., None])[..., 0], -1, 0)
    return theta_acc, x_acc


# ---------------------------------------------------------------- the equations of motion

@pytest.mark.parametrize("p", PARAMS)
def test_accelerations_match_the_closed_form_and_the_lagrangian(p):
    states, forces = random_states(500)
    got = accelerations(states, forces, p)
    for want in (closed_form(states, forces, p), lagrangian_accelerations(states, forces, p)):
        np.testing.assert_allclose(got[0], want[0], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(got[1], want[1], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("p", PARAMS)
def test_step_is_semi_implicit_euler_of_the_closed_form(p):
    states, forces = random_states(500, seed=1)
    theta_acc, x_acc = closed_form(states, forces, p)
    theta_dot = states[:, 1] + p.dt * theta_acc
    x_dot = states[:, 3] + p.dt * x_acc
    want = np.stack([states[:, 0] + p.dt * theta_dot, theta_dot, states[:, 2] + p.dt * x_dot, x_dot], axis=-1)
    np.testing.assert_allclose(step(states, forces, p), want, rtol=1e-13, atol=1e-14)


def test_explicit_euler_and_rk4_steps_follow_their_formulas():
    p = CartPoleParams()
    states, forces = random_states(50, seed=2)

    def f(s):
        theta_acc, x_acc = closed_form(s, forces, p)
        return np.stack([s[:, 1], theta_acc, s[:, 3], x_acc], axis=-1)

    np.testing.assert_allclose(step_explicit_euler(states, forces, p), states + p.dt * f(states), rtol=1e-13,
                               atol=1e-14)
    k1 = f(states)
    k2 = f(states + p.dt / 2 * k1)
    k3 = f(states + p.dt / 2 * k2)
    k4 = f(states + p.dt * k3)
    np.testing.assert_allclose(step_rk4(states, forces, p), states + p.dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4),
                               rtol=1e-12, atol=1e-13)


def test_force_pushes_toward_plus_x_and_tips_the_pole_back():
    theta_acc, x_acc = accelerations(np.zeros(4), 10.0)
    assert x_acc > 0 and theta_acc < 0
    theta_acc, _ = accelerations([0.1, 0, 0, 0], 0.0)
    assert theta_acc > 0  # a pole leaning toward +x falls toward +x


def test_linear_rate_matches_the_linearised_equation():
    p = CartPoleParams()
    eps = 1e-7
    theta_acc, _ = accelerations([eps, 0, 0, 0], 0.0, p)
    assert theta_acc / eps == pytest.approx(linear_rate(p) ** 2, rel=1e-6)
    assert linear_rate(p) == pytest.approx(math.sqrt(9.8 / (0.5 * (4 / 3 - 0.5))))


# ---------------------------------------------------------------- energy and momentum

def test_energy_of_simple_states():
    p = CartPoleParams(cart_mass=2.0, pole_mass=0.5, half_length=0.8)
    m, l, g = 0.5, 0.8, 9.8
    assert energy([0, 0, 3.0, 0], p) == pytest.approx(m * g * l)        # upright at rest
    assert energy([math.pi, 0, 0, 0], p) == pytest.approx(-m * g * l)   # hanging at rest
    assert energy([0, 0, 0, 2.0], p) == pytest.approx(0.5 * 2.5 * 4 + m * g * l)  # cart and pole slide together
    # pole spinning about a fixed hinge: 1/2 (m l^2/3 + m l^2) w^2 = 2/3 m l^2 w^2
    assert energy([math.pi / 2, 3.0, 0, 0], p) == pytest.approx(2 / 3 * m * l**2 * 9)
    assert momentum([0.3, 0, 0, 2.0], p) == pytest.approx(2.5 * 2.0)
    assert momentum([0.0, 3.0, 0, 0], p) == pytest.approx(m * l * 3.0)


def test_energy_and_momentum_change_as_the_force_does_work_and_gives_impulse():
    """dE/dt = F x_dot and dp/dt = F: the equations conserve both when F = 0."""
    p = CartPoleParams(dt=1e-5)
    states, forces = random_states(200, seed=3, scale=1.0)
    after = step_rk4(states, forces, p)
    np.testing.assert_allclose((energy(after, p) - energy(states, p)) / p.dt, forces * states[:, 3],
                               rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose((momentum(after, p) - momentum(states, p)) / p.dt, forces, rtol=1e-4, atol=1e-4)


def test_rk4_conserves_energy_and_momentum_unforced():
    p = CartPoleParams(dt=0.005)
    start = np.array([[0.2, 0.0, 0.0, 0.0], [1.0, -2.0, 0.5, 0.3]])
    traj = simulate(start, np.zeros(800), p, integrator="rk4")
    e, mom = energy(traj, p), momentum(traj, p)
    assert np.abs(e - e[:, :1]).max() < 1e-5
    assert np.abs(mom - mom[:, :1]).max() < 1e-5


# ---------------------------------------------------------------- batches, symmetry, equilibria

@pytest.mark.parametrize("stepper", STEPPERS)
def test_batch_equals_row_by_row(stepper):
    states, forces = random_states(64, seed=4)
    batch = stepper(states, forces)
    rows = np.stack([stepper(s, f) for s, f in zip(states, forces)])
    np.testing.assert_array_equal(batch, rows)
    nested = stepper(states.reshape(8, 8, 4), forces.reshape(8, 8))
    np.testing.assert_array_equal(nested.reshape(64, 4), batch)


def test_force_broadcasts_against_the_batch():
    states, _ = random_states(5, seed=5)
    np.testing.assert_array_equal(step(states, 3.0), step(states, np.full(5, 3.0)))
    fan = step(states[0], np.array([-1.0, 0.0, 1.0]))  # one start, three forces
    assert fan.shape == (3, 4)
    np.testing.assert_array_equal(fan[2], step(states[0], 1.0))
    assert step([0.1, 0, 0, 0]).dtype == np.float64
    assert step(states.astype(np.float32), 1).dtype == np.float64


def test_step_does_not_modify_its_input():
    states, forces = random_states(10, seed=6)
    before = states.copy()
    step(states, forces)
    np.testing.assert_array_equal(states, before)


@pytest.mark.parametrize("integrator", sorted(physics.INTEGRATORS))
def test_mirror_symmetry(integrator):
    """Negating theta, theta_dot, x, x_dot and the force mirrors the whole trajectory."""
    rng = np.random.default_rng(7)
    start = rng.uniform(-0.5, 0.5, (3, 4))
    forces = rng.uniform(-15, 15, (3, 300))
    traj = simulate(start, forces, integrator=integrator)
    mirrored = simulate(-start, -forces, integrator=integrator)
    np.testing.assert_allclose(mirrored, -traj, rtol=0, atol=1e-12)


@pytest.mark.parametrize("stepper", STEPPERS)
def test_equilibria_stay_put(stepper):
    upright = np.array([0.0, 0.0, 1.5, 0.0])
    state = upright
    for _ in range(1000):
        state = stepper(state, 0.0)
    np.testing.assert_array_equal(state, upright)  # exactly: every force term is zero
    hanging = np.array([math.pi, 0.0, -0.7, 0.0])
    state = hanging
    for _ in range(1000):
        state = stepper(state, 0.0)
    np.testing.assert_allclose(state, hanging, rtol=0, atol=1e-10)


def test_cart_with_upright_pole_coasts_at_constant_velocity():
    traj = simulate([0.0, 0.0, 0.0, 0.5], np.zeros(100))
    np.testing.assert_array_equal(traj[:, 0], 0.0)
    np.testing.assert_allclose(traj[:, 2], 0.5 * 0.02 * np.arange(101), atol=1e-13)


def test_upright_diverges_and_hanging_oscillates_at_the_linear_rate():
    p = CartPoleParams(dt=0.001)
    lam = linear_rate(p)
    eps = 1e-6
    traj = simulate(np.array([[eps, 0, 0, 0], [math.pi + 1e-3, 0, 0, 0]]), np.zeros(2000), p, integrator="rk4")
    t = 1.0
    up = traj[0, 1000, 0]
    assert up == pytest.approx(eps * math.cosh(lam * t), rel=1e-3)
    swing = traj[1, :, 0] - math.pi
    assert np.abs(swing).max() <= 1e-3 * (1 + 1e-6)
    crossings = np.flatnonzero(np.diff(np.sign(swing)) != 0)
    period = 2 * np.mean(np.diff(crossings)) * p.dt
    assert period == pytest.approx(2 * math.pi / lam, rel=2e-3)


# ---------------------------------------------------------------- integrators: drift (REFERENCES.md)

def relative_energy_error(integrator, params, n_steps, theta0=0.2):
    traj = simulate(np.array([theta0, 0.0, 0.0, 0.0]), np.zeros(n_steps), params, integrator=integrator)
    e = energy(traj, params)
    return np.abs(e - e[0]).max() / abs(e[0])


def test_integrator_drift_over_10000_unforced_steps():
    """Gymnasium's constants, theta0 = 0.2, 10,000 steps of 0.02 s: 27.8 / 0.876 / 3.5e-5."""
    p = CartPoleParams.gymnasium()
    explicit = relative_energy_error("explicit-euler", p, 10_000)
    semi = relative_energy_error("semi-implicit-euler", p, 10_000)
    rk4 = relative_energy_error("rk4", p, 10_000)
    assert explicit == pytest.approx(27.8, rel=0.01)
    assert semi == pytest.approx(0.876, rel=0.01)
    assert rk4 == pytest.approx(3.5e-5, rel=0.05)
    assert explicit > 10 * semi and semi > 10_000 * rk4


def test_semi_implicit_drift_shrinks_with_dt():
    """The same 200 s at dt = 0.02, 0.01, 0.005: 0.876, 0.380, 0.167, about halving with dt (first order)."""
    drift = [relative_energy_error("semi-implicit-euler", CartPoleParams(pole_mass=0.1, dt=dt),
                                   round(200 / dt)) for dt in (0.02, 0.01, 0.005)]
    np.testing.assert_allclose(drift, [0.876, 0.380, 0.167], rtol=0.01)
    ratios = np.array(drift[:-1]) / np.array(drift[1:])
    assert np.all((ratios > 1.8) & (ratios < 2.6))


# ---------------------------------------------------------------- Gymnasium cross-check

@pytest.mark.parametrize("p", PARAMS)
def test_agrees_with_gymnasium_to_1e12_per_step(p):
    env = gymnasium_env(p)
    states, forces = random_states(300, seed=8, scale=3.0)
    forces[:3] = [0.0, -0.0, 1e-3]
    for s, f in zip(states, forces):
        np.testing.assert_allclose(step(s, f, p), gymnasium_step(env, s, f), rtol=0, atol=1e-12)


def test_gymnasium_default_explicit_euler_is_our_explicit_euler_in_its_own_order():
    env = gymnasium_env(CartPoleParams.gymnasium())
    env.kinematics_integrator = "euler"
    states, forces = random_states(50, seed=9)
    for s, f in zip(states, forces):
        np.testing.assert_allclose(step_explicit_euler(s, f, CartPoleParams.gymnasium()),
                                   gymnasium_step(env, s, f), rtol=0, atol=1e-12)


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("field", ["gravity", "cart_mass", "pole_mass", "half_length", "dt"])
@pytest.mark.parametrize("value", [0, -1.0, float("nan"), float("inf"), -float("inf")])
def test_bad_params_raise_value_error_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        CartPoleParams(**{field: value})


@pytest.mark.parametrize("field", ["gravity", "cart_mass", "pole_mass", "half_length", "dt"])
@pytest.mark.parametrize("value", ["1.0", None, True, [1.0], 1 + 0j])
def test_non_numeric_params_raise_type_error_naming_the_field(field, value):
    with pytest.raises(TypeError, match=field):
        CartPoleParams(**{field: value})


def test_params_are_frozen_floats():
    p = CartPoleParams(cart_mass=2, dt=np.float32(0.01))
    assert type(p.cart_mass) is float and type(p.dt) is float
    with pytest.raises(AttributeError):
        p.dt = 0.1
    assert physics.DEFAULT_PARAMS.total_mass == 2.0
    assert CartPoleParams.gymnasium().pole_mass == 0.1


FUNCTIONS = [step, step_explicit_euler, step_rk4, accelerations, energy, momentum]


@pytest.mark.parametrize("fn", FUNCTIONS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_state_raises(fn, bad):
    state = np.zeros((3, 4))
    state[1, 2] = bad
    with pytest.raises(ValueError, match="finite"):
        fn(state)


@pytest.mark.parametrize("fn", FUNCTIONS)
@pytest.mark.parametrize("shape", [(), (3,), (5,), (2, 3), (4, 5)])
def test_wrong_last_axis_raises(fn, shape):
    with pytest.raises(ValueError, match=r"\(\.\.\., 4\)"):
        fn(np.zeros(shape))


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_non_numeric_state_raises_type_error(fn):
    with pytest.raises(TypeError, match="state"):
        fn([["a", "b", "c", "d"]])


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_wrong_params_type_raises(fn):
    with pytest.raises(TypeError, match="params"):
        fn(np.zeros(4), params={"dt": 0.02}) if fn in (energy, momentum) else fn(np.zeros(4), 0.0, {"dt": 0.02})


@pytest.mark.parametrize("fn", [step, step_explicit_euler, step_rk4, accelerations])
def test_bad_force_raises(fn):
    with pytest.raises(ValueError, match="broadcast"):
        fn(np.zeros((5, 4)), np.ones(3))
    with pytest.raises(ValueError, match="broadcast"):
        fn(np.zeros((5, 4)), np.ones((2, 5, 2)))
    for bad in (np.nan, np.inf):
        with pytest.raises(ValueError, match="force must be finite"):
            fn(np.zeros((5, 4)), np.array([0, 0, bad, 0, 0]))
    with pytest.raises(TypeError, match="force"):
        fn(np.zeros(4), "push")


def test_huge_but_finite_values_are_not_reported_as_non_finite():
    state = np.array([[0.0, 0.0, 1e308, 0.0], [0.0, 0.0, 1e308, 0.0]])  # the sum overflows, the values do not
    with np.errstate(over="ignore"):
        assert momentum(state).shape == (2,)


def test_simulate_validates_its_arguments():
    with pytest.raises(ValueError, match="integrator"):
        simulate(np.zeros(4), np.zeros(3), integrator="leapfrog")
    with pytest.raises(ValueError, match="n_steps"):
        simulate(np.zeros(4), 1.0)
    with pytest.raises(ValueError, match="finite"):
        simulate(np.zeros(4), [0.0, np.nan])
    with pytest.raises(ValueError, match="broadcast"):
        simulate(np.zeros((3, 4)), np.zeros((2, 10)))
    with pytest.raises(ValueError, match="initial_state"):
        simulate(np.zeros(3), np.zeros(10))
    with pytest.raises(TypeError, match="forces"):
        simulate(np.zeros(4), ["a", "b"])


def test_simulate_shapes_and_per_cart_forces():
    start = np.zeros((2, 4))
    forces = np.stack([np.ones(7), -np.ones(7)])
    traj = simulate(start, forces)
    assert traj.shape == (2, 8, 4)
    np.testing.assert_array_equal(traj[:, 0], start)
    np.testing.assert_array_equal(traj[0, 1], step(start[0], 1.0))
    np.testing.assert_allclose(traj[1], -traj[0], atol=1e-15)
    assert simulate(np.zeros(4), np.zeros(5)).shape == (6, 4)


def test_gymnasium_step_validates():
    env = gymnasium_env()
    with pytest.raises(ValueError, match=r"\(4,\)"):
        gymnasium_step(env, np.zeros((2, 4)), 1.0)
    with pytest.raises(ValueError, match="finite"):
        gymnasium_step(env, np.zeros(4), np.nan)
