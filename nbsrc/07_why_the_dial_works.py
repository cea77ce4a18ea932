# %% [markdown]
# # Why the dial works
#
# {doc}`06_decision_transformer` showed *that* the Decision Transformer plays roughly the return it is
# asked for; this chapter shows *why*. The log it learned from mixes hidden behaviours: every episode has
# its own gain, and in a third of them the controller gives out at some step. Nothing in a token says
# which behaviour produced it. Trained to predict the logged force from the return-to-go and the recent
# history, the model does the one thing regression can do with such a mixture: it plays the behaviour
# that, *in the log*, went with what it sees. The chapter shows how the model lets go, looks at the log
# as the model sees it and at why that log is not Chapter 2's, turns the dial in the middle of an
# episode, measures what tells the model which behaviour to imitate, and ends with what its attention
# looks at.
# (Symbols: {doc}`notation`.)

# %% tags=["hide-cell"]
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from myst_nb import glue

from dtcart import compare, control, data, drawing, evaluate, probes, records
from dtcart import train
from dtcart.display import glue_text, show_source

NOTEBOOK_START = time.perf_counter()
torch.set_num_threads(1)  # a small model: one thread, the other core free
K_STAR = control.critical_gain()  # 19.6 N/rad: below it the pole falls
ds = data.book_dataset()  # Chapter 6's log

# %% [markdown]
# The model is {doc}`Chapter 6 <06_decision_transformer>`'s, trained again here the same way (`train_default(0)`,
# seed 0: the same weights, bit for bit):

# %%
dt_model, _ = train.train_default(seed=0, progress=True)

# %% [markdown]
# (sec-ch7-let-go)=
# ## How the model lets go
#
# {doc}`Chapter 6 <06_decision_transformer>`'s animation played one start at three targets: asked for 500 the model
# held the pole to the end, asked for less it let the pole fall at about the requested time. *How* does it
# let go? Chapter 2 gives the yardstick. A push $u = K\theta$ holds the pole only when
# $K > K^* = (M+m)g = 19.6$ N/rad. The model's forces are not of that form, but over half a second they
# are close to it, so we can read off the gain they amount to: the least-squares $\hat K$ of
# $a_{t'} = \hat K\,\theta_{t'}$ over the last 25 steps $t'$, `evaluate.effective_gain`. {numref}`fig-ch7-let-go` shows
# it for four targets, from the start of Chapter 6's animation.

# %% tags=["hide-cell"]
slider_targets = np.arange(50, 501, 50)  # Chapter 6's ten targets
demo_start = control.random_initial_states(1, seed=2026)
demo = evaluate.rollout_dt(
    dt_model,
    slider_targets.astype(float),
    np.repeat(demo_start, len(slider_targets), 0),
)

# %% tags=["remove-output", "hide-input"]
fig, axes = plt.subplots(1, 3, figsize=(9, 3.4))
for target, color in zip(
    [100, 200, 300, 500], ["tab:red", "tab:orange", "tab:olive", "tab:green"]
):
    i = list(slider_targets).index(target)
    n = int(demo.lengths[i])
    label = f"target {target}: got {n}"
    drawing.plot_episode([axes[0], None], demo.states[i], n, color=color,
                         label=label)
    drawing.plot_force(axes[1], demo.actions[i], n, color=color)
    drawing.plot_effective_gain(
        axes[2], demo.states[i], demo.actions[i], n, color=color
    )
axes[0].legend(fontsize=10, loc="lower left")
fig.tight_layout()
glue("fig-ch7-let-go", fig, display=False)

# %% [markdown]
# ```{glue:figure} fig-ch7-let-go
# :name: fig-ch7-let-go
#
# One start, four target returns: the pole's angle (dotted, the 12-degree limit), the force the model
# applies, and the gain that force amounts to over the last half second, against time; dashed, the
# critical gain $K^* = 19.6$ N/rad below which a push $u = K\theta$ cannot hold the pole. Asked for 500,
# the model stays above $K^*$ throughout; asked for 100, 200 or 300, it drops below $K^*$ and the pole
# falls.
# ```
#
# Asked for 500, the model's effective gain stays above $K^*$ for the whole episode. Asked for 100, 200 or
# 300, it holds it above $K^*$ for a while and then lets it sink below, more than 10 steps before the end:
# from then on the pole is no longer held up, and the fall that ends the episode follows. The model lets
# go the way a controller that gives out does. Why it does so when asked for less is in its log.

# %% tags=["hide-cell"]
demo_returns = dict(zip(slider_targets.tolist(), demo.lengths.tolist()))
held_gain = {
    g: evaluate.effective_gain(demo.states[i], demo.actions[i], n)
    for i, (g, n) in enumerate(demo_returns.items())
}
assert demo_returns[100] < demo_returns[300] < demo_returns[500] == 500
assert held_gain[500].min() > K_STAR  # held up all the way
for g in (100, 200, 300):  # let go: below K* over 10 steps before the end
    below = np.flatnonzero(held_gain[g] < K_STAR)
    assert demo.fell[list(slider_targets).index(g)]
    assert below.size and demo_returns[g] - below[0] > 10
    print(f"target {g}: below K* from step {below[0]}, fell at step"
          f" {demo_returns[g]}")

