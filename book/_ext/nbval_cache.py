"""One execution of each notebook per test run: nbval executes it, the site build reuses it.

A pytest plugin, registered by the repository's ``conftest.py`` (``pytest_plugins``).

nbval runs every code cell of every ``book/*.ipynb`` on one kernel, as the test of the book: a cell
that raises (an ``assert`` of the prose) fails the suite with that cell's source and traceback. This
plugin records, beside nbval, what each cell put out: every message nbval reads from the kernel is
also handed to nbclient's own message handling (``NotebookClient.process_message``: outputs,
``clear_output``, display updates, widget state), the code nbclient runs when the build executes a
notebook itself. When every code cell of a notebook passed, the executed notebook is stored in the
build's jupyter-cache (``dtcart_cache.store``) the way myst-nb stores its own executions, so the
site build in ``tests/test_browser.py`` finds every notebook cached and executes none. A notebook
with a skipped or unselected cell is not stored (the build would execute it itself); one with a
failed cell is not stored, and an execution of the same code that a former run stored is removed.

Order: pytest-xdist (``--dist loadfile``, no reordering) hands out whole files in the order this
plugin sorts them: the notebooks first, longest first, then the files that need the built site,
then the other tests. The ``executed_notebooks`` fixture makes the site wait until each notebook
this session collected has been stored or has failed; every notebook was handed out before the
site's file, so it runs on the other worker or earlier on this one, never behind the wait, and the
other worker runs the unit tests while this one builds the site and reads it in the browser.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
import warnings
from pathlib import Path

import nbformat
import pytest

import dtcart_cache  # beside this file, in book/_ext (conftest.py puts it on the path)

ROOT = Path(__file__).resolve().parents[2]

CACHE = dtcart_cache.cache_path(ROOT)
# this session's notebook outcomes: one JSON file per notebook, shared by the xdist workers
STATUS_ENV = "DTCART_NOTEBOOK_STATUS"
WAIT_ENV = "DTCART_NOTEBOOK_WAIT"  # seconds the site waits for the notebooks (default 1800)
# each notebook's run time [s] in a fresh kernel on a quiet 2-core machine (python -m benchmarks
# --notebooks), to start the longest first: the site waits for the last notebook to end. An
# unlisted notebook counts as 30 s; the figures only balance the two workers.
NOTEBOOK_SECONDS = {"book/06_decision_transformer.ipynb": 45, "book/08_worth.ipynb": 40,
                    "book/05_block.ipynb": 32,
                    "book/appendix_performance.ipynb": 20, "book/02_control_and_data.ipynb": 16,
                    "book/04_multihead.ipynb": 12, "book/03_attention.ipynb": 11,
                    "book/01_physics.ipynb": 10}


def _nbval_cell(item) -> bool:
    return type(item).__name__ == "IPyNbCell" and hasattr(item, "cell_num")


def _status_dir() -> Path:
    return Path(os.environ[STATUS_ENV])


def _write_status(notebook: Path, status: str, detail: str = "") -> bool:
    """Record how a notebook ended this session: 'cached', 'failed' or 'not cached'. Only the first
    record counts; returns whether this was it."""
    if STATUS_ENV not in os.environ:
        return False
    name = notebook.resolve().relative_to(ROOT).as_posix()
    target = _status_dir() / (re.sub(r"[^\w.-]", "_", name) + ".json")
    if target.exists():
        return False
    scratch = target.with_suffix(".tmp")
    scratch.write_text(json.dumps({"notebook": name, "status": status, "detail": detail}))
    scratch.replace(target)
    return True


def read_statuses() -> dict[str, dict]:
    """notebook (path from the repository root) -> {status, detail}, as written so far."""
    statuses = {}
    for path in _status_dir().glob("*.json"):
        entry = json.loads(path.read_text())
        statuses[entry["notebook"]] = entry
    return statuses


def pytest_configure(config):
    if hasattr(config, "workerinput"):  # an xdist worker: the controller has set everything up
        return
    # executions made with another dtcart must not be reused (the build does the same)
    dtcart_cache.refresh_for_engine(CACHE)
    status = Path(tempfile.mkdtemp(prefix="dtcart-notebooks-"))
    os.environ[STATUS_ENV] = str(status)  # the workers xdist starts next inherit it
    config._dtcart_status = status


def pytest_unconfigure(config):
    status = getattr(config, "_dtcart_status", None)
    if status is not None:
        shutil.rmtree(status, ignore_errors=True)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    """Notebooks first (longest first), then every file that needs the built site, then the rest;
    each file's items stay together and in their order. Deterministic: xdist requires every worker
    to collect the same list."""
    files = {}  # file -> [group, weight, index of its first item]
    for index, item in enumerate(items):
        entry = files.setdefault(str(item.path), [2, 0.0, index])
        if _nbval_cell(item):
            name = item.path.resolve().relative_to(ROOT).as_posix()
            entry[:2] = 0, -NOTEBOOK_SECONDS.get(name, 30.0)
        elif {"site", "executed_notebooks"} & set(getattr(item, "fixturenames", ())):
            entry[0] = 1
    items.sort(key=lambda item: files[str(item.path)])  # stable: a file's items keep their order


class Recording:
    """A notebook's execution under nbval, recorded as nbclient would have recorded it."""

    def __init__(self, notebook_file):
        from nbclient import NotebookClient

        self.path = Path(str(notebook_file.fspath))
        self.nb = nbformat.read(self.path, as_version=4)
        self.cells = [cell for cell in self.nb.cells if cell.cell_type == "code"]
        self.indices = [i for i, cell in enumerate(self.nb.cells) if cell.cell_type == "code"]
        self.client = NotebookClient(self.nb, record_timing=False)
        self.client.reset_execution_trackers()
        kernel = notebook_file.kernel
        self.client.kc = kernel.kc  # the Output widget mimic syncs its state through it
        self.parents: dict[str, int] = {}  # execute request's msg_id -> code cell number
        self.current = None
        self.executed = 0
        self.passed: set[int] = set()
        self.broken = ""  # why this recording cannot be trusted (then it is not stored)
        self.start = time.perf_counter()
        self.nb.metadata["language_info"] = self._language_info(kernel)
        self._tap(kernel)

    @staticmethod
    def _language_info(kernel) -> dict:
        msg_id = kernel.kc.kernel_info()
        while True:
            reply = kernel.kc.get_shell_msg(timeout=60)
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply["content"]["language_info"]

    def _tap(self, kernel) -> None:
        """See every request nbval sends and every message it reads, and pass them on unchanged."""
        execute, get_message = kernel.execute_cell_input, kernel.get_message

        def execute_cell_input(source, allow_stdin=None):
            msg_id = execute(source, allow_stdin=allow_stdin)
            self.parents[msg_id] = self.current
            return msg_id

        def tapped_get_message(stream, timeout=None):
            msg = get_message(stream, timeout=timeout)
            if stream == "iopub":
                self._process(msg)
            return msg

        kernel.execute_cell_input = execute_cell_input
        kernel.get_message = tapped_get_message

    def _process(self, msg) -> None:
        from nbclient.exceptions import CellExecutionComplete

        number = self.parents.get(msg["parent_header"].get("msg_id"))
        if number is None or self.broken:
            return
        try:
            self.client.process_message(msg, self.cells[number], self.indices[number])
        except CellExecutionComplete:
            pass
        except Exception as error:  # never disturb nbval; just do not store this execution
            self.broken = f"recording cell {number}: {error!r}"

    def begin(self, number: int) -> None:
        """nbval is about to execute code cell ``number``."""
        self.current = number
        cell = self.cells[number]
        cell.outputs = []
        cell.execution_count = None
        self.client.clear_before_next_output = False

    def passed_cell(self, number: int) -> None:
        cell = self.cells[number]
        if cell.source.strip():  # nbclient numbers the cells it executes and skips empty ones
            self.executed += 1
            cell.execution_count = self.executed
            for output in cell.outputs:
                if output.output_type == "execute_result":
                    output.execution_count = self.executed
        self.passed.add(number)

    def why_not_storable(self) -> str:
        if self.broken:
            return self.broken
        missing = [n for n in range(len(self.cells)) if n not in self.passed]
        if missing:
            return f"code cells {missing} did not run and pass"
        errors = [n for n, cell in enumerate(self.cells) for out in cell.outputs
                  if out.output_type == "error" and "raises-exception" not in cell.metadata.get("tags", [])]
        return f"code cells {errors} show an error" if errors else ""

    def finish(self) -> tuple[str, str]:
        why = self.why_not_storable()
        if why:
            return "not cached", why
        self.client.set_widgets_metadata()
        pk = dtcart_cache.store(CACHE, self.nb, self.path, time.perf_counter() - self.start)
        return "cached", f"record {pk}"


