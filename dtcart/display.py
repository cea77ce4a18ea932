"""Helpers the chapters use to show things: module source, and sliders and players that work without a kernel."""

from __future__ import annotations

import ast
import inspect
import io
import textwrap
from typing import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from .checks import check_type, integer, positive_int, require, sequence

#: CSS class on every frame slider's outer box; the browser test finds the sliders by it.
FRAME_SLIDER_CLASS = "dtcart-frame-slider"
#: CSS class on every frame player's outer box (an animation); the browser test finds them by it.
FRAME_PLAYER_CLASS = "dtcart-frame-player"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def displayed_source(obj, docstring: bool = True) -> str:
    """The real source of a dtcart function or class, dedented; without its docstring
    (the first statement of the body, when it is a string) if ``docstring`` is False.

    Raises ``TypeError`` (from ``inspect.getsource``) for an object that has no source.
    """
    source = textwrap.dedent(inspect.getsource(obj))
    if docstring:
        return source
    body = ast.parse(source).body[0].body
    first = body[0]
    if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)):
        return source
    lines = source.splitlines(keepends=True)
    return "".join(lines[:first.lineno - 1] + lines[first.end_lineno:])


def show_source(obj, docstring: bool = True):
    """Display the real source of a dtcart function or class (one source of truth, never a copy),
    with or without its docstring.

    Returns an ``IPython.display.Code`` object, which Jupyter and the rendered book both highlight.
    Raises ``TypeError`` (from ``inspect.getsource``) for an object that has no source, such as a number.
    """
    from IPython.display import Code

    check_type(docstring, bool, "docstring")
    return Code(displayed_source(obj, docstring), language="python")


def figure_png(fig: Figure, dpi: int = 80, colors: int | None = None) -> bytes:
    """Render a matplotlib figure to PNG bytes (tight bounding box) and close it; with ``colors``,
    as a palette PNG of at most that many colours (see :func:`canvas_png`)."""
    check_type(fig, Figure, "fig")
    dpi = positive_int(dpi, "dpi")
    if colors is not None:
        colors = _check_palette(colors)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue() if colors is None else _palette_png(_rgb(buf), colors)


def _frame_png(fig: Figure, dpi: int, colors: int | None) -> bytes:
    """One slider frame: the figure drawn once at ``dpi``, as laid out (no tight crop, which draws it
    twice), as a PNG (palette, with ``colors``), then closed."""
    from PIL import Image

    fig.set_dpi(dpi)
    fig.canvas.draw()
    image = Image.fromarray(np.asarray(fig.canvas.buffer_rgba())[..., :3])
    plt.close(fig)
    if colors is not None:
        return _palette_png(image, colors)
    buf = io.BytesIO()
    image.save(buf, format="png")
    return buf.getvalue()


def _check_palette(colors) -> int:
    return integer(colors, "colors", 1, 256)


def _rgb(buf: io.BytesIO):
    from PIL import Image

    buf.seek(0)
    return Image.open(buf).convert("RGB")


