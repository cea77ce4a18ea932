"""Every exercise check accepts its reference solution and rejects wrong
answers (including answers that raise or return the wrong shape), and refuses
a misuse of the check itself; every chapter ends with its exercises, each
with a starter and a solution the reader opens on purpose."""

import ast
import importlib
import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from dtcart import attention, control, data, evaluate, exercises as ex, \
    model, physics
from dtcart.attention import MultiHeadAttention

pytestmark = pytest.mark.usefixtures("one_thread")
ROOT = Path(__file__).resolve().parents[1]


def passes(check, *args):
    return check(*args) is True


def fails(check, *args):
    return check(*args) is False


def raising(*args):
    raise RuntimeError("not written yet")


def test_1_1_hinge_friction():
    assert passes(ex.check_exercise_1_1, ex.hinge_friction_accelerations)
    frictionless = lambda s, f, b: physics.accelerations(s, f)  # noqa
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


def test_2_1_balanced_log():
    book = data.make_dataset()
    low, high = ex.balanced_gain_range(book.returns)
    assert 14 < low < 15 and 23 < high < 24
    assert passes(ex.check_exercise_2_1, (low, high))
    assert passes(ex.check_exercise_2_1, [14.0, 24.0])  # a list will do
    assert fails(ex.check_exercise_2_1, (14.0, 26.0))  # the book's: 48% solved
    assert fails(ex.check_exercise_2_1, (14.0, 20.0))  # nothing solved
    assert fails(ex.check_exercise_2_1, (high, low))  # make_dataset refuses
    for misuse in (None, "14-24", (14.0,), (14.0, "24"), (True, 24.0)):
        with pytest.raises(TypeError):
            ex.check_exercise_2_1(misuse)


def test_2_1_return_mix_and_the_book_gains():
    mix = ex.return_mix([30, 99, 100, 499, 500, 500])
    assert np.allclose(mix, [2 / 6, 2 / 6, 2 / 6])
    for bad in ("many", [], [[100, 500]]):
        with pytest.raises((TypeError, ValueError), match="returns"):
            ex.return_mix(bad)
    default = inspect.signature(data.make_dataset).parameters["gain_range"]
    assert ex.ch2.BOOK_GAINS == default.default


def test_2_2_light_pole():
    k_star = control.critical_gain(ex.LIGHT_POLE)
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
    assert (k > 0).all()  # the cart's terms have the sign of the pole's
    assert fails(ex.check_exercise_2_4, lambda s: s @ (k * [1, 1, -1, -1]))
    assert fails(ex.check_exercise_2_4, control.heuristic(25.0))
    assert fails(ex.check_exercise_2_4, lambda s: np.zeros(3))
    assert fails(ex.check_exercise_2_4, raising)


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
    assert fails(ex.check_exercise_4_3, None)


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


def test_5_3_token_dependence():
    assert passes(ex.check_exercise_5_3, ex.token_dependence)

    def by_probe(layer, x):  # another right answer: one output at a time
        x = x.detach().clone().requires_grad_(True)
        out = layer(x)  # (1, T, d)
        probe = torch.randn(out.shape[-1])  # a random mix of the features
        rows = [torch.autograd.grad((out[0, i] * probe).sum(), x,
                                    retain_graph=True)[0][0].abs().sum(-1)
                for i in range(out.shape[1])]
        return torch.stack(rows) > 0

    def all_outputs_at_once(layer, x):  # the chapter's starter
        x = x.detach().clone().requires_grad_(True)
        layer(x).sum().backward()
        read = x.grad[0].abs().sum(dim=-1) > 0
        return read.expand(len(read), -1).numpy()

    assert passes(ex.check_exercise_5_3, by_probe)
    assert fails(ex.check_exercise_5_3, all_outputs_at_once)
    assert fails(ex.check_exercise_5_3,
                 lambda layer, x: ex.token_dependence(layer, x).T)
    assert fails(ex.check_exercise_5_3, lambda layer, x: np.tril(
        np.ones((x.shape[1],) * 2, dtype=bool)))  # every layer causal
    assert fails(ex.check_exercise_5_3, lambda layer, x: np.ones(3))
    assert fails(ex.check_exercise_5_3, raising)


def test_5_3_leaves_the_readers_random_numbers_alone():
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    ex.check_exercise_5_3(ex.token_dependence)
    assert torch.equal(torch.rand(3), expected)


def test_gradient_ratio():
    """The former exercise 5.3's measurement: residuals keep the gradient."""
    assert ex.gradient_ratio() > 10


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


