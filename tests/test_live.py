"""The live cart-pole (dtcart.live, dtcart/live.js) in headless Chromium, network off, against the
Python it mirrors: the physics step to 1e-9 over a 500-step episode, the heuristic exactly, the
task's rules episode by episode, and the Decision Transformer's force to 1e-4 N on recorded context
windows and over a played episode with the target moved mid-episode. Then the element itself: it
plays, shoves, resets and answers its controls by keyboard. A tiny Decision Transformer with
random weights keeps it fast. Skipped with the reason when Playwright or Chromium is missing."""

from __future__ import annotations

import inspect
import json

import numpy as np
import pytest
import torch

from dtcart import control, evaluate, live, physics
from dtcart.model import DecisionTransformer, DTConfig

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
from test_browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402  (the suite's browser setup)

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium found (apt-get install chromium, "
                                                           "or set DTCART_CHROMIUM)")
PARAMS = json.dumps(dict(physics.DEFAULT_PARAMS.__dict__))
RULES = json.dumps({"theta_limit": control.THETA_LIMIT, "x_limit": control.X_LIMIT,
                    "max_steps": control.MAX_STEPS})


@pytest.fixture(scope="module")
def page():
    """A blank page with the script loaded and every request refused (no network)."""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 900, "height": 700})
        requests = []
        context.route("**/*", lambda route: (requests.append(route.request.url),
                                             route.abort("internetdisconnected")))
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.set_content(f"<!doctype html><html><head></head><body><script>{live.script()}</script></body></html>")
        yield page
        assert not errors and not requests, errors + requests
        browser.close()


@pytest.fixture(scope="module")
def tiny_model():
    """A random Decision Transformer with scalings that are not 1 and weights large enough that the
    force depends on every input (two heads, context 4: windows shorter and as long as C)."""
    torch.manual_seed(0)
    config = DTConfig(d_model=16, n_layers=2, n_heads=2, context=4, state_mean=(0.01, -0.02, 0.1, 0.0),
                      state_std=(0.05, 0.3, 0.5, 0.4), rtg_scale=500.0, action_scale=8.0)
    model = DecisionTransformer(config=config)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "ln" not in name:
                p.normal_(0.0, 0.3)
    return model.eval()


def test_physics_step_matches_python_over_an_episode(page):
    forces = control.rollout(control.heuristic(24.0), [[0.04, -0.03, 0.02, 0.01]]).actions[0]
    forces = forces + np.random.default_rng(1).normal(0.0, 2.0, forces.shape)  # not a policy's
    start = [0.04, -0.03, 0.02, 0.01]
    expected = physics.simulate(start, forces)  # (501, 4)
    got = np.array(page.evaluate(f"""([start, forces]) => {{
        const p = {PARAMS}, out = [start];
        for (const u of forces) out.push(dtcartLive.step(out[out.length - 1], u, p));
        return out; }}""", [start, forces.tolist()]))
    assert got.shape == expected.shape == (501, 4)
    assert np.abs(got - expected).max() <= 1e-9
    # and one step from each state of it, far from upright included
    states = np.random.default_rng(2).uniform(-3.0, 3.0, (200, 4))
    one = np.array(page.evaluate(f"""([states, forces]) => states.map(
        (s, i) => dtcartLive.step(s, forces[i], {PARAMS}))""", [states.tolist(), list(range(-100, 100))]))
    assert np.abs(one - physics.step(states, np.arange(-100.0, 100.0))).max() <= 1e-12


