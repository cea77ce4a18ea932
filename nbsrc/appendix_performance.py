# %% [markdown]
# # Appendix: how fast, and at what cost
#
# A book that teaches should be honest about what its code costs to run. This appendix measures the
# engine of the book on the machine that executes the page: the physics of {doc}`01_physics` against
# Gymnasium's CartPole {cite}`towers2024gymnasium`, the rollouts and the dataset of
# {doc}`02_control_and_data`, and the Decision Transformer of {doc}`06_decision_transformer` against the
# speed limit of the CPU. It runs a *light* version of the measurements, so that the page builds in
# seconds. The full version, with more sizes, more repetitions, the whole training run, and the timing of
# every notebook, of the test suite and of the book build, is one command from the repository's root:
#
# ```bash
# python -m benchmarks                              # --help lists the options
# python -m benchmarks --notebooks --suite --build  # and the slow parts
# ```
#
# Timings on a shared machine are noisy: other processes steal the CPU, and only ever make things slower.
# So every number here is the **best of several repetitions** (timed with `time.perf_counter`, by the
# benchmarks' `timing.best_time`), and the load average is printed beside them. The page asserts only facts that no reasonable
# machine load can overturn, such as a batched step beating a Python loop by more than ten times. Ratios
# that depend on the machine, such as ours against Gymnasium's vectorised environment, are reported, not
# asserted.

# %% tags=["hide-input"]
from dataclasses import replace
from functools import partial

import gymnasium as gym
import matplotlib.pyplot as plt
import numpy as np
import torch
from gymnasium.envs.classic_control.cartpole import CartPoleVectorEnv
from myst_nb import glue

from dtcart.display import glue_text
from tqdm.auto import tqdm

from dtcart.compare import START_SEEDS, TEST_SEED
from dtcart.control import heuristic, random_initial_states, rollout
from dtcart.data import make_dataset
from dtcart import records
from dtcart.physics import step
from dtcart.train import DEFAULT_MODEL, DEFAULT_TRAIN


# the benchmarks' own timing helpers (installed with dtcart), not copies
from benchmarks import dt_bench, timing
from benchmarks.teaching_bench import tan_half_angle_step

best_time = partial(timing.best_time, min_time=0.02, repeat=3)
load_average = timing.load


print(load_average(), "|", torch.get_num_threads(), "torch threads")

# %% [markdown]
# ## The physics against Gymnasium
#
# Gymnasium offers the cart-pole two ways: the classic environment, `gym.make("CartPole-v1")`, which steps
# one cart per Python call, and `CartPoleVectorEnv`, a numpy-vectorised twin that steps many carts per call.
# Our `dtcart.physics.step` is vectorised too: one call advances a whole batch. We count **cart-steps per
# second** (carts in the batch times calls per second) for batches of 1 to 16,384 carts, and two Python
# loops for scale: Gymnasium's classic environment, and our own `step` called once per cart.
#
# The comparison is not quite like for like, and it leans in Gymnasium's disfavour only a little: its
# vectorised step also checks the actions, scores the step, resets finished carts and casts the states to
# float32, while ours only does the physics (in float64). Those extras are a few array operations; the
# physics is the bulk of both.

# %% tags=["hide-cell"]
rng = np.random.default_rng(0)
BATCHES = [1, 64, 1024, 16384]
rates = {"dtcart step": [], "CartPoleVectorEnv": []}
for n in tqdm(BATCHES, desc="batch sizes timed"):
    states, forces = rng.uniform(-0.05, 0.05, (n, 4)), rng.uniform(-10, 10, n)
    vector_env = CartPoleVectorEnv(num_envs=n)
    vector_env.reset(seed=0)
    actions = rng.integers(0, 2, n)
    ours, theirs = float("inf"), float("inf")
    # alternate the two, so that both see the same moments of the machine's load
    for _ in range(5):
        ours = min(
            ours,
            best_time(lambda: step(states, forces), min_time=0.03, repeat=1),
        )
        theirs = min(
            theirs,
            best_time(
                lambda: vector_env.step(actions), min_time=0.03, repeat=1
            ),
        )
    rates["dtcart step"].append(n / ours)
    rates["CartPoleVectorEnv"].append(n / theirs)

classic = gym.make("CartPole-v1")
classic.reset(seed=0)


def classic_step():
    _, _, terminated, truncated, _ = classic.step(int(rng.integers(0, 2)))
    if terminated or truncated:
        classic.reset()


