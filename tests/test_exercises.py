"""Every exercise check accepts its reference solution and rejects wrong
answers (including answers that raise or return the wrong shape), and refuses
a misuse of the check itself."""

import numpy as np
import pytest
import torch

from dtcart import attention, data, evaluate, exercises as ex, model
from dtcart.attention import MultiHeadAttention


pytestmark = pytest.mark.usefixtures("one_thread")


def passes(check, *args):
    return check(*args) is True


def fails(check, *args):
    return check(*args) is False


def raising(*args):
    raise RuntimeError("not written yet")


def test_1_1_hinge_friction():
    assert passes(ex.check_exercise_1_1, ex.hinge_friction_accelerations)
    frictionless = lambda s, f, b: ex.physics.accelerations(s, f)  # noqa
    assert fails(ex.check_exercise_1_1, frictionless)
    assert fails(ex.check_exercise_1_1, lambda s, f, b: (0.0, 0.0))
    assert fails(ex.check_exercise_1_1, lambda s, f, b: s)
    assert fails(ex.check_exercise_1_1, raising)


def test_1_2_friction_rate(capsys):
    assert passes(ex.check_exercise_1_2, ex.predicted_friction_rate())
    assert abs(ex.predicted_friction_rate() - 0.24) < 1e-12
    assert fails(ex.check_exercise_1_2, 0.12)  # half: the amplitude's rate
    assert fails(ex.check_exercise_1_2, float("nan"))
    capsys.readouterr()
    assert fails(ex.check_exercise_1_2, None)
    out = capsys.readouterr().out
    assert "no answer yet" in out and "0.24" not in out  # gives nothing away


def test_2_1_returns_to_go():
    assert passes(ex.check_exercise_2_1, data.returns_to_go)
    assert fails(ex.check_exercise_2_1, np.cumsum)
    assert fails(ex.check_exercise_2_1, lambda r: np.cumsum(r[::-1])[::-1])
    assert fails(ex.check_exercise_2_1, raising)


def test_2_2_light_pole():
    k_star = ex.control.critical_gain(ex.LIGHT_POLE)
    assert passes(ex.check_exercise_2_2, k_star)
    assert fails(ex.check_exercise_2_2, 19.6)  # the book's pole
    assert fails(ex.check_exercise_2_2, None)


def test_2_3_damping():
    k_min = ex.smallest_holding_gain()
    assert k_min == 24.4  # damping makes the drift worse: 22.2 without
    assert passes(ex.check_exercise_2_3, k_min)
    assert fails(ex.check_exercise_2_3, 22.2)
    assert fails(ex.check_exercise_2_3, 30.0)


def test_2_4_centring():
    assert passes(ex.check_exercise_2_4, ex.centring_controller)
    k = np.array(ex.CENTRING_GAINS)
    assert fails(ex.check_exercise_2_4, lambda s: s @ (k * [1, 1, -1, -1]))
    assert fails(ex.check_exercise_2_4, ex.control.heuristic(25.0))
    assert fails(ex.check_exercise_2_4, lambda s: np.zeros(3))
    assert fails(ex.check_exercise_2_4, raising)


def test_2_4_gains_place_the_poles():
    """The centring gains put the linearised closed loop's poles near -1,
    -1.5, -2 and -2.5 1/s, as their comment says."""
    p = ex.physics.DEFAULT_PARAMS
    total, m, l = p.total_mass, p.pole_mass, p.half_length
    l_eff = l * (4 / 3 - m / total)
    A = np.zeros((4, 4))  # d/dt (theta, theta_dot, x, x_dot), linearised
    A[0, 1] = A[2, 3] = 1.0
    A[1, 0] = p.gravity / l_eff
    A[3, 0] = -m * l / total * p.gravity / l_eff
    B = np.array([0.0, -1 / (total * l_eff), 0.0,
                  (1 + m * l / (total * l_eff)) / total])
    poles = np.sort(np.linalg.eigvals(A + np.outer(B, ex.CENTRING_GAINS)))
    assert np.allclose(poles, [-2.5, -2.0, -1.5, -1.0], atol=0.02)


def test_3_1_softmax():
    assert passes(ex.check_exercise_3_1, attention.softmax)
    with np.errstate(over="ignore", invalid="ignore"):
        assert fails(ex.check_exercise_3_1,
                     lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True))
    assert fails(ex.check_exercise_3_1,
                 lambda x: attention.softmax(x, axis=0))
    assert fails(ex.check_exercise_3_1, raising)


def test_3_2_causal_mask():
    assert passes(ex.check_exercise_3_2, attention.causal_mask)
    assert fails(ex.check_exercise_3_2, lambda T: np.triu(np.ones((T, T),
                                                                  bool)))
    assert fails(ex.check_exercise_3_2, lambda T: np.tril(np.ones((T, T))))
    assert fails(ex.check_exercise_3_2, lambda T: [[True]])


