"""Every notebook as Colab meets it: ``dtcart`` installed (not editable) from a clean clone, and each
notebook executed in a folder outside the repository.

    python -m benchmarks --only outside --json   # a fresh install, then every notebook (slow)

A fresh virtual environment (no system site-packages) gets ``dtcart`` from a clone of this
repository's committed HEAD, installed as a package (``pip install CLONE``, as Colab's
``pip install "dtcart @ git+..."``), with the reader's packages of ``binder/requirements.txt`` (all
but its ``-e .``) and ``ipykernel`` and ``nbclient``, which Colab's runtime has. pip uses its usual
configuration (a local wheel cache, if one is set up). Every notebook of the clone's ``book/`` is
copied into another temporary folder, the clone deleted, and each notebook executed there in a fresh
kernel of that environment, with ``PYTHONPATH`` unset: only the installed ``dtcart`` can be imported.
The record holds each notebook's time, whether it ran, its error, the cells that showed a figure
more than once or a stray repr, and the cells that ran over 5 s, with or without a progress bar.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
COLAB_RUNTIME = ("ipykernel", "nbclient")  # in Colab's runtime, not in binder/requirements.txt


def figures_per_cell(nb) -> dict[int, int]:
    """Code cell index -> how many figures (image/png outputs) it shows, for cells that show any."""
    counts = {}
    for i, cell in enumerate(nb.cells):
        shown = sum("image/png" in output.get("data", {}) for output in cell.get("outputs", []))
        if shown:
            counts[i] = shown
    return counts


def stray_reprs(nb) -> list[int]:
    """Code cells whose value is shown only as text like ``<function ...>`` or ``f(x=1)``: an object's
    repr that a cell shows by ending on an expression it did not mean to show."""
    stray = []
    for i, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if output.get("output_type") == "execute_result" and set(data) == {"text/plain"} \
                    and re.fullmatch(r"<.*>|[A-Za-z_]\w*\(.*\)", data["text/plain"].strip(), re.S):
                stray.append(i)
    return stray


def slow_cells(nb, seconds: float = 5.0) -> list[dict]:
    """The code cells that ran longer than ``seconds`` (nbclient's timing metadata), each with its
    time and whether it showed a progress bar (a tqdm widget, or tqdm's text on stderr)."""
    from datetime import datetime

    slow = []
    for i, cell in enumerate(nb.cells):
        timing = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" not in timing or "shell.execute_reply" not in timing:
            continue
        took = (datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
                - datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))).total_seconds()
        if took > seconds:
            bar = any("application/vnd.jupyter.widget-view+json" in output.get("data", {})
                      or "it/s]" in output.get("text", "") or "%|" in output.get("text", "")
                      for output in cell.get("outputs", []))
            slow.append({"cell": i, "seconds": round(took, 1), "progress_bar": bar})
    return slow


def head() -> str:
    """The commit a clean clone checks out: this repository's HEAD."""
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()


def install(folder: Path, commit: str) -> tuple[Path, dict]:
    """A fresh environment in ``folder`` with dtcart from a clean clone at ``commit``: its python and
    environment."""
    clone = folder / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    subprocess.run(["git", "checkout", "--quiet", commit], cwd=clone, check=True)
    lines = (clone / "binder" / "requirements.txt").read_text().splitlines()
    reader = folder / "reader-requirements.txt"
    reader.write_text("\n".join(line for line in lines if line.split("#")[0].strip() != "-e .") + "\n")
    subprocess.run([sys.executable, "-m", "venv", str(folder / "venv")], check=True)
    python = folder / "venv" / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.pop("MPLBACKEND", None)  # the kernel's default: matplotlib-inline, as on Colab
    env.update(PATH=f"{python.parent}{os.pathsep}{env['PATH']}", JUPYTER_DATA_DIR=str(folder / "data"),
               JUPYTER_CONFIG_DIR=str(folder / "config"))
    # one try per index: an index out of reach (the CPU torch's, offline) fails fast, not after retries
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--retries", "0", "-r", str(reader),
                    *COLAB_RUNTIME, str(clone)], check=True, env=env, cwd=folder)
    (folder / "notebooks").mkdir()
    for notebook in (clone / "book").glob("*.ipynb"):  # the clone's, as committed
        shutil.copy(notebook, folder / "notebooks" / notebook.name)
    shutil.rmtree(clone)  # the notebooks must not find the repository
    return python, env


def run() -> dict:
    """Install, then execute every notebook outside the repository; one row per notebook."""
    with tempfile.TemporaryDirectory(prefix="dtcart-outside-") as tmp:
        tmp = Path(tmp)
        start, commit = time.perf_counter(), head()
        python, env = install(tmp, commit)
        install_s = time.perf_counter() - start
        outside = tmp / "notebooks"
        where = subprocess.run([str(python), "-c", "import dtcart; print(dtcart.__file__)"], cwd=outside,
                               env=env, capture_output=True, text=True, check=True).stdout.strip()
        if not where.startswith(str(tmp / "venv")):
            raise RuntimeError(f"the kernel imports another dtcart: {where}")
        runner = outside / "run_notebook.py"
        shutil.copy(ROOT / "benchmarks" / "run_notebook.py", runner)
        rows = []
        for notebook in sorted(outside.glob("*.ipynb")):
            executed = outside / "executed" / notebook.name
            executed.parent.mkdir(exist_ok=True)
            begin = time.perf_counter()
            result = subprocess.run([str(python), str(runner), str(notebook), str(executed)], cwd=outside,
                                    env=env, capture_output=True, text=True)
            row = {"notebook": notebook.name, "seconds": time.perf_counter() - begin,
                   "passed": result.returncode == 0}
            if result.returncode:
                errors = [line for line in re.sub(r"\x1b\[[0-9;]*m", "", result.stderr).splitlines()
                          if line.strip()]
                row["error"] = next((line for line in reversed(errors) if "Error" in line),
                                    (errors or [""])[-1])
            else:
                row.update(json.loads(result.stdout.strip().splitlines()[-1]), passed=True)
                nb = nbformat.read(executed, as_version=4)
                row["figures_shown_twice"] = [i for i, n in figures_per_cell(nb).items() if n > 1]
                row["slow_cells"] = slow_cells(nb)
                row["stray_reprs"] = stray_reprs(nb)
            rows.append(row)
            print(json.dumps(row), flush=True)
    return {"rows": rows, "commit": commit, "install_s": install_s, "dtcart": where.replace(str(tmp), "<tmp>"),
            "passed": all(row["passed"] for row in rows)}
