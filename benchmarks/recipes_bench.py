"""Could the book's Decision Transformer train in half the time? Recipes that
halve its compute, scored like Chapter 6's seeds.

Each recipe changes the book's model (``DEFAULT_MODEL``) or its training
(``DEFAULT_TRAIN``); each is trained with seeds 0-4 on the book's log and
scored on the three start sets by :func:`seeds_bench.run_log`, and its training
time is predicted from the time of one update (on one thread, every recipe
timed in the same process, the best of several rounds) times its updates.
``book`` is the recipe as it stands. About 15 minutes on one core;
``run(names=...)`` scores some recipes, ``timing()`` times them all, and
:func:`merge` joins the parts.
"""

from __future__ import annotations

from dataclasses import asdict, replace

from dtcart.data import BOOK_DATA, book_dataset
from dtcart.train import DEFAULT_MODEL, DEFAULT_TRAIN

from .dt_bench import train_rate, with_threads
from .seeds_bench import holds, run_log

# name -> (changes to DEFAULT_MODEL, changes to DEFAULT_TRAIN)
RECIPES = {
    "book": ({}, {}),
    "1000 updates": ({}, {"steps": 1000}),
    "1000 updates, lr 2e-3": ({}, {"steps": 1000, "lr": 2e-3}),
    "1000 updates, lr 3e-3": ({}, {"steps": 1000, "lr": 3e-3}),
    "one block": ({"n_layers": 1}, {}),
    "d = 16": ({"d_model": 16}, {}),
    "d = 16, K = 5": ({"d_model": 16, "context": 5}, {}),
}


def recipe(name: str):
    """``(DTConfig, TrainConfig)`` of one recipe."""
    model, train = RECIPES[name]
    return replace(DEFAULT_MODEL, **model), replace(DEFAULT_TRAIN, **train)


def settings() -> dict:
    """What a record must have been made with: the book's recipe and the
    recipes' changes."""
    return {"model": DEFAULT_MODEL.to_dict(), "train": asdict(DEFAULT_TRAIN),
            "recipes": {k: [m, t] for k, (m, t) in RECIPES.items()}}


def timing(rounds: int = 5, steps: int = 50) -> dict:
    """Seconds per update of each recipe, the best of ``rounds`` rounds that
    each time every recipe once, on one thread."""
    ds = book_dataset()
    best = {}
    for _ in range(rounds):
        for name in RECIPES:
            model, train = recipe(name)
            rate = with_threads(1, lambda: train_rate(ds, model, train, steps,
                                                      repeat=1))
            best[name] = min(best.get(name, float("inf")),
                             1 / rate["steps_per_s"])
    return {"update_s": best, "rounds": rounds, "steps": steps}


def run(names=tuple(RECIPES), seeds=range(5), n_starts: int = 60) -> dict:
    """Each recipe in ``names`` trained on the book's log with ``seeds``,
    scored on every start set: rows as :func:`seeds_bench.run_log`'s, with
    the recipe's name as their ``data``."""
    rows = [row for name in names
            for row in run_log(name, BOOK_DATA, seeds, n_starts, *recipe(name))]
    return {"rows": rows, "n_starts": n_starts, "settings": settings()}


def summary(rows: list, update_s: dict) -> dict:
    """Per recipe: its time per update [ms], its training time as a share of
    the book's, and its figures over every seed and start set."""
    book = update_s["book"] * recipe("book")[1].steps
    out = {}
    for name in RECIPES:
        mine = [r for r in rows if r["data"] == name]
        solved = [r["solved_500"] for r in mine]
        tracking = [r["tracking"] for r in mine]
        out[name] = {"update_ms": 1e3 * update_s[name],
                     "updates": recipe(name)[1].steps,
                     "time_share": update_s[name] * recipe(name)[1].steps / book,
                     "solved_min": min(solved),
                     "solved_mean": sum(solved) / len(solved),
                     "tracking_mean": sum(tracking) / len(tracking),
                     "tracking_max": max(tracking),
                     "all_hold": all(holds(r) for r in mine)}
    return out


def merge(*records: dict) -> dict:
    """One record from parts made with one setting: their rows, the one
    part's timing, and the :func:`summary` of every recipe."""
    if any(r["settings"] != records[0]["settings"] for r in records):
        raise ValueError("the records were made with different settings")
    merged = {"rows": [], "n_starts": records[0]["n_starts"],
              "settings": records[0]["settings"]}
    for r in records:
        merged["rows"] += r.get("rows", [])
        if "timing" in r:
            merged["timing"] = r["timing"]
    merged["summary"] = summary(merged["rows"],
                                merged["timing"]["update_s"])
    return merged


def everything() -> dict:
    """Every recipe scored, then timed: the whole record."""
    return merge(run(), {"timing": timing(), "settings": settings()})
