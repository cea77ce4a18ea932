"""dtcart.data: returns-to-go, the mixed-quality dataset, and its .npz storage."""

import dataclasses
import zipfile

import numpy as np
import pytest

from dtcart.control import critical_gain, heuristic, rollout
from dtcart.data import FORMAT_VERSION, Dataset, load_dataset, make_dataset, returns_to_go, save_dataset

FIELDS = [f.name for f in dataclasses.fields(Dataset)]


@pytest.fixture(scope="module")
def small():
    return make_dataset(seed=1, n_episodes=40)


@pytest.fixture(scope="module")
def dropped():
    return make_dataset(seed=3, n_episodes=60, drop_share=0.5, action_noise=0.25)


def assert_same(a, b):
    for name in FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and x.shape == y.shape, name
        np.testing.assert_array_equal(x, y, err_msg=name)


def test_returns_to_go():
    np.testing.assert_array_equal(returns_to_go([1, 1, 1, 0, 0]), [3, 2, 1, 0, 0])
    np.testing.assert_allclose(returns_to_go([0.5, -1.0, 2.0]), [1.5, 1.0, 2.0])
    r = np.random.default_rng(0).normal(size=(3, 2, 7))
    rtg = returns_to_go(r)
    assert rtg.shape == r.shape
    np.testing.assert_allclose(rtg[..., 0], r.sum(axis=-1))
    np.testing.assert_allclose(rtg[..., :-1] - rtg[..., 1:], r[..., :-1])
    np.testing.assert_array_equal(rtg[..., -1], r[..., -1])


@pytest.mark.parametrize("bad", [3.0, [1.0, np.nan], [np.inf], ["a", "b"]])
def test_returns_to_go_rejects_bad_rewards(bad):
    with pytest.raises(ValueError, match="rewards"):
        returns_to_go(bad)


def test_dataset_shapes_and_consistency(small):
    n, t = 40, 500
    assert len(small) == n and small.max_steps == t
    assert small.states.shape == (n, t + 1, 4) and small.actions.shape == (n, t) and small.rewards.shape == (n, t)
    assert small.lengths.shape == (n,) and small.gains.shape == (n,)
    np.testing.assert_array_equal(small.returns, small.lengths)
    np.testing.assert_array_equal(small.rtg[:, 0], small.returns)
    assert small.rtg.shape == (n, t)


def test_dataset_is_the_heuristic_rollout(small):
    run = rollout(heuristic(small.gains), small.states[:, 0])
    np.testing.assert_array_equal(run.states, small.states)
    np.testing.assert_array_equal(run.actions, small.actions)
    np.testing.assert_array_equal(run.lengths, small.lengths)


def test_make_dataset_is_deterministic_by_seed():
    a, b = make_dataset(seed=5, n_episodes=30), make_dataset(seed=5, n_episodes=30)
    assert_same(a, b)
    assert not np.array_equal(a.gains, make_dataset(seed=6, n_episodes=30).gains)
    noisy = make_dataset(seed=5, n_episodes=30, action_noise=2.0)
    assert_same(noisy, make_dataset(seed=5, n_episodes=30, action_noise=2.0))
    assert not np.array_equal(noisy.actions, a.actions)


def test_action_noise_records_the_applied_forces():
    ds = make_dataset(seed=2, n_episodes=20, action_noise=3.0)
    residual = ds.actions - ds.gains[:, None] * ds.states[:, :-1, 0]
    steps = np.arange(ds.max_steps) < ds.lengths[:, None]
    assert 2.0 < residual[steps].std() < 4.0
    run = rollout(lambda s, it=iter(ds.actions.T): next(it), ds.states[:, 0])
    np.testing.assert_array_equal(run.states, ds.states)


def test_default_dataset_has_mixed_quality():
    ds = make_dataset()
    returns = ds.returns
    short = (returns < 100).mean()
    middling = ((returns >= 100) & (returns < 500)).mean()
    solved = (returns == 500).mean()
    assert min(short, middling, solved) > 0.1, (short, middling, solved)
    assert (ds.gains < critical_gain()).any() and (ds.gains > critical_gain()).any()


