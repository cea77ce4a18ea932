"""The benchmark records the book prints: where they live, how they are read, when they are refused.

Some figures take too long to measure while a page runs (five training seeds, PPO, the whole test
suite), so ``python -m benchmarks --json`` records them in ``records.json`` beside this module. It is
package data: an installed ``dtcart`` (Colab's, not editable) finds it as a clone of the repository
does. A chapter reads its section with :func:`load`, which refuses a record made with other settings
than the code's, and picks rows out of it with :func:`row_of` and :func:`spread`.

    record = records.load("worth")        # raises RuntimeError when stale
    dt = records.row_of(record["learners"], learner="DT", seed=0, starts=777)
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np

from .checks import check_type, one_of, require

PATH = Path(__file__).with_suffix(".json")
# section -> the benchmark command that records it
COMMANDS = {
    "physics": "python -m benchmarks --only physics --json",
    "rollouts": "python -m benchmarks --only rollouts --json",
    "dt": "python -m benchmarks --only dt --json",
    "seeds": "python -m benchmarks --only seeds --ablation --json",
    "worth": "python -m benchmarks --only worth --json",
    "recipes": "python -m benchmarks --only recipes --json",
    "notebooks": "python -m benchmarks --only notebooks --json",
    "suite": "python -m benchmarks --only suite --json",
    "build": "python -m benchmarks --only build --json",
    "outside": "python -m benchmarks --only outside --json",
    "live": "python -m benchmarks --only live --json",
    "teaching": "python -m benchmarks --only teaching --json",
    "heads": "python -m benchmarks --only heads --json",
    "datasize": "python -m benchmarks --only datasize --json",
}


def read(path: str | Path = PATH) -> dict:
    """Every record in ``path`` (default: the package's), section by section; ``{}`` if none."""
    path = Path(path)
    return json.loads(path.read_text()) if path.exists() else {}


def _plain(value):
    """``value`` as it comes back from JSON (tuples become lists, keys strings)."""
    return json.loads(json.dumps(value))


def book_notebooks() -> list[str] | None:
    """The book's notebooks (file names) when ``dtcart`` runs from a clone of the repository; ``None``
    for an installed ``dtcart``, which has no book beside it to compare a record with."""
    book = Path(__file__).resolve().parents[1] / "book"
    return sorted(p.name for p in book.glob("*.ipynb")) if book.is_dir() else None


def stale(section: str, record: dict) -> str | None:
    """Why ``record`` does not hold for the code as it is now, or ``None`` when it does."""
    from . import compare, data, train

    if section == "seeds":
        made = (record["datasets"]["book"], record["model"], record["train"])
        now = (data.BOOK_DATA, train.DEFAULT_MODEL.to_dict(), asdict(train.DEFAULT_TRAIN))
        return None if _plain(made) == _plain(now) else "made with other data, model or training settings"
    if section == "heads":
        s = record["settings"]
        made = (s["model"], s["train"], s["book_data"], s["start_seeds"], s["test_seed"])
        now = (train.DEFAULT_MODEL.to_dict(), asdict(train.DEFAULT_TRAIN), data.BOOK_DATA,
               compare.START_SEEDS, compare.TEST_SEED)
        return None if _plain(made) == _plain(now) else "made with other data, model, training or starts"
    if section == "datasize":
        made = {k: v for k, v in record["settings"].items() if k != "sizes"}
        return None if made == _plain({**compare.settings(), "seeds": [0, 1, 2]}) else \
            "made with other compare.settings()"
    if section == "worth":
        return None if record["settings"] == _plain(compare.settings()) else \
            "made with other compare.settings()"
    if section in ("recipes", "teaching"):
        made = (record["settings"]["model"], record["settings"]["train"])
        now = (train.DEFAULT_MODEL.to_dict(), asdict(train.DEFAULT_TRAIN))
        return None if _plain(made) == _plain(now) else "made with another model or training setting"
    if section == "live":
        import hashlib

        from . import live

        script = hashlib.sha256(live.script().encode()).hexdigest()
        made = (record["model"], record["script_sha256"])
        now = (train.DEFAULT_MODEL.to_dict(), script)
        return None if _plain(made) == _plain(now) else "made with another model or live.js"
    if section in ("notebooks", "outside"):
        rows = record["rows"] if section == "outside" else record
        book = book_notebooks()
        if book is not None and sorted(row["notebook"] for row in rows) != book:
            return "it ran another set of notebooks than the book's"
    return None


def load(section: str, path: str | Path = PATH) -> dict:
    """One section of the records (a key of :data:`COMMANDS`), checked against the code.

    Raises ``LookupError`` when it was never recorded and ``RuntimeError`` when it is stale, each
    naming the command that records it.
    """
    one_of(section, "section", sorted(COMMANDS), ValueError if isinstance(section, str) else TypeError)
    record = read(path).get(section)
    command = COMMANDS[section]
    require(record is not None, f"no {section!r} record in {path}: run `{command}`", LookupError)
    why = stale(section, record)
    require(not why, f"the {section!r} record is stale ({why}): re-run `{command}`", RuntimeError)
    return record


def row_of(rows: list[dict], **fields) -> dict:
    """The one row of ``rows`` whose values match ``fields`` (e.g. ``learner="DT", seed=0``)."""
    found = _matching(rows, fields)
    require(len(found) == 1, f"fields {fields} must match one row of rows, not {len(found)}")
    return found[0]


def values(rows: list[dict], key: str, starts=None, **fields) -> np.ndarray:
    """``key`` of every row whose values match ``fields`` and, unless ``starts`` is None, whose start
    set is one of ``starts``: ``values(rows, "tracking", (2718,), learner="DT")``."""
    return np.array([row[key] for row in _matching(rows, fields)
                     if starts is None or row.get("starts") in starts])


def _matching(rows: list[dict], fields: dict) -> list[dict]:
    """The rows of ``rows`` (a list, else ``TypeError``) whose values match ``fields``."""
    check_type(rows, list, "rows")
    return [row for row in rows if all(row.get(k) == v for k, v in fields.items())]


def spread(rows: list[dict], key: str, by: str, groups) -> list[list]:
    """For each of ``groups``, the values of ``key`` in every row whose ``by`` is that group (every
    seed and start set of a learner, say): ``spread(rows, "tracking", "learner", ["DT", "BC"])``."""
    check_type(rows, list, "rows")
    return [[row[key] for row in rows if row[by] == group] for group in groups]