def _last_cells(session) -> dict:
    """notebook collector -> the nodeid of its last cell in this session."""
    last = getattr(session, "_dtcart_last_cells", None)
    if last is None:
        last = {item.parent: item.nodeid for item in session.items if _nbval_cell(item)}
        session._dtcart_last_cells = last
    return last


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    if _nbval_cell(item) and getattr(item.parent, "kernel", None) is not None:
        recording = getattr(item.parent, "_dtcart_recording", None)
        if recording is None:
            try:
                recording = Recording(item.parent)
            except Exception as error:  # not recorded: the build will execute this notebook
                recording = False
                _write_status(item.path, "not cached", f"recording failed to start: {error!r}")
            item.parent._dtcart_recording = recording
        if recording:
            recording.begin(item.cell_num)
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if not _nbval_cell(item):
        return
    report = outcome.get_result()
    recording = getattr(item.parent, "_dtcart_recording", None)
    if report.failed:
        if recording:
            recording.broken = recording.broken or f"{item.nodeid} failed"
        if _write_status(item.path, "failed", f"{item.nodeid} failed ({report.when})"):
            # an execution a former run stored for the same code is no longer vouched for
            dtcart_cache.discard(CACHE, nbformat.read(item.path, as_version=4))
        return
    if report.when == "call" and report.passed and recording:
        recording.passed_cell(item.cell_num)
    last = _last_cells(item.session).get(item.parent) == item.nodeid
    if last and (report.when == "call" or (report.when == "setup" and report.skipped)):
        if recording:
            try:
                _write_status(item.path, *recording.finish())
            except Exception as error:
                _write_status(item.path, "not cached", f"storing failed: {error!r}")
        else:
            _write_status(item.path, "not cached", "no cell was recorded")