# %% [markdown]
# (sec-ch7-log)=
# ## The log as the model sees it
#
# At step $t$ of an episode the model is told the return-to-go $\hat R_t$, the steps still to come, and
# (through the timestep embedding) $t$ itself. {numref}`fig-ch7-log` shows what those two numbers went
# with in the log: the gain of the controller that was acting, for every step of the 1000 episodes.

# %% tags=["hide-cell"]
took = train.episode_mask(ds)  # (N, T): the steps the episodes took
step = np.broadcast_to(np.arange(ds.max_steps), took.shape)
# the controller's gain at every step: its own, or, once it gave out, less
gain_now = np.where(step < ds.drop_steps[:, None], ds.gains[:, None],
                    ds.drop_gains[:, None])
rtg, t_of, k_of = ds.rtg[took], step[took], gain_now[took]
given_out = (step >= ds.drop_steps[:, None])[took]
bins = np.arange(0, 525, 25)  # 25-step cells of t and of R_t
total, _, _ = np.histogram2d(t_of, rtg, bins=(bins, bins), weights=k_of)
count, _, _ = np.histogram2d(t_of, rtg, bins=(bins, bins))
with np.errstate(invalid="ignore"):
    cell_gain = total / count  # (t bin, R bin) mean gain [N/rad]
mid = (t_of >= 100) & (t_of < 400)  # mid-episode
little_left, much_left = mid & (rtg <= 50), mid & (rtg >= 200)
gain_little, gain_much = k_of[little_left].mean(), k_of[much_left].mean()
weak_little = np.mean(k_of[little_left] < K_STAR)
out_little = given_out[little_left].mean()
held_little = k_of[little_left & ~given_out].mean()

# %% tags=["remove-output", "hide-input"]
fig, (ax0, ax1) = plt.subplots(
    1, 2, figsize=(8.2, 3.8), gridspec_kw={"width_ratios": [1.2, 1]}
)
image = ax0.pcolormesh(bins, bins, cell_gain.T, cmap="RdBu", vmin=0,
                       vmax=2 * K_STAR)
ax0.set_xlabel("step $t$")
ax0.set_ylabel(r"return-to-go $\hat R_t$ [steps]")
ax0.set_title("mean gain of the acting controller")
fig.colorbar(image, ax=ax0, label="gain [N/rad] (white: $K^*$)")
centres = bins[:-1] + 12.5
in_mid = np.array([k_of[mid & (rtg >= lo) & (rtg < lo + 25)].mean()
                   if (mid & (rtg >= lo) & (rtg < lo + 25)).any() else np.nan
                   for lo in bins[:-1]])
ax1.plot(centres, in_mid, "o-", color="tab:blue")
ax1.axhline(K_STAR, color="k", ls="--", lw=1, label="$K^*$")
ax1.set_xlabel(r"return-to-go $\hat R_t$ [steps]")
ax1.set_ylabel("mean gain [N/rad]")
ax1.set_title("steps 100 to 399")
ax1.legend()
fig.tight_layout()
glue("fig-ch7-log", fig, display=False)

# %% [markdown]
# ```{glue:figure} fig-ch7-log
# :name: fig-ch7-log
#
# The book's log, every step of its 1000 episodes. Left: the mean gain of the controller acting at
# step $t$ with $\hat R_t$ steps to come, in cells of 25 by 25 steps (blue: above $K^*$, the pole held
# up; red: below, the pole falling; blank: no step of the log). Right: the same against $\hat R_t$ alone,
# for the steps in mid-episode (100 to 399).
# ```
#
# Read along a column. In the first steps, a small return-to-go marks the few episodes whose gain was
# below $K^*$ from the start, and a large one a firm controller. In mid-episode the picture splits. Steps
# with 200 or more still to come are held by firm controllers, {glue:text}`ch7-gain-much` N/rad on
# average, none of which has given out. Steps with 50 or fewer to come have a controller of
# {glue:text}`ch7-gain-little` N/rad on average, at $K^*$: {glue:text}`ch7-out-little` of them have given
# out, {glue:text}`ch7-weak-little` are below $K^*$ all told, and the rest are weak ones, of
# {glue:text}`ch7-held-little` N/rad on average, just strong enough to hold the pole while the cart
# drifts off the track. A small return-to-go in mid-episode *means* a controller that has given out or is
# weak. So asking the model for less is asking it to play like the episodes that had less left.

# %% tags=["hide-cell"]
for key, value in (("gain-much", gain_much), ("gain-little", gain_little),
                   ("held-little", held_little)):
    glue_text(f"ch7-{key}", f"{value:.0f}")
glue_text("ch7-out-little", f"{out_little:.0%}")
glue_text("ch7-weak-little", f"{weak_little:.0%}")
assert [round(v) for v in (gain_much, gain_little, held_little)] == [24, 19,
                                                                     21]
assert round(100 * out_little) == 13 and round(100 * weak_little) == 30
assert not given_out[much_left].any()
assert len(ds) == 1000 and 0.3 < np.mean(ds.drop_steps < ds.max_steps) < 0.4

