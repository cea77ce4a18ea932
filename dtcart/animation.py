"""Episodes played back on the page: cart-poles side by side, with play/pause and a scrubber.

Every frame is drawn as :func:`dtcart.drawing.draw_cartpole` draws and stored as a small palette
PNG in a :func:`dtcart.display.frame_player`, so the animation plays in the rendered book with no
kernel and no network, and live in JupyterLab and Colab. By default it plays in real time: one
frame every ``every`` steps of ``params.dt`` (5 x 0.02 s = 0.1 s, ten frames a second).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .checks import (
    check_params,
    check_shaped,
    check_state,
    check_type,
    interval,
    positive_int,
    require,
    sequence,
)
from .control import Rollout
from .display import canvas_png, frame_player
from .drawing import _draw_cartpole, cartpole_axes, draw_track, outcome
from .physics import DEFAULT_PARAMS, CartPoleParams

#: colours of an episode that fell, left the track, or lasted (Chapter 2's)
OUTCOME_COLORS = {"fell": "tab:red", "left": "tab:orange", "lasted": "tab:green"}
MAX_PANELS = 3  # side by side, at most three a row
ARROW_LENGTH = 0.8  # m: the largest force of an animation is drawn this long
TITLE_SIZE = 12  # pt: at the frames' 72 dpi, over 10 px on a 1280 px page


def animate_rollout(run: Rollout, episodes, names=None, every: int = 5,
                    params: CartPoleParams = DEFAULT_PARAMS, dpi: int = 72,
                    targets=None):
    """Play some episodes of a rollout side by side until the last one ends;
    each panel says how its episode ended ("K = 19 N/rad: fell at step 78")
    once it has ended, and only its name before.

    Args:
        run: a :class:`dtcart.control.Rollout` (``control.rollout``,
            ``evaluate.rollout_dt``).
        episodes: one to three episode indices into ``run``.
        names: one label prefix per episode (e.g. "K = 19 N/rad"), or None.
        every: draw one frame every ``every`` steps (5: ten frames a second).
        params: the constants the episodes were played with.
        dpi: the frames' resolution.
        targets: one target return per episode (a Decision Transformer's), or
            None; given, each panel shows the return-to-go R_t, the target
            less the rewards collected so far.

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
    _strings(names, index.size, "names", (str, type(None)))  # None: no name
    ends = run.lengths[index]
    said = [outcome(run, i) for i in index]
    labels = [f"{n}: {s}" if n else s for n, s in zip(names, said)]
    colors = [OUTCOME_COLORS[s.split()[0]] for s in said]
    last = int(ends.max())
    rtg = None
    if targets is not None:
        targets = check_shaped(np.reshape(targets, -1), "targets", index.shape)
        collected = np.cumsum(run.rewards[index, :last], axis=1)
        rtg = targets[:, None] - np.pad(collected, ((0, 0), (1, 0)))
    return animate_states(run.states[index, : last + 1], run.actions[index, :last],
                          labels, colors=colors, ends=ends, every=every,
                          params=params, dpi=dpi,
                          running=[n or "" for n in names], rtg=rtg)


def animate_states(states, forces, labels, colors=None, ends=None,
                   every: int = 5, params: CartPoleParams = DEFAULT_PARAMS,
                   x_range=(-2.9, 2.9), hanging: bool = False, dpi: int = 72,
                   running=None, rtg=None):
    """Play P trajectories side by side: frame k shows every panel at step
    ``k * every``, with its force arrow (the largest force of the animation
    drawn ``ARROW_LENGTH`` long); the player's readout gives the time.

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
        running: P titles shown until each trajectory ends (default: the
            labels throughout), so that no title tells the outcome at t = 0.
        rtg: ``(P, T + 1)`` returns-to-go shown beside the running titles, or
            None.
    """
    states = check_state(states, "states")
    require(states.ndim == 3 and 1 <= states.shape[0] <= MAX_PANELS and states.shape[1] >= 2,
            f"states must have shape (P, T + 1, 4) with P from 1 to {MAX_PANELS} and T >= 1, got {states.shape}")
    n_panels, n_steps = states.shape[0], states.shape[1] - 1
    forces = check_shaped(forces, "forces", (n_panels, n_steps))
    labels = _strings(labels, n_panels, "labels")
    running = labels if running is None else _strings(running, n_panels,
                                                      "running")
    if rtg is not None:
        rtg = check_shaped(rtg, "rtg", (n_panels, n_steps + 1))
    colors = ["tab:blue"] * n_panels if colors is None else _strings(
        colors, n_panels, "colors")
    ends = np.full(n_panels, n_steps) if ends is None else np.asarray(ends)
    require(ends.shape == (n_panels,) and (ends >= 0).all() and (ends <= n_steps).all(),
            f"ends must be {n_panels} steps in [0, {n_steps}]")
    every, dpi = positive_int(every, "every"), positive_int(dpi, "dpi")
    params = check_params(params)
    interval(x_range, "x_range", strict=True)
    shown = np.unique(np.append(np.arange(0, n_steps + 1, every), n_steps))
    titles = [[labels[p] if t >= ends[p] else _running_title(
        running[p], None if rtg is None else rtg[p, t]) for p in
        range(n_panels)] for t in shown]  # (frames, P)
    frames = _frames(states, forces, titles, colors, ends, shown, params,
                     x_range, bool(hanging), dpi)
    readouts = [f"{t * params.dt:.2f} s" for t in shown]
    return frame_player(frames, round(every * params.dt * 1000), readouts)


def _running_title(name, rtg):
    """A panel's title while its trajectory runs: its name and R_t."""
    if rtg is None:
        return name
    shown = rf"$\hat R_t$ = {rtg:g}"
    return f"{name}, {shown}" if name else shown


def _frames(states, forces, titles, colors, ends, shown, params, x_range,
            hanging, dpi):
    """One palette PNG per step in ``shown``, with ``titles[k]`` the panels'
    titles in frame k. The figure (axes, track) is drawn once; each frame
    restores it and blits the titles and the cart-poles onto it (the time is
    the player's readout)."""
    n_panels = len(titles[0])
    width = n_panels * (3.3 if n_panels == MAX_PANELS else 4.6)  # inches
    with plt.rc_context({"font.size": TITLE_SIZE}):  # ticks and labels too
        fig, axes = plt.subplots(1, n_panels, squeeze=False, dpi=dpi,
                                 figsize=(width, 2.5 if hanging else 2.1))
        return _draw_frames(fig, axes[0], titles, states, forces, colors, ends,
                            shown, params, x_range, hanging)


def _draw_frames(fig, axes, titles, states, forces, colors, ends, shown,
                 params, x_range, hanging):
    n_panels = len(axes)
    longest = [max((frame[p] for frame in titles), key=len)
               for p in range(n_panels)]
    for ax, label in zip(axes, longest):
        cartpole_axes(ax, params, x_range, hanging)
        ax.set_title(label, fontsize=TITLE_SIZE)  # room for the longest
        draw_track(ax)
    fig.tight_layout(pad=0.3)
    for ax in axes:
        ax.title.set_animated(True)
    fig.canvas.draw()
    background = fig.canvas.copy_from_bbox(fig.bbox)
    scale = ARROW_LENGTH / max(np.abs(forces).max(), 1e-9)  # [m/N]
    frames = []
    for t, frame_titles in zip(shown, titles):
        fig.canvas.restore_region(background)
        for p, ax in enumerate(axes):
            ax.title.set_text(frame_titles[p])
            ax.draw_artist(ax.title)
            ended = t >= ends[p]
            step = min(t, ends[p])
            force = None if ended else forces[p, step]
            # the core: every argument was checked once, by animate_states
            drawn = _draw_cartpole(
                ax, theta=states[p, step, 0], x=states[p, step, 2],
                force=force, params=params,
                color=colors[p] if ended else "tab:blue",
                alpha=0.6 if ended else 1.0, track=False, scale=scale)
            for artist in (drawn.cart, drawn.pole, drawn.arrow):
                if artist is not None:
                    ax.draw_artist(artist)
            drawn.remove()
        frames.append(canvas_png(fig))
    plt.close(fig)
    return frames


def _strings(values, n, name, kinds=str):
    """``values`` as a list of ``n`` strings (instances of ``kinds``), one per
    panel, or raise naming ``name``."""
    return sequence(values, name, f"{n} strings, one per panel", lambda v: len(
        v) == n and all(isinstance(s, kinds) for s in v))
