# %% [markdown]
# # One knob: a heuristic controller and the data it leaves behind
#
# A Decision Transformer does not learn by trial and error. It learns from a log of episodes somebody
# else played, and from nothing else {cite}`chen2021`. So before any transformer appears we need a player and
# its log. The post's author reached for the simplest player there is, a proportional controller with one
# gain $K$, tried a few values of $K$, and noticed that below "about 20" the pole falls while above it the
# pole swings smoothly {cite}`post2025`. This chapter retraces that experiment on the cart of
# {doc}`01_physics`, finds out exactly where "about 20" comes from, and discovers a second way to fail that
# the post does not mention. Then it turns the controller's episodes into the offline dataset the
# Decision Transformer of {doc}`06_decision_transformer` learns from, and introduces the quantity that
# dataset is built around: the return-to-go. (Symbols and units: {doc}`notation`.)

# %% tags=["hide-input"]
import dataclasses
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import HTML, display
from myst_nb import glue

from dtcart import control, data, drawing, exercises, physics
from dtcart.animation import animate_rollout
from dtcart.display import show_source
from dtcart.exercises import (
    check_exercise_2_1,
    check_exercise_2_2,
    check_exercise_2_3,
    check_exercise_2_4,
)

params = physics.DEFAULT_PARAMS
K_STAR = control.critical_gain(params)

# %% [markdown]
# ## Why a heuristic, and why a deterministic one
#
# We could train a reinforcement-learning agent to balance the pole and log what it does; the paper's own
# logs came from RL agents {cite}`chen2021`. The Decision Transformer avoids RL *training*, not RL data: it
# learns from any log, whoever played it. We do not need an agent's trial and error to make ours (how much
# of it this cart-pole needs is measured in {doc}`08_worth`): a hand-written rule costs one line and no
# training, and, as we will see, it can be made to play well or badly on purpose, which is exactly what a
# dataset for return conditioning needs.
#
# The rule is also **deterministic**: it has no dice in it, and neither has the physics. The same start and
# the same gain always give the same episode, bit for bit. That buys three things. Every number in this
# chapter can be re-derived by anyone and checked by an `assert`. The quality of an episode becomes a
# *function* of the gain (and of the start), a dial we can turn rather than a lottery. And when something
# looks wrong we can replay the exact episode that showed it.

# %% tags=["hide-cell"]
# uniform in +-0.05, as Gymnasium's reset
starts = control.random_initial_states(200, seed=0)
first = control.rollout(control.heuristic(21.0), starts)
again = control.rollout(control.heuristic(21.0), starts)
assert all(
    np.array_equal(getattr(first, name), getattr(again, name))
    for name in ("states", "actions", "rewards", "lengths")
)

# %% [markdown]
# ## The rules of the game
#
# We play Gymnasium's `CartPole-v1` {cite}`towers2024gymnasium`, the modern form of the task
# {cite:t}`barto1983` posed, on our own physics. An episode starts near upright, every component of the
# state drawn uniformly in $\pm 0.05$. Each step the controller chooses a force, the cart moves for $\tau = 0.02$ s, and
# the step earns a reward of $+1$, *including* the step that ends the episode. The episode ends after a step
# that leaves the pole more than 12 degrees from upright or the cart more than 2.4 m from the centre, and it
# is cut at 500 steps. So an episode's return is simply its length, and 500 means the pole was kept up, and
# the cart on its track, for the full 10 seconds.
#
# The rules live in one place, `control.EpisodeBatch`, which runs a whole batch of carts at once; both this
# chapter's controller and the Decision Transformer of Chapter 6 are scored by it. Here is one step
# (`_check_forces` refuses a batch that is done, a wrong number of forces, or a running cart's NaN):

# %%
show_source(control.EpisodeBatch.advance, docstring=False)

# %% [markdown]
# Every episode's return equals its length, its rewards are 1 up to the end and 0 after, and it ended for
# exactly one of three reasons: the pole fell, the cart left the track, or the clock ran out.

# %% tags=["hide-cell"]
assert np.abs(starts).max() <= 0.05 and params.dt == 0.02
assert (
    np.isclose(control.THETA_LIMIT, np.radians(12)) and control.X_LIMIT == 2.4
)
assert control.MAX_STEPS == 500
steps = np.arange(first.rewards.shape[1])
assert np.array_equal(first.returns, first.lengths)
assert np.array_equal(
    first.rewards, (steps < first.lengths[:, None]).astype(float)
)
ends = first.fell.astype(int) + first.left_track + first.solved
assert (ends == 1).all()

# %% [markdown]
# ## The controller
#
# If the pole leans to the right, push the cart to the right, so that the cart runs back under the pole;
# the further it leans, the harder the push:
#
# $$
# u = K\,\theta .
# $$ (ch2-control)
#
# $K$ is the gain in newtons per radian. In code it is a policy, a function from a batch of states to a
# batch of forces, and $K$ may be one number or one gain per cart (`check_gains` refuses anything else, with
# an error naming the argument):

# %%
show_source(control.heuristic, docstring=False)

