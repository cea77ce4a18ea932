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