# %% [markdown]
# (sec-ch7-why-data)=
# ## Why the book's log is not Chapter 2's
#
# {doc}`Chapter 6 <06_decision_transformer>`'s first version trained on {doc}`Chapter 2 <02_control_and_data>`'s log with 0.25 N of noise and nothing
# else. It balanced the pole when asked for 500, but in the middle it was a poor dial, and at 500 not a
# reliable one: asked for 300 or 400 it overshot, by {glue:text}`ch7-overshoot-300:.0%` and
# {glue:text}`ch7-overshoot-400:.0%` on average, and for one training seed in five
# {glue:text}`ch7-short-lo:.0%` to {glue:text}`ch7-short-hi:.0%` of the starts fell short of 500. The recorded run below, made with
# `python -m benchmarks --only seeds --ablation --json`, puts numbers on that. It
# trains five seeds on each of three logs, the old one (`old`), the book's with the old noise
# (`drops, 0.25 N`) and the book's (`book`), and scores every model on four sets of 60 unseen starts
# (the three tuning sets and the test set; a log chosen on the tuning sets must hold on the test set too). The
# cell checks that the record was made with this page's model, training and data settings, so it cannot
# silently go stale.
#
# With the book's log every seed meets {doc}`Chapter 6 <06_decision_transformer>`'s three figures (at
# least 95% of the starts reach 500 when asked for 500, the mean return rises with the target, the
# tracking error is at most 15%) on every start set; with the old one, some seeds
# miss the tracking figure and one misses the 95%. The two changes do different jobs, and the middle log
# tells them apart: the drops fix the dial, and the stronger noise fixes the hold at 500.
#
# ````{admonition} The evidence: drift on a hair, failures on cue, and copying
# :class: dropdown
#
# **A middling return in Chapter 2's log is a cart drifting off the track, and drift hangs on a hair.**
# Under $u = K\theta$ the cart is not controlled at all: it keeps whatever speed the start and the pole's
# swings gave it, and how soon it leaves the track depends on forces far too small to matter to the pole.
# Add to the gain-20.5 controller a term of $-0.09\,\dot x$, a few hundredths of a newton at the speeds in
# its episodes (0.02 N at the median speed), and its episodes lose about half their length. Add exploration noise instead and the same
# happens: the noise kicks the cart's speed about, a random walk that ends the episode sooner.
#
# A regression on states and returns cannot reproduce details of that size, and what it does reproduce is
# the *average* force behind a return, which has no noise in it: a model trained on noisy episodes that
# lasted 300 steps plays a noise-free controller that lasts longer. Hence the overshoot. A Decision
# Transformer conditions on what happened, not on what caused it; where one return can come from many
# behaviours, or from luck, it gets the average behaviour, not the return, the caveat about stochastic
# environments that {cite:t}`paster2022` found, and that the paper does not raise: where returns are
# partly luck, conditioning on them asks for luck.
#
# **An episode whose controller gives out ends on cue.** Once the gain drops below $K^*$ the pole falls,
# in about half a second whatever the cart is doing. So in the book's log a middling return can be read as
# a decision, "hold the pole until about 25 steps before the end, then let go", and a decision is something
# a model can learn. The record shows it: with the drops, the tracking error falls to a few percent, even
# with the old noise.
#
# The price of the stronger noise is visible too: the book's log tracks a little worse than the middle
# one, because its drifting episodes are more biased by noise. What it buys is the hold at 500.
#
# **Copying.** The models that fail to hold 500 fail by the copycat trap of {ref}`sec-ch6-training`, at a
# smaller scale: with 0.25 N of noise the previous force is still a good enough guide that some seeds lean
# on it, which makes them slightly late controllers, and a late controller lets the cart drift or the pole
# go. The record's last column measures the lean: a model's forces during its own episodes at target 500,
# fitted as $a_t \approx c\,a_{t-1} + k\,\theta_t$. The heuristic has $c = 0$; a model that only copied
# would have $c = 1$.
#
# The measurements behind these paragraphs are in the collapsed cells below the record's summary.
# ````

# %% tags=["hide-cell"]
# refused (RuntimeError) if made with other model, training or data settings
seeds_record = records.load("seeds")
print(
    f"{'log':>14s} {'seed':>4s} {'starts':>6s} {'500 reached':>11s}"
    f" {'mean achieved at 100..500':>26s} {'tracking':>8s} {'copy c':>6s}"
)
for row in seeds_record["rows"]:
    print(
        f"{row['data']:>14s} {row['seed']:4d} {row['starts']:6d}"
        f" {row['solved_500']:11.0%}"
        f" {' '.join(f'{m:4.0f}' for m in row['means']):>26s}"
        f" {row['tracking']:8.1%} {row['copy']:6.2f}"
    )
rows_of = {
    log: [r for r in seeds_record["rows"] if r["data"] == log]
    for log in seeds_record["datasets"]
}
assert (
    all(len({r["seed"] for r in rows}) == 5 for rows in rows_of.values())
    and seeds_record["ok"]
)
assert all(
    r["solved_500"] >= 0.95 and r["rising"] and r["tracking"] <= 0.15
    for r in rows_of["book"]
)
overshoot = {
    g: np.mean([r["means"][i] for r in rows_of["old"]]) / g - 1
    for i, g in ((2, 300), (3, 400))
}
print(
    "old log, mean overshoot at targets 300 and 400:",
    {g: f"{o:+.0%}" for g, o in overshoot.items()},
)
assert (
    all(0.15 < o < 0.35 for o in overshoot.values())
    and max(r["tracking"] for r in rows_of["old"]) > 0.15
)
for g, o in overshoot.items():
    glue_text(f"ch7-overshoot-{g}", float(o))
assert min(r["solved_500"] for r in rows_of["old"]) < 0.8
# one seed in five misses 500 on some starts; glued: its share of short starts
missing = {r["seed"] for r in rows_of["old"] if r["solved_500"] < 0.95}
short_share = [1 - r["solved_500"] for r in rows_of["old"]
               if r["seed"] in missing]