# %% [markdown]
# ## How large must $K$ be?
#
# The post found the answer by trial: about 20. We can find it with a pencil. Chapter 1's equation for the
# pole's angular acceleration is
#
# $$
# \ddot\theta = \frac{g\sin\theta - \cos\theta\,\dfrac{u + m l\dot\theta^2\sin\theta}{M+m}}
#                    {l\left(\dfrac43 - \dfrac{m\cos^2\theta}{M+m}\right)} ,
# $$ (ch2-thetaddot)
#
# with $M$ the cart's mass, $m$ the pole's, and $l$ the distance from the hinge to the pole's centre.
# Close to upright, $\sin\theta \approx \theta$, $\cos\theta \approx 1$, and $\dot\theta^2\sin\theta$ is a
# product of small numbers that we drop. With $u = K\theta$ everything left is proportional to $\theta$:
#
# $$
# \ddot\theta \approx \alpha\,\theta, \qquad
# \alpha = \frac{g - K/(M+m)}{l\left(\frac43 - \frac{m}{M+m}\right)} .
# $$ (ch2-linear)
#
# The coefficient $\alpha$ is in 1/s², and its sign decides everything. If $\alpha > 0$ the solutions grow
# like $e^{\lambda t}$ at the rate $\lambda = \sqrt\alpha$, in 1/s (with no control, $K = 0$, this is the
# $\lambda = 4.85$ s⁻¹ of {doc}`01_physics`): the pole falls, only more slowly than without control. If
# $\alpha < 0$ they oscillate at the angular frequency $\omega = \sqrt{-\alpha}$, forever, because nothing in {eq}`ch2-control` takes energy out of the
# swing. The boundary is the **critical gain**
#
# $$
# K^* = (M+m)\,g .
# $$ (ch2-kstar)
#
# It reads naturally: a push $K\theta$ accelerates the whole machine by about $K\theta/(M+m)$, and the pole
# is held only if its base is accelerated sideways faster than gravity tips it over, about $g\theta$.
#
# Here is the post's "about 20": our cart and our pole weigh 1 kg each, so $K^* = 2 \times 9.8 = 19.6$ N/rad.
# It is a property of the masses, not of the cart-pole problem. Gymnasium's pole weighs only 0.1 kg
# {cite}`towers2024gymnasium`, and there the same controller needs only $1.1 \times 9.8 = 10.78$ N/rad.
# `control.critical_gain(params)` returns {eq}`ch2-kstar` for any constants.

# %% tags=["hide-cell"]
gym = physics.CartPoleParams.gymnasium()
assert control.critical_gain(gym) == gym.total_mass * gym.gravity
assert params.cart_mass == params.pole_mass == 1.0 and gym.pole_mass == 0.1
assert abs(K_STAR - 19.6) < 1e-12
assert abs(control.critical_gain(gym) - 10.78) < 1e-12
# below K* the pole still falls, but more slowly than with no control at all
assert 0 < control.linear_coefficient(10.0) < physics.linear_rate() ** 2

# %% [markdown]
# A linearisation is a claim about small angles, so we test it on a small angle. Start the pole at
# $\theta_0 = 0.001$ rad and at rest. With $K = 15$, below $K^*$, equation {eq}`ch2-linear` predicts growth
# at the rate $\lambda = \sqrt\alpha$; with $K = 25$, above, an oscillation of period $2\pi/\omega$.
# `control.linear_coefficient` computes $\alpha$ for us (its source is one click away), and the simulation
# agrees with both predictions to within 1 %:

# %% tags=["hide-cell"]
show_source(control.linear_coefficient, docstring=False)

# %% tags=["hide-input"]
alpha = control.linear_coefficient
tiny = [[1e-3, 0.0, 0.0, 0.0]]
falling = control.rollout(control.heuristic(15.0), tiny, max_steps=100).states[
    0, :, 0
]
# between t = 1 s and t = 2 s
growth_rate = np.log(falling[100] / falling[50]) / (50 * params.dt)
assert abs(growth_rate / np.sqrt(alpha(15.0)) - 1) < 0.01

swinging = control.rollout(control.heuristic(25.0), tiny).states[0, :, 0]
i = np.nonzero(np.sign(swinging[1:]) != np.sign(swinging[:-1]))[0]
# zero crossings [s]
crossings = (i + swinging[i] / (swinging[i] - swinging[i + 1])) * params.dt
period = 2 * np.diff(crossings).mean()
assert abs(period / (2 * np.pi / np.sqrt(-alpha(25.0))) - 1) < 0.01
print(
    f"growth rate {growth_rate:.3f} 1/s (linear {np.sqrt(alpha(15.0)):.3f});\n"
    f"period {period:.3f} s (linear {2 * np.pi / np.sqrt(-alpha(25.0)):.3f})"
)

# %% [markdown]
# ## The K sweep
#
# Now the experiment the post did by hand, done wholesale: for each gain on a grid, fine around $K^*$,
# play the same 200 random starts and record how each episode ended. `control.gain_sweep` runs them as
# vectorised batches of about twenty gains (4000 carts) at a time.

# %%
gains = np.round(
    np.concatenate([
        np.arange(10.0, 18.0, 0.5),
        np.arange(18.0, 23.0, 0.1),
        np.arange(23.0, 30.01, 0.5),
    ]),
    2,
)
sweep = control.gain_sweep(gains, starts)

# %% tags=["remove-output", "hide-input"]
fig, (ax_share, ax_len) = plt.subplots(2, 1, figsize=(7.5, 4.6), sharex=True)
ax_share.stackplot(
    gains,
    sweep.fell,
    sweep.left_track,
    sweep.solved,
    labels=["pole fell", "cart left the track", "lasted 500 steps"],
    colors=["tab:red", "tab:orange", "tab:green"],
    alpha=0.8,
)
ax_share.set_ylabel("share of 200 starts")
ax_share.set_ylim(0, 1)
ax_share.legend(
    loc="lower center",
    bbox_to_anchor=(0.5, 1.0),
    ncol=3,
    fontsize=10,
    frameon=False,
)
ax_len.plot(gains, sweep.mean_length, color="k")
ax_len.set_ylabel("mean episode length [steps]")
ax_len.set_xlabel("gain K [N/rad]")
for ax in (ax_share, ax_len):
    ax.axvline(K_STAR, color="k", ls="--", lw=1)
ax_len.annotate(
    "K* = (M+m)g",
    (K_STAR, 60),
    xytext=(K_STAR + 1.5, 80),
    arrowprops=dict(arrowstyle="->"),
)
fig.tight_layout()
glue("fig-ch2-sweep", fig, display=False)

