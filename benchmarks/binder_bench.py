"""A Binder reader's memory: JupyterLab with binder/'s settings, every chapter opened, run and closed.

    .venv/bin/pip install jupyterlab psutil   # JupyterLab is not in requirements.txt
    .venv/bin/python -m benchmarks.binder_bench [--keep-open] [--without-settings] [--lab PATH]

Copies the repository's files into a temporary folder, installs ``binder/postBuild``'s settings into
a temporary prefix (as repo2docker does into ``$NB_PYTHON_PREFIX``), starts JupyterLab there with
this Python as the ``python3`` kernel, and in headless Chromium opens each chapter in turn, runs all
its cells, and closes its tab. ``--keep-open`` leaves the tabs open (a reader who never closes one);
``--without-settings`` uses JupyterLab's defaults instead of binder/'s, for comparison. Prints, as
JSON, each chapter's kernel peak RSS, the kernels still running after each tab closed, and the peak
RSS of the server and its kernels together (mybinder.org allows 2 GB). The browser is not counted:
it runs on the reader's machine.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from .book_bench import ROOT, clean_copy

RUN_ALL = """async () => {
  const app = window.jupyterapp;
  const panel = app.shell.currentWidget;
  await panel.context.ready;
  await panel.sessionContext.ready;
  await app.commands.execute('notebook:run-all-cells');
  const cells = panel.content.widgets.filter(c => c.model.type === 'code');
  while (panel.sessionContext.session.kernel.status !== 'idle'
         || cells.some(c => c.model.executionCount === null && c.model.sharedModel.source.trim())) {
    await new Promise(r => setTimeout(r, 250));
  }
  const errors = cells.filter(c => c.model.outputs.toJSON().some(o => o.output_type === 'error'));
  panel.context.model.dirty = false;  // close without the "save changes?" dialog
  return {errors: errors.length, kernel: panel.sessionContext.session.kernel.id};
}"""


class Sampler(threading.Thread):
    """Samples the RSS of a process tree every 0.2 s: the peak of the sum, and each process's peak."""

    def __init__(self, pid: int):
        import psutil

        super().__init__(daemon=True)
        self.root, self.psutil = psutil.Process(pid), psutil
        self.total_peak, self.peaks, self.names, self.running = 0, {}, {}, True

    def run(self):
        while self.running:
            total = 0
            try:
                processes = [self.root, *self.root.children(recursive=True)]
            except self.psutil.Error:
                break
            for process in processes:
                try:
                    rss = process.memory_info().rss
                    self.names.setdefault(process.pid, " ".join(process.cmdline()[-4:]))
                except self.psutil.Error:
                    continue
                total += rss
                self.peaks[process.pid] = max(self.peaks.get(process.pid, 0), rss)
            self.total_peak = max(self.total_peak, total)
            time.sleep(0.2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kernels(base: str, token: str) -> list[str]:
    with urllib.request.urlopen(f"{base}api/kernels?token={token}") as response:
        return [k["id"] for k in json.load(response)]


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.binder_bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep-open", action="store_true", help="never close a chapter's tab")
    parser.add_argument("--without-settings", action="store_true",
                        help="leave binder/postBuild's settings out (JupyterLab's defaults), for comparison")
    parser.add_argument("--notebooks", default="*.ipynb", help="which book/ notebooks (a glob)")
    parser.add_argument("--lab", default=str(Path(sys.executable).with_name("jupyter-lab")),
                        help="the jupyter-lab executable (default: this environment's)")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from tests.test_browser import CHROMIUM, CHROMIUM_ARGS

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        repo, prefix = clean_copy(tmp / "repo"), tmp / "prefix"
        if not args.without_settings:
            subprocess.run([str(ROOT / "binder" / "postBuild")], check=True,
                           env=dict(os.environ, NB_PYTHON_PREFIX=str(prefix)))
        spec = prefix / "share" / "jupyter" / "kernels" / "python3"
        spec.mkdir(parents=True)
        (spec / "kernel.json").write_text(json.dumps({
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (ipykernel)", "language": "python"}))
        port, token = free_port(), secrets.token_hex(16)
        log = open(tmp / "server.log", "w+")
        env = dict(os.environ, JUPYTER_PATH=str(prefix / "share" / "jupyter"),
                   JUPYTER_CONFIG_PATH=str(prefix / "etc" / "jupyter"), JUPYTER_DATA_DIR=str(tmp / "data"),
                   JUPYTER_CONFIG_DIR=str(tmp / "config"), JUPYTER_RUNTIME_DIR=str(tmp / "runtime"))
        server = subprocess.Popen(
            [args.lab, "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
             f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={repo}",
             "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=",
             f"--LabApp.app_settings_dir={prefix / 'share' / 'jupyter' / 'lab' / 'settings'}"]
            + (["--allow-root"] if os.geteuid() == 0 else []),
            env=env, cwd=repo, stdout=subprocess.DEVNULL, stderr=log)
        base = f"http://127.0.0.1:{port}/"
        sampler = Sampler(server.pid)
        sampler.start()
        rows = []
        try:
            for _ in range(120):
                try:
                    kernels(base, token)
                    break
                except OSError:
                    if server.poll() is not None:
                        raise RuntimeError(f"JupyterLab did not start:\n{(tmp / 'server.log').read_text()[-3000:]}")
                    time.sleep(0.5)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page()
                for notebook in sorted((repo / "book").glob(args.notebooks)):
                    start = time.perf_counter()
                    page.goto(f"{base}lab/tree/book/{notebook.name}?token={token}")
                    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                                           " && window.jupyterapp.shell.currentWidget.sessionContext",
                                           timeout=120_000)
                    ran = page.evaluate(RUN_ALL)
                    if not args.keep_open:
                        page.evaluate("() => window.jupyterapp.shell.currentWidget.close()")
                        page.wait_for_timeout(3000)  # the shutdown request, and the kernel's exit
                    rows.append({"notebook": notebook.name, "seconds": time.perf_counter() - start,
                                 "errors": ran["errors"], "kernels_running": len(kernels(base, token)),
                                 "total_rss_mb_so_far": sampler.total_peak / 2**20})
                    print(json.dumps(rows[-1]), flush=True)
                browser.close()
        finally:
            sampler.running = False
            sampler.join()
            server.terminate()
            server.wait(30)
            log.close()
        kernel_peaks = {pid: rss for pid, rss in sampler.peaks.items() if "ipykernel" in sampler.names[pid]}
        for row, rss in zip(rows, kernel_peaks.values()):  # kernels start in chapter order
            row["kernel_peak_rss_mb"] = rss / 2**20
        result = {"closed_tabs": not args.keep_open, "binder_settings": not args.without_settings, "rows": rows,
                  "server_and_kernels_peak_rss_mb": sampler.total_peak / 2**20,
                  "server_peak_rss_mb": sampler.peaks.get(server.pid, 0) / 2**20}
        print(json.dumps(result, indent=1))
        return result


if __name__ == "__main__":
    main()
