"""The book's execution cache, shared by the site build and the test suite (no Sphinx imports).

The build (``execute_notebooks: cache``) keeps executed notebooks in a jupyter-cache at
``_build/.jupyter_cache``, keyed on each notebook's code cells and kernelspec only. Two things
use it: ``dtcart_book`` (the build's extension) and the repository's ``conftest.py``, which stores
every notebook that passed under nbval there, so that the build reuses that execution instead of
running the notebook a second time.

* The key ignores the dtcart engine, so an execution made with another engine would be served after
  an edit to ``dtcart/``. A SHA-256 of the engine's source is kept beside the cache
  (``.jupyter_cache.dtcart-sha256``); :func:`refresh_for_engine` empties the cache when it differs.
* Several processes may write (two pytest-xdist workers, a build): every write holds
  :func:`locked`, an exclusive ``flock`` on ``.jupyter_cache.lock``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import shutil
from pathlib import Path
from typing import Iterator

import yaml


def cache_path(root: Path) -> Path:
    """Where the README's build keeps executions: _config.yml's ``execute.cache``, else
    ``_build/.jupyter_cache`` (Jupyter Book's default for a build into ``_build``)."""
    config = yaml.safe_load((root / "_config.yml").read_text()) or {}
    configured = (config.get("execute") or {}).get("cache")
    return (root / configured) if configured else root / "_build" / ".jupyter_cache"


def engine_hash() -> str:
    """SHA-256 over the dtcart package's sources and the data it ships (its records and the live
    element's script), found without importing it."""
    spec = importlib.util.find_spec("dtcart")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("dtcart is not installed: pip install -e . from the repository root")
    root = Path(list(spec.submodule_search_locations)[0]).resolve()
    digest = hashlib.sha256()
    files = (p for p in root.rglob("*") if p.suffix in (".py", ".json", ".js", ".css"))
    for path in sorted(files):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _sibling(cache: Path, suffix: str) -> Path:
    return cache.with_name(cache.name + suffix)


@contextlib.contextmanager
def locked(cache: Path) -> Iterator[None]:
    """Hold the cache's write lock (blocking) for the duration of the ``with`` block."""
    lock = _sibling(cache, ".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def refresh_for_engine(cache: Path) -> bool:
    """Empty ``cache`` if it was filled by another dtcart; returns whether the engine changed."""
    stamp = _sibling(cache, ".dtcart-sha256")
    current = engine_hash()
    with locked(cache):
        changed = not stamp.exists() or stamp.read_text().strip() != current
        if changed and cache.exists():
            shutil.rmtree(cache)
        stamp.write_text(current + "\n")
    return changed


def store(cache: Path, notebook, path: Path, seconds: float) -> int:
    """Cache an executed ``notebook`` (an nbformat node with outputs) read from ``path``; returns
    the record's primary key. It is stored the way myst-nb stores its own executions, so the
    build's ``match_cache_notebook`` finds it."""
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    with locked(cache):
        bundle = CacheBundleIn(notebook, str(Path(path).resolve()), data={"execution_seconds": seconds})
        record = get_cache(str(cache)).cache_notebook_bundle(bundle, check_validity=False, overwrite=True)
        return record.pk


def record_for(cache: Path, notebook):
    """The cache record matching ``notebook`` (its code and kernelspec), or None."""
    if not cache.exists():
        return None
    from jupyter_cache import get_cache

    try:
        return get_cache(str(cache)).match_cache_notebook(notebook)
    except KeyError:
        return None


def discard(cache: Path, notebook) -> None:
    """Remove any execution of ``notebook`` (its code and kernelspec) from the cache."""
    with locked(cache):
        record = record_for(cache, notebook)
        if record is not None:
            from jupyter_cache import get_cache

            get_cache(str(cache)).remove_cache(record.pk)