# %% [markdown]
# ```{glue:figure} fig-ch2-sweep
# :name: fig-ch2-sweep
#
# How 200 random starts end, for each gain $K$ of the heuristic $u = K\theta$ (top), and the mean episode
# length (bottom). The dashed line is the critical gain $K^* = (M+m)g = 19.6$ N/rad of equation
# {eq}`ch2-kstar`. Below it the pole falls; just above it the pole stays up but the cart drifts off the
# track; from about 22 N/rad every start lasts the full 500 steps.
# ```
#
# {numref}`fig-ch2-sweep` has three regions, not two.
#
# - Well below $K^*$ (every gain up to 18 N/rad) **every** episode ends with the pole falling.
# - From $K^*$ up, **no** episode ends with the pole falling. The share of falls crosses one half within
#   3 % of $K^*$, and the smallest gain on the grid without a single fall is within 3 % of $K^*$ too. So the
#   sweep finds the threshold that equation {eq}`ch2-kstar` predicts.
# - But surviving 500 steps takes more than $K^*$. In a band around $K^*$ almost every start (more than 90 %
#   at the worst gain) ends with **the cart leaving the track**: the controller looks only at $\theta$, and
#   nothing in it cares where the cart is. Only from about 22 N/rad do all 200 starts last the full 500 steps.
#
# The post's observation, falling below 20 and swinging above, holds for the pole; what it leaves out is
# the cart.

# %% tags=["hide-input"]
fell_share, solved_share = sweep.fell, sweep.solved
assert (fell_share[gains <= 18.0] == 1).all()
assert (fell_share[gains >= K_STAR - 1e-9] == 0).all()
# first grid gain where fewer than half of the starts fall, then linear between
# it and the one before
j = np.argmax(fell_share < 0.5)
k_half = np.interp(0.5, fell_share[[j, j - 1]], gains[[j, j - 1]])
k_no_fall = gains[np.argmax(fell_share == 0)]
assert abs(k_half / K_STAR - 1) < 0.03 and abs(k_no_fall / K_STAR - 1) < 0.03
assert (
    sweep.left_track.max() > 0.9
    and abs(gains[sweep.left_track.argmax()] - K_STAR) < 1.0
)
k_all_solved = gains[np.argmax(solved_share == 1)]
assert (
    solved_share[gains >= k_all_solved] == 1
).all() and 21.5 < k_all_solved < 23.0
# below K*, the cart leaves first for some starts from 18.5, for most from 19.3
below_k = gains < K_STAR - 1e-9
left = sweep.left_track
assert (left[below_k & (gains >= 18.5)] > 0).all()
assert (left[gains < 18.5] == 0).all()
assert (left[below_k & (gains >= 19.3)] > 0.5).all()
assert (left[below_k & (gains < 19.3)] < 0.5).all()
print(
    f"K* = {K_STAR:.2f}; half of the starts fall at K = {k_half:.2f} "
    f"({k_half / K_STAR - 1:+.1%});\nno falls from K = {k_no_fall:.2f}; "
    f"all 200 starts last 500 steps from K = {k_all_solved:.2f}"
)

# %% [markdown]
# Here are the three regions, seen: one start ($\theta_0 = 0.05$ rad, $\dot\theta_0 = 0.05$ rad/s, the cart
# at rest in the centre) under a gain just below $K^*$, one between $K^*$ and the gain from which every start
# survives, and one well above, played side by side in real time. Press play; the arrows are the pushes
# $u = K\theta$, drawn to scale.

# %% tags=["hide-input"]
movie_gains = [19.0, 21.0, 25.0]
story_start = [0.05, 0.05, 0.0, 0.0]
three = control.rollout(
    control.heuristic(movie_gains), np.tile(story_start, (3, 1))
)
assert three.fell.tolist() == [True, False, False]
assert three.left_track.tolist() == [False, True, False]
assert three.solved.tolist() == [False, False, True]
animate_rollout(three, [0, 1, 2], [f"K = {K:g} N/rad" for K in movie_gains])

# %% [markdown]
# At $K = 19$ N/rad the push is a little too weak and the pole keeps tilting until it passes 12 degrees. At
# 21 the pole swings, held, while the cart walks steadily off the end of the track: the second failure. At
# 25 the pole swings and the cart wanders, but both stay inside for the full 10 s. The same start's curves,
# for these gains and two more, are {numref}`fig-ch2-multiples` below.

# %% tags=["hide-cell"]
# [m]
l_eff = params.half_length * (4 / 3 - params.pole_mass / params.total_mass)


def predicted_drift(K, states):
    """Average cart velocity [m/s] of equation (ch2-drift) for starts (N, 4)."""
    ml = params.pole_mass * params.half_length / params.total_mass
    return states[:, 3] + states[:, 1] * (ml + K * l_eff / (K - K_STAR))


times = np.arange(501) * params.dt
at_24 = control.rollout(control.heuristic(24.0), starts)
assert at_24.solved.all()
# slope of x(t) per start [m/s]
fitted = np.polyfit(times, at_24.states[:, :, 2].T, 1)[0]
assert np.abs(fitted - predicted_drift(24.0, starts)).max() < 0.01

# worst start: 0.05 + 10 s * v(K) = 2.4, with v linear in K / (K - K*); solve
# for K
s = 0.05
a = s * (1 + params.pole_mass * params.half_length / params.total_mass)
b = (control.X_LIMIT - s) / (500 * params.dt) - a
k_survive = b * K_STAR / (b - s * l_eff)
assert abs(k_survive / k_all_solved - 1) < 0.03
print(
    f"predicted: every start survives from K = {k_survive:.2f}; sweep:"
    f" {k_all_solved:.2f}"
)