classic_rate = 1 / best_time(classic_step)
few = rng.uniform(-0.05, 0.05, (64, 4))
loop_rate = len(few) / best_time(lambda: [step(s, 1.0) for s in few])
ratio = np.array(rates["dtcart step"]) / np.array(rates["CartPoleVectorEnv"])
for n, r, ours, theirs in zip(
    BATCHES, ratio, rates["dtcart step"], rates["CartPoleVectorEnv"]
):
    print(
        f"batch {n:6d}: dtcart {ours / 1e6:7.3f} M/s, CartPoleVectorEnv"
        f" {theirs / 1e6:7.3f} M/s, ratio {r:.2f}"
    )
print(f"CartPole-v1, one cart per call: {classic_rate / 1e3:.1f} k/s")
print(f"dtcart step per cart in a loop: {loop_rate / 1e3:.1f} k/s")
print(load_average())
glue_text("ratio-1", float(ratio[0]))
glue_text("ratio-1024", float(ratio[2]))
glue_text("ratio-16384", float(ratio[3]))
glue(
    "batched-over-loop",
    float(rates["dtcart step"][2] / loop_rate),
    display=False,
)
glue(
    "batched-over-classic",
    float(rates["dtcart step"][2] / classic_rate),
    display=False,
)
glue_text("classic-k", float(classic_rate / 1e3))
glue_text("loop-k", float(loop_rate / 1e3))

# %% [markdown]
# Batching is the whole story, and two facts hold on any machine: a batch of 1,024 carts stepped in one call
# runs more than ten times as many cart-steps per second as the same `step` called cart by cart from Python,
# and more than ten times as many as Gymnasium's one-cart-per-call environment. (On this run the factors
# were {glue:text}`batched-over-loop:.0f` and {glue:text}`batched-over-classic:.0f`.)
#
# One cart at a time is our weak spot, and the figure shows it honestly: called cart by cart, our `step` ran
# {glue:text}`loop-k:.1f` k cart-steps per second against {glue:text}`classic-k:.1f` k for Gymnasium's
# classic environment. A numpy operation costs about a microsecond whatever the size of its array, and a
# step is a few dozen of them, plus the checks of the input; Gymnasium's one-cart step does the same
# arithmetic on scalars. The book's engine never loops over carts, so we keep one implementation,
# written for batches.

# %% tags=["hide-cell"]
assert rates["dtcart step"][2] > 10 * loop_rate
assert rates["dtcart step"][2] > 10 * classic_rate
# more carts per call, more cart-steps per second
assert all(np.diff(rates["dtcart step"][:3]) > 0)

# %% tags=["remove-output", "hide-input"]
fig, ax = plt.subplots(figsize=(7, 3.8))
ax.loglog(BATCHES, rates["dtcart step"], "o-", label="dtcart step (batched)")
ax.loglog(
    BATCHES,
    rates["CartPoleVectorEnv"],
    "s-",
    label="Gymnasium CartPoleVectorEnv",
)
ax.axhline(
    classic_rate,
    color="C2",
    ls="--",
    label='Gymnasium gym.make("CartPole-v1"), one per call',
)
ax.axhline(
    loop_rate, color="C3", ls=":", label="dtcart step, one cart per call"
)
ax.set_xlabel("carts per call (batch size)")
ax.set_ylabel("cart-steps per second")
ax.legend(fontsize=10, loc="upper left")
ax.grid(alpha=0.3, which="both")
fig.tight_layout()
glue("fig-app-physics", fig, display=False)

# %% [markdown]
# ```{glue:figure} fig-app-physics
# :name: fig-app-physics
#
# Cart-steps per second against the batch size, measured when this page was built (best of three, log
# scales). The dashed and dotted lines are one-cart-per-call Python loops.
# ```
#
# Against Gymnasium's vectorised environment, measured while this page was built, our step ran
# {glue:text}`ratio-1:.1f`x as fast at batch 1, {glue:text}`ratio-1024:.2f`x at 1,024 carts and
# {glue:text}`ratio-16384:.2f`x at 16,384. The goal set for the physics was 1.5x at 1,024 carts and above.
# A page build times each batch only briefly, so one noisy moment can move these ratios; the full run
# recorded at the end of the page times them for longer. At small batches our lead comes from doing less
# per call: no action checks, no resets, no float32 copy, and a finiteness check that costs one sum (a NaN
# or an infinity anywhere makes the sum non-finite) instead of a
# full boolean array. At large batches both sides are limited by the same thing: the sine and cosine.
#
# ### Where the time goes at 16,384 carts
#
# numpy's float64 `sin` and `cos` use fast vector (SIMD) code only on CPUs with AVX-512; elsewhere,
# including the 2-core machine this book was written on, they call the C library once per number, and the
# two of them take most of a large step. A step could get both from a *single* `tan` of the half angle,
# $t = \tan(\theta/2)$, through $\sin\theta = 2t/(1+t^2)$ and $\cos\theta = (1-t^2)/(1+t^2)$ (equal to
# numpy's to about $10^{-16}$). The book's step keeps the plain `sin` and `cos` that
# {doc}`01_physics` derives: the code you read is the idea, and the trick lives in the benchmark
# (`benchmarks/teaching_bench.py`). The timings of the pieces, on this machine now:

# %% tags=["hide-input"]
theta = rng.uniform(-0.3, 0.3, 16384)
big = np.zeros((16384, 4))
big[:, 0] = theta

pieces = {
    "np.sin + np.cos": best_time(lambda: (np.sin(theta), np.cos(theta))),
    "one multiplication": best_time(lambda: theta * theta),
    "a whole dtcart step": best_time(lambda: step(big, 1.0)),
    "the step with tan(theta/2)": best_time(
        lambda: tan_half_angle_step(big, 1.0)),
}
for name, seconds in pieces.items():
    print(f"{name:>28s}: {seconds * 1e6:8.1f} us")
print(load_average())
assert np.allclose(tan_half_angle_step(big, 1.0), step(big, 1.0), rtol=0,
                   atol=1e-15)
# transcendentals dwarf arithmetic
assert pieces["np.sin + np.cos"] > 5 * pieces["one multiplication"]

# %% [markdown]
# A multiplication over 16,384 numbers is cheap next to the transcendental functions (asserted above),
# which is why trading one of the two library calls for a few multiplications can pay at large batches.
# On a CPU with AVX-512, numpy's own `sin` and `cos` are vectorised and the gain shrinks.
#
# ### What the plain teaching path costs
#
# The same holds for the Decision Transformer: its forward computes every token through every block and
# reads the state tokens, as the paper describes it, although the last block's outputs at the
# return and action tokens are never read. The recorded run `python -m benchmarks --only teaching`
# timed, in one run on one thread with the variants interleaved, one training update of the book's model
# as shown against the same model whose last block computes the state tokens only, and the step above
# against its tan-half-angle variant. Both variants give the same numbers (to $10^{-15}$).

# %% tags=["hide-cell"]
teaching = records.load("teaching")
cost_update = teaching["training"]["ratio"]
cost_step = teaching["physics"]["ratio"]
print(f"a training update as shown: {cost_update:.2f}x the states-only one")
print(f"a step with np.sin/np.cos: {cost_step:.2f}x the tan(theta/2) one")
print("recorded at:\n ", "\n  ".join(records.read()["teaching_load"]))
glue_text("teaching-update-ratio", cost_update)
glue_text("teaching-step-ratio", cost_step)
assert 1.0 <= cost_update < 1.6 and 1.0 <= cost_step < 2.5
assert teaching["training"]["max_gap"] < 1e-5
assert teaching["physics"]["max_gap"] < 1e-15

# %% [markdown]
# A training update as shown took {glue:text}`teaching-update-ratio:.2f` times as long as the
# states-only one, and a step with `np.sin` and `np.cos` {glue:text}`teaching-step-ratio:.2f` times as
# long as the tan-half-angle step: the price of code that reads as the idea, paid knowingly.
#
# ## Rollouts and the dataset
#
# `control.rollout` runs a whole batch of episodes in lock-step, one `step` call per time step for all the
# carts still running. With the gain $K = 24$ N/rad every episode from Gymnasium's start distribution lasts
# the full 500 steps, so episodes per second is a fair unit.

# %% tags=["hide-cell"]
rollout_rates = {}
for n in (1, 100):
    starts = random_initial_states(n, seed=0)
    rollout_rates[n] = n / best_time(
        lambda: rollout(heuristic(24.0), starts), min_time=0.0, repeat=2
    )
assert rollout(heuristic(24.0), random_initial_states(100, seed=0)).solved.all()
dataset_s = best_time(make_dataset, min_time=0.0, repeat=2)
for n, r in rollout_rates.items():
    print(f"batch {n:3d}: {r:.0f} episodes/s")
