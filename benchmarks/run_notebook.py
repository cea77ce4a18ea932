"""Execute one notebook in a fresh kernel; print its wall time, the kernel's CPU time and peak memory (JSON).

    python -m benchmarks.run_notebook book/01_physics.ipynb [executed.ipynb]

Run in a subprocess of its own (``book_bench`` does that), so that ``RUSAGE_CHILDREN`` covers exactly the
one kernel this process started and waited for. A second path saves the executed notebook there.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def main(path: str, executed: str | None = None) -> None:
    notebook = Path(path).resolve()
    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(notebook.parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    kernel = resource.getrusage(resource.RUSAGE_CHILDREN)  # the kernel, once it has exited
    if executed:
        nbformat.write(nb, executed)
    print(json.dumps({"notebook": notebook.name, "seconds": seconds,
                      "kernel_cpu_seconds": kernel.ru_utime + kernel.ru_stime,
                      "kernel_peak_rss_mb": kernel.ru_maxrss / 1024}))  # Linux: ru_maxrss in kB


if __name__ == "__main__":
    main(*sys.argv[1:3])