# %% [markdown]
# ````{admonition} Why the cart drifts, and where "about 22" comes from
# :class: dropdown
#
# Chapter 1 showed that the horizontal momentum $p = (M+m)\dot x + m l\cos\theta\,\dot\theta$ changes only
# through the force on the cart: $\dot p = u = K\theta$. Above $K^*$ the linear solution is
# $\theta(t) = \theta_0\cos\omega t + (\dot\theta_0/\omega)\sin\omega t$, and integrating it,
#
# $$
# p(t) = p_0 + K\left[\frac{\theta_0}{\omega}\sin\omega t + \frac{\dot\theta_0}{\omega^2}(1 - \cos\omega t)\right].
# $$
#
# The sine and cosine average out, but the constant $K\dot\theta_0/\omega^2$ does not: each swing pushes a
# little more one way than the other. Dividing by $M+m$ (and using $\omega^2 = (K-K^*)/((M+m)\,l_\text{eff})$
# with $l_\text{eff} = l(\frac43 - \frac{m}{M+m})$) the cart's average velocity is
#
# $$
# \bar v = \dot x_0 + \dot\theta_0\left(\frac{m l}{M+m} + \frac{K\,l_\text{eff}}{K - K^*}\right).
# $$ (ch2-drift)
#
# It blows up as $K \to K^*$ from above: the slower the swing, the longer each half-swing pushes. At
# $K = 24$ equation {eq}`ch2-drift` predicts the drift of all 200 starts to within 0.01 m/s (measured as the
# slope of a straight line fitted to $x(t)$ over the 10 s).
#
# It also predicts where the orange band of {numref}`fig-ch2-sweep` ends. The worst start has every
# component at $+0.05$; ignoring the bounded wobble, it stays on the track for 10 s while
# $0.05 + 10\,\bar v < 2.4$ m. Solving for $K$ gives the smallest gain that survives every start, within 3 %
# of the gain from which all 200 sampled starts survived in the sweep.
#
# The two failure modes also trade places *below* $K^*$: there $\alpha$ is small and positive, the pole
# falls very slowly (the growth rate $\lambda = \sqrt\alpha$ goes to zero at $K^*$), and the drifting
# cart gets to the edge first for some starts from 18.5 N/rad up, and for more than half of them from
# 19.3 N/rad.
# ````

# %% tags=["remove-output", "hide-input"]
few = starts[:12]
below, above = 17.0, 24.0
run_below = control.rollout(control.heuristic(below), few)
run_above = control.rollout(control.heuristic(above), few)

fig, axes = plt.subplots(1, 2, figsize=(9, 3.8))
for ax, K, run in ((axes[0], below, run_below), (axes[1], above, run_above)):
    for i in range(len(few)):
        n = run.lengths[i]
        ax.plot(
            np.degrees(run.states[i, : n + 1, 0]),
            run.states[i, : n + 1, 1],
            lw=1,
        )
        ax.plot(np.degrees(few[i, 0]), few[i, 1], "k.", ms=4)
    for side in (-12, 12):
        ax.axvline(side, color="tab:red", ls=":", lw=1)
    ax.set_xlabel("pole angle θ [deg]")
    ax.set_title(
        f"K = {K:g} N/rad ({'below' if K < K_STAR else 'above'} K* ="
        f" {K_STAR:g})"
    )
slope = np.sqrt(alpha(below))
th = np.radians(np.array([-12.0, 12.0]))
for sign in (-1, 1):
    axes[0].plot(np.degrees(th), sign * slope * th, "k--", lw=0.8)
for ax in axes:
    ax.set_ylabel("angular velocity θ̇ [rad/s]")
axes[0].set_ylim(-0.5, 0.5)
fig.tight_layout()
glue("fig-ch2-phase", fig, display=False)

assert run_below.fell.all()
omega = np.sqrt(-alpha(above))
amplitude = np.sqrt(few[:, 0] ** 2 + (few[:, 1] / omega) ** 2)
assert run_above.solved.all()
assert np.allclose(
    np.abs(run_above.states[:, :, 0]).max(axis=1), amplitude, rtol=0.03
)

# %% [markdown]
# ````{admonition} The phase portrait: the threshold without time
# :class: dropdown
#
# Another way to see the threshold is to drop time and plot the pole's angular velocity against its angle,
# the phase portrait. Equation {eq}`ch2-linear` says what to expect: below $K^*$ the upright position is a
# saddle, and trajectories run off along the lines $\dot\theta = \pm\lambda\,\theta$; above $K^*$ it is
# a centre, and each start traces its own closed ellipse
# $\theta^2 + (\dot\theta/\omega)^2 = \theta_0^2 + (\dot\theta_0/\omega)^2$.
#
# ```{glue:figure} fig-ch2-phase
# :name: fig-ch2-phase
#
# Phase portraits of the pole, angular velocity against angle, for the same 12 starts (dots). Left, below
# the critical gain: every trajectory is pushed out along the unstable directions
# $\dot\theta = \pm\lambda\,\theta$ (dashed) until the pole passes 12 degrees (dotted). Right, above it:
# closed ellipses, one per start, traced again and again for the whole 10 s.
# ```
#
# Below $K^*$ every one of the 12 starts falls. Above, the largest angle each start reaches matches the
# ellipse's half-width $\sqrt{\theta_0^2 + (\dot\theta_0/\omega)^2}$ to within 3 %.
# ````

# %% [markdown]
# ## Turn the knob yourself
#
# The cart-pole below runs in your browser, no kernel needed: the book's `physics.step` and the rules of
# the game, rewritten in JavaScript and tested against the Python, 50 steps a second in real time. The
# slider sets the gain $K$ of $u = K\theta$; the red mark on it is $K^* = (M+m)g = 19.6$ N/rad, and the
# readout gives $K - K^*$. Move it while the cart runs and the controller changes at once. **Shove** pushes
# the cart toward $+x$ with 10 N for 0.1 s (a click on the canvas pushes it away from the side you click);
# **Reset** draws a new start, each component within $\pm 0.05$, as the game does.

