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