print(f"make_dataset(): {dataset_s:.2f} s")
print(load_average())
glue_text("rollout-1", float(rollout_rates[1]))
glue_text("rollout-100", float(rollout_rates[100]))
glue_text("dataset-s", float(dataset_s))
assert rollout_rates[100] > 10 * rollout_rates[1]

# %% [markdown]
# One episode at a time runs at {glue:text}`rollout-1:.0f` episodes per second; a hundred in lock-step at
# {glue:text}`rollout-100:.0f` per second, more than ten times as many (asserted above). The book's whole dataset,
# 1,000 episodes of the heuristic at gains from 14 to 26 N/rad, takes {glue:text}`dataset-s:.2f` s to build
# (the goal was under 2 s). That is why the chapters can rebuild it from its seed instead of shipping a file.
#
# ## The Decision Transformer and the limit of the CPU
#
# A training update of the Decision Transformer processes a batch of windows of $C$ steps each, $3C$ tokens
# per window (the book's values are printed below). How close does it come to the CPU's limit? For a rough peak we time a
# large matrix product, $2n^3$ floating-point operations (FLOP) for two $n\times n$ matrices, the kind of
# work CPUs do best. For the model we count the FLOPs of an update: per token and block, $24d^2$ for the
# attention projections and the MLP of width $4d$, plus $4Ld$ for the attention over $L = 3C$ tokens, two
# FLOPs per multiply-add, and three times the forward pass for forward plus backward.
#
# One setting matters more than any other here: the number of threads torch uses. By default it takes
# one per core, two on the book's machine. While other processes compete for those cores, the threads of
# each small matrix operation wait for each other: on the shared machine this book was written on, with a
# load average near 10, we saw a training update run *faster* on one thread than on two, by a factor that
# changed with the load (not recorded). With the machine less busy the two threads won again, by a
# smaller margin (the recorded run at the end of the page has both). There is no setting that is best everywhere; `python -m benchmarks` measures both, on
# the machine at hand. This page measures with one thread, for the model and for the matrix product
# alike, because it is the steadier of the two.


# %% tags=["hide-cell"]
dataset = make_dataset()


def update_flops(config):
    return dt_bench.train_flops_per_step(config, DEFAULT_TRAIN.batch_size)


def training_rate(config):
    """Updates per second of the book's training loop (3 updates, best of 2)."""
    rate = dt_bench.train_rate(dataset, config, steps=3, repeat=2)
    return rate["steps_per_s"]


torch.set_num_threads(1)
peak = dt_bench.matmul_flops(repeat=3)
C_BOOK = DEFAULT_MODEL.context
CONTEXTS = sorted({5, 10, 20, 40, C_BOOK})
by_context = {
    k: training_rate(replace(DEFAULT_MODEL, context=k))
    for k in tqdm(CONTEXTS, desc="contexts timed")
}
achieved = {
    k: r * update_flops(replace(DEFAULT_MODEL, context=k))
    for k, r in by_context.items()
}
tokens = {
    k: r * DEFAULT_TRAIN.batch_size * 3 * k for k, r in by_context.items()
}
for k in CONTEXTS:
    print(
        f"C = {k:2d}: {by_context[k]:6.1f} updates/s, {tokens[k] / 1e3:7.1f} k"
        f" tokens/s, {achieved[k] / 1e9:5.2f} GFLOP/s ="
        f" {100 * achieved[k] / peak:4.1f}%"
    )
print(f"(% of the matmul's {peak / 1e9:.1f} GFLOP/s) {load_average()}")
print(
    f"the book's model: d = {DEFAULT_MODEL.d_model}, {DEFAULT_MODEL.n_layers}"
    f" blocks, C = {C_BOOK}, batch {DEFAULT_TRAIN.batch_size} ="
    f" {DEFAULT_TRAIN.batch_size * 3 * C_BOOK} tokens per update"
)
glue_text("dt-k", C_BOOK)
glue_text("dt-d", DEFAULT_MODEL.d_model)
glue_text("dt-layers", DEFAULT_MODEL.n_layers)
glue_text("dt-batch", DEFAULT_TRAIN.batch_size)
glue_text("dt-steps", float(by_context[C_BOOK]))
glue_text("dt-tokens", float(tokens[C_BOOK] / 1e3))
glue_text("dt-share", float(100 * achieved[C_BOOK] / peak))
glue_text("peak", float(peak / 1e9))
# the FLOP count is no over-count
assert all(a < 1.5 * peak for a in achieved.values())
assert update_flops(replace(DEFAULT_MODEL, context=40)) > 2 * update_flops(
    replace(DEFAULT_MODEL, context=20)
)