assert len(missing) == 1 and len({r["seed"] for r in rows_of["old"]}) == 5
glue_text("ch7-short-lo", float(min(short_share)))
glue_text("ch7-short-hi", float(max(short_share)))
# the middle log (drops, old noise) still misses the hold at 500; the book's
# stronger noise holds it
assert min(r["solved_500"] for r in rows_of["drops, 0.25 N"]) < 0.95

# %% tags=["hide-input"]
print(f"{'log':>14s} {'models meeting':>15s} {'500 reached':>12s}"
      f" {'tracking':>13s} {'copy c':>10s}\n{'':>14s} {'the 3 figures':>15s}"
      f" {'(lowest)':>12s} {'mean (worst)':>13s} {'(range)':>10s}")
for log, rows in rows_of.items():
    meets = sum(r["solved_500"] >= 0.95 and r["rising"]
                and r["tracking"] <= 0.15 for r in rows)
    track, copy = [r["tracking"] for r in rows], [r["copy"] for r in rows]
    print(f"{log:>14s} {f'{meets} of {len(rows)}':>15s}"
          f" {min(r['solved_500'] for r in rows):12.0%}"
          f" {np.mean(track):5.1%} ({max(track):5.1%})"
          f" {min(copy):4.2f}-{max(copy):4.2f}")

# %% tags=["hide-cell"]
probe_starts = control.random_initial_states(200, seed=5)
plain = control.rollout(control.heuristic(20.5), probe_starts).lengths.mean()
nudged = control.rollout(
    lambda s: 20.5 * s[:, 0] - 0.09 * s[:, 3], probe_starts
).lengths.mean()
noise_rng = np.random.default_rng(0)
noise = data.BOOK_DATA["action_noise"]
noisy = control.rollout(
    lambda s: 20.5 * s[:, 0] + noise * noise_rng.standard_normal(len(s)),
    probe_starts,
)
print(
    f"K = 20.5 on 200 starts: {plain:.0f} steps on average;\nwith -0.09 x_dot:"
    f" {nudged:.0f}; with {noise} N of noise: {noisy.lengths.mean():.0f}"
)
assert nudged < 0.6 * plain and noisy.lengths.mean() < 0.6 * plain
# the nudge at the speeds of the plain episodes: a few hundredths of a newton
plain_run = control.rollout(control.heuristic(20.5), probe_starts)
live = np.arange(501) <= plain_run.lengths[:, None]  # (200, 501)
nudge = 0.09 * np.abs(plain_run.states[..., 3][live])  # [N]
assert round(np.median(nudge), 2) == 0.02 and np.percentile(nudge, 90) < 0.1

# %% tags=["hide-cell"]
dropped = ds.drop_steps < ds.max_steps  # (N,) the gain gave out
fell = dropped & (ds.lengths > ds.drop_steps)
fall_steps = ds.lengths[fell] - ds.drop_steps[fell]
print(
    f"{fell.sum()} episodes end after their gain dropped:\n"
    f"  {np.median(fall_steps):.0f} steps later (median), 95% of them within"
    f" {np.percentile(fall_steps, 95):.0f}"
)
assert 15 < np.median(fall_steps) < 35 and np.percentile(fall_steps, 95) < 80
tracking_of = {
    log: np.mean([r["tracking"] for r in rows]) for log, rows in rows_of.items()
}
print("mean tracking error over seeds and start sets:")
for log, e in tracking_of.items():
    print(f"  {log:>14s}: {e:.1%}")
assert (
    tracking_of["drops, 0.25 N"] < 0.5 * tracking_of["old"]
    and tracking_of["book"] < 0.6 * tracking_of["old"]
)
# the price of the stronger noise, below
assert tracking_of["drops, 0.25 N"] < tracking_of["book"]

# %% tags=["hide-cell"]
show_source(evaluate.copy_coefficient, docstring=False)

# %% tags=["hide-cell"]
# Chapter 6's 60 evaluation starts (tuning set 777), played at 500
at_500 = evaluate.rollout_dt(
    dt_model, 500.0, control.random_initial_states(60, seed=777)
)
c_book = evaluate.copy_coefficient(at_500)
failing = [r for r in seeds_record["rows"] if r["solved_500"] < 0.95]
print(
    f"this page's model: c = {c_book:.2f}\n"
    f"book seeds: c up to {max(r['copy'] for r in rows_of['book']):.2f}\n"
    f"the models that miss 95% at 500: c from"
    f" {min(r['copy'] for r in failing):.2f}"
)
for log, seed in sorted({(r["data"], r["seed"]) for r in failing}):
    print(f"  log {log!r}, seed {seed}")
assert failing and min(r["copy"] for r in failing) > max(
    r["copy"] for r in rows_of["book"]
)
assert c_book > 0.1  # it still leans on the last force
# this page's model is the record's book seed 0, and the record's first start
# set is this page's
mine = next(r for r in rows_of["book"] if r["seed"] == 0 and r["starts"] == 777)
assert abs(mine["copy"] - c_book) < 0.05

# %% [markdown]
# Every model that misses the 95% leans on its previous force more than any model trained on the book's
# log. The book's models still lean on it (copying never quite stops paying), but not enough to lose the
# cart.

