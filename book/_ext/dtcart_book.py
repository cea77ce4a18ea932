"""Sphinx extension with the book's build fixes (loaded from _config.yml's ``local_extensions``).

1. Re-execute the notebooks when the dtcart engine changes. The build keeps executed notebooks in a
   jupyter-cache (``execute_notebooks: cache``) keyed on the notebooks' code only, so after an edit to
   ``dtcart/`` it would serve outputs computed by the old engine, and Sphinx would not even re-read a
   notebook whose file did not change. A hash of the engine's source is kept next to the cache; when it
   changes, the cache is emptied and every notebook is read (so executed) again.
2. Drop duplicate inline scripts. Sphinx 7.4 registers an inline script added after the builder starts
   twice (once as ``None``, once as ``""``); sphinx-thebe's ``const THEBE_JS_URL = ...`` then runs twice
   and every page throws "Identifier 'THEBE_JS_URL' has already been declared".
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from pybtex.plugin import register_plugin
from pybtex.style.formatting.alpha import Style as AlphaStyle
from pybtex.style.template import field, sentence
from sphinx.application import Sphinx
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)


def engine_hash() -> str:
    """SHA-256 over the source files of the dtcart package that the notebooks import."""
    import dtcart

    root = Path(dtcart.__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def invalidate_stale_cache(app: Sphinx) -> None:
    """Empty the execution cache if it was filled by a different dtcart."""
    config = getattr(app.env, "mystnb_config", None)
    if config is None or config.execution_mode != "cache" or not config.execution_cache_path:
        return
    cache = Path(config.execution_cache_path)
    stamp = cache.with_name(cache.name + ".dtcart-sha256")
    current = engine_hash()
    changed = not stamp.exists() or stamp.read_text().strip() != current
    if changed and cache.exists():
        LOGGER.info("dtcart changed since the notebooks were cached: re-executing them (%s emptied)", cache)
        shutil.rmtree(cache)
    app.env.dtcart_engine_changed = changed
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(current + "\n")


def reread_notebooks(app: Sphinx, env, added, changed, removed) -> list[str]:
    """After an engine change, mark every notebook outdated so Sphinx reads and executes it again."""
    if not getattr(env, "dtcart_engine_changed", False):
        return []
    return [doc for doc in env.found_docs if doc not in added and str(env.doc2path(doc)).endswith(".ipynb")]


def dedupe_scripts(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Keep the first of any scripts with the same source, body and attributes on a page."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        attributes = getattr(script, "attributes", {}) or {}
        source = getattr(script, "filename", str(script)) or ""
        key = (source, tuple(sorted((k, str(v)) for k, v in attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


class TitleCaseStyle(AlphaStyle):
    """pybtex's alpha style, keeping each title's capitalisation as written."""

    def format_title(self, e, which_field, as_sentence=True):
        title = field(which_field)
        return sentence[title] if as_sentence else title


def setup(app: Sphinx) -> dict:
    register_plugin("pybtex.style.formatting", "dtcart", TitleCaseStyle)
    # after myst-nb (priority 500) has resolved the cache path, before any notebook is read
    app.connect("builder-inited", invalidate_stale_cache, priority=900)
    app.connect("env-get-outdated", reread_notebooks)
    # after every extension has added its page scripts
    app.connect("html-page-context", dedupe_scripts, priority=999)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