def test_no_drops_unless_asked(small):
    np.testing.assert_array_equal(small.drop_steps, np.full(len(small), small.max_steps))
    np.testing.assert_array_equal(small.drop_gains, small.gains)
    assert small.drop_steps.dtype == np.int64


def test_a_dropped_gain_is_the_heuristic_with_a_gain_schedule(dropped):
    drops = dropped.drop_steps < dropped.max_steps
    assert 0.3 < drops.mean() < 0.7
    assert (dropped.drop_gains[drops] >= 0.0).all() and (dropped.drop_gains[drops] <= 10.0).all()
    assert (dropped.drop_steps[drops] < 0.8 * dropped.max_steps).all()
    np.testing.assert_array_equal(dropped.drop_gains[~drops], dropped.gains[~drops])
    t = np.arange(dropped.max_steps)
    schedule = np.where(t[None, :] < dropped.drop_steps[:, None], dropped.gains[:, None], dropped.drop_gains[:, None])
    residual = dropped.actions - schedule * dropped.states[:, :-1, 0]
    steps = t < dropped.lengths[:, None]
    assert 0.2 < residual[steps].std() < 0.3  # what is left is the 0.25 N action noise
    # a drop before the natural end ends the episode by a fall, within 100 steps of the drop
    early = drops & (dropped.drop_steps + 100 < dropped.max_steps)
    last = dropped.states[np.arange(len(dropped)), dropped.lengths]
    assert early.sum() > 10
    assert (dropped.lengths[early] <= dropped.drop_steps[early] + 100).all()
    ended = early & (dropped.lengths > dropped.drop_steps)
    assert (np.abs(last[ended, 0]) > 0.2).all()


def test_drops_keep_the_rest_of_the_draws():
    """The default (no drops) dataset is unchanged by the drop option's existence; drops are seeded."""
    assert_same(make_dataset(seed=4, n_episodes=30, drop_share=0.4),
                make_dataset(seed=4, n_episodes=30, drop_share=0.4))
    a, b = make_dataset(seed=4, n_episodes=30), make_dataset(seed=4, n_episodes=30, drop_share=0.4)
    np.testing.assert_array_equal(a.gains, b.gains)
    np.testing.assert_array_equal(a.states[:, 0], b.states[:, 0])


@pytest.mark.parametrize("kwargs", [dict(drop_share=-0.1), dict(drop_share=1.5), dict(drop_share=np.nan),
                                    dict(drop_gain_range=(10.0, 25.0)), dict(drop_gain_range=(12.0, 8.0)),
                                    dict(drop_gain_range="low")])
