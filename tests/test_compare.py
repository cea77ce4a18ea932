"""dtcart.compare: every learner trains and is scored the same way; RvS's
countdown; the settings a record must match."""

import json

import numpy as np
import pytest
import torch

from dtcart import baselines, compare, control, data, train
from dtcart.model import DecisionTransformer


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def ds():
    return data.make_dataset(n_episodes=60, **data.BOOK_DATA)


def test_rvs_reads_the_return_to_go_and_counts_it_down(ds):
    quick = train.TrainConfig(steps=20, batch_size=64, warmup=2)
    rvs, losses = baselines.train_rvs(ds, quick)
    assert rvs.conditioned and losses.shape == (20,)
    seen = []
    forward = rvs.forward
    rvs.forward = lambda x: (seen.append(x[:, 4].clone()), forward(x))[1]
    control.rollout(rvs.policy(np.array([7.0, 9.0])), np.zeros((2, 4)),
                    max_steps=3)
    assert [s.tolist() for s in seen] == [[7, 9], [6, 8], [5, 7]]
    with pytest.raises(ValueError, match="target_return"):
        rvs.policy()
    bc, _ = baselines.train_bc(ds, 1.0, quick)
    with pytest.raises(ValueError, match="target_return"):
        bc.policy(100.0)


def test_play_is_target_sweep_for_every_learner(ds):
    starts = control.random_initial_states(4, seed=5)
    quick = train.TrainConfig(steps=10, batch_size=32, warmup=2)
    rvs, _ = baselines.train_rvs(ds, quick)
    run = compare.play(rvs, [50.0, 80.0], starts)
    alone = control.rollout(rvs.policy(80.0), starts)
    assert np.array_equal(run.select(slice(4, 8)).actions, alone.actions)
    bc, _ = baselines.train_bc(ds, 1.0, quick)
    run = compare.play(bc, [50.0, 80.0], starts)
    assert np.array_equal(run.select(slice(0, 4)).states,
                          run.select(slice(4, 8)).states)
    score = compare.score(bc, starts)
    assert score["tracking"] is None and len(score["means"]) == 5
    assert compare.score(rvs, starts)["tracking"] >= 0
    with pytest.raises(TypeError, match="model"):
        compare.play("model", [50.0], starts)
    with pytest.raises(ValueError, match="targets"):
        compare.play(rvs, [], starts)


def test_every_learner_trains(ds, monkeypatch):
    quick = train.TrainConfig(steps=4, batch_size=16, warmup=1)
    monkeypatch.setattr(compare, "DEFAULT_TRAIN", quick)
    monkeypatch.setattr(compare, "ROW_TRAIN", quick)
    kinds = {name: type(compare.train_learner(name, ds))
             for name in compare.LEARNERS}
    assert kinds["DT"] is kinds["DT, context 1"] is DecisionTransformer
    assert kinds["BC"] is kinds["RvS MLP"] is baselines.StateMLP
    assert kinds["history MLP"] is baselines.HistoryMLP
    with pytest.raises(ValueError, match="name"):
        compare.train_learner("PPO", ds)
    with pytest.raises(TypeError, match="ds"):
        compare.train_learner("BC", "log")


def test_history_mlp_sees_the_dts_window_and_nothing_later(ds):
    quick = train.TrainConfig(steps=5, batch_size=8, warmup=1)
    model, losses = baselines.train_history(ds, quick)
    assert losses.shape == (5,) and model.config.context == 10
    batch = train.WindowSampler(ds, 10).sample(np.random.default_rng(0), 3)
    inputs = [batch[k] for k in
              ("returns_to_go", "states", "actions", "timesteps")]
    forces = model(*inputs)  # (3, 10, 1)
    changed = [x.clone() for x in inputs]
    changed[1][:, 6:] += 1.0  # states from step 6 on
    changed[2][:, 5:] += 1.0  # actions from step 5 on: a_5 not seen at 5
    again = model(*changed)
    assert torch.equal(forces[:, :6], again[:, :6])
    assert not torch.equal(forces[:, 6:], again[:, 6:])
    # alone, the first 4 steps give what they give inside the window
    first = model(*(x[:, :4] for x in inputs))
    assert torch.allclose(first, forces[:, :4], atol=1e-6)
    starts = control.random_initial_states(3, seed=5)
    score = compare.score(model, starts)
    assert score["tracking"] >= 0 and len(score["means"]) == 5
    with pytest.raises(TypeError, match="config"):
        baselines.HistoryMLP({"context": 10})
    with pytest.raises(ValueError, match="hidden"):
        baselines.HistoryMLP(model.config, hidden=0)
    with pytest.raises(AssertionError):  # the forward asserts its shapes only
        model(*(x.repeat(1, 2, *[1] * (x.dim() - 2)) for x in inputs))
    with pytest.raises(TypeError, match="ds"):
        baselines.train_history("log")
    with pytest.raises(TypeError, match="config"):
        baselines.train_history(ds, quick, config={"context": 10})


def test_first_episodes(ds):
    five = compare.first_episodes(ds, 5)
    assert len(five) == 5 and np.array_equal(five.states, ds.states[:5])
    assert np.array_equal(five.drop_steps, ds.drop_steps[:5])
    for bad in (0, 61, 2.5, True):
        with pytest.raises(ValueError, match="n"):
            compare.first_episodes(ds, bad)
    with pytest.raises(TypeError, match="ds"):
        compare.first_episodes("log", 5)


def test_settings_are_plain_values_and_the_learners_see_as_much():
    settings = compare.settings()
    assert json.loads(json.dumps(settings)) == json.loads(
        json.dumps(settings))
    assert compare.ROW_TRAIN.batch_size == (
        train.DEFAULT_TRAIN.batch_size * train.DEFAULT_MODEL.context)
    scarce = data.make_dataset(**compare.SCARCE_DATA)
    assert np.mean(scarce.returns == 500) <= 0.05  # "at most 5%"


def test_replayed_share():
    still = data.make_dataset(n_episodes=200, **data.BOOK_DATA)
    assert compare.replayed_share(still, 0.0) > 0.9  # no luck to lose
    shoved = data.make_dataset(n_episodes=200, push_noise=1.0,
                               **data.BOOK_DATA)
    assert compare.replayed_share(shoved, 1.0) < 0.5  # mostly luck
    with pytest.raises(ValueError, match="max_steps"):
        compare.replayed_share(data.make_dataset(n_episodes=3,
                                                 gain_range=(5, 6)), 0.5)
    with pytest.raises(TypeError, match="ds"):
        compare.replayed_share("log", 0.5)
