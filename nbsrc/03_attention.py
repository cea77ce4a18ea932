# %% [markdown]
# # Attention from scratch
#
# The Decision Transformer reads a trajectory as a sequence: states, actions and returns, one after the
# other. Before it can choose the next action it has to decide *which earlier moments matter now*. That
# decision is attention {cite}`vaswani2017`, and this chapter builds it from nothing, on the cart-pole
# states of {doc}`02_control_and_data`, following the path of the post {cite}`post2025`: first the naive
# idea, then why it fails, then queries, keys and values, the softmax, the scale, and the causal mask.
# (Symbols: {doc}`notation`; in this chapter and the next, $K$ is the matrix of keys, not a gain.)

# %% tags=["hide-input"]
import numpy as np
import matplotlib.pyplot as plt
import torch
from IPython.display import display
from myst_nb import glue

from dtcart import data, probes, train
from dtcart.attention import attention, causal_mask, softmax
from dtcart.control import heuristic, random_initial_states, rollout
from dtcart.display import show_source
from dtcart.exercises import (
    check_exercise_3_1,
    check_exercise_3_2,
    check_exercise_3_3,
)

np.set_printoptions(precision=4, suppress=True)
STATE_NAMES = ["theta", "theta_dot", "x", "x_dot"]

# %% [markdown]
# ## Five states, and the question attention asks
#
# Take a real episode: the heuristic controller of {doc}`02_control_and_data`, with a gain of 24 N/rad,
# from a random start, and
# keep every tenth state from step 90 on, so that we hold a short sequence $[s_0, s_1, s_2, s_3, s_4]$
# spanning 0.8 s. Each state is $[\theta, \dot\theta, x, \dot x]$ in rad, rad/s, m and m/s.
#
# Standing at $s_4$, the present, we want to know how relevant each of $s_0, \dots, s_4$ is to it. The first
# idea that comes to mind is the one the post tries: compare the current state with each earlier one by a
# dot product, $s_4 \cdot s_j = \theta_4\theta_j + \dot\theta_4\dot\theta_j + x_4 x_j + \dot x_4 \dot x_j$.

# %%
run = rollout(heuristic(24.0), random_initial_states(1, seed=3))
s = run.states[0, 90:140:10]  # (5, 4): s_0 .. s_4, 0.2 s apart
raw = s @ s[4]  # s_4 . s_j for every j
terms = s * s[4]  # the four products that the dot product adds up
print("states:\n", s)
print("s_4 . s_j:", raw)

# %% tags=["hide-cell"]
assert (
    run.lengths[0] >= 200
), "the episode must be long enough for the examples below"

# %% [markdown]
# The four products have different units: rad², rad²/s², m² and m²/s². Adding them is adding
# quantities of different kinds, and the sum changes meaning when we change units. Measure the angle in
# degrees instead of radians and the *same* comparison is dominated by a different term:


# %%
def dominant_term(states, current):
    """Which of the four products is largest in |s_current . s_j|, for each j.
    """
    return [
        STATE_NAMES[i] for i in np.abs(states * states[current]).argmax(axis=1)
    ]


in_degrees = s * np.array([180 / np.pi, 180 / np.pi, 1.0, 1.0])
print("SI units:  ", dominant_term(s, 4))
print("in degrees:", dominant_term(in_degrees, 4))

# %% tags=["hide-cell"]
assert set(dominant_term(s, 4)) != set(dominant_term(in_degrees, 4))
assert (
    np.argmax(raw) == 1
), "s_4 is not even most 'similar' to itself: s_1 beats it"
assert dominant_term(s, 4)[1] == "x" and abs(s[1, 2]) > abs(s[4, 2])

