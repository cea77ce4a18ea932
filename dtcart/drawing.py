"""Pictures of the cart-pole: one state as a drawing, one episode as curves.

:func:`draw_cartpole` draws Chapter 1's diagram and every frame of the animations
(:mod:`dtcart.animation`): one source of truth for what the system looks like. Its geometry is
Chapter 1's, in metres: the hinge at ``(x, 0)``, the pole a rod of length 2l from the hinge to its
tip at ``(x + 2l sin(theta), 2l cos(theta))`` (theta > 0 leans toward +x), the cart a box hanging
below the hinge, on a track whose ends are the task's limits, x = +-2.4 m.

:func:`plot_episode` draws one episode's pole angle and cart position against time, with the
limits that end it (Chapters 2 and 6); :func:`outcome` says in words how it ended.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Annotation

from .checks import (
    check_episode,
    check_params,
    check_state,
    check_type,
    expect,
    interval,
    number,
    positive_int,
    positive_number,
    require,
)
from .control import MAX_STEPS, THETA_LIMIT, X_LIMIT, Rollout
from .physics import DEFAULT_PARAMS, CartPoleParams

CART_WIDTH = 0.5  # m
CART_HEIGHT = 0.25  # m, the box below the hinge
TRACK_Y = -CART_HEIGHT - 0.05  # m, where the wheels run
FORCE_SCALE = 0.1  # m of arrow per N of force, by default


@dataclass
class CartPoleArtists:
    """What :func:`draw_cartpole` added to the axes, so a frame can be redrawn.

    ``pole`` is a line from the hinge to the tip; ``arrow`` (None without a
    force) is an annotation from ``arrow.xyann`` (tail) to ``arrow.xy`` (head).
    """

    track: list
    cart: Rectangle
    pole: Line2D
    arrow: Annotation | None

    def remove(self) -> None:
        """Take every artist of the drawing off its axes."""
        for artist in [*self.track, self.cart, self.pole, self.arrow]:
            if artist is not None:
                artist.remove()


def draw_cartpole(ax: Axes, state, force=None,
                  params: CartPoleParams = DEFAULT_PARAMS,
                  color: str = "tab:blue", alpha: float = 1.0,
                  track: bool = True,
                  force_scale: float = FORCE_SCALE) -> CartPoleArtists:
    """Draw one state ``[theta, theta_dot, x, x_dot]`` on ``ax``, in metres.

    Args:
        ax: a matplotlib ``Axes`` (see :func:`cartpole_axes` for its view).
        state: ``(4,)`` the state; only theta [rad] and x [m] are drawn.
        force: the force on the cart [N], drawn as an arrow of
            ``force_scale`` m per N pointing its way; None or 0 for none.
        params: the constants; the pole is ``2 * params.half_length`` long.
        color: the pole's and the cart's colour.
        alpha: their opacity, in (0, 1].
        track: also draw the track and its limits (off for ghost poses).
        force_scale: the arrow's length per newton [m/N], positive.

    Returns:
        The :class:`CartPoleArtists` added.
    """
    check_type(ax, Axes, "ax")
    state = check_state(state, single=True)
    if force is not None:
        number(force, "force", math.isfinite, "a finite real number [N] or None")
    alpha = number(alpha, "alpha", lambda a: 0 < a <= 1, "a number in (0, 1]")
    force_scale = positive_number(force_scale, "force_scale")
    theta, x = state[0], state[2]
    return _draw_cartpole(ax, theta, x, force, check_params(params), color,
                          alpha, track, force_scale)


def _draw_cartpole(ax, theta, x, force, params, color, alpha, track, scale):
    rod = 2 * params.half_length  # m, hinge to tip
    rails = draw_track(ax) if track else []
    # add_artist, not plot: the view is fixed, and a frame is drawn fast
    cart = ax.add_artist(Rectangle(
        (x - CART_WIDTH / 2, -CART_HEIGHT), CART_WIDTH, CART_HEIGHT,
        facecolor=color, edgecolor="k", alpha=alpha, zorder=2))
    tip = (x + rod * np.sin(theta), rod * np.cos(theta))
    pole = ax.add_artist(Line2D([x, tip[0]], [0.0, tip[1]], color=color, lw=4,
                                alpha=alpha, solid_capstyle="round", zorder=3))
    arrow = None
    if force:  # drawn from behind the cart, pushing it the force's way
        side = np.sign(force)
        head = (x - side * CART_WIDTH / 2, -CART_HEIGHT / 2)
        tail = (head[0] - scale * force, head[1])
        arrow = ax.annotate("", xy=head, xytext=tail, zorder=4,
                            arrowprops=dict(arrowstyle="-|>", lw=2,
                                            color="tab:red", alpha=alpha))
    return CartPoleArtists(rails, cart, pole, arrow)


def draw_track(ax: Axes) -> list:
    """Draw the track, with stops at its limits x = +-2.4 m; returns the lines."""
    rails = ax.plot([-X_LIMIT, X_LIMIT], [TRACK_Y, TRACK_Y], color="0.3", lw=1.5)
    for end in (-X_LIMIT, X_LIMIT):
        rails += ax.plot([end, end], [TRACK_Y - 0.08, TRACK_Y + 0.12],
                         color="tab:red", lw=2.5)
    return rails


def cartpole_axes(ax: Axes, params: CartPoleParams = DEFAULT_PARAMS,
                  x_range=(-2.9, 2.9), hanging: bool = False) -> Axes:
    """Set ``ax`` up for :func:`draw_cartpole`: equal scales in metres, the
    track's span ``x_range`` [m], room below the track for a hanging pole if
    ``hanging``; the x axis labelled, the y axis hidden. Returns ``ax``."""
    check_type(ax, Axes, "ax")
    low, high = interval(x_range, "x_range", strict=True)
    rod = 2 * check_params(params).half_length
    ax.set_xlim(low, high)
    ax.set_ylim(-rod - 0.1 if hanging else TRACK_Y - 0.15, rod + 0.1)
    ax.set_aspect("equal")
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel("cart position x [m]")
    return ax


def draw_strobe(ax: Axes, states, length, params: CartPoleParams = DEFAULT_PARAMS,
                color: str = "tab:blue", every: int = 50) -> None:
    """One episode as a strobe picture: the cart-pole every ``every`` steps
    (50: once a second), faded, and at its last state, ``length``, in
    ``color``; on axes set up by :func:`cartpole_axes`."""
    states, length = check_episode(states, length)
    every = positive_int(every, "every")
    cartpole_axes(ax, params)  # checks ax and params
    for t in range(0, length, every):
        draw_cartpole(ax, states[t], params=params, color="0.55", alpha=0.3,
                      track=t == 0)
    draw_cartpole(ax, states[length], params=params, color=color,
                  track=length == 0)


def outcome(run: Rollout, i: int) -> str:
    """How episode ``i`` of ``run`` ended, in words: 'fell at step 78',
    'left the track at step 301' or 'lasted 500 steps'."""
    check_type(run, Rollout, "run")
    n = int(run.lengths[i])
    if run.fell[i]:
        return f"fell at step {n}"
    if run.left_track[i]:
        return f"left the track at step {n}"
    return f"lasted {n} steps"


def plot_episode(axes, states, length, params: CartPoleParams = DEFAULT_PARAMS,
                 color: str = "tab:blue", label: str | None = None,
                 max_steps: int = MAX_STEPS, labels: bool = True) -> None:
    """One episode's pole angle [deg] and cart position [m] against time [s],
    on two axes, with the limits that end an episode (dotted).

    Args:
        axes: two matplotlib ``Axes``, for theta(t) and x(t) (None: leave
            that curve out).
        states: ``(T + 1, 4)`` the episode's states, e.g. ``run.states[i]``.
        length: the steps it lasted; states ``0 .. length`` are drawn.
        params: the constants (the time step ``params.dt``).
        color, label: the curves' colour and legend label.
        max_steps: the time axis runs to ``max_steps * params.dt``.
        labels: also label both axes.
    """
    require(len(axes) == 2 and all(ax is None or isinstance(ax, Axes) for ax in axes),
            "axes must be two matplotlib Axes (theta, x), either of them None to leave it out", TypeError)
    states, length = check_episode(states, length)
    dt = check_params(params).dt
    t = np.arange(length + 1) * dt
    curves = (
        (np.degrees(states[: length + 1, 0]), np.degrees(THETA_LIMIT),
         "pole angle θ [deg]"),
        (states[: length + 1, 2], X_LIMIT, "cart position x [m]"),
    )
    for ax, (values, limit, name) in zip(axes, curves):
        if ax is None:
            continue
        ax.plot(t, values, color=color, label=label)
        for side in (-limit, limit):
            ax.axhline(side, color="tab:red", ls=":", lw=1)
        ax.set_xlim(0, max_steps * dt)
        ax.set_ylim(-1.17 * limit, 1.17 * limit)
        if labels:
            ax.set_xlabel("time t [s]")
            ax.set_ylabel(name)


def plot_force(ax: Axes, actions, length, params: CartPoleParams = DEFAULT_PARAMS,
               color: str = "tab:red", label: str | None = None,
               max_steps: int = MAX_STEPS) -> None:
    """The force [N] of steps ``0 .. length - 1`` against time [s]."""
    check_type(ax, Axes, "ax")
    actions = np.asarray(actions, dtype=np.float64)
    expect(actions.ndim == 1 and 0 <= length <= len(actions), "actions",
           f"shaped (T,) with T >= length = {length!r}", actions.shape)
    dt = check_params(params).dt
    ax.plot(np.arange(length) * dt, actions[:length], color=color, label=label)
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set_xlim(0, max_steps * dt)
    ax.set_xlabel("time t [s]")
    ax.set_ylabel("force F [N]")


#: the state and force Chapter 1's diagram shows: leaning toward +x, pushed
DIAGRAM_STATE = (0.35, 0.0, 0.7, 0.0)
DIAGRAM_FORCE = 8.0  # N


def draw_diagram(ax: Axes, params: CartPoleParams = DEFAULT_PARAMS) -> Axes:
    """The labelled cart-pole: :func:`draw_cartpole` at ``DIAGRAM_STATE``
    pushed by ``DIAGRAM_FORCE``, with theta and its positive sense, x, F, l,
    M, m, and the track's limits marked. Returns ``ax``."""
    cartpole_axes(ax, params, x_range=(-2.7, 2.7))  # checks ax and params
    ax.set_ylim(TRACK_Y - 0.5, 2 * params.half_length + 0.1)
    theta, _, x, _ = DIAGRAM_STATE
    draw_cartpole(ax, DIAGRAM_STATE, DIAGRAM_FORCE, params)
    l = params.half_length
    s, c = np.sin(theta), np.cos(theta)
    text = dict(fontsize=10, ha="center", va="center")
    # theta: from the upright (dashed) to the pole, positive toward +x
    r = 0.8  # m, the arc's radius
    ax.plot([x, x], [0, 2 * l + 0.05], color="0.4", ls="--", lw=1)
    ax.annotate("", xy=(x + r * s, r * c), xytext=(x, r),
                arrowprops=dict(arrowstyle="->", lw=1.2,
                                connectionstyle="arc3,rad=-0.2"))
    ax.text(x + 0.92 * np.sin(theta / 2), 0.92 * np.cos(theta / 2) + 0.05,
            "θ", **text)
    # the pole's centre of mass at l from the hinge: mass m
    ax.plot(x + l * s, l * c, "ko", ms=5, zorder=5)
    ax.text(x + l * s + 0.15, l * c - 0.05, "pole: mass m, centre of mass",
            fontsize=10, ha="left", va="center")
    off = 0.13 * np.array([-c, s])  # to the pole's left
    ax.annotate("", xy=(x + off[0], off[1]),
                xytext=(x + l * s + off[0], l * c + off[1]),
                arrowprops=dict(arrowstyle="<->", lw=1))
    ax.text(x + 0.5 * l * s + 2.2 * off[0], 0.5 * l * c + 2.2 * off[1], "l",
            fontsize=10, style="italic", ha="center", va="center")
    ax.text(x + 2 * l * s + 0.1, 2 * l * c, "rod of length 2l", fontsize=10,
            ha="left", va="center")
    ax.text(x, -CART_HEIGHT / 2, "M", color="white", fontsize=10,
            weight="bold", ha="center", va="center", zorder=5)
    ax.text(x - CART_WIDTH / 2 - FORCE_SCALE * DIAGRAM_FORCE / 2, 0.08,
            "F > 0", color="tab:red", **text)
    ax.text(x + CART_WIDTH / 2 + 0.1, -CART_HEIGHT / 2, "cart: mass M",
            fontsize=10, ha="left", va="center")
    # x: from the track's centre to the hinge, below the track
    y = TRACK_Y - 0.3
    ax.plot([0, 0], [TRACK_Y, y - 0.05], color="0.4", lw=1)
    ax.annotate("", xy=(x, y), xytext=(0, y),
                arrowprops=dict(arrowstyle="->", lw=1.2))
    ax.text(x / 2, y - 0.1, "x", fontsize=10, style="italic", ha="center",
            va="top")
    for end in (-X_LIMIT, X_LIMIT):
        ax.text(end, TRACK_Y + 0.22, f"{end:+.1f} m", color="tab:red",
                **text)
    return ax


def plot_effective_gain(ax: Axes, states, actions, length,
                        params: CartPoleParams = DEFAULT_PARAMS,
                        color: str = "tab:blue", label: str | None = None,
                        window: int = 25, max_steps: int = MAX_STEPS) -> None:
    """:func:`effective_gain` against time [s], with K* dashed: below the
    dashed line the pole is no longer held up."""
    from .control import critical_gain
    from .evaluate import effective_gain

    gain = effective_gain(states, actions, length, window)
    dt = check_params(params).dt
    ax.plot(np.arange(len(gain)) * dt, gain, color=color, label=label)
    ax.axhline(critical_gain(params), color="k", ls="--", lw=1)
    ax.set_xlim(0, max_steps * dt)
    ax.set_ylim(0, 35)
    ax.set_xlabel("time t [s]")
    ax.set_ylabel("effective gain g [N/rad]")