# %% [markdown]
# (sec-ch7-retarget)=
# ## Turning the dial mid-episode
#
# If the model reads the return-to-go as "which kind of episode is this?", then changing it in the middle
# of an episode should change the behaviour it plays. `evaluate.rollout_dt` takes a `retarget`, a
# mapping `{step: new return-to-go}`: before choosing the action of that step, the return-to-go becomes
# the new value, and later steps count down from it as usual. The model still sees, in its context, the
# returns-to-go it was given before the turn. The change to the rollout loop of
# {doc}`06_decision_transformer` is two lines:

# %%
show_source(evaluate._play_dt, docstring=False)

# %% [markdown]
# Four turns, each played from the 60 starts of the test set (`compare.TEST_SEED`) that no recipe was
# chosen on: down from 500 to 50 and to 100 at step 200, and up at step 50 from 100 (to 450) and at step
# 100 from 200 (to 400); both raises ask for 500 in all.

# %%
test_starts = control.random_initial_states(60, seed=compare.TEST_SEED)
TURNS = {  # name: (target, step of the turn, new return-to-go)
    "500, down to 50 at 200": (500.0, 200, 50.0),
    "500, down to 100 at 200": (500.0, 200, 100.0),
    "100, up to 450 at 50": (100.0, 50, 450.0),
    "200, up to 400 at 100": (200.0, 100, 400.0),
}
turned = {name: evaluate.rollout_dt(dt_model, target, test_starts,
                                    retarget={step: new})
          for name, (target, step, new) in TURNS.items()}
for name, run in turned.items():
    after = run.lengths - TURNS[name][1]  # steps played after the turn
    print(f"{name}: ends {after.min()} to {after.max()} steps after the"
          f" turn\n  (mean length {run.lengths.mean():.1f}),"
          f" {run.solved.mean():.0%} reach 500")

# %% tags=["remove-output", "hide-input"]
fig, ax = plt.subplots(figsize=(8.5, 3.4))
jitter = np.random.default_rng(0).uniform(-0.15, 0.15, 60)
for row, (name, run) in enumerate(turned.items()):
    target, step, new = TURNS[name]
    ax.plot(run.lengths, row + jitter, "o", ms=3.5, alpha=0.6,
            color="tab:red" if new < target - step else "tab:green")
    ax.plot([step] * 2, [row - 0.35, row + 0.35], color="k", lw=2)
    ax.plot([min(step + new, 500)] * 2, [row - 0.35, row + 0.35],
            color="tab:blue", ls="--", lw=2, zorder=3)  # over the dots
ax.set_yticks(range(len(turned)), list(turned))
ax.set_xlim(0, 520)
ax.set_xlabel("episode length [steps]")
ax.invert_yaxis()
fig.tight_layout()
glue("fig-ch7-retarget", fig, display=False)

# %% [markdown]
# ```{glue:figure} fig-ch7-retarget
# :name: fig-ch7-retarget
#
# The dial turned mid-episode, on the 60 test starts: one dot per episode at the step it ended (500: held
# to the end). Black: the step of the turn; dashed blue: where the new return-to-go asks the episode to
# end. Red: turned down; green: turned up.
# ```

# %% tags=["hide-cell"]
after = {n: r.lengths - TURNS[n][1] for n, r in turned.items()}
down50, down100, up450, up400 = TURNS
for key, name in (("ch7-d50-range", down50), ("ch7-d100-range", down100)):
    glue(key, f"{after[name].min()} to {after[name].max()}", display=False)
    assert after[name].min() > 0 and not turned[name].solved.any()
glue_text("ch7-d50-mean", f"{turned[down50].lengths.mean():.0f}")
assert (after[down50].min(), after[down50].max()) == (42, 131)
assert (after[down100].min(), after[down100].max()) == (100, 175)
assert round(turned[down50].lengths.mean()) == 270
glue_text("ch7-d50-late", f"{turned[down50].lengths.mean() - 250:.0f}")
share = {n: turned[n].solved.mean() for n in (up450, up400)}
glue_text("ch7-u450-share", f"{share[up450]:.0%}")
glue_text("ch7-u400-share", f"{share[up400]:.0%}")
assert [round(100 * share[n]) for n in (up450, up400)] == [47, 80]
# how far the pole leaned when the dial went up at step 50
raised = turned[up450]
lean = np.abs(raised.states[:, 50, 0])  # |theta| at the raise [rad]
lean_held, lean_fell = lean[raised.solved].mean(), lean[~raised.solved].mean()
glue_text("ch7-lean-held", f"{lean_held:.2f}")
glue_text("ch7-lean-fell", f"{lean_fell:.2f}")
assert (round(lean_held, 2), round(lean_fell, 2)) == (0.02, 0.06)