# %% [markdown]
# Worse, the raw dot product is not a similarity at all: $s_4$ is not the state most "similar" to itself.
# $s_1$, 0.6 s in the past, beats it, only because the cart was further from the centre of the track at
# $s_1$ and the $x$ product grows with distance: the dot product rewards size, not likeness. Blindly
# multiplying and adding the raw state gives a number, but not one that means anything about relevance.
#
# ## Queries, keys and values
#
# The fix is to stop comparing raw states and to let the network *learn* what to compare. Each state
# $s_j$ (a row vector) is mapped by three learned matrices to three new vectors:
#
# $$
# q_j = s_j W_Q, \qquad k_j = s_j W_K, \qquad v_j = s_j W_V,
# $$ (eq-ch3-qkv)
#
# a **query** (what the current step is looking for), a **key** (what a step offers to be found by) and a
# **value** (what a step hands over if it is chosen). With $W_Q$ and $W_K$ of shape $4 \times d_k$, the
# comparison $q_i \cdot k_j$ can weigh, mix and rescale the state's components however training finds
# useful: for instance compare "where the pole is heading", $\theta + 0.1\,\dot\theta$, rather than raw
# products of unrelated units. Stacking the queries, keys and values of a sequence as rows of $Q$, $K$, $V$,
# attention is
#
# $$
# \operatorname{Attention}(Q, K, V) = \operatorname{softmax}\!\left(\frac{Q K^\top}{\sqrt{d_k}}\right) V .
# $$ (eq-ch3-attention)
#
# The post writes $\operatorname{softmax}(QK^\top)V$; the $1/\sqrt{d_k}$ is the paper's
# {cite}`vaswani2017`, and we will see below why it is there. Here is the function the rest of the book
# uses. `_check_attention` refuses arrays that do not fit together (and sets the default scale); what is
# left is {eq}`eq-ch3-attention`, line for line:

# %%
show_source(attention, docstring=False)

# %% [markdown]
# ## Softmax: raw scores become percentages
#
# The scores $q_i \cdot k_j$ are raw numbers of any sign and size. The softmax turns a row of them into
# percentages that are positive and add up to one:
#
# $$
# \operatorname{softmax}(z)_j = \frac{e^{z_j}}{\sum_{j'} e^{z_{j'}}}
# = \frac{e^{z_j - \max z}}{\sum_{j'} e^{z_{j'} - \max z}} .
# $$ (eq-ch3-softmax)
#
# The two forms are equal; the second never overflows, which is what the code uses (`_check_logits` refuses
# NaN, $+\infty$ and rows with nothing left to weigh):

# %%
show_source(softmax, docstring=False)

# %%
huge = softmax(np.array([1000.0, 999.0, -1000.0]))
print(huge)
with np.errstate(over="ignore", invalid="ignore"):
    naive = (
        np.exp([1000.0, 999.0, -1000.0])
        / np.exp([1000.0, 999.0, -1000.0]).sum()
    )

# %% tags=["hide-cell"]
assert np.isfinite(huge).all() and abs(huge.sum() - 1) < 1e-15
assert np.isnan(
    naive
).any(), "the textbook form overflows: exp(1000) is inf in float64"

# %% [markdown]
# ## I wanted a sweet fruit: why a smoothie?
#
# The post's own example makes the idea concrete. Describe three fruits by two made-up features,
# *sweetness* and *sourness*, and give each a key. A query asks for "sweet, not sour". The numbers below
# are illustrative, chosen so that the softmax reproduces the post's split: 60 % banana, 30 % apple,
# 10 % lemon.

# %%
fruits = ["banana", "apple", "lemon"]
q_sweet = np.array([[2.0, -1.0]])  # (1, 2): want sweetness, avoid sourness
K_fruit = np.array(
    [[1.0, 0.1], [0.6, 0.3], [0.1, 0.8]]  # banana: sweet, hardly sour  # apple
)  # lemon: sour
# values: (sweetness, sourness, crunch), illustrative
V_fruit = np.array([[0.9, 0.1, 0.2], [0.6, 0.3, 0.9], [0.1, 0.9, 0.1]])
smoothie, w_fruit = attention(q_sweet, K_fruit, V_fruit)
percent = 100 * w_fruit[0]
print({f: f"{p:.1f} %" for f, p in zip(fruits, percent)})
print("output (sweetness, sourness, crunch):", smoothie[0])

# %% tags=["hide-cell"]
assert np.allclose(percent, [60, 30, 10], atol=1.0)
assert abs(percent.sum() - 100) < 1e-12

# %% [markdown]
# We asked for a sweet fruit and received a blend: 0.6 of banana's value, 0.3 of apple's and 0.1 of
# lemon's. The output is not any of the three fruits; it is a new point in value space that no single row
# of $V$ occupies, though always inside the span of the rows it blends (their convex hull).

# %%
distance_to_nearest_fruit = np.linalg.norm(V_fruit - smoothie, axis=1).min()
print(
    "distance from the smoothie to the nearest fruit:"
    f" {distance_to_nearest_fruit:.3f}"
)