def test_3_3_attention():
    assert passes(ex.check_exercise_3_3, attention.attention)

    def unscaled(Q, K, V, causal):
        return attention.attention(Q, K, V, causal, scale=1.0)

    def batch_blind(Q, K, V, causal):  # K.T transposes the batch axis too
        w = attention.softmax(Q @ K.T / np.sqrt(K.shape[-1]))
        return w @ V, w

    assert fails(ex.check_exercise_3_3, unscaled)
    assert fails(ex.check_exercise_3_3, batch_blind)
    assert fails(ex.check_exercise_3_3, lambda Q, K, V, c: attention.attention(
        Q, K, V))
    assert fails(ex.check_exercise_3_3, lambda Q, K, V, c: Q)


def test_4_1_split_heads():
    assert passes(ex.check_exercise_4_1, ex.split_heads)
    assert fails(ex.check_exercise_4_1, lambda x, h: x.reshape(
        x.shape[0], h, x.shape[1], -1))
    assert fails(ex.check_exercise_4_1, lambda x, h: x)


def test_4_2_previous_token_head():
    assert passes(ex.check_exercise_4_2, ex.previous_token_head())
    torch.manual_seed(0)
    assert fails(ex.check_exercise_4_2, MultiHeadAttention(8, 1))
    blunt = ex.previous_token_head()
    with torch.no_grad():
        blunt.q_proj.weight /= 10  # too small a margin for the softmax
    assert fails(ex.check_exercise_4_2, blunt)
    assert fails(ex.check_exercise_4_2, MultiHeadAttention(4, 1))  # width


def test_4_3_crossover():
    assert passes(ex.check_exercise_4_3, 2 * ex.CROSSOVER_WIDTH)
    assert fails(ex.check_exercise_4_3, ex.CROSSOVER_WIDTH)


def test_5_1_layer_norm():
    assert passes(ex.check_exercise_5_1, ex.layer_norm)
    assert fails(ex.check_exercise_5_1,
                 lambda x: (x - x.mean(0)) / x.std(0))  # over the batch
    assert fails(ex.check_exercise_5_1,
                 lambda x: (x - x.mean(-1, keepdim=True))
                 / x.std(-1, keepdim=True))  # unbiased std
    assert fails(ex.check_exercise_5_1, raising)


def test_5_2_block_parameters():
    assert passes(ex.check_exercise_5_2, ex.block_parameters)
    assert fails(ex.check_exercise_5_2, lambda d: 4 * (d * d + d))
    assert fails(ex.check_exercise_5_2, lambda d: float(ex.block_parameters(
        d)))


def test_5_3_gradient_ratio():
    ratio = ex.gradient_ratio()
    assert ratio > 10
    assert passes(ex.check_exercise_5_3, ratio)
    assert fails(ex.check_exercise_5_3, 1.0)
    assert fails(ex.check_exercise_5_3, -ratio)


def test_6_1_lag():
    c_max = ex.largest_holding_lag()
    assert c_max == 0.3
    assert passes(ex.check_exercise_6_1, c_max)
    for wrong in (0.25, 0.5, 0.33, 1.5):
        assert fails(ex.check_exercise_6_1, wrong)


def test_6_2_copy_coefficient():
    assert passes(ex.check_exercise_6_2, evaluate.copy_coefficient)

    def every_step(run):  # also fits the padding after an episode's end
        design = np.column_stack([run.actions[:, :-1].ravel(),
                                  run.states[:, 1:-1, 0].ravel()])
        return np.linalg.lstsq(design, run.actions[:, 1:].ravel(),
                               rcond=None)[0][0]

    assert fails(ex.check_exercise_6_2, every_step)
    assert fails(ex.check_exercise_6_2, lambda run: "c")
    assert fails(ex.check_exercise_6_2, raising)


def test_6_3_zero_target():
    torch.manual_seed(0)  # untrained: its episodes end fast
    tiny = model.DecisionTransformer(d_model=16, n_heads=1, n_layers=1,
                                     context=4)
    mean_return = ex.zero_target_return(tiny)
    assert passes(ex.check_exercise_6_3, mean_return, tiny)
    assert fails(ex.check_exercise_6_3, 1.5 * mean_return, tiny)
    assert fails(ex.check_exercise_6_3, 0.0, tiny)
    assert fails(ex.check_exercise_6_3, None, tiny)
    with pytest.raises(TypeError):
        ex.check_exercise_6_3(mean_return, "model")


def _small_rvs():
    """An RvS network trained briefly on a small log: enough to act on its
    return-to-go."""
    from dtcart import baselines, train

    ds = data.make_dataset(n_episodes=100, **data.BOOK_DATA)
    quick = train.TrainConfig(steps=200, batch_size=256, warmup=20)
    return baselines.train_rvs(ds, quick)[0]