# %% tags=["remove-output", "hide-input"]
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8, 3.4))
ax1.plot(CONTEXTS, [tokens[k] / 1e3 for k in CONTEXTS], "o-")
ax1.set_xlabel("context C [steps]")
ax1.set_ylabel("training throughput [k tokens/s]")
ax2.plot(
    CONTEXTS, [100 * achieved[k] / peak for k in CONTEXTS], "o-", color="C1"
)
ax2.set_xlabel("context C [steps]")
ax2.set_ylabel("achieved FLOP/s [% of matmul]")
for ax in (ax1, ax2):
    ax.set_ylim(bottom=0)
    ax.set_xscale("log", base=2)
    ax.set_xticks(CONTEXTS, [str(k) for k in CONTEXTS])
    ax.grid(alpha=0.3)
fig.tight_layout()
glue("fig-app-dt", fig, display=False)

# %% [markdown]
# ```{glue:figure} fig-app-dt
# :name: fig-app-dt
#
# Training throughput of the book's Decision Transformer (its default width, depth and batch, printed
# above) against the context length $C$ (left), and the FLOP rate it achieves as a share of a
# $1024\times1024$ matrix product's rate on the same CPU (right), both on one thread. Measured when this
# page was built.
# ```
#
# The book's model is {glue:text}`dt-d` wide with {glue:text}`dt-layers` blocks, trained on batches of
# {glue:text}`dt-batch` windows. With its context of $C$ = {glue:text}`dt-k` the loop ran {glue:text}`dt-steps:.1f` updates per second,
# {glue:text}`dt-tokens:.0f` k tokens per second, about {glue:text}`dt-share:.0f`% of the
# {glue:text}`peak:.0f` GFLOP/s that the big matrix product reaches on one thread. The rest goes into
# work that is not a large matrix product: Python, the optimiser's bookkeeping, LayerNorm, softmax, the
# sampling of the batch, and matrices only {glue:text}`dt-d` wide. A longer context puts more arithmetic into each call
# (the attention grows with $C^2$) while those overheads stay put, so the share of the peak tends to grow
# with $C$ in the right panel of {numref}`fig-app-dt`. Each point there is a few updates timed during one
# page build, so expect noise; the recorded run below times more.
#
# ## The full run, and the book as a whole
#
# The slow measurements come from the full benchmark, `python -m benchmarks --notebooks --suite --build
# --json`: more batch sizes and repetitions, the whole `train_default` run, the
# Decision Transformer acting on 60 starts at once, each notebook's execution time and peak memory in a
# fresh kernel, the whole test suite, and a fresh build of this book. The last recorded run (the package
# data `dtcart/records.json`) is printed here with the load average at the time. Those numbers were measured
# once, on a shared machine, and are a record rather than a claim this page re-checks.