# %% tags=["hide-cell"]
assert distance_to_nearest_fruit > 0.1
assert not np.isin(smoothie, V_fruit).all()

# %% tags=["remove-output", "hide-input"]
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8, 3.2))
ax1.bar(fruits, percent, color=["gold", "tab:red", "yellowgreen"])
for i, p in enumerate(percent):
    ax1.text(i, p + 1, f"{p:.0f} %", ha="center")
ax1.set_ylabel("attention weight [%]")
ax1.set_ylim(0, 75)
ax1.set_title("softmax of the scores")
features = ["sweetness", "sourness", "crunch"]
xs = np.arange(3)
for i, (f, c) in enumerate(zip(fruits, ["gold", "tab:red", "yellowgreen"])):
    ax2.bar(xs + (i - 1.5) * 0.2, V_fruit[i], width=0.2, color=c, label=f)
ax2.bar(xs + 1.5 * 0.2, smoothie[0], width=0.2, color="k", label="smoothie")
ax2.set_xticks(xs, features)
ax2.set_ylabel("value (arbitrary units)")
ax2.set_title("values and their weighted sum")
ax2.set_ylim(0, 1.4)
ax2.set_yticks(np.linspace(0, 1, 6))
ax2.legend(fontsize=8, ncol=2, loc="upper center")
fig.tight_layout()
glue("fig-ch3-fruit", fig, display=False)

# %% [markdown]
# ```{glue:figure} fig-ch3-fruit
# :name: fig-ch3-fruit
#
# The fruit example. Left: the softmax of the query's scores against the three keys gives the post's
# 60/30/10 split. Right: the values of each fruit and the output of attention, their weighted sum: a
# "smoothie" that is none of the fruits.
# ```
#
# This is not a bug, it is the point. Attention is not a lookup that returns the best-matching row; it is
# a **learned feature**: a smooth blend that the layers after it read, and that training can shape,
# because every weight depends smoothly on every score. A hard lookup (take the argmax) would hand back
# banana's value and no gradient at all; the soft blend passes a gradient to the lemon's score too, so
# training can learn to change how much lemon goes into the mix:

# %%
# (1, 3)
scores = torch.tensor(q_sweet @ K_fruit.T / np.sqrt(2), requires_grad=True)
V_t = torch.from_numpy(V_fruit)
# sourness of the smoothie
(torch.softmax(scores, dim=-1) @ V_t)[0, 1].backward()
soft_grad = scores.grad.clone()
hard = torch.tensor(q_sweet @ K_fruit.T / np.sqrt(2), requires_grad=True)
# the argmax picks banana: no path back to the scores
lookup = V_t[hard.argmax()][1]
print(
    "d sourness / d scores, soft:",
    soft_grad.numpy(),
    "\nhard lookup differentiable:",
    lookup.requires_grad,
)

# %% tags=["hide-cell"]
assert (
    soft_grad[0, 2] > 0 and (soft_grad != 0).all() and not lookup.requires_grad
)

# %% [markdown]
# ## Why divide by $\sqrt{d_k}$
#
# If the entries of a query and a key are independent with mean 0 and variance 1, their dot product is a
# sum of $d_k$ such products, with variance $d_k$: the scores spread out like $\sqrt{d_k}$. With wide
# heads (64 is typical) the softmax then sees differences of many units, and a difference of 10 in a score
# is already a factor $e^{10} \approx 22{,}000$ in weight: the softmax **saturates** into a one-hot choice,
# and a saturated softmax passes almost no gradient back (its Jacobian $\operatorname{diag}(w) - w w^\top$
# vanishes when $w$ is one-hot). Dividing by $\sqrt{d_k}$ keeps the scores' spread at 1 whatever $d_k$ is.
# We measure it: 400 random queries against 16 random keys, for $d_k$ from 1 to 512.

