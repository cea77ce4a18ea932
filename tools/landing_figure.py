"""Draw the landing page's figure, the dial at work, from the recorded seeds run.

    python tools/landing_figure.py    # writes book/_static/dtcart/dial.png

It plots what `python -m benchmarks --only seeds` recorded in dtcart/records.json: the mean return
the book's Decision Transformer achieved at each target, for every training seed and set of unseen
starts (Chapter 7 prints the same record, Chapter 6 its headline). Re-run it after re-recording that run.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from dtcart import records  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TARGETS = (100, 200, 300, 400, 500)  # the record's targets, in its "means" order
OUT = ROOT / "book" / "_static" / "dtcart" / "dial.png"


def main() -> None:
    rows = [r for r in records.load("seeds")["rows"]
            if r["data"] == "book"]
    with plt.rc_context({"font.size": 12}):
        fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=100)
        ax.plot([0, 550], [0, 550], "--", color="0.6", label="achieved = asked for")
        for i, row in enumerate(rows):
            ax.plot(TARGETS, row["means"], "o-", color="tab:blue", alpha=0.35, lw=1, ms=3,
                    label="one model, 60 unseen starts" if i == 0 else None)
        ax.set_xlabel("return asked for (target) [steps]")
        ax.set_ylabel("return achieved (mean) [steps]")
        ax.set_xlim(0, 550)
        ax.set_ylim(0, 550)
        ax.set_title(f"{len({r['seed'] for r in rows})} training seeds x "
                     f"{len({r['starts'] for r in rows})} sets of unseen starts")
        ax.legend(loc="upper left")
        ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(OUT)
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