# %% tags=["hide-input"]
from dtcart import live

live.cartpole(gain=19.0)

# %% [markdown]
# Things to try:
#
# - Play at $K = 19$, just below $K^*$: the push is not quite enough, the pole leans further and further,
#   and on most starts it falls (on 82 % of 200 random starts; on the rest the cart runs off the track first).
# - Move the slider onto the mark. At $K^*$ itself the pole is not held: from $\theta_0 = \dot\theta_0 =
#   0.05$ it leans to 11 degrees while the cart runs off the track after 2.3 s.
# - Between $K^*$ and 22 N/rad the pole swings but, from that same start, the cart walks off, later the
#   higher the gain; from 23 N/rad up, every one of 200 fresh random starts lasts the full 10 s (the
#   sweep's own 200 starts all do from {glue:text}`ch2-all-solved` N/rad).
# - Shove the cart at $K = 23$ and at $K = 35$, and compare the swing that follows.

# %% tags=["hide-input"]
try_starts = control.random_initial_states(200, seed=1)
try_sweep = control.gain_sweep([19.0, 23.0, 30.0, 40.0], try_starts)
assert round(100 * try_sweep.fell[0]) == 82 and try_sweep.fell[0] + \
    try_sweep.left_track[0] == 1
assert (try_sweep.solved[1:] == 1).all()
glue("ch2-all-solved", f"{k_all_solved:.1f}", display=False)
at_mark = control.rollout(control.heuristic(K_STAR), [story_start])
lean = np.degrees(np.abs(at_mark.states[0, : at_mark.lengths[0] + 1, 0]))
assert at_mark.left_track[0] and round(lean.max()) == 11
assert round(at_mark.lengths[0] * params.dt, 1) == 2.3
band = np.round(np.arange(19.6, 23.01, 0.2), 1)
band_runs = control.rollout(
    control.heuristic(band), np.tile(story_start, (len(band), 1))
)
drifting = band[band_runs.left_track]
assert drifting.min() == 19.6 and drifting.max() == 22.0
# the cart leaves later as the gain grows through the band
assert (np.diff(band_runs.lengths[band_runs.left_track]) >= 0).all()

# %% [markdown]
# The same story as a still figure, five gains side by side:

# %%
panel_gains = [15.0, 19.0, 21.0, 25.0, 27.0]  # the animation's three, two more
panels = control.rollout(
    control.heuristic(panel_gains), np.tile(story_start, (5, 1))
)

# %% tags=["remove-output", "hide-input"]
# one row per gain: pole angle (left), cart position (right)
fig, axes = plt.subplots(5, 2, figsize=(8, 5.8), sharex=True, sharey="col")
for j, K in enumerate(panel_gains):
    drawing.plot_episode(
        axes[j],
        panels.states[j],
        panels.lengths[j],
        color=(
            "tab:red"
            if panels.fell[j]
            else ("tab:orange" if panels.left_track[j] else "tab:green")
        ),
        labels=False,
    )
    axes[j, 0].set_title(
        f"K = {K:g} N/rad: {drawing.outcome(panels, j)}", loc="left"
    )
# one label per column, on the middle row (the rows share their axes)
axes[2, 0].set_ylabel("pole angle θ [deg]")
axes[2, 1].set_ylabel("cart position x [m]")
for ax in axes[-1]:
    ax.set_xlabel("time [s]")
fig.tight_layout(w_pad=3)  # the titles clear of the right column's label
glue("fig-ch2-multiples", fig, display=False)

# %% [markdown]
# ```{glue:figure} fig-ch2-multiples
# :name: fig-ch2-multiples
#
# One start ($\theta_0 = 0.05$ rad, $\dot\theta_0 = 0.05$ rad/s) under five gains, one per row: pole angle
# (left) and cart position (right) against time; dotted lines are the limits that end an episode. Below $K^* = 19.6$ the
# pole falls, sooner the smaller the gain; just above, the pole swings but the cart drifts off; at higher
# gains both stay inside for the full 10 s.
# ```

# %% tags=["hide-cell"]
assert list(panels.fell) == [True, True, False, False, False]
assert list(panels.left_track) == [False, False, True, False, False]
assert list(panels.solved) == [False, False, False, True, True]
assert panels.lengths[0] < panels.lengths[1]

# %% [markdown]
# ## The offline dataset
#
# The post settled on one good gain. For a Decision Transformer that would be a poor dataset: it learns to
# produce the actions that went with a *given return*, and it can only learn that if the log contains
# different returns. So instead of one gain we use many. `data.make_dataset` plays a large batch of
# episodes, each with its own gain drawn uniformly from a range that straddles $K^*$ and its own random
# start, and keeps everything the transformer will need: states, actions, rewards, lengths, and the gain
# that played. Three options are off by default. Two are used only in {doc}`06_decision_transformer`,
# which explains why its model needs them: exploration noise on the forces (`action_noise`), and
# controllers that give out partway through an episode (`drop_share`). The third, the world's random
# shoves (`push_noise`), is used only in {doc}`08_worth`.

# %%
show_source(data.make_dataset, docstring=False)

# %%
started = time.perf_counter()
ds = data.make_dataset()
seconds = time.perf_counter() - started
print(
    f"{len(ds)} episodes, {int(ds.lengths.sum())} steps, generated in"
    f" {seconds:.2f} s"
)

# %% tags=["hide-cell"]
assert seconds < 2.0
# same seed, same dataset
assert np.array_equal(ds.gains, data.make_dataset().gains)
assert ds.gains.min() < K_STAR < ds.gains.max()