# %%
rng = np.random.default_rng(0)
d_ks = 2 ** np.arange(10)
n_queries, n_keys = 400, 16
# scaled -> (mean max weight, mean entropy [nats], median Jacobian norm, score
# std)
stats = {True: [], False: []}
for d_k in d_ks:
    Q = rng.normal(size=(n_queries, 1, d_k))
    K = rng.normal(size=(n_queries, n_keys, d_k))
    V = np.zeros((n_queries, n_keys, 1))
    for scaled in (True, False):
        _, w = attention(Q, K, V, scale=None if scaled else 1.0)
        w = w[:, 0]  # (n_queries, n_keys)
        entropy = -(w * np.log(np.where(w > 0, w, 1.0))).sum(axis=1)
        jac = (
            np.einsum("ni,ij->nij", w, np.eye(n_keys))
            - w[:, :, None] * w[:, None, :]
        )
        score_std = (Q @ np.swapaxes(K, 1, 2)).std() * (
            1 / np.sqrt(d_k) if scaled else 1.0
        )
        stats[scaled].append((
            w.max(axis=1).mean(),
            entropy.mean(),
            np.median(np.linalg.norm(jac, axis=(1, 2))),
            score_std,
        ))
stats = {k: np.array(v) for k, v in stats.items()}
print("d_k:", d_ks)
print("largest weight, raw scores:\n", stats[False][:, 0])
print("largest weight, scores / sqrt(d_k):\n", stats[True][:, 0])

# %%
uniform_entropy = np.log(n_keys)

# %% tags=["hide-cell"]
assert np.all(
    np.abs(stats[True][:, 3] - 1) < 0.1
), "scaled scores keep a spread of about 1"
assert np.all(
    np.abs(stats[False][:, 3] / np.sqrt(d_ks) - 1) < 0.1
), "raw scores spread like sqrt(d_k)"
assert (
    stats[False][-1, 0] > 0.9
), "unscaled, d_k = 512: the softmax is nearly one-hot"
assert stats[False][-1, 1] < 0.1 * uniform_entropy
assert (
    np.ptp(stats[True][:, 0]) < 0.1
), "scaled: the typical largest weight hardly moves with d_k"
assert (
    stats[True][-1, 2] > 100 * stats[False][-1, 2]
), "saturation kills the softmax's gradient"

# %% tags=["remove-output", "hide-input"]
fig, axes = plt.subplots(3, 1, figsize=(7, 7.5), sharex=True)
for scaled, style, label in (
    (False, "o-", r"softmax$(QK^\top)$"),
    (True, "s-", r"softmax$(QK^\top/\sqrt{d_k})$"),
):
    for ax, col in zip(axes, range(3)):
        ax.plot(d_ks, stats[scaled][:, col], style, label=label)
axes[0].axhline(1 / n_keys, color="gray", ls=":", label="uniform")
axes[1].axhline(uniform_entropy, color="gray", ls=":")
for ax, ylabel in zip(
    axes,
    [
        "mean largest weight",
        "mean entropy [nats]",
        r"median $\|\partial w/\partial z\|_F$",
    ],
):
    ax.set_xscale("log", base=2)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
axes[-1].set_xlabel(r"key width $d_k$")
axes[0].legend(fontsize=9)
fig.tight_layout()
glue("fig-ch3-scale", fig, display=False)

# %% [markdown]
# ```{glue:figure} fig-ch3-scale
# :name: fig-ch3-scale
#
# Softmax saturation. Random unit-variance queries and keys ($16$ keys per query, 400 queries). Without
# the scale (circles) the largest weight tends to 1, the entropy of the weights to 0 and the softmax's
# Jacobian (the gradient it passes back; median over queries) collapses by orders of magnitude as $d_k$
# grows. With $1/\sqrt{d_k}$ (squares) all three
# stay where they are at $d_k = 1$.
# ```
#
# {numref}`fig-ch3-scale` is why eq. {eq}`eq-ch3-attention` has its $\sqrt{d_k}$: in the unscaled form a
# wide head starts training as a hard argmax, which is exactly the lookup the smoothie taught us to avoid.
#
# ## Attention over a logged episode
#
# Now the real thing, on the tokens the Decision Transformer of {doc}`06_decision_transformer` will read.
# Take one episode of the log it learns from (episode 5: a controller of gain 25 N/rad that gives out
# at step 124, its gain dropping to 7 N/rad, below $K^*$, and the pole falling at step 157). Every 5 steps
# from step 100 to 135, it contributes three tokens: its **return-to-go** $\hat R_t$ (steps left), its
# **state** $s_t$ and its **action** $a_t$ (the force), 24 tokens in all, in the order
# $\hat R_{100}, s_{100}, a_{100}, \hat R_{105}, \dots$. Each kind is scaled as that model scales it (the
# return by 500, the state and the force by the log's spread) and kept in channels of its own, so a token
# is a vector of 6 numbers, `probes.episode_tokens`.
#
# Nothing is trained yet, so we write the query ourselves, and make it ask the question from above:
# **where is the pole heading?** The query of a state token is its heading $\theta + 0.1\,\dot\theta$; its
# key is the same, so a state looks for states heading its way; an action token's key is its force
# divided by 24 N/rad, the tilt that force answered, so a state also looks for pushes made its way; a
# return-to-go offers nothing (key 0), and tokens other than states ask nothing (query 0). Both read the
# heading in units of 0.025 rad (1.4°), so that a few units of agreement make a clear preference; the
# values are the tokens themselves.