def test_6_4_calibrated_dial():
    assert passes(ex.check_exercise_6_4, ex.calibrated_target)
    targets = np.array([100.0, 200.0])
    achieved = np.array([[80.0, 100.0], [170.0, 190.0]])  # means 90, 180
    assert ex.calibrated_target(135.0, targets, achieved) == 150.0

    def forward(wanted, targets, achieved):  # the curve read forwards
        return np.interp(wanted, targets, np.mean(achieved, axis=1))

    def by_median(wanted, targets, achieved):
        return np.interp(wanted, np.median(achieved, axis=1), targets)

    def first_start(wanted, targets, achieved):
        return np.interp(wanted, achieved[:, 0], targets)

    def over_starts(wanted, targets, achieved):  # averages the wrong axis
        return np.interp(wanted, np.mean(achieved, axis=0), targets)

    for wrong in (lambda wanted, targets, achieved: wanted, forward,
                  by_median, first_start, over_starts, raising,
                  lambda wanted, targets, achieved: [wanted]):
        assert fails(ex.check_exercise_6_4, wrong)


def _small_rvs():
    """An RvS network trained briefly on a small log: enough to act on its
    return-to-go."""
    from dtcart import baselines, train

    ds = data.make_dataset(n_episodes=100, **data.BOOK_DATA)
    quick = train.TrainConfig(steps=200, batch_size=256, warmup=20)
    return baselines.train_rvs(ds, quick)[0]


def test_8_1_rvs_policy():
    rvs = _small_rvs()
    assert passes(ex.check_exercise_8_1, ex.rvs_policy, rvs)
    assert passes(ex.check_exercise_8_1, lambda m, t: m.policy(t), rvs)

    def no_countdown(model, target):  # R_t stays at the target
        return lambda states: model(torch.as_tensor(np.column_stack(
            [states, np.full(len(states), target)]),
            dtype=torch.float32)).detach().numpy()

    def late_countdown(model, target):  # drops before the first step
        return ex.rvs_policy(model, target - 1.0)

    assert fails(ex.check_exercise_8_1, no_countdown, rvs)
    assert fails(ex.check_exercise_8_1, late_countdown, rvs)
    assert fails(ex.check_exercise_8_1, lambda m, t: 3.0, rvs)
    assert fails(ex.check_exercise_8_1, raising, rvs)
    with pytest.raises(TypeError):
        ex.check_exercise_8_1(ex.rvs_policy, "model")


def test_8_2_pushed_share():
    share = ex.pushed_share()
    assert share == 1.0  # the centring controller shrugs the shoves off
    heuristic = ex.pushed_share(control.heuristic(26.0))
    assert 0.5 < heuristic < 0.85  # the heuristic drifts off a third of them
    assert ex.pushed_share(control.heuristic(26.0), scale=0.0) == 1.0
    assert passes(ex.check_exercise_8_2, share)
    assert passes(ex.check_exercise_8_2, 0.91)
    assert fails(ex.check_exercise_8_2, heuristic)
    assert fails(ex.check_exercise_8_2, 0.0)
    assert fails(ex.check_exercise_8_2, None)


def test_chapter_8_checks_keep_their_chapter_7_names():
    from dtcart.exercises import check_exercise_7_1, check_exercise_7_2

    assert check_exercise_7_1 is ex.check_exercise_8_1
    assert check_exercise_7_2 is ex.check_exercise_8_2
    assert "check_exercise_7_1" not in dir(ex)  # listed once, as 8.1
    with pytest.raises(AttributeError):
        ex.check_exercise_7_3


@pytest.mark.parametrize("check, misuse", [
    (ex.check_exercise_1_1, 3.0), (ex.check_exercise_1_2, "fast"),
    (ex.check_exercise_2_1, None), (ex.check_exercise_2_2, lambda: 14.7),
    (ex.check_exercise_2_4, [25.0]), (ex.check_exercise_3_1, np.ones(3)),
    (ex.check_exercise_3_3, "attention"), (ex.check_exercise_4_2, len),
    (ex.check_exercise_4_3, True), (ex.check_exercise_5_1, 1e-5),
    (ex.check_exercise_5_3, np.eye(5)), (ex.check_exercise_6_1, "0.3"),
    (ex.check_exercise_6_2, 0.3), (ex.check_exercise_6_4, 250.0),
    (ex.check_exercise_8_2, "half"), (ex.check_exercise_7_2, "half"),
])
def test_misuse_raises(check, misuse):
    with pytest.raises((TypeError, ValueError)):
        check(misuse)


def test_all_is_the_checks():
    checks = sorted(n for n in dir(ex) if n.startswith("check_exercise_"))
    assert sorted(ex.__all__) == checks


def test_every_check_is_tested():
    """Each check is called by some test file."""
    checks = {name for name in dir(ex) if name.startswith("check_exercise_")}
    tests = "".join(p.read_text() for p in Path(__file__).parent.glob("*.py"))
    assert checks and all(f"{name}," in tests for name in checks)


