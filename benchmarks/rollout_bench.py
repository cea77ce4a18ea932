"""Episodes per second of the heuristic's batched rollouts, and the time to build the book's dataset."""

from __future__ import annotations

from dtcart.control import heuristic, random_initial_states, rollout
from dtcart.data import make_dataset

from .timing import best_time

BATCHES = (1, 100, 1000)


def run(batches=BATCHES, repeat: int = 3) -> dict:
    """``rows``: episodes/s and cart-steps/s of ``rollout(heuristic(24), ...)`` (every episode lasts 500
    steps at K = 24 N/rad from Gymnasium's starts); ``dataset_s``: best wall time of ``make_dataset()``."""
    rows = []
    for n in batches:
        starts = random_initial_states(n, seed=0)
        steps = int(rollout(heuristic(24.0), starts).lengths.sum())
        seconds = best_time(lambda: rollout(heuristic(24.0), starts), repeat=repeat)
        rows.append({"batch": n, "episodes_per_s": n / seconds, "cart_steps_per_s": steps / seconds})
    dataset = make_dataset()
    return {"rows": rows, "dataset_s": best_time(make_dataset, repeat=repeat),
            "dataset_episodes": len(dataset), "dataset_steps": int(dataset.lengths.sum())}