# %% tags=["hide-input"]
def show_recorded(r):
    if "physics" in r:
        print("physics, cart-steps/s, dtcart vs CartPoleVectorEnv:")
        print(" ", r["physics_load"][0])
        for row in r["physics"]["rows"]:
            print(
                f"  batch {row['batch']:5d}: {row['dtcart'] / 1e6:6.2f} vs"
                f" {row['vector_env'] / 1e6:6.2f} M/s"
                f" ({row['ratio_vector']:.2f}x), {row['ratio_gym']:.3g}x"
                " CartPole-v1"
            )
    if "rollouts" in r:
        print("rollouts:", r["rollouts_load"][0])
        for row in r["rollouts"]["rows"]:
            print(
                f"  batch {row['batch']:5d}: {row['episodes_per_s']:8.1f}"
                " episodes/s"
            )
        print(f"  make_dataset(): {r['rollouts']['dataset_s']:.2f} s")
    if "dt" in r:
        dt = r["dt"]
        print("Decision Transformer:", r["dt_load"][0])
        for name, peak_name in (
            ("default", "matmul_flops"),
            ("default_1_thread", "matmul_flops_1_thread"),
            ("paper_size", "matmul_flops"),
        ):
            row = dt[name]
            peak = dt.get(peak_name, dt["matmul_flops"])
            print(
                f"  {name} (d={row['d_model']}, {row['n_layers']} blocks,"
                f" C={row['context']}):\n    {row['steps_per_s']:6.1f}"
                f" updates/s, {row['tokens_per_s'] / 1e3:6.1f} k tokens/s,"
                f" {100 * row['flops_per_s'] / peak:4.1f}% of the matmul"
            )
        if "train_default_s" in dt:
            print(
                f"  train_default(): {dt['train_default_s']:.1f} s on"
                f" {dt['threads']} threads",
                end="",
            )
            print(
                f", {dt['train_default_1_thread_s']:.1f} s on 1 thread"
                if "train_default_1_thread_s" in dt
                else ""
            )
        rollouts = [(row, dt["threads"]) for row in dt["rollout"]]
        if "rollout_1_thread" in dt:
            rollouts.append((dt["rollout_1_thread"], 1))
        for row, threads in rollouts:
            print(
                f"  rollout_dt, {row['batch']:2d} starts at once, {threads}"
                f" thread(s): {row['episodes_per_s']:.2f} episodes/s,"
                f" return {row['mean_return']:.0f}"
            )
    if "notebooks" in r and (
        records.stale("notebooks", r["notebooks"])
        or any("seconds" not in row for row in r["notebooks"])
    ):
        print(
            "notebooks: the record is refused (a notebook failed, or it\n"
            "  measured another set of notebooks than the book's)"
        )
    elif "notebooks" in r:
        print("notebooks, each in a fresh kernel:", r["notebooks_load"][0])
        for row in r["notebooks"]:
            print(
                f"  {row['notebook']:>32s}: "
                + (
                    f"{row['seconds']:6.1f} s,"
                    f" {row['kernel_peak_rss_mb']:5.0f} MB"
                    if "seconds" in row
                    else "failed"
                )
            )
    for part, label in (("suite", "test suite"), ("build", "fresh book build")):
        if part in r and r[part]["returncode"] == 0:
            print(
                f"{label}: {r[part]['seconds']:.0f} s (it passed),"
                f" {r[part + '_load'][0]}"
            )
        elif part in r:
            print(f"{label}: the recorded run failed, so it is not shown")


show_recorded(records.read())

# %% [markdown]
# ## Outside the repository, as Colab runs it
#
# Colab installs `dtcart` as a package, not from a folder, and runs one notebook with no repository
# around it. `python -m benchmarks --only outside --json` does the same for every notebook: a fresh
# virtual environment, `dtcart` installed from a clean clone with the reader's packages of
# `binder/requirements.txt`, and each notebook copied to a folder outside the repository and run
# there. The last recorded run is below, refused if it ran another set of notebooks than the book's;
# every chapter in it ran, and none showed a figure twice. (This page's own row comes from the run
# before: the page reads the record it is part of.)

# %% tags=["hide-input"]
try:
    outside = records.load("outside")
except LookupError as missing:  # never recorded yet
    print(missing)
else:
    print(f"installed in {outside['install_s']:.0f} s")
    for row in outside["rows"]:
        print(f"  {row['notebook']:>29s}: {row['seconds']:5.1f} s, "
              + ("ran" if row["passed"] else f"failed ({row['error'][:20]}…)"))
    failed = [row["notebook"] for row in outside["rows"]
              if row["notebook"] != "appendix_performance.ipynb"
              and (not row["passed"] or row["figures_shown_twice"])]
    assert not failed, f"fix {failed}, then re-run --only outside"

# %% tags=["hide-cell"]
# the landing page's claim: every notebook fits Binder's 2 GB, under 1 GB each
notebooks = records.read().get("notebooks", [])
if not records.stale("notebooks", notebooks):  # a record of these notebooks
    peaks = {row["notebook"]: row["kernel_peak_rss_mb"] for row in notebooks
             if "kernel_peak_rss_mb" in row}  # those that ran
    assert max(peaks.values()) < 1000, peaks

# %% [markdown]
# ## Could training take half the time?
#
# Readers on Binder wait for every second of `train.train_default`, so we
# tried to halve it. The direct way is to halve the arithmetic of training:
# half the updates (alone, or with a larger learning rate to make up for them),
# one block instead of two, tokens half as wide, or tokens half as wide and a
# context half as long. The recorded run
# `python -m benchmarks --only recipes` trained each recipe with seeds 0-4,
# scored it as {doc}`Chapter 6 <06_decision_transformer>` scores the book's model (the
# three tuning sets of 60 unseen starts, on which the book's recipe was chosen,
# and the test set), and timed one update of each on one thread.

