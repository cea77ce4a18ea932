"""The book as a whole: every notebook's execution time and peak memory, the test suite, the build."""

from __future__ import annotations

import json
import re
import resource
import shutil
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
    """Wall time [s], CPU time of the command and all its children [s], exit status and last line."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = [line for line in re.sub(r"\x1b\[[0-9;]*m", "", result.stdout).splitlines()
             if any(c.isalnum() for c in line)]  # not the colour codes, not a line of '='
    return {"seconds": seconds, "cpu_seconds": cpu, "returncode": result.returncode,
            "last_line": (lines or [""])[-1].strip()}


def clean_copy(folder: Path) -> Path:
    """The repository's files as a fresh clone has them (tracked and untracked, not ignored: no
    ``_build``, no ``.venv``) copied into ``folder``."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / name)
    return folder


def suite() -> dict:
    """The README's test command without the install, as on a fresh clone: ``python -m pytest`` in a
    clean copy of the repository (no ``_build``), so nbval executes every notebook once and the
    browser test builds the site from those executions."""
    with tempfile.TemporaryDirectory() as tmp:
        return timed([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly"], cwd=clean_copy(Path(tmp)))


def build() -> dict:
    """A fresh ``jupyter-book build . -W -n --keep-going`` into a temporary folder (every notebook executed)."""
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    with tempfile.TemporaryDirectory() as tmp:
        return timed([str(jupyter_book), "build", ".", "-W", "-n", "--keep-going", "--path-output", tmp])
