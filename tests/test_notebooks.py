"""The committed notebooks are exactly what tools/build_notebooks.py generates from nbsrc/ (no outputs)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_notebooks_match_their_sources():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "build_notebooks.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, f"regenerate with `python tools/build_notebooks.py`:\n{result.stdout}"


def test_every_source_has_a_notebook_and_no_outputs_are_committed():
    sources = {p.stem for p in (ROOT / "nbsrc").glob("*.py")}
    notebooks = {p.stem for p in (ROOT / "book").glob("*.ipynb")}
    assert sources == notebooks
    for path in (ROOT / "book").glob("*.ipynb"):
        nb = json.loads(path.read_text())
        assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code"), path


def _generator():
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import build_notebooks
    finally:
        sys.path.pop(0)
    return build_notebooks


def test_repository_url_is_the_same_everywhere():
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    generator = _generator()
    assert config["repository"]["url"] == generator.REPOSITORY
    assert config["repository"]["branch"] == generator.BRANCH


def test_binder_installs_what_colab_installs():
    """binder/ pins Python 3.11 and the CPU torch, installs dtcart itself, and the reader's extras match Colab's."""
    binder = ROOT / "binder"
    assert (binder / "runtime.txt").read_text().strip() == "python-3.11"
    lines = [line.split("#")[0].strip() for line in (binder / "requirements.txt").read_text().splitlines()]
    lines = [line for line in lines if line]
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in lines
    assert any(line.startswith("torch==") and line.endswith("+cpu") for line in lines)
    assert "-e ." in lines
    assert not any(name in line for line in lines for name in ("jupyter-book", "nbval", "pytest"))
    extras = {line for line in lines if not line.startswith(("-", "torch", "jupyterlab-myst"))}
    assert extras == set(_generator().READER_EXTRAS)
    assert any(line.startswith("jupyterlab-myst") for line in lines)  # MyST rendered in JupyterLab


def _run_colab_cell(monkeypatch, hide_dtcart: bool) -> list:
    """Run the generated first cell with a stand-in IPython; returns the line magics it called."""
    from IPython.core.inputtransformer2 import TransformerManager

    calls = []

    class FakeIPython:
        def run_line_magic(self, name, line):
            calls.append((name, line))

    code = TransformerManager().transform_cell(_generator().COLAB_CELL)
    if hide_dtcart:
        monkeypatch.setitem(sys.modules, "dtcart", None)  # `import dtcart` now raises ImportError
    exec(compile(code, "colab-cell", "exec"), {"get_ipython": lambda: FakeIPython()})
    return calls


def test_colab_cell_does_nothing_where_dtcart_is_installed(monkeypatch):
    assert _run_colab_cell(monkeypatch, hide_dtcart=False) == []


def test_colab_cell_installs_dtcart_from_the_repository_when_missing(monkeypatch):
    generator = _generator()
    (name, line), = _run_colab_cell(monkeypatch, hide_dtcart=True)
    assert name == "pip" and line.startswith("install")
    assert f'"dtcart @ git+{generator.REPOSITORY}@{generator.BRANCH}"' in line
    assert all(f'"{extra}"' in line for extra in generator.READER_EXTRAS)


def test_every_notebook_starts_with_the_hidden_colab_cell():
    cell = _generator().COLAB_CELL
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        first = json.loads(path.read_text())["cells"][0]
        assert "".join(first["source"]).rstrip("\n") == cell.rstrip("\n"), path
        assert "remove-cell" in first["metadata"].get("tags", []), path
        assert first["metadata"]["jupyter"]["source_hidden"] is True, path  # collapsed in JupyterLab
    first_line = cell.splitlines()[0]
    assert "Colab" in first_line and "elsewhere it does nothing" in first_line
    assert max(map(len, cell.splitlines())) <= 80
