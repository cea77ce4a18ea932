"""Sphinx extension with the book's build fixes (loaded from _config.yml's ``local_extensions``).

1. Re-read a notebook whenever its execution in the cache changed. The build keeps executed notebooks
   in a jupyter-cache (``execute_notebooks: cache``, see ``dtcart_cache``) keyed on the notebooks'
   code only. After an edit to ``dtcart/`` the cache is emptied (a hash of the engine's source is kept
   next to it), and the test suite stores each notebook nbval executed there; but Sphinx re-reads only
   notebooks whose file changed. So each notebook page remembers the cache record it was rendered
   from, and is read again (from the cache, or executed when it has no record) when that record is
   gone or replaced.
2. Drop duplicate inline scripts. Sphinx 7.4 registers an inline script added after the builder starts
   twice (once as ``None``, once as ``""``); sphinx-thebe's ``const THEBE_JS_URL = ...`` then runs twice
   and every page throws "Identifier 'THEBE_JS_URL' has already been declared".
3. The repository's address is one setting, ``_config.yml``'s ``repository.url``: the landing page's
   links to it (the MyST substitutions ``{{ repository_link }}`` and ``{{ binder_link }}``) are made
   from it by ``tools/links.py``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
from pybtex.plugin import register_plugin
from pybtex.style.formatting.alpha import Style as AlphaStyle
from pybtex.style.template import field, sentence
from sphinx.application import Sphinx
from sphinx.util import logging

import dtcart_cache

LOGGER = logging.getLogger(__name__)


def execution_cache(app: Sphinx) -> Path | None:
    """The build's jupyter-cache folder, or None when the build does not execute through one."""
    config = getattr(app.env, "mystnb_config", None)
    if config is None or config.execution_mode != "cache" or not config.execution_cache_path:
        return None
    return Path(config.execution_cache_path)


def invalidate_stale_cache(app: Sphinx) -> None:
    """Empty the execution cache if it was filled by a different dtcart."""
    cache = execution_cache(app)
    if cache is not None and dtcart_cache.refresh_for_engine(cache):
        LOGGER.info("dtcart changed since the notebooks were cached: re-executing them (%s emptied)", cache)


def _record_key(app: Sphinx, docname: str) -> tuple | None:
    """(primary key, creation time) of the cache record matching the notebook behind ``docname``."""
    cache = execution_cache(app)
    path = Path(app.env.doc2path(docname))
    if cache is None or path.suffix != ".ipynb":
        return None
    record = dtcart_cache.record_for(cache, nbformat.read(path, as_version=4))
    return None if record is None else (record.pk, record.created.isoformat())


def remember_record(app: Sphinx, doctree) -> None:
    """After a notebook was read (executed or taken from the cache), note which record it shows."""
    docname = app.env.docname
    key = _record_key(app, docname)
    if key is not None:
        records = getattr(app.env, "dtcart_cache_records", {})
        records[docname] = key
        app.env.dtcart_cache_records = records


def reread_notebooks(app: Sphinx, env, added, changed, removed) -> list[str]:
    """Every notebook whose page was rendered from another execution than the cache now holds."""
    if execution_cache(app) is None:
        return []
    records = getattr(env, "dtcart_cache_records", {})
    return [doc for doc in env.found_docs if doc not in added and doc not in changed
            and str(env.doc2path(doc)).endswith(".ipynb")
            and (doc not in records or records[doc] != _record_key(app, doc))]


def merge_records(app: Sphinx, env, docnames, other) -> None:
    """Parallel reads: keep the records the other process noted."""
    records = getattr(env, "dtcart_cache_records", {})
    records.update({doc: key for doc, key in getattr(other, "dtcart_cache_records", {}).items()
                    if doc in docnames})
    env.dtcart_cache_records = records


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


def repository_links(app: Sphinx, config) -> None:
    """MyST substitutions for the links to the repository, from _config.yml's repository.url."""
    spec = importlib.util.spec_from_file_location(
        "dtcart_links", Path(app.confdir) / "tools" / "links.py")
    links = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(links)
    url, branch = links.repository(Path(app.confdir) / "_config.yml")
    config.myst_substitutions = {
        **config.myst_substitutions,
        "repository_link": f"[repository]({url})",
        "binder_link": f"[mybinder.org]({links.binder_url('book', url, branch)})",
    }


def setup(app: Sphinx) -> dict:
    register_plugin("pybtex.style.formatting", "dtcart", TitleCaseStyle)
    app.connect("config-inited", repository_links)
    # after myst-nb (priority 500) has resolved the cache path, before any notebook is read
    app.connect("builder-inited", invalidate_stale_cache, priority=900)
    app.connect("env-get-outdated", reread_notebooks)
    app.connect("doctree-read", remember_record)
    app.connect("env-merge-info", merge_records)
    # after every extension has added its page scripts
    app.connect("html-page-context", dedupe_scripts, priority=999)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
