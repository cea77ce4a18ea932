"""Episodes played back on the page: cart-poles side by side, with play/pause and a scrubber.

Every frame is drawn by :func:`dtcart.drawing.draw_cartpole` and stored as a small palette PNG in
a :func:`dtcart.display.frame_player`, so the animation plays in the rendered book with no kernel
and no network, and live in JupyterLab and Colab. By default it plays in real time: one frame
every ``every`` steps of ``params.dt`` (5 x 0.02 s = 0.1 s, ten frames a second).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .checks import (
    check_params,
    check_state,
    check_type,
    interval,
    positive_int,
    require,
    sequence,
)
from .control import Rollout
from .display import canvas_png, frame_player
from .drawing import cartpole_axes, draw_cartpole, draw_track, outcome
from .physics import DEFAULT_PARAMS, CartPoleParams

#: colours of an episode that fell, left the track, or lasted (Chapter 2's)
OUTCOME_COLORS = {"fell": "tab:red", "left": "tab:orange", "lasted": "tab:green"}
MAX_PANELS = 3  # side by side, at most three a row
ARROW_LENGTH = 0.8  # m: the largest force of an animation is drawn this long


def animate_rollout(run: Rollout, episodes, names=None, every: int = 5,
                    params: CartPoleParams = DEFAULT_PARAMS, dpi: int = 72):
    """Play some episodes of a rollout side by side, each labelled with how it
    ended ("K = 19 N/rad: fell at step 78"), until the last one ends.

    Args:
        run: a :class:`dtcart.control.Rollout` (``control.rollout``,
            ``evaluate.rollout_dt``).
        episodes: one to three episode indices into ``run``.
        names: one label prefix per episode (e.g. "K = 19 N/rad"), or None.
        every: draw one frame every ``every`` steps (5: ten frames a second).
        params: the constants the episodes were played with.
        dpi: the frames' resolution.

    Returns:
        The :func:`dtcart.display.frame_player` widget.
    """
    check_type(run, Rollout, "run")
    try:
        index = np.asarray(episodes, dtype=np.int64).reshape(-1)
    except (TypeError, ValueError) as err:
        raise TypeError(f"episodes must be episode indices, got {episodes!r}") from err
    n_runs = len(run.lengths)
    require(1 <= index.size <= MAX_PANELS and -n_runs <= index.min() and index.max() < n_runs,
            f"episodes must be 1 to {MAX_PANELS} indices into the {n_runs} episodes, got {episodes!r}")
    names = [None] * index.size if names is None else list(names)
    require(len(names) == index.size and all(n is None or isinstance(n, str) for n in names),
            f"names must be {index.size} strings, one per episode")
    ends = run.lengths[index]
    said = [outcome(run, i) for i in index]
    labels = [f"{n}: {s}" if n else s for n, s in zip(names, said)]
    colors = [OUTCOME_COLORS[s.split()[0]] for s in said]
    last = int(ends.max())
    return animate_states(run.states[index, : last + 1], run.actions[index, :last],
                          labels, colors=colors, ends=ends, every=every,
                          params=params, dpi=dpi)


def animate_states(states, forces, labels, colors=None, ends=None,
                   every: int = 5, params: CartPoleParams = DEFAULT_PARAMS,
                   x_range=(-2.9, 2.9), hanging: bool = False, dpi: int = 72):
    """Play P trajectories side by side: frame k shows every panel at step
    ``k * every``, with its force arrow (the largest force of the animation
    drawn ``ARROW_LENGTH`` long) and the time.

    Args:
        states: ``(P, T + 1, 4)`` states, P from 1 to 3.
        forces: ``(P, T)`` forces [N]; ``forces[p, t]`` acts on ``states[p, t]``.
        labels: P panel titles.
        colors: P colours (default blue).
        ends: ``(P,)`` the step each trajectory ended at (default T); from
            there on its last state is shown, faded, with no force.
        every: steps per frame, a positive int.
        params: the constants (time step and pole length).
        x_range: the track's span shown [m]; hanging: room for a pole below.
        dpi: the frames' resolution.
    """
    states = check_state(states, "states")
    require(states.ndim == 3 and 1 <= states.shape[0] <= MAX_PANELS and states.shape[1] >= 2,
            f"states must have shape (P, T + 1, 4) with P from 1 to {MAX_PANELS} and T >= 1, got {states.shape}")
    n_panels, n_steps = states.shape[0], states.shape[1] - 1
    forces = np.asarray(forces, dtype=np.float64)
    require(forces.shape == (n_panels, n_steps) and np.isfinite(forces).all(),
            f"forces must be finite, shaped {(n_panels, n_steps)}, got {forces.shape}")
    labels = _strings(labels, n_panels, "labels")
    colors = ["tab:blue"] * n_panels if colors is None else _strings(
        colors, n_panels, "colors")
    ends = np.full(n_panels, n_steps) if ends is None else np.asarray(ends)
    require(ends.shape == (n_panels,) and (ends >= 0).all() and (ends <= n_steps).all(),
            f"ends must be {n_panels} steps in [0, {n_steps}]")
    every, dpi = positive_int(every, "every"), positive_int(dpi, "dpi")
    params = check_params(params)
    interval(x_range, "x_range", strict=True)
    shown = np.unique(np.append(np.arange(0, n_steps + 1, every), n_steps))
    frames = _frames(states, forces, labels, colors, ends, shown, params,
                     x_range, bool(hanging), dpi)
    readouts = [f"{t * params.dt:.2f} s" for t in shown]
    return frame_player(frames, round(every * params.dt * 1000), readouts)


def _frames(states, forces, labels, colors, ends, shown, params, x_range,
            hanging, dpi):
    """One palette PNG per step in ``shown``. The figure (axes, titles, track)
    is drawn once; each frame restores it and blits only the cart-poles and
    the clock onto it."""
    n_panels = len(labels)
    width = n_panels * (3.3 if n_panels == MAX_PANELS else 4.6)  # inches
    fig, axes = plt.subplots(1, n_panels, figsize=(width, 2.3 if hanging else 1.9),
                             dpi=dpi, squeeze=False)
    axes = axes[0]
    for ax, label in zip(axes, labels):
        cartpole_axes(ax, params, x_range, hanging)
        ax.set_title(label, fontsize=9)
        draw_track(ax)
    clock = fig.text(0.01, 0.97, "", fontsize=9, va="top", animated=True)
    fig.tight_layout(pad=0.3)
    fig.canvas.draw()
    background = fig.canvas.copy_from_bbox(fig.bbox)
    scale = ARROW_LENGTH / max(np.abs(forces).max(), 1e-9)  # [m/N]
    frames = []
    for t in shown:
        fig.canvas.restore_region(background)
        for p, ax in enumerate(axes):
            ended = t >= ends[p]
            step = min(t, ends[p])
            force = None if ended else forces[p, step]
            drawn = draw_cartpole(ax, states[p, step], force, params,
                                  colors[p] if ended else "tab:blue",
                                  alpha=0.6 if ended else 1.0, track=False,
                                  force_scale=scale)
            for artist in (drawn.cart, drawn.pole, drawn.arrow):
                if artist is not None:
                    ax.draw_artist(artist)
            drawn.remove()
        clock.set_text(f"t = {t * params.dt:.2f} s")
        fig.draw_artist(clock)
        frames.append(canvas_png(fig))
    plt.close(fig)
    return frames


def _strings(values, n, name):
    return sequence(values, name, f"{n} strings, one per panel", lambda v: len(
        v) == n and all(isinstance(s, str) for s in v))
