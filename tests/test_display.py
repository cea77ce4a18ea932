"""dtcart.display: show_source shows the real source; frame_slider builds a kernel-free slider."""

import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from ipywidgets.widgets import widget as widget_module  # noqa: E402
from ipywidgets.widgets.widget_link import Link  # noqa: E402

from dtcart import display  # noqa: E402


def draw(v):
    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1], [0, v])
    return fig


def test_show_source_is_the_module_source():
    code = display.show_source(display.frame_slider)
    assert code.data.startswith("def frame_slider(") and "jslink" in code.data
    with pytest.raises(TypeError):
        display.show_source(3)


def test_frame_slider_links_a_slider_to_one_png_per_value():
    plt.close("all")
    box = display.frame_slider([1, 2, 3], draw, "gain K", value=2, dpi=20)
    assert isinstance(box, widgets.VBox) and display.FRAME_SLIDER_CLASS in box._dom_classes
    slider, stack = box.children
    assert isinstance(slider, widgets.SelectionSlider) and isinstance(stack, widgets.Stack)
    assert slider.index == stack.selected_index == 1 and slider.label == "2"
    assert [f.value[:8] for f in stack.children] == [b"\x89PNG\r\n\x1a\n"] * 3
    assert len({f.value for f in stack.children}) == 3
    assert plt.get_fignums() == []  # every frame's figure is closed once stored
    links = [w for w in widget_module._instances.values() if isinstance(w, Link)
             and w.source == (slider, "index") and w.target == (stack, "selected_index")]
    assert len(links) == 1  # a jslink: the browser moves the stack, no kernel needed


def test_frame_slider_defaults_and_readout():
    box = display.frame_slider([0.5, 1.5], draw, "x", readout_format=lambda v: f"{v:.1f} s")
    slider, stack = box.children
    assert slider.index == stack.selected_index == 0 and [label for label, _ in slider.options] == ["0.5 s", "1.5 s"]


@pytest.mark.parametrize("kwargs, error", [
    (dict(values=[]), ValueError),
    (dict(values="abc"), TypeError),
    (dict(values=5), TypeError),
    (dict(render=None), TypeError),
    (dict(description=3), TypeError),
    (dict(value=9), ValueError),
    (dict(dpi=0), ValueError),
    (dict(dpi=2.5), ValueError),
    (dict(readout_format=None), TypeError),
    (dict(values=[1.0, 1.01], readout_format=lambda v: f"{v:.0f}"), ValueError),
    (dict(render=lambda v: "not a figure"), TypeError),
])
def test_frame_slider_rejects_bad_input(kwargs, error):
    arguments = dict(values=[1, 2], render=draw, description="k")
    arguments.update(kwargs)
    with pytest.raises(error):
        display.frame_slider(**arguments)
    plt.close("all")


def test_figure_png_validates():
    with pytest.raises(TypeError):
        display.figure_png("figure")
    with pytest.raises(ValueError):
        display.figure_png(draw(1), dpi=-1)
    plt.close("all")


# --- the drawing, the animations, the frame player -------------------------

import numpy as np  # noqa: E402

from dtcart import animation, control, drawing, evaluate  # noqa: E402
from dtcart.physics import CartPoleParams  # noqa: E402


@pytest.mark.parametrize("theta", [0.0, 0.3, -0.7, 2.0, np.pi])
@pytest.mark.parametrize("half_length", [0.5, 0.25])
def test_pole_tip_is_2l_from_the_hinge_at_theta(theta, half_length):
    fig, ax = plt.subplots()
    x = 0.8
    params = CartPoleParams(half_length=half_length)
    art = drawing.draw_cartpole(ax, [theta, 0.1, x, -0.2], params=params)
    (hinge_x, hinge_y), (tip_x, tip_y) = art.pole.get_xydata()
    assert (hinge_x, hinge_y) == (x, 0.0)
    assert np.isclose(tip_x, x + 2 * half_length * np.sin(theta), atol=1e-12)
    assert np.isclose(tip_y - hinge_y, 2 * half_length * np.cos(theta),
                      atol=1e-12)
    # the cart's box is centred under the hinge, hanging below it
    assert np.isclose(art.cart.get_x() + art.cart.get_width() / 2, x)
    assert np.isclose(art.cart.get_y() + art.cart.get_height(), 0.0)
    assert art.arrow is None
    plt.close(fig)


