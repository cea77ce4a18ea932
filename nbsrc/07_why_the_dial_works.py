# %% [markdown]
# # Why the dial works
#
# {doc}`06_decision_transformer` showed *that* the Decision Transformer plays roughly the return it is
# asked for; this chapter shows *why*. The log it learned from mixes hidden behaviours: every episode has
# its own gain, and in a third of them the controller gives out at some step. Nothing in a token says
# which behaviour produced it. Trained to predict the logged force from the return-to-go and the recent
# history, the model does the one thing regression can do with such a mixture: it plays the behaviour
# that, *in the log*, went with what it sees. The chapter looks at the log as the model sees it, turns the
# dial in the middle of an episode, and measures what tells the model which behaviour to imitate.
# (Symbols: {doc}`notation`.)

# %% tags=["hide-cell"]
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from myst_nb import glue

from dtcart import compare, control, data, evaluate, probes, records, train
from dtcart.display import glue_text, show_source

NOTEBOOK_START = time.perf_counter()
torch.set_num_threads(1)  # a small model: one thread, the other core free
K_STAR = control.critical_gain()  # 19.6 N/rad: below it the pole falls
ds = data.book_dataset()  # Chapter 6's log

# %% [markdown]
# The model is {doc}`06_decision_transformer`'s, trained again here the same way (`train_default(0)`,
# seed 0: the same weights, bit for bit):

# %%
dt_model, _ = train.train_default(seed=0, progress=True)

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
    1, 2, figsize=(9.5, 4), gridspec_kw={"width_ratios": [1.2, 1]}
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
            color="tab:blue", ls="--", lw=2)
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
# Try it yourself in {doc}`06_decision_transformer`'s live dial, which turns the same knob by the same
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
    1, 2, figsize=(9.5, 3.8), gridspec_kw={"width_ratios": [1.5, 1]}
)
names = list(features)
xs = np.arange(len(names))
for offset, (hidden, label) in zip(
    (-0.2, 0.2), (("gain", "gain"), ("given_out", "has given out"))
):
    ax0.bar(xs + offset, [r2[hidden][n] for n in names], width=0.4,
            label=label)
ax0.set_xticks(xs, [n.replace(") ", ")\n") for n in names], fontsize=9)
ax0.set_ylabel("probe $R^2$ on held-out steps")
ax0.axhline(0, color="k", lw=0.8)
ax0.set_ylim(min(-0.05, min(min(v.values()) for v in r2.values())), 1)
ax0.legend(title="probed", fontsize=9)
ax0.set_title("what the input carries")
for i, name in enumerate(DIALS):
    ax1.plot(np.full(len(tracking[name]), i), tracking[name] * 100, "o",
             alpha=0.5)
    ax1.plot([i - 0.25, i + 0.25], [tracking[name].mean() * 100] * 2, "k-")
ax1.set_xticks(range(len(DIALS)), ["DT\n(history)", "history\nMLP",
                                   "DT,\ncontext 1", "RvS\nMLP"], fontsize=9)
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
# see. Right: tracking error of the dial, from {doc}`08_worth`'s record (one dot per seed and start set;
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
# **The history still makes the dial better.** In {doc}`08_worth`'s record the Decision Transformer misses
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

# %% tags=["hide-cell"]
notebook_seconds = time.perf_counter() - NOTEBOOK_START
print(f"this chapter ran in {notebook_seconds:.0f} s")