# %%
ds = data.book_dataset()
EPISODE, steps = 5, np.arange(100, 140, 5)  # 8 steps, 0.1 s apart
tokens = probes.episode_tokens(ds, EPISODE, steps)  # (24, 6): R, s, a, ...
T = len(tokens)
scales = train.fit_scalings(ds)  # the scalings the tokens were given
UNIT = 0.025  # rad: the heading is read in units of 1.4 degrees
read_q = np.zeros((6, 1))  # channels: R, theta, theta_dot, x, x_dot, a
read_q[1:3, 0] = np.multiply(scales.state_std[:2], [1.0, 0.1]) / UNIT
read_k = read_q.copy()
read_k[5, 0] = scales.action_scale / 24.0 / UNIT  # force / 24 N/rad
Q_s, K_s, V_s = tokens @ read_q, tokens @ read_k, tokens
out_full, w_full = attention(Q_s, K_s, V_s)
out_causal, w_causal = attention(Q_s, K_s, V_s, causal=True)
future_share = np.array([w_full[i, i + 1:].sum() for i in range(T)])
print("heading of the states:", np.round(Q_s[1::3, 0] * UNIT, 3))
print(f"weight the state at step 100 puts on later tokens:"
      f" {future_share[1]:.2f}")

# %% tags=["hide-cell"]
assert (ds.drop_steps[EPISODE], ds.lengths[EPISODE]) == (124, 157)
assert round(ds.gains[EPISODE]) == 25 and round(ds.drop_gains[EPISODE]) == 7
assert w_full.shape == (T, T) and out_full.shape == (T, 6)
assert np.allclose(w_full.sum(axis=1), 1.0, atol=1e-12)
# tokens that ask nothing spread their weight evenly
assert np.allclose(w_full[0::3], 1 / T) and np.allclose(w_full[2::3], 1 / T)
assert future_share[1] > 0.9 and w_full[1::3].max() > 5 / T

# %% tags=["remove-output", "hide-input"]
names = [f"{k}{t}" for t in steps for k in ("R", "s", "a")]
fig, (ax0, ax1) = plt.subplots(
    1, 2, figsize=(9.5, 4.3), gridspec_kw={"width_ratios": [1, 1.3]}
)
heading_label = r"heading $\theta + 0.1\dot\theta$"
ax0.plot(steps, Q_s[1::3, 0] * UNIT, "o-", label=heading_label)
ax0.plot(steps, K_s[2::3, 0] * UNIT, "s-", label="force / (24 N/rad)")
ax0.axhline(0, color="0.6", lw=0.8)
ax0.axvline(ds.drop_steps[EPISODE], color="tab:red", ls=":", label="gives out")
ax0.set_xlabel("step")
ax0.set_ylabel("[rad]")
ax0.legend(fontsize=8)
ax0.set_title(f"episode {EPISODE} of the log")
im = ax1.imshow(w_full, cmap="viridis", vmin=0)
ax1.set_xticks(range(T), names, rotation=90, fontsize=8)
ax1.set_yticks(range(T), names, fontsize=8)
ax1.set_xlabel("key: token looked at")
ax1.set_ylabel("query: current token")
ax1.set_title("attention weights (query: where is the pole heading?)")
fig.colorbar(im, ax=ax1, label="weight")
fig.tight_layout()
glue("fig-ch3-trajectory", fig, display=False)