def test_heuristic_and_rules_match_python(page):
    states = np.random.default_rng(3).uniform(-0.3, 0.3, (50, 4))
    gains = np.linspace(-5.0, 40.0, 50)
    got = page.evaluate("([states, gains]) => states.map((s, i) =>"
                        " new dtcartLive.Heuristic(gains[i]).act({state: s}))",
                        [states.tolist(), gains.tolist()])
    assert np.array_equal(got, control.heuristic(gains)(states))
    # the task's rules: the same episodes end the same way (fell, left the track, 500 steps)
    gains = [12.0, 19.0, 19.6, 20.0, 21.0, 22.0, 22.4, 30.0]
    starts = control.random_initial_states(len(gains), seed=4)
    run = control.rollout(control.heuristic(gains), starts)
    played = page.evaluate(f"""([starts, gains]) => starts.map((s, i) => {{
        const e = new dtcartLive.Episode(s, {PARAMS}, {RULES}, 0), k = new dtcartLive.Heuristic(gains[i]);
        while (!e.done) e.advance(k, 0);
        return [e.t, e.outcome, e.states[e.t]]; }})""", [starts.tolist(), gains])
    outcomes = ["fell" if f else "left the track" if lt else "500 steps" for f, lt in zip(run.fell, run.left_track)]
    assert [p[0] for p in played] == run.lengths.tolist()
    assert [p[1] for p in played] == outcomes and len(set(outcomes)) == 3
    last = run.states[np.arange(len(gains)), run.lengths]
    assert np.abs(np.array([p[2] for p in played]) - last).max() <= 1e-9


def test_erf_to_1e7(page):
    import math
    xs = np.linspace(-6.0, 6.0, 1201).tolist()
    got = page.evaluate("xs => xs.map(dtcartLive.erf)", xs)
    assert max(abs(g - math.erf(x)) for g, x in zip(got, xs)) < 2e-7


def recorded_windows(model, run, rtg):
    """Every context window of a recorded episode, as the model's float32 inputs and as lists."""
    return [evaluate.context_window(run, rtg, t, model.config.context, slice(0, 1))
            for t in range(int(run.lengths[0]))]


def js_forces(page, spec, windows):
    return page.evaluate("""([spec, windows]) => { const m = new dtcartLive.DecisionTransformer(spec);
        return windows.map(([r, s, a, t]) => m.force(r, s, a, t)); }""",
                         [spec, [[w[0][0, :, 0].tolist(), w[1][0].double().tolist(),
                                  w[2][0, :, 0].tolist(), w[3][0].tolist()] for w in windows]])


def test_decision_transformer_matches_torch_on_recorded_windows(page, tiny_model, one_thread):
    # recorded: a 500-step heuristic episode, with returns-to-go counting down from 450 and reset to
    # 50 at step 200 (as the dial does): windows shorter than C, at C, and late time steps
    run = control.rollout(control.heuristic(25.0), [[0.03, 0.02, -0.01, 0.0]])
    rtg = 450.0 - np.arange(500.0)[None]
    rtg[0, 200:] = 50.0 - np.arange(300.0)
    windows = recorded_windows(tiny_model, run, rtg)
    C = tiny_model.config.context
    with torch.no_grad():  # the windows shorter than C one by one, the full ones as one batch
        short = [tiny_model(*w)[0, -1, 0].item() for w in windows[:C - 1]]
        full = tiny_model(*(torch.cat(parts) for parts in zip(*windows[C - 1:])))[:, -1, 0]
    expected = np.concatenate([short, full.numpy()])
    got = np.array(js_forces(page, live.export_model(tiny_model), windows))
    assert len(got) == 500 and expected.std() > 1.0  # forces that depend on the inputs
    assert np.abs(got - expected).max() <= 1e-4


