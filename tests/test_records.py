"""dtcart.records: the benchmark records ship inside the package, and a stale one is refused."""

import json
import shutil
import subprocess
import sys
import zipfile
from dataclasses import asdict
from pathlib import Path

import pytest

from dtcart import compare, data, records, train

ROOT = Path(__file__).resolve().parents[1]


def test_the_records_are_package_data(tmp_path):
    """A wheel (what a non-editable install, Colab's, installs) carries records.json beside the module."""
    assert records.PATH.parent == Path(records.__file__).parent and records.PATH.exists()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    for package in ("dtcart", "benchmarks"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path / "dist"), str(tmp_path)], check=True, capture_output=True)
    wheel, = (tmp_path / "dist").glob("dtcart-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "dtcart/records.json" in names and "dtcart/live.js" in names
    assert "benchmarks/timing.py" in names  # the appendix times with it


def _write(tmp_path, **sections) -> Path:
    path = tmp_path / "records.json"
    path.write_text(json.dumps(sections))
    return path


def test_load_returns_a_current_record_and_refuses_a_stale_one(tmp_path):
    seeds = {"datasets": {"book": dict(data.BOOK_DATA)}, "model": train.DEFAULT_MODEL.to_dict(),
             "train": asdict(train.DEFAULT_TRAIN), "rows": []}
    path = _write(tmp_path, worth={"settings": compare.settings(), "ppo": []}, seeds=seeds,
                  recipes={"settings": {"model": {}, "train": {}}})
    assert records.load("worth", path)["ppo"] == []
    assert records.load("seeds", path)["rows"] == []
    with pytest.raises(RuntimeError, match="--only recipes"):
        records.load("recipes", path)
    seeds["train"]["steps"] += 1
    with pytest.raises(RuntimeError, match="--only seeds"):
        records.load("seeds", _write(tmp_path, seeds=seeds))
    with pytest.raises(LookupError, match="--only worth"):
        records.load("worth", tmp_path / "none.json")


def test_a_record_of_other_notebooks_is_stale():
    book = records.book_notebooks()
    assert "01_physics.ipynb" in book
    rows = [{"notebook": name, "seconds": 1.0} for name in book]
    assert records.stale("outside", {"rows": rows}) is None
    assert "notebooks" in records.stale("outside", {"rows": rows[1:]})


def test_row_of_and_spread():
    rows = [{"learner": "DT", "seed": s, "tracking": 0.1 * s} for s in range(3)] + \
        [{"learner": "BC", "seed": 0, "tracking": None}]
    assert records.row_of(rows, learner="DT", seed=2)["tracking"] == pytest.approx(0.2)
    with pytest.raises(ValueError, match="fields"):
        records.row_of(rows, learner="DT")  # three rows, not one
    with pytest.raises(ValueError, match="fields"):
        records.row_of(rows, learner="PPO")
    assert records.spread(rows, "seed", "learner", ["BC", "DT"]) == [[0], [0, 1, 2]]


@pytest.mark.parametrize("call", [lambda: records.load("nope"), lambda: records.load(3),
                                  lambda: records.row_of("rows", seed=0),
                                  lambda: records.spread(None, "seed", "learner", [])])
def test_bad_input_is_refused_with_a_clear_error(call):
    with pytest.raises((TypeError, ValueError), match="section|rows"):
        call()
