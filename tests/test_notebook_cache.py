"""The nbval-to-cache plugin (book/_ext/nbval_cache.py): one execution per notebook cannot hide a failure.

A copy of the repository's test setup (conftest.py, pyproject.toml's pytest options, _config.yml,
book/_ext/dtcart_cache.py) runs on a tiny book in a temporary folder, in a pytest of its own: one
notebook passes and shows a widget, one has a failing assert, and one test needs the built site.
The failing assert fails that run with nbval's report of the cell (source and traceback); the
passing notebook is in the build's cache, with its outputs and widget state, where myst-nb looks;
the failing one is not (even when a former run had stored it); and the site test is refused instead
of building over the failure.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
try:
    import dtcart_cache
finally:
    sys.path.pop(0)

PASSING = ["import ipywidgets\nslider = ipywidgets.IntSlider(value=3)\nslider",
           "assert slider.value == 3\nprint('three')"]
FAILING = ["x = 2", "assert x + x == 5, 'the prose says 5'", "print('after the failure')"]
SITE_TEST = "def test_site(executed_notebooks):\n    assert executed_notebooks\n"


def notebook(sources: list[str]):
    nb = new_notebook(cells=[new_markdown_cell("# A chapter")] + [new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.fixture(scope="module")
def tiny_book(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tiny_book")
    for name in ("conftest.py", "pyproject.toml", "_config.yml", "book/_ext/dtcart_cache.py",
                 "book/_ext/nbval_cache.py"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, root / name)
    nbformat.write(notebook(PASSING), root / "book" / "a_passes.ipynb")
    nbformat.write(notebook(FAILING), root / "book" / "b_fails.ipynb")
    # as if a former run had stored the failing notebook's code as passed, with today's dtcart
    cache = dtcart_cache.cache_path(root)
    dtcart_cache.refresh_for_engine(cache)
    dtcart_cache.store(cache, notebook(FAILING), root / "book" / "b_fails.ipynb", 1.0)
    assert dtcart_cache.record_for(cache, notebook(FAILING)) is not None
    (root / "tests").mkdir()
    (root / "tests" / "test_site.py").write_text(SITE_TEST)
    return root


def run_pytest(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DTCART_"))}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:randomly", *args], cwd=root,
                          capture_output=True, text=True, env=env, timeout=600)


@pytest.fixture(scope="module")
def suite(tiny_book) -> subprocess.CompletedProcess:
    """The README's test command on the tiny book (two xdist workers, as configured)."""
    return run_pytest(tiny_book)


def test_a_failing_assert_fails_the_suite_with_its_cell(suite):
    out = re.sub(r"\x1b\[[0-9;]*m", "", suite.stdout)  # nbval colours the traceback
    assert suite.returncode == 1, out[-3000:]
    assert "Cell execution caused an exception" in out, out[-3000:]
    assert "assert x + x == 5, 'the prose says 5'" in out  # the failing cell's source
    assert "AssertionError: the prose says 5" in out  # and its traceback
    assert "the site is not built: book/b_fails.ipynb failed under nbval" in out
    assert "1 failed" in out and "1 error" in out, out[-600:]


def test_only_the_passing_notebook_is_cached(suite, tiny_book):
    """The failing notebook's former record is gone too: a build by hand executes it (and fails)."""
    cache = dtcart_cache.cache_path(tiny_book)
    assert dtcart_cache.record_for(cache, nbformat.read(tiny_book / "book" / "b_fails.ipynb", 4)) is None
    record = dtcart_cache.record_for(cache, nbformat.read(tiny_book / "book" / "a_passes.ipynb", 4))
    assert record is not None, "the notebook that passed was not stored where myst-nb looks"
    from jupyter_cache import get_cache

    cached = get_cache(str(cache)).get_cache_bundle(record.pk).nb
    widget, printed = cached.cells
    assert [widget.execution_count, printed.execution_count] == [1, 2]
    assert printed.outputs[0].text == "three\n"
    view = widget.outputs[0].data["application/vnd.jupyter.widget-view+json"]
    state = cached.metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"]
    assert state[view["model_id"]]["model_name"] == "IntSliderModel"
    assert state[view["model_id"]]["state"]["value"] == 3
    assert cached.metadata.language_info["name"] == "python"


def test_notebooks_run_first_then_the_site_then_the_rest(tiny_book):
    (tiny_book / "tests" / "test_unit.py").write_text("def test_unit():\n    pass\n")
    result = run_pytest(tiny_book, "--collect-only", "-q", "-n", "0")
    files = [line.split("::")[0] for line in result.stdout.splitlines() if "::" in line]
    order = list(dict.fromkeys(files))
    assert order == ["book/a_passes.ipynb", "book/b_fails.ipynb", "tests/test_site.py",
                     "tests/test_unit.py"], result.stdout