@pytest.mark.parametrize("force", [7.5, -3.0, 0.5])
def test_force_arrow_points_the_way_of_F_and_scales_with_it(force):
    fig, ax = plt.subplots()
    art = drawing.draw_cartpole(ax, [0.1, 0, -0.5, 0], force, force_scale=0.1)
    (tail_x, tail_y), (head_x, head_y) = art.arrow.xyann, art.arrow.xy
    assert np.sign(head_x - tail_x) == np.sign(force) and head_y == tail_y
    assert np.isclose(abs(head_x - tail_x), 0.1 * abs(force))
    assert art.arrow.xycoords == "data"
    art.remove()
    assert not ax.lines and not ax.patches and not ax.texts
    plt.close(fig)


def test_track_marks_the_limits_and_zero_force_draws_no_arrow():
    fig, ax = plt.subplots()
    art = drawing.draw_cartpole(ax, np.zeros(4), 0.0)
    assert art.arrow is None
    stops = sorted(line.get_xdata()[0] for line in art.track[1:])
    assert stops == [-control.X_LIMIT, control.X_LIMIT]
    assert art.track[0].get_xdata().tolist() == [-2.4, 2.4]
    plt.close(fig)


@pytest.mark.parametrize("kwargs, error", [
    (dict(ax="axes"), TypeError),
    (dict(state=[0, 0, 0]), ValueError),
    (dict(state=np.zeros((2, 4))), ValueError),
    (dict(state=[np.nan, 0, 0, 0]), ValueError),
    (dict(state="abcd"), TypeError),
    (dict(force="1"), TypeError),
    (dict(force=True), TypeError),
    (dict(force=[1.0]), TypeError),
    (dict(force=np.inf), ValueError),
    (dict(alpha=0), ValueError),
    (dict(alpha=1.5), ValueError),
    (dict(force_scale=0), ValueError),
    (dict(force_scale=np.inf), ValueError),
    (dict(params="book"), TypeError),
])
def test_draw_cartpole_rejects_bad_input(kwargs, error):
    fig, ax = plt.subplots()
    arguments = dict(ax=ax, state=np.zeros(4))
    arguments.update(kwargs)
    with pytest.raises(error):
        drawing.draw_cartpole(**arguments)
    plt.close(fig)


def test_diagram_and_axes_set_up_a_view_in_metres():
    fig, ax = plt.subplots()
    drawing.draw_diagram(ax)
    assert ax.get_aspect() == 1.0 and ax.get_xlim() == (-2.7, 2.7)
    words = " ".join(t.get_text() for t in ax.texts)
    for label in ("θ", "mass m", "mass M", "F > 0", "l", "x", "2.4 m"):
        assert label in words
    with pytest.raises(ValueError):
        drawing.cartpole_axes(ax, x_range=(1, -1))
    with pytest.raises(TypeError):
        drawing.cartpole_axes(ax, x_range=3)
    plt.close(fig)


def episodes():
    return control.rollout(control.heuristic([19.0, 21.0, 25.0]),
                           np.tile([0.05, 0.05, 0.0, 0.0], (3, 1)), max_steps=60)