# %% [markdown]
# The dataset is generated in well under 2 seconds, and the same seed gives the same dataset. Its returns
# are deliberately mixed. We call an episode a *short failure* when it ends before 100 steps, *middling*
# between 100 and 499, and *solved* at 500; each kind makes up more than a tenth of the dataset, and the
# gains tell them apart: solved episodes were played with higher gains than short failures, on opposite
# sides of $K^*$.

# %% tags=["hide-input"]
returns = ds.returns
short = returns < 100
middling = (returns >= 100) & (returns < 500)
solved = returns == 500
shares = {
    "short": short.mean(),
    "middling": middling.mean(),
    "solved": solved.mean(),
}
assert min(shares.values()) > 0.1, shares
assert np.median(ds.gains[short]) < K_STAR < np.median(ds.gains[solved])
print({k: round(float(v), 3) for k, v in shares.items()})

# %% tags=["remove-output", "hide-input"]
fig, (ax_hist, ax_scatter) = plt.subplots(1, 2, figsize=(9, 3.6))
ax_hist.hist(
    returns, bins=np.arange(0, 525, 25), color="tab:blue", edgecolor="white"
)
ax_hist.set_xlabel("return = episode length [steps]")
ax_hist.set_ylabel("episodes")
ax_scatter.scatter(ds.gains, returns, s=6, alpha=0.5)
ax_scatter.axvline(K_STAR, color="k", ls="--", lw=1)
ax_scatter.set_xlabel("gain K of the episode [N/rad]")
ax_scatter.set_ylabel("return [steps]")
fig.tight_layout()
glue("fig-ch2-returns", fig, display=False)

# %% [markdown]
# ```{glue:figure} fig-ch2-returns
# :name: fig-ch2-returns
#
# The offline dataset: histogram of the episodes' returns (left), and each episode's return against the gain
# that played it (right; dashed, $K^*$). Short failures, middling episodes and a tall bar of episodes that
# lasted all 500 steps.
# ```
#
# A few of the logged episodes, one of each kind:

# %% tags=["remove-output", "hide-input"]
# one of each kind: a failure near 60 steps, a middling episode near 300, and
# the first solved one
examples = [
    int(np.flatnonzero(short)[np.argmin(np.abs(returns[short] - 60))]),
    int(np.flatnonzero(middling)[np.argmin(np.abs(returns[middling] - 300))]),
    int(np.flatnonzero(solved)[0]),
]
# how far the cart strays in each solved episode [m]: under 0.8 m in half
solved_reach = np.abs(ds.states[solved, :, 2]).max(axis=1)
assert np.median(solved_reach) < 0.8 and max(solved_reach) < control.X_LIMIT

fig, axes = plt.subplots(1, 2, figsize=(9, 3))
for i, color in zip(examples, ("tab:red", "tab:orange", "tab:green")):
    label = f"K = {ds.gains[i]:.1f}, return {int(returns[i])}"
    drawing.plot_episode(
        axes, ds.states[i], ds.lengths[i], color=color, label=label
    )
axes[0].legend(fontsize=10)
fig.tight_layout()
glue("fig-ch2-examples", fig, display=False)

# %% [markdown]
# ```{glue:figure} fig-ch2-examples
# :name: fig-ch2-examples
#
# Three episodes from the dataset: a short failure, a middling episode and a solved one, with the gain that
# played each and its return.
# ```
#
# Why insist on the spread? Imagine the log held only solved episodes. Every one of them would have the
# same return, 500, and "I want a return of 500" would tell a learner nothing it could not guess. With short,
# middling and solved episodes side by side, the log itself says which behaviour goes with which return:
# a pole that tilts further and further goes with a small return, a cart that wanders off with a middling
# one, and steady swings with the cart kept on its track (in half of the solved episodes, within 0.8 m of
# the centre) with 500. That contrast is what a return-conditioned learner feeds on {cite}`chen2021`.

# %% [markdown]
# ## Return-to-go
#
# A reinforcement-learning agent asks, in each state, *which action will give the best return from here?*
# and picks it. A Decision Transformer asks a different question: *given the return I have been told to
# collect from here, which action fits?* {cite}`chen2021`. It is handed the return it should aim for, and
# finds the action. The number it is handed at step $t$ is the **return-to-go**, the sum of the rewards still
# to come:
#
# $$
# \hat R_t = \sum_{t'=t}^{T-1} r_{t'} ,
# $$ (ch2-rtg)
#
# for an episode of $T$ steps, $t = 0, 1, \dots, T-1$ (the hat is the Decision Transformer paper's mark for
# a return still to come {cite}`chen2021`).
# At $t = 0$ it is the episode's return; each step it falls by the reward just collected. With $+1$ per step,
# $\hat R_t$ is just *the number of steps the episode still lasts*, $T - t$. In code it
# is a reverse cumulative sum:

# %%
show_source(data.returns_to_go, docstring=False)

# %% tags=["remove-output", "hide-input"]
rtg = ds.rtg
assert np.array_equal(rtg[:, 0], ds.returns)
steps_left = np.clip(ds.lengths[:, None] - np.arange(ds.max_steps), 0, None)
assert np.array_equal(rtg, steps_left.astype(float))