def _palette_png(image, colors: int) -> bytes:
    """An RGB PIL image as a PNG of at most ``colors`` colours (no dithering: line art stays crisp)."""
    from PIL import Image

    buf = io.BytesIO()
    image.quantize(colors, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(buf, format="png")
    return buf.getvalue()


def frame_slider(values: Sequence, render: Callable, description: str, value=None, dpi: int = 80,
                 readout_format: Callable = str, colors: int | None = 64):
    """A slider over precomputed frames that keeps working in the rendered book, where there is no kernel.

    ``render(v)`` draws one matplotlib figure per value ``v`` (laid out to fit: it is drawn as is, not
    cropped); each is stored as a PNG image in an
    ``ipywidgets.Stack``, and the slider's index is linked to the stack client-side with
    ``widgets.jslink``. The widget state (images included) is embedded in the page by the book build,
    and the site serves the widget manager itself, so moving the slider changes the figure in a plain
    browser with no kernel and no network. Every frame is drawn up front: keep ``values`` to a few dozen.

    Args:
        values: the slider's values, in order (at least one, labels distinct).
        render: a callable from one value to a matplotlib ``Figure`` (closed here once stored).
        description: the slider's label.
        value: the value shown first (default: the first one); must be one of ``values``.
        dpi: resolution of the frames, a positive int.
        readout_format: how a value is printed next to the slider, a callable to ``str``.
        colors: store each frame as a palette PNG of at most this many colours (a third of the
            weight for line art), or None for full colour.

    Returns:
        An ``ipywidgets.VBox`` (CSS class ``dtcart-frame-slider``) holding the slider and the stack of frames.
    """
    import ipywidgets as widgets

    values = sequence(values, "values", "a non-empty sequence of slider values", len)
    check_type(render, Callable, "render")  # from a value to a Figure
    check_type(description, str, "description")
    check_type(readout_format, Callable, "readout_format")
    dpi = positive_int(dpi, "dpi")
    if colors is not None:
        colors = _check_palette(colors)
    value = values[0] if value is None else value
    matches = [i for i, v in enumerate(values) if v == value]
    require(matches, f"value {value!r} is not one of the slider's values")
    labels = _check_labels([readout_format(v) for v in values], "readout_format",
                       "a map from the values to distinct strings")
    frames = []
    for v in values:
        fig = render(v)
        check_type(fig, Figure, f"render({v!r})")
        frames.append(_frame_png(fig, dpi, colors))
    slider, stack = _linked_frames(frames, labels, matches[0], description)
    box = widgets.VBox([slider, stack])
    box.add_class(FRAME_SLIDER_CLASS)
    return box


def _check_labels(labels, name: str, expected: str, n: int | None = None) -> list:
    """``labels`` as a list of distinct strings (``n`` of them, unless None), or raise saying that
    ``name`` must be ``expected``."""
    return sequence(labels, name, expected, lambda v: all(isinstance(s, str) for s in v)
                    and len(set(v)) == len(v) and n in (None, len(v)))


def _linked_frames(frames: list, labels: list, index: int, description: str):
    """A selection slider over ``labels`` and an ``ipywidgets.Stack`` of the PNG ``frames``, the
    slider's index ``jslink``ed to the stack's, both at ``index``."""
    import ipywidgets as widgets

    fit = widgets.Layout(max_width="100%", height="auto")  # one layout for all: less state on the page
    images = [widgets.Image(value=png, format="png", layout=fit) for png in frames]
    stack = widgets.Stack(images, selected_index=index)
    slider = widgets.SelectionSlider(options=list(zip(labels, range(len(frames)))), value=index,
                                     description=description, continuous_update=True,
                                     style={"description_width": "initial"},
                                     layout=widgets.Layout(width="100%", max_width="600px"))
    widgets.jslink((slider, "index"), (stack, "selected_index"))
    return slider, stack


def canvas_png(fig: Figure, colors: int = 64) -> bytes:
    """The figure's canvas as last drawn (``fig.canvas.draw()``, or blitted artists since), at its own
    size and dpi, as a palette PNG of at most ``colors`` colours: line art loses nothing visible and
    shrinks three- to five-fold. The figure stays open, so an animation can draw its next frame."""
    from PIL import Image

    check_type(fig, Figure, "fig")
    colors = _check_palette(colors)
    return _palette_png(Image.fromarray(np.asarray(fig.canvas.buffer_rgba())[..., :3]), colors)


def frame_player(frames: Sequence[bytes], interval_ms: int, readouts: Sequence[str], description: str = "time"):
    """Play/pause and a scrubber over precomputed PNG frames, working in the rendered book with no kernel.

    The ``ipywidgets.Play`` button, the scrubber (a selection slider) and the ``Stack`` of frames are
    linked client-side with ``widgets.jslink``, like :func:`frame_slider`'s, so the animation runs in a
    plain browser from the page's embedded widget state, and live in JupyterLab and Colab.

    Args:
        frames: the PNG images, in order (at least two).
        interval_ms: the time between frames when playing [ms], a positive int.
        readouts: one distinct label per frame, shown next to the scrubber (e.g. "1.20 s").
        description: the scrubber's label.

    Returns:
        An ``ipywidgets.VBox`` (CSS class ``dtcart-frame-player``): the play button and the scrubber
        in a row, and the frames below.
    """
    import ipywidgets as widgets

    frames = sequence(frames, "frames", "at least two PNG images (bytes)", lambda f: len(f) >= 2 and all(
        isinstance(png, bytes) and png.startswith(PNG_SIGNATURE) for png in f))
    interval_ms = positive_int(interval_ms, "interval_ms")
    readouts = _check_labels(readouts, "readouts", f"{len(frames)} distinct strings", len(frames))
    check_type(description, str, "description")
    slider, stack = _linked_frames(frames, readouts, 0, description)
    play = widgets.Play(value=0, min=0, max=len(frames) - 1, interval=interval_ms, description="play")
    widgets.jslink((play, "value"), (slider, "index"))
    box = widgets.VBox([widgets.HBox([play, slider]), stack])
    box.add_class(FRAME_PLAYER_CLASS)
    return box


def glue_text(name: str, value) -> None:
    """Glue ``value`` for the book's ``{glue:text}`name``` and print it.

    The rendered book puts the value into the prose; plain JupyterLab shows
    that role as raw markup, so the cell that computes the number also
    prints it (``name: value``), where a reader of the notebook finds it.
    """
    from myst_nb import glue

    check_type(name, str, "name")
    glue(name, value, display=False)
    print(f"{name}: {value}")