def test_outcome_and_plot_episode():
    run = control.rollout(control.heuristic([15.0, 30.0]),
                          np.tile([0.05, 0.05, 0, 0], (2, 1)))
    assert drawing.outcome(run, 0) == f"fell at step {run.lengths[0]}"
    assert drawing.outcome(run, 1) == "lasted 500 steps"
    fig, axes = plt.subplots(1, 2)
    drawing.plot_episode(axes, run.states[0], run.lengths[0], label="K = 15")
    theta_line = axes[0].lines[0]
    assert len(theta_line.get_xdata()) == run.lengths[0] + 1
    assert np.isclose(theta_line.get_xdata()[-1], run.lengths[0] * 0.02)
    assert axes[0].get_xlim() == (0, 10.0) and "[deg]" in axes[0].get_ylabel()
    assert "[m]" in axes[1].get_ylabel() and "[s]" in axes[1].get_xlabel()
    with pytest.raises(ValueError):
        drawing.plot_episode(axes, run.states[0], 501)
    with pytest.raises(TypeError):
        drawing.plot_episode(axes[:1], run.states[0], 10)
    with pytest.raises(TypeError):
        drawing.outcome("run", 0)
    plt.close(fig)


def test_animate_rollout_plays_in_real_time_with_linked_widgets():
    plt.close("all")
    run = episodes()
    box = animation.animate_rollout(run, [0, 1, 2], names=["a", "b", "c"],
                                    every=5, dpi=30)
    assert display.FRAME_PLAYER_CLASS in box._dom_classes
    (play, scrubber), stack = box.children[0].children, box.children[1]
    assert isinstance(play, widgets.Play) and play.interval == 100  # 5 x 20 ms
    frames = [bytes(image.value) for image in stack.children]
    assert len(frames) == play.max + 1 == 13  # steps 0, 5, ..., 60
    assert all(f.startswith(display.PNG_SIGNATURE) for f in frames)
    assert len(set(frames)) == len(frames)  # every frame differs (the carts move)
    assert [label for label, _ in scrubber.options][:2] == ["0.00 s", "0.10 s"]
    links = {(w.source[0], w.target[0]) for w in
             widget_module._instances.values() if isinstance(w, Link)}
    assert (play, scrubber) in links and (scrubber, stack) in links
    assert plt.get_fignums() == []


def test_animation_labels_say_how_each_episode_ended():
    run = control.rollout(control.heuristic([19.0, 25.0]),
                          np.tile([0.05, 0.05, 0, 0], (2, 1)))
    labels = []
    original = animation.animate_states

    def spy(states, forces, labels_, **kwargs):
        labels.extend(labels_)
        assert states.shape == (2, int(run.lengths.max()) + 1, 4)
        return "player"

    animation.animate_states = spy
    try:
        assert animation.animate_rollout(run, [0, 1], ["K = 19", "K = 25"]) == "player"
    finally:
        animation.animate_states = original
    assert labels == [f"K = 19: fell at step {run.lengths[0]}", "K = 25: lasted 500 steps"]


@pytest.mark.parametrize("kwargs, error", [
    (dict(run="run"), TypeError),
    (dict(episodes=[]), ValueError),
    (dict(episodes=[0, 1, 2, 0]), ValueError),
    (dict(episodes=[5]), ValueError),
    (dict(episodes="a"), TypeError),
    (dict(names=["only one"]), ValueError),
    (dict(names=[1, 2, 3]), ValueError),
    (dict(every=0), ValueError),
    (dict(dpi=-3), ValueError),
    (dict(params=None), TypeError),
])
def test_animate_rollout_rejects_bad_input(kwargs, error):
    arguments = dict(run=episodes(), episodes=[0, 1, 2])
    arguments.update(kwargs)
    with pytest.raises(error):
        animation.animate_rollout(**arguments)
    plt.close("all")


@pytest.mark.parametrize("kwargs, error", [
    (dict(states=np.zeros((4, 11, 4))), ValueError),
    (dict(states=np.zeros((2, 1, 4))), ValueError),
    (dict(forces=np.zeros((2, 9))), ValueError),
    (dict(forces=np.full((2, 10), np.nan)), ValueError),
    (dict(labels="ab"), TypeError),
    (dict(labels=["a"]), ValueError),
    (dict(colors=["red"]), ValueError),
    (dict(ends=[3, 11]), ValueError),
    (dict(x_range=(2, 1)), ValueError),
])
def test_animate_states_rejects_bad_input(kwargs, error):
    arguments = dict(states=np.zeros((2, 11, 4)), forces=np.zeros((2, 10)),
                     labels=["a", "b"])
    arguments.update(kwargs)
    with pytest.raises(error):
        animation.animate_states(**arguments)
    plt.close("all")