@pytest.fixture(scope="session")
def executed_notebooks(request) -> dict[str, dict]:
    """Wait until nbval has run every notebook this session collected, and return how each ended.

    Fails, naming them, when a notebook failed under nbval (its failing cell is reported by nbval)
    or when they are not done within $DTCART_NOTEBOOK_WAIT seconds (default 1800)."""
    if STATUS_ENV not in os.environ:
        return {}
    wanted = sorted({item.path.resolve().relative_to(ROOT).as_posix()
                     for item in request.session.items if _nbval_cell(item)})
    deadline = time.monotonic() + float(os.environ.get(WAIT_ENV, 1800))
    while True:
        statuses = read_statuses()
        failed = sorted(name for name, entry in statuses.items() if entry["status"] == "failed")
        if failed:
            pytest.fail(f"the site is not built: {', '.join(failed)} failed under nbval "
                        "(see the failing cell reported for it)", pytrace=False)
        missing = [name for name in wanted if name not in statuses]
        if not missing:
            for name, entry in sorted(statuses.items()):
                if entry["status"] == "not cached":  # the build executes it once more
                    warnings.warn(f"{name} was not stored for the build: {entry['detail']}")
            return statuses
        if time.monotonic() > deadline:
            pytest.fail(f"the site is not built: {', '.join(missing)} not run by nbval after "
                        f"{os.environ.get(WAIT_ENV, 1800)} s", pytrace=False)
        time.sleep(0.5)