def test_one_small_module_per_chapter():
    """The package lists each chapter module's names as the module does, and
    every module of the package stays under 500 lines."""
    for module, names in ex._CHAPTERS.items():
        chapter = importlib.import_module(f"dtcart.exercises.{module}")
        assert sorted(chapter.__all__) == sorted(names), module
        assert all(name.endswith(f"_{module[2:]}_{name[-1]}") for name in
                   names if name.startswith("check_exercise_")), module
    for path in (ROOT / "dtcart" / "exercises").glob("*.py"):
        assert len(path.read_text().splitlines()) < 500, path.name


def test_the_first_chapters_checks_import_no_torch():
    code = ("import sys\n"
            "from dtcart.exercises import check_exercise_1_1, LIGHT_POLE\n"
            "from dtcart.exercises import check_exercise_2_4\n"
            "assert 'torch' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# The solution cells: what they must carry in every chapter.
SOLUTION_TAGS = {"hide-cell"}
SOLUTION_PROMPT = {"code_prompt_show": "Show the solution",
                   "code_prompt_hide": "Hide the solution"}


def _source(cell) -> str:
    return "".join(cell["source"])


def _assigned(cells) -> set:
    """The names the code of ``cells`` binds at its top level."""
    names = set()
    for cell in cells:
        for node in ast.parse(_source(cell)).body:
            targets = ([node] if isinstance(node, (ast.FunctionDef,
                                                   ast.ClassDef))
                       else getattr(node, "targets", [])
                       + [getattr(node, "target", None)])
            for target in targets:
                if isinstance(target, (ast.FunctionDef, ast.ClassDef)):
                    names.add(target.name)
                elif target is not None:
                    names |= {n.id for n in ast.walk(target)
                              if isinstance(n, ast.Name)}
    return names


def _exercise_sections():
    """(notebook name, cells of its Exercises section, its checks)."""
    checks = [name for name in dir(ex) if name.startswith("check_exercise_")]
    chapters = sorted({name.split("_")[2] for name in checks}, key=int)
    assert chapters == ["1", "2", "3", "4", "5", "6", "8"]
    for chapter in chapters:
        (path,) = (ROOT / "book").glob(f"{int(chapter):02d}_*.ipynb")
        cells = json.loads(path.read_text())["cells"]
        headings = [i for i, c in enumerate(cells) if c["cell_type"] ==
                    "markdown" and re.search(r"^## ", _source(c), re.M)]
        last = _source(cells[headings[-1]])
        assert re.search(r"^## Exercises", last, re.M), path.name
        mine = [n for n in checks if n.split("_")[2] == chapter]
        yield path.name, cells[headings[-1]:], mine


@pytest.mark.parametrize("name, section, checks", list(_exercise_sections()))
def test_every_chapter_ends_with_its_exercises(name, section, checks):
    """Each chapter with checks ends with an Exercises section of two to four
    exercises. Each has a starter that calls its check in plain sight, and a
    solution: a code cell collapsed in the book (its content behind "Show the
    solution") and in JupyterLab (its source hidden), right after a
    markdown lead-in that says it is the solution, that asserts its check.
    No MyST admonition or dropdown in the section (plain JupyterLab shows
    their content at once), and no solution cell rebinds a name the
    starters bind (running it leaves the reader's attempt alone)."""
    assert 2 <= len(checks) <= 4, (name, checks)
    code = [c for c in section if c["cell_type"] == "code"]
    solutions = [c for c in code if set(c["metadata"].get("tags", []))
                 & {"hide-cell", "hide-input"}]
    starters = [c for c in code if c not in solutions]
    for cell in solutions:
        assert set(cell["metadata"]["tags"]) >= SOLUTION_TAGS, name
        assert cell["metadata"].get("jupyter") == {"source_hidden": True}
        assert cell["metadata"].get("mystnb") == SOLUTION_PROMPT, name
        lead = section[section.index(cell) - 1]
        assert lead["cell_type"] == "markdown" and re.match(
            r"Solution", _source(lead)), f"{name}: {_source(lead)[:60]!r}"
    for check in checks:
        assert any(f"{check}(" in _source(c) for c in starters), \
            f"{name}: no starter calls {check}"
        assert any(f"assert {check}(" in _source(c) for c in solutions), \
            f"{name}: no collapsed solution asserts {check}"
    markdown = "".join(_source(c) for c in section
                       if c["cell_type"] == "markdown")
    assert not re.search(r"\{(admonition|dropdown)\}|:class: dropdown",
                         markdown), name
    clobbered = _assigned(starters) & _assigned(solutions)
    assert not clobbered, f"{name}: the solutions rebind {clobbered}"


def test_an_installed_dtcart_has_its_exercises():
    """pyproject.toml lists dtcart.exercises beside dtcart: a non-editable
    install (Colab's) ships only the packages listed."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "dtcart.exercises" in config["tool"]["setuptools"]["packages"]
