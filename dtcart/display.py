"""Helpers the chapters use to show things: module source, and sliders that work without a kernel."""

from __future__ import annotations

import inspect
import io
from typing import Callable, Sequence

import matplotlib.pyplot as plt


def show_source(obj):
    """Display the real source of a dtcart function or class (one source of truth, never a copy).

    Returns an ``IPython.display.Code`` object, which Jupyter and the rendered book both highlight.
    """
    from IPython.display import Code

    return Code(inspect.getsource(obj), language="python")


def figure_png(fig, dpi: int = 80) -> bytes:
    """Render a matplotlib figure to PNG bytes and close it."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def frame_slider(values: Sequence, render: Callable, description: str, value=None, dpi: int = 80,
                 readout_format: Callable = str):
    """A slider over precomputed frames that keeps working in the rendered book, where there is no kernel.

    ``render(v)`` draws one matplotlib figure per value ``v``; each is stored as a PNG image in an
    ``ipywidgets.Stack``, and the slider's index is linked to the stack client-side with
    ``widgets.jslink``. The widget state (images included) is embedded in the page by the book build,
    so moving the slider changes the figure in a plain browser.

    Args:
        values: the slider's values, in order.
        render: a callable from one value to a matplotlib ``Figure``.
        description: the slider's label.
        value: the value shown first (default: the first one).
        dpi: resolution of the frames.
        readout_format: how a value is printed next to the slider.

    Returns:
        An ``ipywidgets.VBox`` holding the slider and the stack of frames.
    """
    import ipywidgets as widgets

    values = list(values)
    if not values:
        raise ValueError("values must not be empty")
    value = values[0] if value is None else value
    if value not in values:
        raise ValueError(f"value {value!r} is not one of the slider's values")
    labels = [readout_format(v) for v in values]
    frames = [widgets.Image(value=figure_png(render(v), dpi=dpi), format="png") for v in values]
    stack = widgets.Stack(frames, selected_index=values.index(value))
    slider = widgets.SelectionSlider(options=list(zip(labels, range(len(values)))), value=values.index(value),
                                     description=description, continuous_update=True,
                                     style={"description_width": "initial"},
                                     layout=widgets.Layout(width="600px"))
    widgets.jslink((slider, "index"), (stack, "selected_index"))
    return widgets.VBox([slider, stack])