i = examples[1]
n = ds.lengths[i]
t = np.arange(ds.max_steps) * params.dt
fig, (ax_r, ax_th, ax_x) = plt.subplots(3, 1, figsize=(7, 4.0), sharex=True)
ax_r.plot(t, rtg[i], color="tab:purple", label=r"return-to-go $\hat R_t$")
ax_r.set_ylabel(r"$\hat R_t$ [steps]")
ax_reward = ax_r.twinx()  # the reward has its own axis: 1 per step, then 0
ax_reward.plot(t, ds.rewards[i], color="tab:gray", lw=1, label="reward $r_t$")
ax_reward.set_ylim(-0.05, 1.6)
ax_reward.set_yticks([0, 1])
ax_reward.set_ylabel("reward $r_t$")
handles, names = ax_r.get_legend_handles_labels()
more_handles, more_names = ax_reward.get_legend_handles_labels()
ax_r.legend(handles + more_handles, names + more_names, loc="upper right")
drawing.plot_episode((ax_th, ax_x), ds.states[i], n, color="tab:orange")
ax_th.set_xlabel("")  # the axes share time: label it once, at the bottom
ax_th.set_ylabel("θ [deg]")  # short labels: the panels are low
ax_x.set_ylabel("x [m]")
fig.tight_layout()
glue("fig-ch2-rtg", fig, display=False)

# %% [markdown]
# ```{glue:figure} fig-ch2-rtg
# :name: fig-ch2-rtg
#
# Return-to-go along the middling episode of {numref}`fig-ch2-examples` (top): it starts at the episode's
# return and falls by one every step until the end, where the rewards (grey, right axis) stop. Below, the pole's
# angle and the cart's position meanwhile: the episode ends when one of them crosses its limit (dotted).
# ```
#
# This is what each step of the dataset will look like to the Decision Transformer: a triple
# $(\hat R_t, s_t, a_t)$, the return still to collect, the state, and the force the controller applied. During
# training it learns to predict $a_t$ from the triples up to $s_t$. At test time we write the return we want
# into $\hat R_0$, subtract each reward as it arrives, and let the model choose the forces. Here are the
# first steps of that middling episode exactly as the Decision Transformer will read them:

# %% tags=["hide-input"]
tokens = np.column_stack([
    rtg[i, :6], ds.states[i, :6], ds.actions[i, :6]
])  # (6, 6): R_t, theta, theta_dot, x, x_dot, a_t
header = ["t", "R̂_t", "θ [rad]", "θ̇ [rad/s]", "x [m]", "ẋ [m/s]", "a_t [N]"]
rows = [
    [str(t_), f"{row[0]:.0f}"] + [f"{v:+.4f}" for v in row[1:]]
    for t_, row in enumerate(tokens)
]
display(HTML("<table><tr>" + "".join(f"<th>{h}</th>" for h in header)
             + "</tr>" + "".join("<tr>" + "".join(f"<td>{v}</td>" for v in row)
                                 + "</tr>" for row in rows) + "</table>"))

# %% [markdown]
# Finally, a dataset can be stored and shared as a plain `.npz` archive with no pickled objects (so loading
# one cannot run code); it reads back exactly, bit for bit, and a damaged file is refused with a clear error.

# %% tags=["hide-input"]
with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "cartpole_dataset.npz"
    data.save_dataset(ds, path)
    loaded = data.load_dataset(path)
    size_mb = path.stat().st_size / 1e6
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])  # cut the file in half
    try:
        data.load_dataset(path)
        refused = None
    except ValueError as err:
        refused = str(err)
assert refused is not None and "cannot read" in refused
assert all(
    np.array_equal(getattr(loaded, f.name), getattr(ds, f.name))
    for f in dataclasses.fields(ds)
)
print(
    f"{size_mb:.1f} MB on disk; the file cut in half is refused with a"
    " ValueError"
)

# %% [markdown]
# ## What we have
#
# - A one-line controller, $u = K\theta$, whose critical gain $K^* = (M+m)g$ follows from linearising the
#   pole's equation; for our 1 kg pole it is 19.6 N/rad, the post's "about 20".
# - A sweep showing that $K^*$ separates *the pole falls* from *the pole stays up*, and a second failure the
#   controller cannot see: the cart drifting off the track, worst near $K^*$, predicted by momentum
#   (the dropdown "Why the cart drifts").
# - A dataset of episodes of mixed quality, and the return-to-go that labels every step of it with the
#   number of steps still to come.
#
# Next, {doc}`03_attention` builds the mechanism that will read these sequences.

# %% [markdown]
# ## Exercises
#
# Each exercise has a starter cell that runs as it stands, a check from `dtcart.exercises` that prints
# PASS or FAIL and says what it expected on which input, and a collapsed solution that shows the code of
# one. Edit the starter and run it until the check passes; then open the solution.
#
# **Exercise 2.1: a log in thirds.** The shares printed above are uneven: every gain beyond the drift's
# reach gives a solved episode, and the book's range, 14 to 26 N/rad, holds plenty of such gains. Choose a
# `gain_range=(low, high)` for `data.make_dataset` whose 1000 episodes (seed 0, the default) are short
# failures, middling and solved episodes in thirds: each kind within 5 percentage points of a third. The
# right panel of {numref}`fig-ch2-returns` shows which gains give which kind, and the gains are drawn
# uniformly from the range.

# %%
gain_range = (14.0, 26.0)  # your (low, high) [N/rad]; the book's to start
passed = check_exercise_2_1(gain_range)

# %% [markdown] tags=["remove-cell"]
# Solution (click the collapsed cell below to show it):

# %% tags=["hide-cell"] jupyter={"source_hidden": true} mystnb={"code_prompt_show": "Show the solution", "code_prompt_hide": "Hide the solution"}
# The gains are drawn uniformly, so a kind's share is the width of its
# stretch of gains over the width of the range. The book's shares say where
# the stretches meet; keep the middling stretch and give the short and the
# solved stretches its width.
display(show_source(exercises.balanced_gain_range, docstring=False))
assert 14.0 <= ds.gains.min() and ds.gains.max() <= 26.0  # the book's range
solution_range = exercises.balanced_gain_range(ds.returns, (14.0, 26.0))
print("gain_range = ({:.1f}, {:.1f}) N/rad".format(*solution_range))
assert check_exercise_2_1(solution_range)