# %% [markdown]
# **Down works.** Every episode turned down at step 200 ends after the turn and none reaches 500; asked
# for 50 more steps, they last {glue:text}`ch7-d50-range` more (a mean length of {glue:text}`ch7-d50-mean`);
# asked for 100 more, {glue:text}`ch7-d100-range`. **Up works only partly.** Raised from 100 to 450 at step
# 50, {glue:text}`ch7-u450-share` of the episodes reach 500; raised from 200 to 400 at step 100,
# {glue:text}`ch7-u400-share`. At the raise at step 50, the pole of the episodes that went on to fall
# already leaned {glue:text}`ch7-lean-fell` rad on average, against {glue:text}`ch7-lean-held` rad for
# those that were held to 500.
#
# That asymmetry is what conditional imitation predicts, because it is the log's asymmetry. The log has
# plenty of episodes that held the pole for a long time and then let go late: a controller can give out at
# any step of the first 400. So when the return-to-go drops at step 200, the situation the model is in
# (a firm controller so far, a pole upright, little left) is one the log has shown it many times, and it
# plays what followed: letting go. The log has no episode that *recovers*: a controller that gave out
# never came back. Raised before it had begun to let go, the model is in a familiar situation again (a
# firm controller, much left) and holds on; raised once its pole had begun to fall, it sees a history
# that in the log only ever came before a fall, and it cannot imitate a recovery nobody logged. Asked for
# 100, the model begins to let go well before the end, so by step 50 some poles already lean, and those
# are the ones that fall; asked for 200 and raised at step 100, fewer have begun.
#
# Try it yourself in {doc}`Chapter 6 <06_decision_transformer>`'s live dial, which turns the same knob by the same
# rule (the return-to-go jumps to the dial's value and counts down from there). Turn it down while the
# cart is balancing, and the pole falls soon after the new return-to-go runs out (turned down to 50 at
# step 200, the episodes above end {glue:text}`ch7-d50-late` steps after step 250 on average); turn it
# up once the pole has begun to lean, and often it cannot be caught again.
#
# (sec-ch7-probes)=
# ## What tells the model which behaviour to imitate?
#
# Two candidates carry the hidden behaviour into the model's input. One is the **return-to-go with the
# step**: $\hat R_t + t$ is the episode's return, and in the log the return says a lot about the
# controller (a return of 500 needs a firm one). The other is the **history**: the last $C$ states and
# forces show how firmly the controller has been answering the tilt. {cite:t}`chen2021` (section 5.3)
# read the benefit of a longer context the second way: when the data comes from a distribution of
# policies, the context lets the transformer identify which policy generated the actions. Which one
# holds here can be measured.
#
# A **linear probe** asks how much of a hidden quantity a set of features carries: fit the quantity
# from the features by least squares on 70% of the rows, and score the fit on the other 30% by its $R^2$
# (1: the features determine it linearly; 0: no better than a constant). We draw 2000 steps of the log
# at random (each with a full window of $C = 10$ steps behind it) and probe two hidden quantities, the
# acting controller's **gain** and whether it **has given out**, from four sets of features: (a)
# $\hat R_t + t$; (b) the current state $s_t$; (c) the raw window of the last 10 states and 9 forces;
# (d) the trained model's last hidden state at the state token $s_t$, the vector its action is read from
# (`probes.hidden_states`).

# %%
show_source(probes.probe_r2, docstring=False)

# %%
rows = probes.sample_log(ds, 2000, dt_model.config.context, seed=0)
features = {
    "(a) return + step": rows["episode_return"],
    "(b) state": rows["state"],
    "(c) raw window": rows["history"],
    "(d) model's hidden state": probes.hidden_states(dt_model, rows["window"]),
}
r2 = {hidden: {name: probes.probe_r2(x, rows[hidden])
               for name, x in features.items()}
      for hidden in ("gain", "given_out")}
for hidden, scores in r2.items():
    print(f"{hidden}:\n  " + "\n  ".join(f"{name} {score:.2f}"
                                         for name, score in scores.items()))

# %% [markdown]
# The probes say what the input *carries*. What the model *uses* shows in a second measurement, already
# made for {doc}`08_worth`: learners that see the return but no history against the Decision
# Transformer, which sees both, trained on the same log with the same loop and scored on the same starts.
# Chapter 8's record gives their dial's tracking error (mean $|\text{achieved} - \text{target}| /
# \text{target}$ over the targets 100 to 400) for five seeds, each on every set of starts of that record;
# the cell refuses the record if it was made with other settings.

# %%
record = records.load("worth")  # refused when made with other settings
# see R_t and history through attention; history without attention;
# no history (R_t, s_t, and for the context-1 transformer t)
DIALS = ("DT", "history MLP", "DT, context 1", "RvS MLP")
tracking = {name: np.array([r["tracking"] for r in record["learners"]
                            if r["learner"] == name]) for name in DIALS}
for name, errors in tracking.items():
    print(f"{name:>14s}: tracking error {errors.mean():.1%} (mean),"
          f" {errors.min():.1%} to {errors.max():.1%}")

# %% tags=["remove-output", "hide-input"]
fig, (ax0, ax1) = plt.subplots(
    1, 2, figsize=(8.2, 4.0), gridspec_kw={"width_ratios": [1.5, 1]}
)
names = list(features)
xs = np.arange(len(names))
for offset, (hidden, label) in zip(
    (-0.2, 0.2), (("gain", "gain"), ("given_out", "has given out"))
):
    ax0.bar(xs + offset, [r2[hidden][n] for n in names], width=0.4,
            label=label)
ax0.set_xticks(xs, [n.replace(") ", ")\n").replace("'s ", "'s\n")
                    for n in names], fontsize=10)
ax0.set_ylabel("probe $R^2$ on held-out steps")
ax0.axhline(0, color="k", lw=0.8)
ax0.set_ylim(min(-0.05, min(min(v.values()) for v in r2.values())), 1)
ax0.legend(title="probed", fontsize=10)
ax0.set_title("what the input carries")
for i, name in enumerate(DIALS):
    ax1.plot(np.full(len(tracking[name]), i), tracking[name] * 100, "o",
             alpha=0.5)
    ax1.plot([i - 0.25, i + 0.25], [tracking[name].mean() * 100] * 2, "k-")
