"""The book as a whole: every notebook's execution time and peak memory, the test suite, the build."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def notebooks(pattern: str = "*.ipynb") -> list[dict]:
    """Run each ``book/`` notebook in its own subprocess (:mod:`benchmarks.run_notebook`), one at a time."""
    rows = []
    for path in sorted((ROOT / "book").glob(pattern)):
        result = subprocess.run([sys.executable, "-m", "benchmarks.run_notebook", str(path)], cwd=ROOT,
                                capture_output=True, text=True)
        if result.returncode:
            rows.append({"notebook": path.name, "error": result.stderr.strip().splitlines()[-1:]})
        else:
            rows.append(json.loads(result.stdout.strip().splitlines()[-1]))
    return rows


def timed(command: list[str], cwd: Path = ROOT) -> dict:
    """Wall time [s] and exit status of ``command``."""
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    return {"seconds": time.perf_counter() - start, "returncode": result.returncode,
            "last_line": (result.stdout.strip().splitlines() or [""])[-1]}


def suite() -> dict:
    """The README's test command without the install: ``python -m pytest`` (tests/ and nbval of book/)."""
    return timed([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly"])


def build() -> dict:
    """A fresh ``jupyter-book build . -W -n --keep-going`` into a temporary folder (every notebook executed)."""
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    with tempfile.TemporaryDirectory() as tmp:
        return timed([str(jupyter_book), "build", ".", "-W", "-n", "--keep-going", "--path-output", tmp])