# %% tags=["hide-cell"]
recipes = records.load("recipes")  # refused when made with another recipe
summary = recipes["summary"]
assert summary["book"]["all_hold"]  # the book's recipe meets every figure
# the test set apart: (tuning, test) mean tracking error per recipe
split = {name: [np.mean([r["tracking"] for r in recipes["rows"]
                         if r["data"] == name and (r["starts"] == TEST_SEED)
                         == is_test]) for is_test in (False, True)]
         for name in summary}
print(f"{'recipe':22s}{'ms per':>7s}{'time':>6s}{'500 reached':>13s}"
      f"{'tracking':>13s}  all{'tracking mean':>15s}\n{'':22s}{'update':>7s}"
      f"{'':6s}{'min':>6s}{'mean':>7s}{'mean':>6s}{'max':>7s}  hold"
      f"{'tuning':>8s}{'test':>7s}")
for name, row in summary.items():
    print(f"{name:22s}{row['update_ms']:7.1f}{row['time_share']:6.0%}"
          f"{row['solved_min']:6.0%}{row['solved_mean']:7.0%}"
          f"{row['tracking_mean']:6.1%}{row['tracking_max']:7.1%}  "
          + ("yes" if row["all_hold"] else "no ")
          + f"{split[name][0]:8.1%}{split[name][1]:7.1%}")
assert {r["starts"] for r in recipes["rows"]} == {*START_SEEDS, TEST_SEED}
book = summary["book"]
others = {k: v for k, v in summary.items() if k != "book"}
glue_text("recipe-book-ms", book["update_ms"])
glue_text("recipe-book-tracking", 100 * book["tracking_mean"])
glue_text("recipe-d16-ms", summary["d = 16"]["update_ms"])
glue_text("recipe-others-low", 100 * min(
    v["tracking_mean"] for v in others.values()))
glue_text("recipe-others-high", 100 * max(
    v["tracking_mean"] for v in others.values()))
# the six take from about half to three quarters of the book's time
shares = [v["time_share"] for v in others.values()]
assert 0.45 < min(shares) < 0.55 and max(shares) < 0.75
assert 0.55 < summary["d = 16"]["time_share"] < 0.75
glue_text("recipe-share-low", 100 * min(shares))
glue_text("recipe-share-high", 100 * max(shares))
# width 16: under 30% of the FLOPs, over half the time per update
assert update_flops(replace(DEFAULT_MODEL, d_model=16)) \
    < 0.3 * update_flops(DEFAULT_MODEL)
assert summary["d = 16"]["update_ms"] > 0.5 * book["update_ms"]
# none meets every figure for every seed, and each tracks worse on average
assert not any(v["all_hold"] for v in others.values())
assert all(v["tracking_mean"] > book["tracking_mean"]
           for v in others.values())
missed = [r for r in recipes["rows"] if r["data"] != "book"
          and (r["solved_500"] < 0.95 or r["tracking"] > 0.15)]
assert {r["data"] for r in missed} == set(others)
# a larger learning rate: 500 reached more often, tracking worse
lrs = [summary[k] for k in ("1000 updates", "1000 updates, lr 2e-3",
                            "1000 updates, lr 3e-3")]
assert all(a["solved_mean"] < b["solved_mean"]
           and a["tracking_mean"] < b["tracking_mean"]
           for a, b in zip(lrs, lrs[1:]))
# the recipe the book keeps
assert (DEFAULT_MODEL.n_layers, DEFAULT_MODEL.d_model, DEFAULT_MODEL.context,
        DEFAULT_TRAIN.steps) == (2, 32, 10, 2000)

# %% tags=["remove-output", "hide-input"]
fig, ax = plt.subplots(figsize=(8, 4))
names = list(summary)[::-1]  # the book's recipe on top
y = np.arange(len(names))
rows = [summary[n] for n in names]
ax.barh(y, [100 * r["tracking_mean"] for r in rows],
        color=["C2" if r["all_hold"] else "C3" for r in rows], alpha=0.8,
        label="mean")
ax.plot([100 * r["tracking_max"] for r in rows], y, "k|", ms=12,
        label="worst seed and start set")
ax.axvline(15, color="0.4", ls="--", lw=1, label="goal: at most 15%")
ax.set_yticks(y, [f"{n} ({r['time_share']:.0%} of the time)"
                  for n, r in zip(names, rows)])
ax.set_xlabel("tracking error at targets 100 to 400 [%]")
ax.legend(loc="upper center", bbox_to_anchor=(0.35, -0.16), ncol=3,
          fontsize=10)