def test_make_dataset_rejects_bad_drops(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        make_dataset(n_episodes=5, **kwargs)


@pytest.mark.parametrize("kwargs", [dict(n_episodes=0), dict(n_episodes=2.5), dict(n_episodes=True),
                                    dict(gain_range=(30.0, 10.0)), dict(gain_range=(np.nan, 1.0)),
                                    dict(gain_range=5.0), dict(start_scale=-0.1), dict(start_scale=np.inf),
                                    dict(action_noise=-1.0), dict(action_noise="big"), dict(max_steps=0)])
def test_make_dataset_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        make_dataset(**kwargs)


def test_dataset_rejects_mismatched_arrays(small):
    arrays = {name: getattr(small, name) for name in FIELDS}
    with pytest.raises(ValueError, match="lengths"):
        Dataset(**{**arrays, "lengths": arrays["lengths"][:-1]})
    with pytest.raises(ValueError, match="states"):
        Dataset(**{**arrays, "states": arrays["states"][:, :-1]})
    with pytest.raises(ValueError, match="lengths"):
        Dataset(**{**arrays, "lengths": arrays["lengths"].astype(float)})
    with pytest.raises(ValueError, match="add up"):
        Dataset(**{**arrays, "lengths": arrays["lengths"] - 1})
    with pytest.raises(ValueError, match="finite"):
        Dataset(**{**arrays, "gains": np.full_like(arrays["gains"], np.nan)})
    with pytest.raises(ValueError, match="drop_steps"):
        Dataset(**{**arrays, "drop_steps": arrays["drop_steps"] + 1})
    with pytest.raises(ValueError, match="drop_gains"):
        Dataset(**{**arrays, "drop_gains": arrays["drop_gains"][:-1]})


def test_round_trip_is_exact(small, dropped, tmp_path):
    path = tmp_path / "data"  # no suffix: the file is written at exactly this path
    save_dataset(dropped, path)
    assert path.exists() and not (tmp_path / "data.npz").exists()
    assert_same(load_dataset(path), dropped)
    save_dataset(small, path)
    assert_same(load_dataset(path), small)
    save_dataset(small, str(path))  # overwriting works and leaves no temporary file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_save_rejects_non_datasets(tmp_path):
    with pytest.raises(TypeError, match="Dataset"):
        save_dataset({"states": np.zeros(3)}, tmp_path / "x.npz")


def test_truncated_file(small, tmp_path):
    path = tmp_path / "d.npz"
    save_dataset(small, path)
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 10, 100, 0):
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError, match="cannot read"):
            load_dataset(path)


def test_corrupt_bytes_inside_the_archive(small, tmp_path):
    path = tmp_path / "d.npz"
    save_dataset(small, path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="cannot read"):
        load_dataset(path)


def test_random_bytes_and_other_files(tmp_path):
    path = tmp_path / "noise.npz"
    path.write_bytes(np.random.default_rng(0).bytes(5000))
    with pytest.raises(ValueError, match="cannot read"):
        load_dataset(path)
    np.save(tmp_path / "one.npy", np.zeros(3))
    with pytest.raises(ValueError, match="single array"):
        load_dataset(tmp_path / "one.npy")
    with pytest.raises(FileNotFoundError):
        load_dataset(tmp_path / "absent.npz")


def test_npz_with_missing_arrays_or_another_version(small, tmp_path):
    arrays = {name: getattr(small, name) for name in FIELDS}
    path = tmp_path / "d.npz"
    np.savez(path, format_version=np.array(FORMAT_VERSION), **{k: v for k, v in arrays.items() if k != "gains"})
    with pytest.raises(ValueError, match="missing arrays.*gains"):
        load_dataset(path)
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="format_version"):
        load_dataset(path)
    for version in (np.array(FORMAT_VERSION + 1), np.array("1"), np.array([FORMAT_VERSION])):
        np.savez(path, format_version=version, **arrays)
        with pytest.raises(ValueError, match="format"):
            load_dataset(path)
    np.savez(path, format_version=np.array(FORMAT_VERSION), **{**arrays, "rewards": arrays["rewards"][:3]})
    with pytest.raises(ValueError, match="rewards"):
        load_dataset(path)
    np.savez(path, format_version=np.array(FORMAT_VERSION), **{**arrays, "gains": arrays["gains"].astype(object)})
    with pytest.raises(ValueError, match="cannot read"):
        load_dataset(path)


def test_a_version_1_file_still_loads(small, tmp_path):
    """Version 1 had no drop arrays: such a file loads as a dataset without drops."""
    path = tmp_path / "v1.npz"
    np.savez(path, format_version=np.array(1), **{k: getattr(small, k) for k in FIELDS[:5]})
    assert_same(load_dataset(path), small)
    np.savez(path, format_version=np.array(FORMAT_VERSION), **{k: getattr(small, k) for k in FIELDS[:5]})
    with pytest.raises(ValueError, match="missing arrays.*drop_steps"):
        load_dataset(path)


def test_a_plain_zip_is_not_a_dataset(tmp_path):
    path = tmp_path / "d.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(ValueError, match="missing arrays"):
        load_dataset(path)
