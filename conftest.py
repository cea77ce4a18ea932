"""The repository's pytest setup: the plugin that executes each notebook once
per run and stores it for the site build (book/_ext/nbval_cache.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "book" / "_ext"))
pytest_plugins = ["nbval_cache"]
