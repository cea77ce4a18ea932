"""The cart-pole live in the reader's browser, with no kernel.

:func:`cartpole` returns an element for a notebook cell: the cart-pole drawn on
a canvas and stepped at the task's 50 Hz in real time, under the task's rules,
with play/pause, reset, a shove (a button, or a click on the canvas), live
readouts and a trace of the pole's angle and the force over the last 5 s. Its
policy is either the heuristic ``u = K theta`` with a gain slider (K* marked)
or a trained :class:`~dtcart.model.DecisionTransformer` with a target-return
dial that resets the return-to-go mid-episode.

Everything runs in JavaScript, in ``live.js`` next to this module: the physics
of :mod:`dtcart.physics`, the rules of :class:`dtcart.control.EpisodeBatch`,
the heuristic and the Decision Transformer's forward pass, each tested in
Chromium against the Python it mirrors (``tests/test_live.py``). The output is
one self-contained HTML snippet, the script and the model's float32 weights
inlined, nothing fetched: a ``<div>`` and a ``<script>``, which myst-nb copies
into the built page as they are, and which JupyterLab, Jupyter Notebook, VS
Code and Colab run when the cell runs (a saved notebook reopened untrusted in
JupyterLab shows the note inside the ``<div>`` until the cell runs again).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
import uuid
from functools import lru_cache
from importlib import resources

import numpy as np
import torch

from .checks import check_params, check_state, check_type, expect, integer, number, require
from .control import (
    MAX_STEPS,
    THETA_LIMIT,
    X_LIMIT,
    EpisodeBatch,
    Rollout,
    critical_gain,
    random_initial_states,
)
from .evaluate import context_window
from .model import DecisionTransformer
from .physics import DEFAULT_PARAMS, CartPoleParams

#: CSS class of the element, and of its readout (outside checks find them).
LIVE_CLASS, READOUT_CLASS = "dtcart-live", "dtcart-live-readout"
GAIN_RANGE = (0.0, 40.0)  # N/rad, the gain slider's ends
TARGET_RANGE = (0.0, float(MAX_STEPS))  # steps, the target dial's ends
START_RANGE = 0.05  # a reset draws each component in [-0.05, 0.05)
SHOVE = {"force": 10.0, "steps": 5}  # a shove: 10 N for 0.1 s


@lru_cache(maxsize=1)
def script() -> str:
    """The JavaScript of the element: ``live.js``, shipped with the package."""
    return resources.files("dtcart").joinpath("live.js").read_text("utf-8")


class LiveCartPole:
    """A live cart-pole for a notebook cell (see :func:`cartpole`); its
    ``html`` is the whole element, shown through ``_repr_html_``."""

    def __init__(self, html: str, summary: str):
        self.html, self.summary = html, summary

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return f"<live cart-pole, {self.summary}: open in a browser>"


def cartpole(*, gain=None, model=None, target=500.0, seed: int = 0,
             params: CartPoleParams = DEFAULT_PARAMS) -> LiveCartPole:
    """The cart-pole running live in the page under the heuristic or a
    Decision Transformer.

    Pass exactly one of ``gain`` (Chapter 2's controller ``u = K theta``, with
    a gain slider marking K* = (M+m) g) or ``model`` (a Decision Transformer,
    with a target-return dial; its weights and scalings travel in the page).

    Args:
        gain: the slider's first gain K [N/rad], in 0..40.
        model: a :class:`~dtcart.model.DecisionTransformer` for the cart-pole
            (4 state components, 1 action, ``max_timestep`` >= 500).
        target: the dial's first target return [steps], in 0..500.
        seed: seeds the first start state (resets in the page draw fresh ones,
            each component uniform in [-0.05, 0.05) as
            :func:`~dtcart.control.random_initial_states`).
        params: the physical constants.

    Returns:
        A :class:`LiveCartPole`; the last expression of a cell shows it.

    Raises:
        ValueError: for both or neither of ``gain`` and ``model``, a gain or
            target outside the slider's range, a negative seed, or a model
            that does not fit the task.
        TypeError: for a model that is not a DecisionTransformer, or params
            that are not CartPoleParams.
    """
    params, seed = check_params(params), integer(seed, "seed", 0)
    require((gain is None) != (model is None), "pass exactly one of gain= (heuristic) or model= (DT)")
    config = {
        "params": dataclasses.asdict(params),
        "rules": {"theta_limit": THETA_LIMIT, "x_limit": X_LIMIT,
                  "max_steps": MAX_STEPS},
        "start": random_initial_states(1, seed=int(seed))[0].tolist(),
        "start_range": START_RANGE,
        "shove": SHOVE,
    }
    if gain is not None:
        K = _in_range(gain, GAIN_RANGE, "gain", "N/rad")
        config["gain"] = {"value": K, "min": GAIN_RANGE[0],
                          "max": GAIN_RANGE[1], "step": 0.1,
                          "critical": critical_gain(params)}
        summary = f"heuristic, K = {K:g} N/rad"
    else:
        config["target"] = _in_range(target, TARGET_RANGE, "target", "steps")
        config["model"] = export_model(model)
        summary = f"Decision Transformer, target {config['target']:g}"
    return LiveCartPole(_html(config), summary)


def _in_range(value, ends: tuple, name: str, unit: str) -> float:
    """``value`` as a float in ``ends``, or raise naming ``name``."""
    return number(value, name, lambda v: math.isfinite(v) and ends[0] <= v <= ends[1],
                  f"finite, in {ends[0]:g}..{ends[1]:g} [{unit}]")


def export_model(model: DecisionTransformer) -> dict:
    """What the page needs of ``model``: its config, LayerNorm epsilon, and
    every weight and buffer as one little-endian float32 buffer (base64) with
    a ``layout`` of ``name -> [offset, size]`` in floats."""
    check_type(model, DecisionTransformer, "model")
    c = model.config
    expect((c.state_dim, c.act_dim) == (4, 1) and c.max_timestep >= MAX_STEPS, "model",
           f"for 4 state components, 1 action and {MAX_STEPS} steps", c)
    arrays, layout, offset = [], {}, 0
    for name, tensor in model.state_dict().items():
        flat = tensor.detach().cpu().to(torch.float32).numpy().ravel()
        layout[name] = [offset, int(flat.size)]
        arrays.append(flat)
        offset += flat.size
    weights = np.concatenate(arrays).astype("<f4").tobytes()
    return {"config": c.to_dict(), "eps": model.embed_ln.eps,
            "layout": layout, "max_target": TARGET_RANGE[1],
            "weights": base64.b64encode(weights).decode("ascii")}


def _html(config: dict) -> str:
    """The element: a ``<div>`` the script fills, the script, the config."""
    element = f"{LIVE_CLASS}-{uuid.uuid4().hex[:12]}"
    note = ("The live cart-pole runs in JavaScript: run this cell, or trust "
            "the notebook, to see it.")
    return (f'<div class="{LIVE_CLASS}" id="{element}" role="group" '
            f'aria-label="live cart-pole"><p>{note}</p></div>\n'
            f"<script>\n{script()}\n"
            # the element beside this script, else by id (JupyterLab
            # re-creates the script; Colab runs it in the output's frame)
            f"(function (s) {{ const box = (s && s.parentNode && s.parentNode"
            f'.querySelector("#{element}")) || document.getElementById('
            f'"{element}"); window.dtcartLive.mount(box, '
            f"{json.dumps(config)}); }})(document.currentScript);\n</script>")


@torch.inference_mode()
def python_episode(model: DecisionTransformer, target, start,
                   retarget=None, params: CartPoleParams = DEFAULT_PARAMS,
                   max_steps: int = MAX_STEPS) -> tuple[Rollout, np.ndarray]:
    """One episode as the page plays it with the dial, in Python: the
    reference its JavaScript is tested against.

    The same loop as :func:`dtcart.evaluate.rollout_dt` for one cart, plus
    the dial: ``retarget`` ``{step: value}`` sets the return-to-go of that
    step to ``value`` before its action is chosen; the later steps decrement
    from it (R_{t+1} = R_t - r_t), and the window keeps the earlier steps'
    returns-to-go as they were.

    Returns:
        ``(run, rtg)``: a one-episode :class:`~dtcart.control.Rollout` and
        the ``(1, max_steps)`` returns-to-go the model read.
    """
    check_type(model, DecisionTransformer, "model")
    start = check_state(start, "start", single=True)
    episodes = EpisodeBatch(start[None], params, max_steps)
    retarget = _check_retarget(retarget, episodes.max_steps)
    model.eval()
    rtg = np.zeros((1, episodes.max_steps))
    rtg[0, 0] = _in_range(target, (-math.inf, math.inf), "target", "steps")
    while not episodes.done:
        t = episodes.t
        rtg[0, t] = retarget.get(t, rtg[0, t])  # the dial, before a_t
        window = context_window(episodes, rtg, t, model.config.context,
                                episodes.alive)
        force = model(*window)[:, -1, 0].double().numpy()  # a_t [N]
        episodes.advance(force)
        if t + 1 < episodes.max_steps:  # R_{t+1} = R_t - r_t
            rtg[0, t + 1] = rtg[0, t] - episodes.rewards[0, t]
    return episodes.result(), rtg


def _check_retarget(retarget, max_steps: int) -> dict:
    """``retarget`` as ``{step: return-to-go}`` with int steps in
    ``0..max_steps - 1`` and finite values, or raise naming ``retarget``."""
    if retarget is None:
        return {}
    check_type(retarget, dict, "retarget")  # {step: return-to-go}
    return {integer(step, "retarget's steps", 0, max_steps - 1):
            _in_range(value, (-math.inf, math.inf), "retarget's values", "steps")
            for step, value in retarget.items()}