# %% [markdown]
# **Exercise 2.2: a lighter pole.** Predict the critical gain $K^*$ of a cart-pole whose pole weighs
# 0.5 kg, everything else as in the book (`exercises.LIGHT_POLE`). The check runs this chapter's sweep
# for that pole, on 100 random starts and a grid of 0.1 N/rad, finds the gain at which half of the
# starts fall, and wants your $K^*$ within 3% of it.

# %%
k_star_light = None  # your K* [N/rad]
passed = check_exercise_2_2(k_star_light)

# %% [markdown] tags=["remove-cell"]
# Solution (click the collapsed cell below to show it):

# %% tags=["hide-cell"] jupyter={"source_hidden": true} mystnb={"code_prompt_show": "Show the solution", "code_prompt_hide": "Hide the solution"}
# K* = (M + m) g, with the cart's 1 kg and the pole's 0.5 kg: 14.7 N/rad.
# As in the sweep above, half of the starts fall within 3% of it.
light = exercises.LIGHT_POLE
solution_k_star = (light.cart_mass + light.pole_mass) * light.gravity
assert abs(solution_k_star - 14.7) < 1e-12
assert abs(solution_k_star - control.critical_gain(light)) < 1e-12
assert check_exercise_2_2(solution_k_star)

# %% [markdown]
# **Exercise 2.3: damping.** Nothing in $u = K\theta$ takes energy out of the swing. Add a damping
# term, $u = K\theta + D\dot\theta$ with $D = 1$ N s/rad, and the swings die out. Does that also keep the
# cart on the track? Find the smallest gain $K$, to 0.1 N/rad, with which all 200 starts of the sweep
# (`sweep_starts` below, the same as `starts`) last 500 steps, and compare it with the gain from which
# they all lasted without damping ({glue:text}`ch2-all-solved` N/rad, `k_all_solved`). `control.rollout(damped(K),
# sweep_starts).solved.all()` tells whether a gain holds every start.

# %%
def damped(K, D=exercises.DAMPING):
    """The policy u = K theta + D theta_dot: states (N, 4) -> forces (N,)."""
    return lambda states: K * states[:, 0] + D * states[:, 1]


sweep_starts = control.random_initial_states(200, seed=0)
k_min_damped = None  # your smallest K [N/rad], to 0.1
passed = check_exercise_2_3(k_min_damped)

# %% [markdown] tags=["remove-cell"]
# Solution (click the collapsed cell below to show it):

# %% tags=["hide-cell"] jupyter={"source_hidden": true} mystnb={"code_prompt_show": "Show the solution", "code_prompt_hide": "Hide the solution"}
# A bisection over the gains finds 24.4 N/rad: damping makes the drift
# *worse*. Repeat the momentum argument of "Why the cart drifts" with the
# damping term: integrate l_eff theta'' = g theta - (K theta + D theta')
# / (M + m) until the damped pole comes to rest, and add the push, the
# integral of u dt, to the momentum. The cart's final speed is
#   x'_inf = x'_0 + theta'_0 (m l / (M + m) + K l_eff / (K - K*))
#            + D g theta_0 / (K - K*).
# The last term is new: the damping ends the swing before its pushes one way
# and the other can cancel, so now the initial lean sends the cart off too,
# and only a larger K makes up for it. At K = 26 the formula gives the cart's
# speed over the last 5 s of all 200 episodes to within 0.005 m/s.
display(show_source(exercises.smallest_holding_gain, docstring=False))
assert np.array_equal(sweep_starts, starts)
solution_k_min = exercises.smallest_holding_gain(starts=sweep_starts)
assert solution_k_min == 24.4 > k_all_solved
assert check_exercise_2_3(solution_k_min)
at_26 = control.rollout(damped(26.0), sweep_starts)
late_speed = np.polyfit(times[250:], at_26.states[:, 250:, 2].T, 1)[0]
final_speed = predicted_drift(26.0, sweep_starts) + (
    exercises.DAMPING * params.gravity * sweep_starts[:, 0] / (26.0 - K_STAR)
)
assert at_26.solved.all() and np.abs(late_speed - final_speed).max() < 0.005

# %% [markdown]
# **Exercise 2.4: bring the cart home.** Write a policy that keeps every one of the 200 starts moved 1 m
# off centre (half of them to $+1$ m, half to $-1$ m) up for 500 steps *and* brings the cart back to
# within 0.1 m of the centre by the end. Add terms in $x$ and $\dot x$ to $K\theta + D\dot\theta$, and
# mind their signs: to move the cart toward $-x$ the pole must first lean toward $-x$, and to make it
# lean that way the cart must first be pushed toward $+x$.

# %%
def centring(states):
    """Forces (N,) [N] for states (N, 4), with terms in x and x_dot."""
    theta, theta_dot, x, x_dot = states.T
    return 30.0 * theta + 5.0 * theta_dot - 1.0 * x - 1.0 * x_dot


passed = check_exercise_2_4(centring)

# %% [markdown] tags=["remove-cell"]
# Solution (click the collapsed cell below to show it):

# %% tags=["hide-cell"] jupyter={"source_hidden": true} mystnb={"code_prompt_show": "Show the solution", "code_prompt_hide": "Hide the solution"}
# The starter with the signs of the cart's terms turned over. A cart at
# x > 0 must go toward -x; for that the pole must first lean toward -x, and
# to tip it that way the cart is pushed toward +x: for x > 0 the force is
# positive, as it is for theta > 0. Small gains on x and x_dot leave the
# balancing to K = 30 and D = 5 and bring the cart home within the 10 s.
display(show_source(exercises.centring_controller, docstring=False))
print("gains on (theta, theta_dot, x, x_dot):", exercises.CENTRING_GAINS)
assert check_exercise_2_4(exercises.centring_controller)