def test_7_1_rvs_policy():
    rvs = _small_rvs()
    assert passes(ex.check_exercise_7_1, ex.rvs_policy, rvs)
    assert passes(ex.check_exercise_7_1, lambda m, t: m.policy(t), rvs)

    def no_countdown(model, target):  # R_t stays at the target
        return lambda states: model(torch.as_tensor(np.column_stack(
            [states, np.full(len(states), target)]),
            dtype=torch.float32)).detach().numpy()

    def late_countdown(model, target):  # drops before the first step
        return ex.rvs_policy(model, target - 1.0)

    assert fails(ex.check_exercise_7_1, no_countdown, rvs)
    assert fails(ex.check_exercise_7_1, late_countdown, rvs)
    assert fails(ex.check_exercise_7_1, lambda m, t: 3.0, rvs)
    assert fails(ex.check_exercise_7_1, raising, rvs)
    with pytest.raises(TypeError):
        ex.check_exercise_7_1(ex.rvs_policy, "model")


def test_7_2_pushed_share():
    share = ex.pushed_share()
    assert share == 1.0  # the centring controller shrugs the shoves off
    heuristic = ex.pushed_share(ex.control.heuristic(26.0))
    assert 0.5 < heuristic < 0.85  # the heuristic drifts off a third of them
    assert ex.pushed_share(ex.control.heuristic(26.0), scale=0.0) == 1.0
    assert passes(ex.check_exercise_7_2, share)
    assert passes(ex.check_exercise_7_2, 0.91)
    assert fails(ex.check_exercise_7_2, heuristic)
    assert fails(ex.check_exercise_7_2, 0.0)
    assert fails(ex.check_exercise_7_2, None)


@pytest.mark.parametrize("check, misuse", [
    (ex.check_exercise_1_1, 3.0), (ex.check_exercise_1_2, "fast"),
    (ex.check_exercise_2_1, None), (ex.check_exercise_2_2, lambda: 14.7),
    (ex.check_exercise_2_4, [25.0]), (ex.check_exercise_3_1, np.ones(3)),
    (ex.check_exercise_3_3, "attention"), (ex.check_exercise_4_2, len),
    (ex.check_exercise_4_3, True), (ex.check_exercise_5_1, 1e-5),
    (ex.check_exercise_6_1, "0.3"), (ex.check_exercise_6_2, 0.3),
    (ex.check_exercise_7_2, "half"),
])
def test_misuse_raises(check, misuse):
    with pytest.raises((TypeError, ValueError)):
        check(misuse)


def test_all_is_the_checks():
    checks = sorted(n for n in dir(ex) if n.startswith("check_exercise_"))
    assert sorted(ex.__all__) == checks


def test_every_check_is_tested():
    """Each check is called by some test file (Chapter 8's may live in its
    own)."""
    from pathlib import Path

    checks = {name for name in dir(ex) if name.startswith("check_exercise_")}
    tests = "".join(p.read_text() for p in Path(__file__).parent.glob("*.py"))
    assert checks and all(f"{name}," in tests for name in checks)


def test_every_chapter_ends_with_its_exercises():
    """Each chapter with checks ends with an Exercises section of two to four
    exercises; each has a starter that calls its check in plain sight and a
    collapsed solution cell (hide-cell or hide-input) that asserts it."""
    import json
    import re
    from pathlib import Path

    book = Path(__file__).resolve().parents[1] / "book"
    checks = sorted(name for name in dir(ex) if name.startswith("check_"))
    chapters = sorted({name.split("_")[2] for name in checks})
    assert chapters[:6] == ["1", "2", "3", "4", "5", "6"]
    for chapter in chapters:
        (path,) = book.glob(f"{int(chapter):02d}_*.ipynb")
        cells = json.loads(path.read_text())["cells"]
        headings = [i for i, c in enumerate(cells) if c["cell_type"] ==
                    "markdown" and re.search(r"^## ", "".join(c["source"]),
                                             re.M)]
        last = "".join(cells[headings[-1]]["source"])
        assert re.search(r"^## Exercises", last, re.M), path.name
        mine = [n for n in checks if n.split("_")[2] == chapter]
        assert 2 <= len(mine) <= 4, (path.name, mine)
        section = cells[headings[-1]:]
        for name in mine:
            calls = [c for c in section if c["cell_type"] == "code"
                     and f"{name}(" in "".join(c["source"])]
            tags = [set(c["metadata"].get("tags", [])) for c in calls]
            assert any(not t & {"hide-cell", "hide-input"} for t in tags), \
                f"{path.name}: no starter calls {name}"
            assert any(t & {"hide-cell", "hide-input"} and f"assert {name}("
                       in "".join(c["source"]) for t, c in zip(tags, calls)), \
                f"{path.name}: no collapsed solution asserts {name}"