def test_played_episode_with_a_retarget_matches_python(page, tiny_model, one_thread):
    """The page's own loop (Episode, DTPolicy, retarget) against live.python_episode, and that
    reference without a retarget against evaluate.rollout_dt itself."""
    start = [0.01, -0.02, 0.03, 0.0]
    run, rtg = live.python_episode(tiny_model, 300.0, start)
    reference = evaluate.rollout_dt(tiny_model, 300.0, [start])
    assert np.array_equal(run.actions, reference.actions) and run.lengths[0] == reference.lengths[0]
    n = int(run.lengths[0])
    at = max(2, n // 2)  # the dial moves mid-episode
    run, rtg = live.python_episode(tiny_model, 300.0, start, retarget={at: 40.0})
    played = page.evaluate(f"""([spec, start, at]) => {{
        const e = new dtcartLive.Episode(start, {PARAMS}, {RULES}, 300),
              policy = new dtcartLive.DTPolicy(new dtcartLive.DecisionTransformer(spec));
        while (!e.done) {{ if (e.t === at) e.retarget(40); e.advance(policy, 0); }}
        return {{actions: e.actions, rtg: e.rtg.slice(0, e.t), states: e.states}}; }}""",
                           [live.export_model(tiny_model), start, at])
    assert len(played["actions"]) == n > 5
    assert np.abs(np.array(played["actions"]) - run.actions[0, :n]).max() <= 1e-4
    assert played["rtg"] == rtg[0, :n].tolist() and played["rtg"][at] == 40.0
    assert np.abs(np.array(played["states"]) - run.states[0, :n + 1]).max() <= 1e-5
    if "retarget" in inspect.signature(evaluate.rollout_dt).parameters:  # issue 20 adds it
        theirs = evaluate.rollout_dt(tiny_model, 300.0, [start], retarget={at: 40.0})
        assert np.array_equal(theirs.actions, run.actions), "rollout_dt's retarget differs from the page's"


def test_element_plays_shoves_and_answers_its_controls(page, tiny_model):
    step_of = "() => Number(/step (\\d+)/.exec(document.querySelector('.dtcart-live-readout').textContent)[1])"
    for kwargs, dial, moved in (({"gain": 21.0}, "gain K", "K = 21.1 N/rad, K \u2212 K* = +1.5"),
                                ({"model": tiny_model, "target": 300}, "target return", "R\u0302_t = 310")):
        page.set_content(f"<!doctype html><html><head></head><body>{live.cartpole(**kwargs)._repr_html_()}"
                         "</body></html>")
        box = page.locator(".dtcart-live")
        readout = box.locator(".dtcart-live-readout")
        play = box.get_by_label("play", exact=True)
        assert box.count() == 1 and page.evaluate(step_of) == 0
        play.focus()
        page.keyboard.press("Enter")  # play, by keyboard
        rate = page.evaluate(f"""() => new Promise(done => {{ const s0 = ({step_of})(), t0 = performance.now();
            setTimeout(() => done(1000 * (({step_of})() - s0) / (performance.now() - t0)), 1000); }})""")
        if play.get_attribute("aria-pressed") == "true":
            page.keyboard.press("Enter")  # pause (unless the episode has ended)
        played = page.evaluate(step_of)
        if dial == "gain K":  # real time: 50 steps a second (a busy machine may drop frames)
            assert 25 <= rate <= 52, rate
        assert play.get_attribute("aria-pressed") == "false" and played > 0
        page.wait_for_timeout(200)
        assert page.evaluate(step_of) == played  # paused
        box.get_by_label("reset", exact=True).click()
        assert page.evaluate(step_of) == 0
        slider = box.get_by_label(dial, exact=True)
        slider.focus()
        page.keyboard.press("ArrowRight")  # the dial, by keyboard
        assert moved in readout.text_content()
        box.get_by_label("shove", exact=True).click()  # a shove plays on
        page.wait_for_timeout(200)
        assert page.evaluate(step_of) > 0
    # the ValueError/TypeError boundary
    with pytest.raises(ValueError, match="exactly one"):
        live.cartpole()
    with pytest.raises(ValueError, match="gain"):
        live.cartpole(gain=50.0)
    with pytest.raises(TypeError, match="gain"):
        live.cartpole(gain="20")
    with pytest.raises(ValueError, match="target"):
        live.cartpole(model=tiny_model, target=-1)
    with pytest.raises(TypeError, match="model"):
        live.cartpole(model=object())
    with pytest.raises(ValueError, match="retarget"):
        live.python_episode(tiny_model, 100.0, [0.0] * 4, retarget={500: 10.0})
    with pytest.raises(ValueError, match="start"):
        live.python_episode(tiny_model, 100.0, [0.0] * 3)
