"""Generate the book's notebooks (book/*.ipynb) from their jupytext sources (nbsrc/*.py).

The sources are the files to edit; the notebooks are generated, committed without outputs.

    python tools/build_notebooks.py          # regenerate every notebook
    python tools/build_notebooks.py --check  # exit 1 if a notebook is out of date

Every notebook gets the same first cell, which must stay first for Colab: on Colab (where dtcart is
not installed) it installs dtcart from the repository with the reader's extras, and turns on Colab's
manager for ipywidgets 8; everywhere else it does nothing, as its first line says. The rendered book
removes it (tag remove-cell) and JupyterLab shows it collapsed (jupyter.source_hidden).
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import jupytext
import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
SRC, OUT = ROOT / "nbsrc", ROOT / "book"
# The repository is one setting, _config.yml's repository.url (and .branch): read it from there.
_REPOSITORY = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
REPOSITORY, BRANCH = _REPOSITORY["url"].rstrip("/"), _REPOSITORY.get("branch", "main")
# What a reader's kernel needs beyond dtcart's own dependencies: myst_nb for glue(), Gymnasium for
# Chapter 1's cross-check and dtcart.env, stable-baselines3 for dtcart.online's PPO.
# binder/requirements.txt lists the same (a test compares).
READER_EXTRAS = ("myst-nb>=1.1", "gymnasium==1.4.0", "stable-baselines3==2.9.2")

_PACKAGES = "".join(f"\n        '\"{p}\"'," for p in (f"dtcart @ git+{REPOSITORY}@{BRANCH}", *READER_EXTRAS))
COLAB_CELL = f"""\
# Colab setup: installs dtcart where it is missing; elsewhere it does nothing.
try:
    import dtcart  # noqa: F401
except ImportError:  # pip install, quietly, dtcart and the reader's packages
    get_ipython().run_line_magic("pip", " ".join([
        "install", "--quiet",{_PACKAGES}
    ]))
try:  # Colab draws ipywidgets 8 (sliders) only with its own widget manager
    from google.colab import output
except ImportError:
    pass
else:
    output.enable_custom_widget_manager()
"""
# The book removes the cell (tag remove-cell); JupyterLab shows it collapsed to its first line.
COLAB_METADATA = {"tags": ["remove-cell"], "jupyter": {"source_hidden": True}}


def render(source: Path) -> str:
    """The notebook generated from one jupytext source, as JSON text without outputs."""
    nb = jupytext.read(source)
    install = nbformat.v4.new_code_cell(COLAB_CELL, metadata=copy.deepcopy(COLAB_METADATA))
    nb.cells.insert(0, install)
    for i, cell in enumerate(nb.cells):
        cell.id = f"{source.stem[:40]}-{i}"
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="report stale notebooks instead of writing")
    args = parser.parse_args(argv)
    stale = []
    for source in sorted(SRC.glob("*.py")):
        target = OUT / f"{source.stem}.ipynb"
        text = render(source)
        if target.exists() and target.read_text() == text:
            continue
        stale.append(target.relative_to(ROOT))
        if not args.check:
            target.write_text(text)
    verb = "out of date" if args.check else "written"
    for path in stale:
        print(f"{verb}: {path}")
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