ax1.set_xticks(range(len(DIALS)), ["DT\n(history)", "history\nMLP",
                                   "DT,\ncontext 1", "RvS\nMLP"], fontsize=10)
ax1.set_ylabel("tracking error [%]")
ax1.set_ylim(0, None)
ax1.set_title("what the dial gets")
fig.tight_layout()
glue("fig-ch7-probes", fig, display=False)

# %% [markdown]
# ```{glue:figure} fig-ch7-probes
# :name: fig-ch7-probes
#
# Left: linear probes of the acting controller's gain and of whether it has given out, on 2000 random
# steps of the book's log, from (a) $\hat R_t + t$, (b) the state, (c) the raw window of 10 states and 9
# forces, (d) the trained model's hidden state at $s_t$; $R^2$ on the 30% of the steps the fit did not
# see. Right: tracking error of the dial, from {doc}`Chapter 8 <08_worth>`'s record (one dot per seed and start set;
# bar: the mean), for the Decision Transformer, an MLP that sees the same ten steps without attention,
# and two learners that see $\hat R_t$ and $s_t$ but no history.
# ```

# %% tags=["hide-cell"]
short = dict(zip(features, ("ret", "state", "window", "hidden")))
for name, key in short.items():
    glue_text(f"ch7-r2-{key}", f"{r2['gain'][name]:.2f}")
worst_given_out = max(abs(v) for v in r2["given_out"].values())
glue_text("ch7-r2-given-out", f"{worst_given_out:.2f}")
for name, errors in zip(("dt", "hist", "c1", "rvs"), tracking.values()):
    glue_text(f"ch7-track-{name}", f"{errors.mean():.1%}")
gain_r2 = r2["gain"]
assert round(gain_r2["(a) return + step"], 2) == 0.38
assert all(gain_r2[n] < 0.1 for n in list(features)[1:])  # the rest
assert worst_given_out < 0.15
assert dt_model.config.context == 10 and data.BOOK_DATA["action_noise"] == 0.5
assert all(len({r["seed"] for r in record["learners"] if r["learner"] == n})
           == 5 for n in DIALS)
# the dial with history read by attention is the best of the four, and the
# history without attention is no better than no history
assert tracking["DT"].mean() < min(tracking[n].mean() for n in DIALS[1:])
assert tracking["history MLP"].mean() > tracking["RvS MLP"].mean()

# %% [markdown]
# **The return-to-go tells the model which controller it is.** Of the four, only $\hat R_t + t$ carries
# the gain in a form a linear fit can read: $R^2 =$ {glue:text}`ch7-r2-ret`. The current state carries
# none of it ({glue:text}`ch7-r2-state`), as it should: every controller of the log keeps the pole near
# upright, so a state says little about who is holding it. The raw window carries none linearly either
# ({glue:text}`ch7-r2-window`): the gain hides in the *ratio* of force to tilt, under 0.5 N of
# exploration noise, and a ratio is not a weighted sum. The trained model's hidden state carries hardly
# more ({glue:text}`ch7-r2-hidden`): it does not lay the gain out along a line. Whether the controller
# **has given out**, no probe finds at all (every $|R^2| \le$ {glue:text}`ch7-r2-given-out`).
#
# **The history still makes the dial better.** In {doc}`Chapter 8 <08_worth>`'s record the Decision Transformer misses
# the targets by {glue:text}`ch7-track-dt` on average, the RvS MLP, which sees $\hat R_t$ and $s_t$ but no
# history, by {glue:text}`ch7-track-rvs`, and the Decision Transformer with a context of one step by
# {glue:text}`ch7-track-c1`. But the history alone is not what does it: an MLP that sees the same ten
# steps, trained in the same loop for the same budget, misses by {glue:text}`ch7-track-hist`, no better
# than the learners without history. On this task the dial's precision is the history *as attention
# reads it*; {doc}`08_worth` weighs that finding.
#
# Put together, the measurements say what holds on this task. *Which* behaviour to imitate is announced
# mostly by the return-to-go and the step, not recovered from the history: $\hat R_t + t$ is the
# episode's return, and in the log the return goes with the controller. What the history adds is
# *keeping to it*: a decision to let go, once begun, shows in the model's own recent forces and states,
# and a model that sees them continues what it started instead of deciding afresh every step. The mid-
# episode turns show the same thing from the other side: a model whose own history says "letting go"
# cannot be talked back by a larger return-to-go. {cite:t}`chen2021`'s reading, the history identifying
# the policy, is theirs, for their mixed datasets; here a linear probe does not find the policy in the
# history, though a probe that is not linear might.

# %% [markdown]
# (sec-ch7-attention)=
# ## What the attention looks at
#
# Finally, a look inside. For the episode at target 500 of {numref}`fig-ch7-let-go`, late enough that the
# context is full, these are the attention weights of every head of every block, over the $3C$ tokens of
# the window the model was handed to choose its action at step 199 (`evaluate.context_window`, the same
# function `rollout_dt` calls, reading the episode back):

# %% tags=["hide-input"]
i = list(slider_targets).index(500)
t_end = 200
C = dt_model.config.context
running_rows = demo.lengths > t_end - 1  # the episodes running at step 199
window = evaluate.context_window(
    demo,
    evaluate.played_returns_to_go(slider_targets.astype(float), demo),
    t_end - 1,
    C,
    running_rows,
)
with torch.inference_mode():
    chosen = dt_model(*window)[:, -1, 0].double().numpy()
    attention = dt_model.attention_weights(*window)