# %% [markdown]
# ```{glue:figure} fig-ch3-trajectory
# :name: fig-ch3-trajectory
#
# Attention over 24 tokens of a logged episode (the book's log, episode 5, steps 100 to 135). Left: the
# pole's heading at the 8 states and the 8 forces in the same units; dotted, the step at which the
# controller gives out. Right: row $i$ holds the weights with which token $i$ mixes the values of all
# tokens; each row sums to 1. Return-to-go and action tokens ask nothing and spread their weight evenly;
# a state token picks the tokens heading its way, and, with nothing to stop it, looks at *later* tokens
# as readily as earlier ones (the state at step 100 puts more than 90 % of its weight on them), which a
# controller acting at that time could never see.
# ```
#
# ## The causal mask: no peeking at the future
#
# {numref}`fig-ch3-trajectory` has a flaw for control: every row looks at the *whole* episode, future
# included. A policy acting at time $t$ has only the past. The causal mask forbids it: before the softmax,
# the score of every key $j > i$ is set to $-\infty$, whose exponential is exactly 0,
#
# $$
# z_{ij} = \begin{cases} q_i \cdot k_j / \sqrt{d_k} & j \le i \\ -\infty & j > i \end{cases}, \qquad
# w_{ij} = \operatorname{softmax}_j(z_{ij}),
# $$ (eq-ch3-causal)
#
# so the remaining weights of each row still add up to one, shared among the past and the present.

# %% tags=["hide-cell"]
mask = causal_mask(T)
upper = ~mask
assert (
    w_causal[upper] == 0.0
).all(), "exactly zero above the diagonal, not just small"
assert np.allclose(w_causal.sum(axis=1), 1.0, atol=1e-12)
assert w_causal[0, 0] == 1.0, "the first token can only look at itself"
future_changed = V_s.copy()
future_changed[12:] += 100.0  # rewrite everything from token 12 on
K_changed = K_s.copy()
K_changed[12:] -= 50.0
out_changed, _ = attention(Q_s, K_changed, future_changed, causal=True)
assert np.array_equal(
    out_changed[:12], out_causal[:12]
), "outputs before token 12 do not move at all"
assert not np.allclose(out_changed[12:], out_causal[12:])
# the last state, heading the other way since the give-out, looks at the
# states and forces that head its way: most of its weight on step 125 on
last = 3 * len(steps) - 2
assert w_causal[last, 3 * 5:].sum() > 0.6

# %% tags=["remove-output", "hide-input"]
fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(9.5, 4.3))
ax0.imshow(mask, cmap="Greys_r")
ax0.set_title("causal mask (white: allowed)")
im = ax1.imshow(np.where(mask, w_causal, np.nan), cmap="viridis", vmin=0)
ax1.set_title("causal attention weights")
for ax in (ax0, ax1):
    ax.set_xticks(range(T), names, rotation=90, fontsize=8)
    ax.set_yticks(range(T), names, fontsize=8)
    ax.set_xlabel("key: token looked at")
    ax.set_ylabel("query: current token")
fig.colorbar(im, ax=ax1, label="weight (blank: exactly 0)")
fig.tight_layout()
glue("fig-ch3-causal", fig, display=False)

# %% [markdown]
# ```{glue:figure} fig-ch3-causal
# :name: fig-ch3-causal
#
# Left: the causal mask for the 24 tokens; query $i$ may look at key $j$ only when $j \le i$. Right: the
# same query and keys as {numref}`fig-ch3-trajectory` with the mask applied: the upper triangle is
# exactly zero and each row's weights, shared among fewer tokens, sum to one. The last state ($s_{135}$),
# whose pole heads the other way since the controller gave out, puts most of its weight on the tokens
# from step 125 on, which head its way.
# ```
#
# **Why look back at all?** The cart-pole is Markov: its state $s_t$ holds everything the physics needs to
# say what comes next, and the heuristic's push $K\theta_t$ needs nothing else. A policy that imitated
# *one* controller would need no past. But the log mixes many: every episode has its own gain, and in a
# third of them the controller gives out, as episode 5's did at step 124, after which its forces no
# longer answer the tilt. The same state comes with a firm push in one episode and a feeble one in
# another, and the state alone cannot say which: the earlier tokens can, in the forces the controller
# chose and the return-to-go the episode had left. So a model that imitates the log has a reason to look
# back that the physics does not give it. How much the past and the return-to-go each tell, and what the
# trained model uses, {doc}`07_why_the_dial_works` measures.
#
# ## Checked against PyTorch
#
# Our `attention` must agree with PyTorch's fused kernel, `torch.nn.functional.scaled_dot_product_attention`,
# in float64, with and without the mask:

# %%
for causal in (False, True):
    ours, _ = attention(Q_s, K_s, V_s, causal=causal)
    ref = torch.nn.functional.scaled_dot_product_attention(
        *(torch.from_numpy(a)[None] for a in (Q_s, K_s, V_s)), is_causal=causal
    )[0].numpy()
    err = np.abs(ours - ref).max()
    print(f"causal={causal}: max |ours - torch| = {err:.1e}")
    assert err < 1e-9

# %% [markdown]
# One attention computes one pattern of relevance: one set of queries and keys, one way of comparing
# states. The post's next step is to ask for several at once, tilt in one, velocity in another; that is
# multi-head attention, in {doc}`04_multihead`.

# %% [markdown]
# ## Exercises
#
# Each exercise has a starter cell that runs as it stands, a check from `dtcart.exercises` that prints
# PASS or FAIL and says what it expected on which input, and a collapsed solution that shows the code of
# one. Try them without scrolling up: the solutions are this chapter's functions.
#
# **Exercise 3.1: a softmax that never overflows.** The starter is the textbook form
# {eq}`eq-ch3-softmax`. Make it pass: along the last axis, stable for logits of $\pm 1000$, weight 0 for
# $-\infty$, and row by row for a batch.

# %%
def my_softmax(x):
    """Softmax along the last axis of x (..., n)."""
    e = np.exp(x)
    return e / e.sum(axis=-1, keepdims=True)


with np.errstate(over="ignore", invalid="ignore"):  # the starter overflows
    passed = check_exercise_3_1(my_softmax)

# %% [markdown] tags=["remove-cell"]
# Solution (click the collapsed cell below to show it):

# %% tags=["hide-cell"] jupyter={"source_hidden": true} mystnb={"code_prompt_show": "Show the solution", "code_prompt_hide": "Hide the solution"}
# dtcart.attention.softmax: subtract each row's largest logit first, so
# that no exponential exceeds 1 (and exp(-inf) = 0 is still exact)
display(show_source(softmax, docstring=False))
assert check_exercise_3_1(softmax)

# %% [markdown]
# **Exercise 3.2: the causal mask.** Write `my_causal_mask(T)`: a `(T, T)` boolean array, True where
# query $i$ may look at key $j$, that is $j \le i$ {eq}`eq-ch3-causal`. It must be of dtype `bool`: the
# chapter flips it with `~mask`, which on integers gives $-1$ and $-2$, not a mask.

# %%
def my_causal_mask(T):
    """(T, T) bool, True where query i may look at key j."""
    return np.ones((T, T), dtype=bool)  # every key allowed: peeks ahead


passed = check_exercise_3_2(my_causal_mask)

# %% [markdown] tags=["remove-cell"]
# Solution (click the collapsed cell below to show it):

# %% tags=["hide-cell"] jupyter={"source_hidden": true} mystnb={"code_prompt_show": "Show the solution", "code_prompt_hide": "Hide the solution"}
# Key j is allowed for query i where j <= i: the lower triangle, diagonal
# included, of a boolean matrix of ones (dtcart.attention.causal_mask)
def solution_causal_mask(T):
    return np.tril(np.ones((T, T), dtype=bool))


assert check_exercise_3_2(solution_causal_mask)

# %% [markdown]
# **Exercise 3.3: scaled attention.** Write `my_attention(Q, K, V, causal)`, returning
# `(output, weights)` of {eq}`eq-ch3-attention`, with the mask of {eq}`eq-ch3-causal` when `causal` is
# True, for a single sequence `(T, d)` and for a batch `(B, T, d)`. The starter forgets the scale and
# the mask, and its `K.T` reverses every axis of a batch, not just the last two.

# %%
def my_attention(Q, K, V, causal=False):
    """(output (..., T, d_v), weights (..., T, T)) of attention."""
    weights = softmax(Q @ K.T)
    return weights @ V, weights


passed = check_exercise_3_3(my_attention)

# %% [markdown] tags=["remove-cell"]
# Solution (click the collapsed cell below to show it):

# %% tags=["hide-cell"] jupyter={"source_hidden": true} mystnb={"code_prompt_show": "Show the solution", "code_prompt_hide": "Hide the solution"}
# dtcart.attention.attention: np.swapaxes(K, -1, -2) transposes the last two
# axes only, the scores are divided by sqrt(d_k), and -inf above the
# diagonal gives those keys weight 0
display(show_source(attention, docstring=False))
assert check_exercise_3_3(attention)