def test_canvas_png_is_a_small_palette_png():
    fig = draw(1.0)
    fig.canvas.draw()
    png = display.canvas_png(fig, colors=16)
    assert png.startswith(display.PNG_SIGNATURE) and png[25] == 3  # colour type 3: palette
    with pytest.raises(ValueError):
        display.canvas_png(fig, colors=300)
    with pytest.raises(TypeError):
        display.canvas_png("fig")
    plt.close(fig)


@pytest.mark.parametrize("kwargs, error", [
    (dict(frames=[]), ValueError),
    (dict(frames=[b"not a png", b"x"]), ValueError),
    (dict(frames=b"\x89PNG"), TypeError),
    (dict(interval_ms=0), ValueError),
    (dict(readouts="ab"), TypeError),
    (dict(readouts=["a", "a"]), ValueError),
    (dict(readouts=["a"]), ValueError),
    (dict(description=None), TypeError),
])
def test_frame_player_rejects_bad_input(kwargs, error):
    png = display.PNG_SIGNATURE + b"rest"
    arguments = dict(frames=[png, png], interval_ms=100, readouts=["a", "b"])
    arguments.update(kwargs)
    with pytest.raises(error):
        display.frame_player(**arguments)


def test_effective_gain_of_the_heuristic_is_its_gain():
    run = control.rollout(control.heuristic([21.0, 30.0]),
                          np.tile([0.05, 0.05, 0, 0], (2, 1)))
    for i, K in enumerate((21.0, 30.0)):
        gain = evaluate.effective_gain(run.states[i], run.actions[i],
                                      run.lengths[i], window=10)
        assert gain.shape == (run.lengths[i],)
        assert np.allclose(gain, K, rtol=1e-9)
    # a policy that stops pushing halfway drops to zero gain
    forces = run.actions[1].copy()
    forces[250:] = 0.0
    gain = evaluate.effective_gain(run.states[1], forces, 500, window=25)
    assert np.allclose(gain[:250], 30.0) and np.allclose(gain[275:], 0.0)
    with pytest.raises(ValueError):
        evaluate.effective_gain(run.states[1], forces[:10], 500)
    with pytest.raises(ValueError):
        evaluate.effective_gain(run.states[1], forces, 500, window=0)


def test_strobe_force_and_gain_plots():
    run = control.rollout(control.heuristic(21.0), [[0.05, 0.05, 0, 0]])
    fig, axes = plt.subplots(1, 3)
    drawing.draw_strobe(axes[0], run.states[0], run.lengths[0], every=50)
    n_poses = len(range(0, run.lengths[0], 50)) + 1
    assert len(axes[0].patches) == n_poses  # one cart per pose
    drawing.plot_force(axes[1], run.actions[0], run.lengths[0])
    assert "[N]" in axes[1].get_ylabel()
    drawing.plot_effective_gain(axes[2], run.states[0], run.actions[0],
                                run.lengths[0])
    assert axes[2].lines[1].get_ydata()[0] == control.critical_gain()
    drawing.plot_episode([axes[1], None], run.states[0], run.lengths[0])
    with pytest.raises(ValueError):
        drawing.plot_force(axes[1], run.actions[0], 501)
    with pytest.raises(ValueError):
        drawing.draw_strobe(axes[0], run.states[0], run.lengths[0], every=0)
    plt.close(fig)


def test_glue_text_prints_what_it_glues(capsys):
    from dtcart.display import glue_text

    glue_text("ch0-answer", "42%")
    assert "ch0-answer: 42%" in capsys.readouterr().out
    with pytest.raises(TypeError, match="name"):
        glue_text(3, "42%")