# read back, the window gives the very forces the model chose at that step
assert np.array_equal(chosen, demo.actions[running_rows, t_end - 1])
j = np.flatnonzero(running_rows).tolist().index(i)  # the target-500 row
attention = [weights[j : j + 1] for weights in attention]
n_layers, n_heads = len(attention), attention[0].shape[1]

# %% tags=["remove-output", "hide-input"]
token_names = [
    f"{k}{t}" for t in range(t_end - C, t_end) for k in ("R", "s", "a")
]
state_rows = np.arange(1, 3 * C, 3)  # the tokens actions are read from
# one row per block and head
fig, axes = plt.subplots(
    n_layers * n_heads,
    1,
    figsize=(8, 2.9 * n_layers * n_heads),
    squeeze=False,
)
for l in range(n_layers):
    for h in range(n_heads):
        ax = axes[l * n_heads + h, 0]
        image = ax.imshow(
            attention[l][0, h].numpy()[state_rows],
            cmap="viridis",
            vmin=0,
            aspect="auto",
        )
        ax.set_title(f"block {l + 1}, head {h + 1}")
        ax.set_xticks(range(3 * C), token_names, fontsize=10, rotation=90)
        ax.set_yticks(
            range(C), [token_names[j] for j in state_rows], fontsize=10
        )
        ax.set_xlabel("key token (attended to)")
        ax.set_ylabel("query: state token")
        fig.colorbar(image, ax=ax, shrink=0.8, label="weight")
fig.tight_layout()
glue("fig-ch7-attention", fig, display=False)

# %% [markdown]
# ```{glue:figure} fig-ch7-attention
# :name: fig-ch7-attention
#
# Attention weights of the trained Decision Transformer, one panel (row) per block and head, for one context of $C$
# steps ending at step 199 of an episode played at target 500. Rows: the state tokens, where actions are
# read; columns: every token of the context (kind R, s or a, and time step). Each row sums to 1; tokens
# after the query are masked. The bright top-left corner is the causal mask's doing: the first state token
# may see only two tokens, its own return-to-go and itself, so each gets a large share.
# ```
#
# The state tokens are where actions are read, so their rows matter most. One window is an anecdote; the
# next cell reads the window of every 10th step of the 60 episodes at target 500 from Chapter 6's
# evaluation starts (seed 777; played in the collapsed cells of {ref}`sec-ch7-why-data`)
# and measures, for the state token that chooses the action, how its attention splits between the three
# kinds of token, and the largest weight any single token gets. A uniform spread over the $3C - 1 = 29$
# tokens it may see would give each token 3.4% and the ten state tokens 34%.

# %% tags=["hide-input"]
rtg_500 = evaluate.played_returns_to_go(500.0, at_500)
query = 3 * C - 2  # the last state token, where the action is read
kinds = {"R": [], "s": [], "a": [], "a_prev": [], "largest": []}
for t in range(C - 1, 500, 10):
    running = at_500.lengths > t
    with torch.inference_mode():
        per_block = dt_model.attention_weights(
            *evaluate.context_window(at_500, rtg_500, t, C, running)
        )
    # (blocks, episodes, 3C) weights of the query, one head per block
    w = torch.stack([b[:, 0, query] for b in per_block]).numpy()
    for j, kind in enumerate(("R", "s", "a")):
        kinds[kind].append(w[:, :, j::3].sum(-1))
    kinds["a_prev"].append(w[:, :, query - 2])
    kinds["largest"].append(w.max(-1))
attends = {k: np.concatenate(v, axis=1) for k, v in kinds.items()}
mean = {k: v.mean(axis=1) for k, v in attends.items()}  # per block
uniform = {"R": 10 / 29, "s": 10 / 29, "a": 9 / 29}
for block in range(n_layers):
    print(
        f"block {block + 1}: R {mean['R'][block]:.2f},"
        f" s {mean['s'][block]:.2f}, a {mean['a'][block]:.2f},"
        f" previous a {mean['a_prev'][block]:.3f};"
        f" largest weight {attends['largest'][block].max():.2f}"
    )
assert n_layers == 2 and n_heads == 1
# block 1 spreads its weight: no token ever gets 20%, the kinds near uniform
assert attends["largest"][0].max() < 0.2
assert all(abs(mean[k][0] - uniform[k]) < 0.1 for k in uniform)
# block 2 leans to the states: about half of the weight
assert 0.45 < mean["s"][1] < 0.6
# the previous action gets no more than a uniform share in either block
assert (mean["a_prev"] < 1 / 29 + 0.01).all()

# %% [markdown]
# So the trained model does not look up a particular step. Its first block spreads the state token's
# attention over the whole window, no token ever getting a fifth of it, in shares of returns-to-go, states
# and actions close to a uniform spread's; its second block gives about half of its weight to the ten
# states, against a uniform third. Attention here works as a learnt average of the last $C$ steps, tilted
# toward the states in the second block. And the previous action, on which the copy coefficient of
# {ref}`sec-ch7-why-data` shows the model leans, gets no special weight: about 3%, a uniform spread's share.

# %% tags=["hide-cell"]
notebook_seconds = time.perf_counter() - NOTEBOOK_START
print(f"this chapter ran in {notebook_seconds:.0f} s")
