"""dtcart.train: window sampling, a tiny model that overfits, checkpoints; dtcart.baselines."""

import numpy as np
import pytest
import torch

from dtcart.baselines import top_episodes, train_bc
from dtcart.data import make_dataset
from dtcart.model import DecisionTransformer, DTConfig
from dtcart.train import (TrainConfig, WindowSampler, dt_loss, fit, fit_scalings, load_checkpoint, lr_factor,
                          save_checkpoint, train_dt)

TINY = DTConfig(d_model=16, n_layers=1, n_heads=2, context=4, max_timestep=500)


@pytest.fixture(scope="module")
def ds():
    return make_dataset(seed=3, n_episodes=12)


def test_windows_come_from_inside_episodes(ds):
    batch = WindowSampler(ds, 4).sample(np.random.default_rng(0), 200)
    assert batch["states"].shape == (200, 4, 4) and batch["returns_to_go"].shape == (200, 4, 1)
    assert batch["actions"].shape == (200, 4, 1) and batch["timesteps"].dtype == torch.long
    steps = batch["timesteps"]
    assert torch.all(steps[:, 1:] - steps[:, :-1] == 1)
    # inside an episode every step earns 1, so the return-to-go falls by exactly 1 per step
    # and stays >= 1: no window runs past an episode's end
    rtg = batch["returns_to_go"][..., 0]
    assert torch.all(rtg[:, :-1] - rtg[:, 1:] == 1) and torch.all(rtg >= 1)


def test_fit_scalings(ds):
    c = fit_scalings(ds, TINY)
    assert c.rtg_scale == ds.returns.max() and c.d_model == TINY.d_model
    assert c.action_scale > 0 and all(s > 0 for s in c.state_std)


def test_lr_warmup_then_decay():
    train = TrainConfig(steps=100, warmup=10)
    f = [lr_factor(s, train) for s in range(100)]
    assert f[0] == pytest.approx(0.1) and f[9] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(f[10:], f[11:])) and f[-1] >= 0.1


def test_a_tiny_model_overfits_a_tiny_batch(ds):
    torch.manual_seed(0)
    model = DecisionTransformer(config=fit_scalings(ds, TINY))
    batch = WindowSampler(ds, 4).sample(np.random.default_rng(0), 4)
    losses = fit(model, lambda rng, n: batch, dt_loss, TrainConfig(steps=80, warmup=5, lr=1e-2))
    assert losses[-1] < 0.02 * losses[0]


def test_training_is_deterministic_and_returns_an_eval_model(ds):
    train = TrainConfig(steps=5, warmup=2)
    (m1, l1), (m2, l2) = (train_dt(ds, TINY, train, seed=1) for _ in range(2))
    np.testing.assert_array_equal(l1, l2)
    assert not m1.training and l1.shape == (5,)


def test_weight_averaging_ends_between_the_start_and_the_last_weights(ds):
    torch.manual_seed(0)
    model = DecisionTransformer(config=fit_scalings(ds, TINY))
    start = [p.detach().clone() for p in model.parameters()]
    batch = WindowSampler(ds, 4).sample(np.random.default_rng(0), 4)
    fit(model, lambda rng, n: batch, dt_loss, TrainConfig(steps=3, warmup=1, average=0.5))
    torch.manual_seed(0)
    plain = DecisionTransformer(config=fit_scalings(ds, TINY))
    fit(plain, lambda rng, n: batch, dt_loss, TrainConfig(steps=3, warmup=1))
    moved_avg = sum(float((p.detach() - s).abs().sum()) for p, s in zip(model.parameters(), start))
    moved_last = sum(float((p.detach() - s).abs().sum()) for p, s in zip(plain.parameters(), start))
    assert 0 < moved_avg < moved_last


def test_checkpoint_round_trip_is_exact(ds, tmp_path):
    model, _ = train_dt(ds, TINY, TrainConfig(steps=3, warmup=1), seed=0)
    save_checkpoint(model, tmp_path / "dt.pt")
    loaded = load_checkpoint(tmp_path / "dt.pt")
    assert loaded.config == model.config and not loaded.training
    for (k, v), (k2, v2) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert k == k2 and torch.equal(v, v2)
    batch = WindowSampler(ds, 4).sample(np.random.default_rng(0), 3)
    args = (batch["returns_to_go"], batch["states"], batch["actions"], batch["timesteps"])
    torch.testing.assert_close(loaded(*args), model(*args), rtol=0, atol=0)


def test_corrupt_and_foreign_checkpoints(ds, tmp_path):
    model, _ = train_dt(ds, TINY, TrainConfig(steps=1, warmup=1), seed=0)
    good = tmp_path / "dt.pt"
    save_checkpoint(model, good)
    data = good.read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint at all")
    torch.save({"weights": torch.zeros(3)}, tmp_path / "foreign.pt")
    torch.save(torch.nn.Linear(2, 2).state_dict(), tmp_path / "state_dict.pt")
    for name in ("cut.pt", "junk.pt", "foreign.pt", "state_dict.pt"):
        with pytest.raises(ValueError, match="checkpoint"):
            load_checkpoint(tmp_path / name)
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "missing.pt")
    with pytest.raises(TypeError):
        save_checkpoint(torch.nn.Linear(2, 2), tmp_path / "x.pt")


def test_bad_training_arguments(ds):
    with pytest.raises(ValueError, match="steps"):
        TrainConfig(steps=0)
    with pytest.raises(ValueError, match="lr"):
        TrainConfig(lr=-1.0)
    with pytest.raises(ValueError, match="average"):
        TrainConfig(average=1.0)
    with pytest.raises(TypeError, match="Dataset"):
        train_dt("data", TINY)
    with pytest.raises(ValueError, match="context"):
        WindowSampler(ds, 501)


def test_filtered_bc_keeps_the_best_episodes(ds):
    keep = top_episodes(ds, 0.25)
    assert len(keep) == 3 and ds.returns[keep].min() >= np.sort(ds.returns)[-3]
    with pytest.raises(ValueError, match="fraction"):
        top_episodes(ds, 0.0)
    model, losses = train_bc(ds, 0.5, TrainConfig(steps=30, warmup=5), seed=0)
    assert losses.shape == (30,) and np.isfinite(losses).all()
    assert model.policy()(np.zeros((2, 4))).shape == (2,)


def test_train_dt_checks_its_config(ds):
    with pytest.raises(TypeError, match="TrainConfig"):
        train_dt(ds, TINY, train={"steps": 3})