ax.grid(axis="x", alpha=0.3)
fig.tight_layout()
glue("fig-app-recipes", fig, display=False)

# %% [markdown]
# ```{glue:figure} fig-app-recipes
# :name: fig-app-recipes
#
# The tracking error of each recipe (bar: mean over five training seeds and
# four start sets, three tuning and one test; tick: the worst of them), with its training time as a
# share of the book's recipe. Green: every seed meets Chapter 6's figures (at
# least 95% reach 500, mean return rising with the target, tracking error at
# most 15%); red: some seed misses one. From the recorded run.
# ```
#
# None of them keeps Chapter 6's figures. The book's recipe, at
# {glue:text}`recipe-book-ms:.1f` ms an update, tracks the asked-for return
# within {glue:text}`recipe-book-tracking:.1f`% on average and meets every
# figure for every seed. The other recipes take from {glue:text}`recipe-share-low:.0f`% to
# {glue:text}`recipe-share-high:.0f`% of its time; width 16 quarters the large matrix products but still takes
# {glue:text}`recipe-d16-ms:.1f` ms an update, because the rest of an update
# does not shrink with the width. Every one of them tracks worse on average
# (from {glue:text}`recipe-others-low:.1f` to
# {glue:text}`recipe-others-high:.1f`%), and each has a seed that misses a
# figure: too few of its episodes reach 500, or too large an error. A larger
# learning rate does not buy back the missing updates: it reaches 500 more
# often but tracks worse. So the book keeps two blocks of width 32, a context
# of 10 and 2,000 updates, and asks Binder's readers for the wait.

# %% [markdown]
# ## The cart-pole in the reader's browser
#
# {doc}`Chapter 2 <02_control_and_data>` and {doc}`Chapter 6 <06_decision_transformer>` run the
# cart-pole live in the page, in JavaScript (`dtcart/live.js`): the physics, the rules and the book's
# Decision Transformer, whose forward pass over the full context of 10 steps (29 tokens through two
# blocks of width 32) it recomputes at every step. Real time leaves 20 ms a step; the budget is 2 ms.
# `python -m benchmarks --only live` timed one step in headless Chromium at
# {glue:text}`live-step-ms:.2f` ms (the best block of 10 steps: what the step costs while the page has
# the CPU; whole episodes on the shared machine took {glue:text}`live-episode-ms:.2f` ms a step). Python
# needs {glue:text}`live-python-ms:.2f` ms for the same forward pass through torch on one window and one
# thread, plus {glue:text}`live-physics-us:.0f` µs for `physics.step` on one cart: torch's overhead per
# call outweighs arithmetic this small, which is why `rollout_dt` plays many carts per forward pass.


# %% tags=["hide-cell"]
live_rec = records.load("live")
print(f"Chromium {live_rec['chromium']}: {live_rec['step_ms']:.3f} ms a"
      f" step,\n  whole episodes {live_rec['episode_step_ms']:.3f} ms;\n"
      f"Python: forward {live_rec['python']['forward_ms']:.3f} ms,"
      f" physics.step {1e3 * live_rec['python']['physics_step_ms']:.1f} us")
glue_text("live-step-ms", live_rec["step_ms"])
glue_text("live-episode-ms", live_rec["episode_step_ms"])
glue_text("live-python-ms", live_rec["python"]["forward_ms"])
glue_text("live-physics-us", 1e3 * live_rec["python"]["physics_step_ms"])
assert live_rec["step_ms"] <= live_rec["budget_ms"] == 2.0
assert live_rec["python"]["forward_ms"] > live_rec["step_ms"]

# %% [markdown]
# ## What to take away
#
# - Batching is what makes a numpy simulation fast: one call for many carts, never a Python loop over
#   carts. The physics, the rollouts and the Decision Transformer's evaluation are all written that way.
# - At large batches the cost is in the few expensive functions (here $\sin$ and $\cos$), and it pays to
#   measure before rewriting them.
# - A small transformer on a CPU is limited by overheads and by how the CPU is shared: set the number of
#   threads deliberately, and measure on the machine you will run on.
# - Halving the arithmetic of training does not surely halve its time: width 16 needs under 30% of the
#   book's arithmetic per update but over half of its time, since the rest of an update does not shrink
#   with the width. And every recipe that cut the arithmetic cost the model its accuracy at returning
#   what it is asked for: score quality over several seeds before taking a faster recipe.
