# %% [markdown]
# # Multi-head attention
#
# In {doc}`03_attention` one set of queries and keys gave one way of comparing states: one pattern of
# relevance per sequence. The post wants more {cite}`post2025`: the pole invites several questions at
# once, such as *how is the pole tilted?* and *how is everything moving?*, while a single softmax row
# gives one set of weights, summing to one, over a single score. Vaswani et al. put the argument this way:
# "Multi-head attention allows the model to jointly attend to information from different representation
# subspaces at different positions. With a single attention head, averaging inhibits this"
# {cite}`vaswani2017`. Their answer is to run several attentions side by side, each in its own small
# subspace, and combine what they find; this chapter measures what that buys on the cart-pole, where
# one head can already balance it. (Symbols: {doc}`notation`.)

# %% tags=["hide-input"]
import numpy as np
import matplotlib.pyplot as plt
import torch
from IPython.display import Markdown, display
from myst_nb import glue
from torch.utils.flop_counter import FlopCounterMode

from dtcart import data, exercises, probes, records, train
from dtcart.attention import MultiHeadAttention, attention_cost, causal_mask
from dtcart.display import glue_text, show_source
from dtcart.exercises import (
    check_exercise_4_1,
    check_exercise_4_2,
    check_exercise_4_3,
)
from dtcart.train import DEFAULT_MODEL

_ = torch.manual_seed(0)

# %% [markdown]
# ## Several heads, several subspaces
#
# With $h$ heads and tokens of width $d$ (`d_model`), each head $i$ has its own projections onto a
# subspace of size $d/h$, attends there, and the $h$ results are concatenated and mixed by one more
# matrix $W_O$:
#
# $$
# \begin{aligned}
# \operatorname{head}_i &= \operatorname{Attention}(X W_Q^{i},\, X W_K^{i},\, X W_V^{i}),
# \qquad i = 1, \dots, h, \\
# \operatorname{MultiHead}(X) &= \big[\operatorname{head}_1, \dots, \operatorname{head}_h\big]\, W_O ,
# \end{aligned}
# $$ (eq-ch4-multihead)
#
# with $W_Q^{i}, W_K^{i}, W_V^{i}$ of shape $d \times d/h$ and $W_O$ of shape $d \times d$. In code, the $h$
# query matrices are one $d \times d$ linear layer whose output is cut into $h$ slices; the same for keys and
# values. That is the whole trick: "split into heads" is a reshape.

# %%
display(show_source(MultiHeadAttention.__init__))
display(show_source(MultiHeadAttention.heads))
display(show_source(MultiHeadAttention._split))
show_source(MultiHeadAttention.weights)

# %% [markdown]
# Each head's weights are {doc}`Chapter 3 <03_attention>`'s
# $\operatorname{softmax}(QK^\top/\sqrt{d/h})$ with the causal mask, now for all
# heads and all sequences of a batch at once. `forward` puts the pieces together:
# project and split, weigh, mix the values, and concatenate the heads back into
# tokens of width $d$ for $W_O$.

# %%
show_source(MultiHeadAttention.forward)

# %%
check = MultiHeadAttention(8, 2).double()
x_check = torch.randn(3, 7, 8, dtype=torch.float64)
q, k, v = check.heads(x_check)
# (B, h, T, d_head) -> (B, T, d): the heads side by side, then W_O
by_hand = check.out_proj((check.weights(q, k) @ v).transpose(1, 2).flatten(2))

# %% tags=["hide-cell"]
assert (check(x_check) - by_hand).abs().max() < 1e-12

# %% [markdown]
# ## Two heads that look at different things
#
# To see that two heads really can attend to different things, we build one by hand rather than by
# training. The tokens are {doc}`Chapter 3 <03_attention>`'s: the 24 return-to-go, state and action tokens of
# episode 5 of the book's log, steps 100 to 135, each a vector of 6 channels
# ($\hat R$; $\theta, \dot\theta, x, \dot x$; $a$, scaled as the Decision Transformer scales them), so
# $d = 6$, and we take $h = 2$ heads of size 3. We set the weights so that
#
# - **head 1** reads only the tilt: its query and key are $(2\theta, 0, 0)$, so its score is
#   $4\theta_i\theta_j$ and a state looks for earlier states tilted the same way, the more tilted the better;
# - **head 2** reads only the motion: its query and key are $(2\dot\theta, 2\dot x, 0)$, so it looks for
#   earlier states moving the same way now;
# - values and output projection are the identity: head 1 hands over channels 1-3 $(\hat R, \theta,
#   \dot\theta)$, head 2 channels 4-6 $(x, \dot x, a)$, and the concatenation is the new token.
#
# Return-to-go and action tokens carry no state, so both heads give them a score of 0, and, asking
# nothing themselves, they spread their weight evenly. The mask is causal, as it will be in the Decision
# Transformer.

# %%
ds = data.book_dataset()
steps = np.arange(100, 140, 5)  # Chapter 3's 8 steps of episode 5
tokens = torch.from_numpy(probes.episode_tokens(ds, 5, steps))[None]
T = tokens.shape[1]  # (1, 24, 6): R, s, a, R, s, a, ...

GAIN = 2.0
# rows: query/key dims (head 1: 0-2, head 2: 3-5); cols: token channels
read = torch.zeros(6, 6, dtype=torch.float64)
read[0, 1] = GAIN  # head 1, dim 0 <- theta
read[3, 2] = GAIN  # head 2, dim 0 <- theta_dot
read[4, 4] = GAIN  # head 2, dim 1 <- x_dot


def hand_built(n_heads):
    """A MultiHeadAttention over the tokens with the reading weights above,
    identity values and output.
    """
    mha = MultiHeadAttention(6, n_heads, causal=True).double()
    with torch.no_grad():
        for p in mha.parameters():
            p.zero_()
        mha.q_proj.weight.copy_(read)
        mha.k_proj.weight.copy_(read)
        mha.v_proj.weight.copy_(torch.eye(6))
        mha.out_proj.weight.copy_(torch.eye(6))
    return mha


two_heads = hand_built(2)
out, w = two_heads(tokens, return_weights=True)
w = w[0].detach().numpy()  # (2, T, T): one pattern per head
print("weights per head:", w.shape)

# %% [markdown]
# The two patterns are different, and we can say how different. For every state token after the first
# (the first sees no earlier state), the token each head attends to most is compared, and the weights of
# the two heads that the state tokens give to earlier tokens are correlated:

# %%
state_rows = np.arange(1, T, 3)[1:]  # s_105 .. s_135
# (2, T): the key each query weights most, per head
favourite = w.argmax(axis=-1)
differ = (favourite[0, state_rows] != favourite[1, state_rows]).mean()
below = [(i, j) for i in state_rows for j in range(i)]  # earlier keys
corr = np.corrcoef(*(w[h][tuple(np.transpose(below))] for h in (0, 1)))[0, 1]
print(f"state rows whose favourite token differs: {100 * differ:.0f} %")
print(f"correlation of the two heads' weights: {corr:.2f}")

# %% tags=["hide-cell"]
assert round(100 * differ) == 86 and corr < 0.5
assert np.allclose(w.sum(axis=-1), 1.0) and (w[:, ~causal_mask(T)] == 0).all()
# R and a tokens ask nothing: an even spread over what they may see
assert all(np.allclose(w[h, i, :i + 1], 1 / (i + 1))
           for h in (0, 1) for i in range(T) if i % 3 != 1)
# and each head hands over what it read: head 1 the weighted average of
# channels 1-3, head 2 of channels 4-6, side by side in one token
out_np, z = out[0].detach().numpy(), tokens[0].numpy()
assert np.allclose(out_np[:, :3], w[0] @ z[:, :3], atol=1e-12)
assert np.allclose(out_np[:, 3:], w[1] @ z[:, 3:], atol=1e-12)

# %% [markdown]
# Each head hands over what it read: the first three output channels are head 1's weighted average of
# $(\hat R, \theta, \dot\theta)$, the last three head 2's weighted average of $(x, \dot x, a)$, side by side
# in one token. Give the same reading weights to a *single* head of width 6 and its one softmax must serve
# both questions at once: its score is the sum of the two heads' scores, so its favourite token is a
# compromise. Over the 7 state tokens, it agrees with head 1's favourite on 1 and with head 2's on all
# 7: one pattern, pulled between two questions, and the tilt question loses.

# %%
_, w_one = hand_built(1)(tokens, return_weights=True)
w_one = w_one[0, 0].detach().numpy()
fav_one = w_one.argmax(axis=-1)[state_rows]
agree = [int((fav_one == favourite[i, state_rows]).sum()) for i in range(2)]
print(f"one head's favourite agrees with head 1 on {agree[0]}, with head 2 on"
      f" {agree[1]} of {len(state_rows)} state tokens")

# %% tags=["hide-cell"]
assert agree == [1, 7] and len(state_rows) == 7

# %% tags=["remove-output", "hide-input"]
names = [f"{k}{t}" for t in steps for k in ("R", "s", "a")]
fig, grid = plt.subplots(2, 2, figsize=(8.5, 7.8), layout="constrained")
axes = grid.ravel()  # tokens, head 1, head 2, one head
for channel, label in ((1, r"$\theta$"), (2, r"$\dot\theta$"),
                       (4, r"$\dot x$")):
    axes[0].plot(steps, tokens[0, 1::3, channel], "o-", label=label)
axes[0].set_xlabel("step")
axes[0].set_ylabel("state token (std units)")
axes[0].legend(fontsize=10)
axes[0].set_title("the state tokens")
panels = [
    (w[0], r"head 1: reads $\theta$"),
    (w[1], r"head 2: reads $\dot\theta, \dot x$"),
    (w_one, "one head reading all"),
]
for ax, (weights, title) in zip(axes[1:], panels):
    im = ax.imshow(
        np.where(causal_mask(T), weights, np.nan),
        cmap="viridis",
        vmin=0,
        vmax=1,
    )
    ax.set_title(title)
    ax.set_xticks(range(0, T, 3), names[0::3], rotation=90, fontsize=8)
    ax.set_yticks(range(1, T, 3), names[1::3], fontsize=8)
    ax.set_xlabel("key token")
    ax.set_ylabel("query token")
favourites = [favourite[0, state_rows], favourite[1, state_rows], fav_one]
for ax, fav in zip(axes[1:], favourites):
    ax.plot(fav, state_rows, "r.", ms=5)  # each state token's favourite key
fig.colorbar(im, ax=grid[:, 1], label="attention weight", shrink=0.8)
glue("fig-ch4-heads", fig, display=False)

# %% [markdown]
# ```{glue:figure} fig-ch4-heads
# :name: fig-ch4-heads
#
# Two hand-built heads over the 24 tokens of {numref}`fig-ch3-trajectory` (episode 5 of the book's log,
# steps 100 to 135). Top left: the tilt, tilt rate and cart velocity of the 8 state tokens. Top right and
# bottom left: causal attention weights of head 1 (reads only $\theta$) and head 2 (reads $\dot\theta$
# and $\dot x$); red dots mark each state token's favourite key. Bottom right: a single head given both
# readings must blend them into one pattern, and its favourites are compromises.
# ```
#
# Trained heads are not this tidy (nobody tells them which component to read), but the mechanism is the
# one in {numref}`fig-ch4-heads`: separate subspaces let separate relevance patterns exist in the same
# layer, and $W_O$ combines what they gathered.
#
# ## The same as PyTorch's module
#
# `torch.nn.MultiheadAttention` stores the three input projections packed into one matrix,
# `in_proj_weight` $= [W_Q; W_K; W_V]$ of shape $3d \times d$. `MultiHeadAttention.to_torch` does that
# packing, and the two modules then agree, output and per-head weights, in float64:

# %%
show_source(MultiHeadAttention.to_torch, docstring=False)

# %%
ours = MultiHeadAttention(16, 4).double()
theirs = ours.to_torch()
x = torch.randn(8, 20, 16, dtype=torch.float64)
errors = {}
for causal in (True, False):
    ours.causal = causal
    mine, mine_w = ours(x, return_weights=True)
    ref, ref_w = theirs(
        x,
        x,
        x,
        attn_mask=torch.from_numpy(~causal_mask(20)) if causal else None,
        need_weights=True,
        average_attn_weights=False,
    )
    errors[causal] = (
        (mine - ref).abs().max().item(),
        (mine_w - ref_w).abs().max().item(),
    )
    print(
        f"causal={causal}: max |output diff| = {errors[causal][0]:.1e}, max"
        f" |weight diff| = {errors[causal][1]:.1e}"
    )

# %% tags=["hide-cell"]
assert all(e < 1e-9 for pair in errors.values() for e in pair)

# %% [markdown]
# ## What several heads cost
#
# Splitting into heads costs nothing in parameters: the $h$ query matrices of size $d \times d/h$ together
# are one $d \times d$ matrix, and the same for keys and values; $W_O$ is $d \times d$ either way, so
# $4(d^2 + d)$ parameters for any $h$. The matrix products cost the same too. For $T$ tokens:
#
# $$
# \underbrace{4 \cdot 2Td^2}_{\text{projections}} \;+\;
# \underbrace{h \cdot 2T^2 \tfrac{d}{h}}_{QK^\top} \;+\;
# \underbrace{h \cdot 2T^2 \tfrac{d}{h}}_{\text{weights} \times V}
# \;=\; 8Td^2 + 4T^2 d \ \text{FLOPs},
# $$ (eq-ch4-flops)
#
# independent of $h$. What does grow with $h$ is the number of scores, $hT^2$: the softmax's work and the
# attention weights kept in memory for the backward pass. `attention_cost` counts all this; we check its
# count against the parameters of the real module and against PyTorch's own FLOP counter, for the width
# and context of the book's Decision Transformer in {doc}`06_decision_transformer`, read from its
# configuration `train.DEFAULT_MODEL`: $d = 32$, and a context of 10 time steps of three tokens each, so
# $T = 30$ tokens. (The paper's model is wider and looks further back, $d = 128$ over 20 steps
# {cite}`chen2021`; {doc}`appendix_performance` times a model of that size.)

# %%
show_source(attention_cost, docstring=False)

# %%
book_model = train.DEFAULT_MODEL
d, T_ctx = book_model.d_model, 3 * book_model.context  # 3 tokens per step
rows = []
for h in (1, 2, 4, 8, 16):
    cost = attention_cost(d, h, T_ctx)
    mha = MultiHeadAttention(d, h)
    with FlopCounterMode(display=False) as counter:
        mha(torch.zeros(1, T_ctx, d))
    assert cost["params"] == sum(
        p.numel() for p in mha.parameters()
    ), "parameters counted by hand"
    assert (
        cost["flops"] == counter.get_total_flops()
    ), "FLOPs agree with torch.utils.flop_counter"
    rows.append((h, d // h, cost))
base = rows[0][2]

# %% tags=["hide-cell"]
assert (d, book_model.context, T_ctx, book_model.n_heads) == (32, 10, 30, 1)
assert all(
    c["params"] == base["params"] and c["flops"] == base["flops"]
    for _, _, c in rows
)
assert all(c["score_entries"] == h * base["score_entries"] for h, _, c in rows)
assert base["flops"] == 8 * T_ctx * d**2 + 4 * T_ctx**2 * d

# %% mystnb={"markdown_format": "myst"}
table = [
    (
        "| heads $h$ | head size $d/h$ | parameters | projection FLOPs |"
        " $QK^\\top$ + mixing FLOPs | total FLOPs | scores $hT^2$ |"
    ),
    "|---:|---:|---:|---:|---:|---:|---:|",
]
for h, dh, c in rows:
    table.append(
        f"| {h} | {dh} | {c['params']:,} | {c['projection_flops']:,} |"
        f" {c['score_flops'] + c['mix_flops']:,} | {c['flops']:,} |"
        f" {c['score_entries']:,} |"
    )
Markdown("\n".join(table))

# %% [markdown]
# The table is the whole argument of this section: for $d = 32$ and $T = 30$, one head of size 32 and
# sixteen heads of size 2 have the same 4,224 parameters and the same 360,960 FLOPs. Sixteen heads
# compute sixteen times as many scores (14,400 instead of 900), and each score costs the softmax an
# exponential and a division; but even at sixteen heads the scores number only 4% of the FLOPs of the
# matrix products. Several heads are cheap; what they buy is several patterns instead of one.

# %% tags=["hide-cell"]
assert base["params"] == 4_224 and base["flops"] == 360_960
assert rows[-1][2]["score_entries"] == 14_400 and base["score_entries"] == 900
share = rows[-1][2]["score_entries"] / base["flops"]
assert 0.03 < share < 0.05
assert book_model.n_heads == 1 and book_model.n_layers == 2
# Exercise 4.3's "about two to one at T = 30"
assert round(base["projection_flops"]
             / (base["score_flops"] + base["mix_flops"])) == 2

# %% [markdown]
# (sec-ch4-heads-measured)=
# ## One head or two, measured
#
# So why does the book's model use a single head in each of its two blocks, as the paper's code does by
# default {cite}`chen2021`? Not because a second head would cost more: the table shows it would not. The
# answer is a measurement. `python -m benchmarks --only heads` trains the book's Decision Transformer of
# {doc}`06_decision_transformer` twice for each of the training seeds 0-4, with one head of width 32
# and with two heads of width 16 (everything else the same: data, width, training), and scores each
# model as that chapter does: asked for 100 to 500 from 60 unseen starts, on the three sets of starts the
# book's recipes were chosen on (*tuning*) and on a fourth used for nothing else (*test*). The cell
# refuses the record if it was made with another model, training or log.

# %%
record = records.load("heads")  # refused if made with another model or log
print(f"{'model, starts':>16s} {'tracking error':>15s} {'reach 500, min':>15s}")
for part, row in record["summary"].items():
    print(f"{part:>16s} {row['tracking_mean']:15.1%}"
          f" {row['solved_min']:15.0%}")

# %% tags=["hide-cell"]
settings = record["settings"]
assert settings["heads"] == [1, 2] and len(record["rows"]) == 2 * 5 * 4
summary = record["summary"]
for part, row in summary.items():
    glue_text(f"ch4-{part.replace(' ', '').replace(',', '-')}",
         f"{row['tracking_mean']:.1%}")
assert all(row["all_hold"] for row in summary.values())
assert [round(100 * summary[p]["tracking_mean"], 1) for p in summary] == [
    7.4, 8.2, 8.6, 9.2]  # 1 head tuning, test; 2 heads tuning, test

# %% [markdown]
# Both kinds of model meet every figure of {doc}`06_decision_transformer` for every seed and start set
# (at least 95% of the starts held to 500 when asked for 500, a mean return rising with the target, a
# tracking error of at most 15%). The dial is where they differ, a little, and not in the second head's
# favour: with one head the dial misses the targets by {glue:text}`ch4-1head-tuning` on the tuning sets
# and {glue:text}`ch4-1head-test` on the test set; with two heads of half the width, by
# {glue:text}`ch4-2heads-tuning` and {glue:text}`ch4-2heads-test`. On this task a second head buys
# nothing measurable, so the book keeps one. The argument for several heads is about several questions
# at once; {doc}`07_why_the_dial_works` finds that what this model mostly needs to know, which kind of
# episode it is in, comes from one token, the return-to-go, and one question answers that.

# %% [markdown]
# Attention gathers; it does not yet reason about what it gathered. The next chapter puts an MLP after it,
# with residual connections and LayerNorm, to make the transformer block: {doc}`05_block`.

# %% [markdown]
# ## Exercises
#
# Each exercise has a starter cell that runs as it stands, a check from `dtcart.exercises` that prints
# PASS or FAIL and says what it expected on which input, and a collapsed solution that shows the code of
# one. Edit the starter and run it until the check passes; then open the solution.
#
# **Exercise 4.1: split into heads.** Write `split_heads(x, n_heads)`, the reshape of
# {eq}`eq-ch4-multihead`: `(B, T, d) -> (B, h, T, d/h)`, where head $i$ holds features
# $i\,d/h, \dots, (i+1)\,d/h - 1$ of every token. The starter's one `reshape` has the right shape and the
# wrong numbers: it cuts the token sequence, not the features.

# %%
def split_heads(x, n_heads):
    """(B, T, d) -> (B, n_heads, T, d / n_heads)."""
    B, T, d = x.shape
    return x.reshape(B, n_heads, T, d // n_heads)


passed = check_exercise_4_1(split_heads)

# %% [markdown] tags=["remove-cell"]
# Solution (click the collapsed cell below to show it):

# %% tags=["hide-cell"] jupyter={"source_hidden": true} mystnb={"code_prompt_show": "Show the solution", "code_prompt_hide": "Hide the solution"}
# Cut each token's features into h slices first, (B, T, h, d/h), then swap
# the token and head axes: MultiHeadAttention's own split
display(show_source(exercises.split_heads, docstring=False))
assert check_exercise_4_1(exercises.split_heads)

# %% [markdown]
# **Exercise 4.2: a head that looks one step back.** The tokens are one-hot positions, `torch.eye(8)`:
# token $i$ says only where it is. Set the weights of a causal `MultiHeadAttention(8, 1)` so that its
# output at every position $i \ge 1$ is token $i - 1$ (within 0.05): a head that copies the previous
# step, one way a model can turn into the copycat of {doc}`06_decision_transformer`. Hints: `nn.Linear` maps $x$ to
# $Wx + b$, so column $i$ of $W$ is what token $i$ becomes; the query of position $i$ should match the
# key of position $i - 1$; and the scores are divided by $\sqrt{d/h}$ before a softmax that needs a wide
# margin to put nearly all the weight on one key.

# %%
def previous_head():
    """A causal one-head attention over width-8 tokens; edit its weights."""
    head = MultiHeadAttention(8, 1, causal=True)
    with torch.no_grad():
        head.v_proj.weight.copy_(torch.eye(8))  # hand each token over as is
        head.v_proj.bias.zero_()
    return head


passed = check_exercise_4_2(previous_head())

# %% [markdown] tags=["remove-cell"]
# Solution (click the collapsed cell below to show it):

# %% tags=["hide-cell"] jupyter={"source_hidden": true} mystnb={"code_prompt_show": "Show the solution", "code_prompt_hide": "Hide the solution"}
# Query i is e_(i-1) scaled up, key j is e_j: the score of key i - 1 is
# 30 / sqrt(8) and every other score 0, so the softmax puts nearly all of
# the weight on i - 1. Values and output hand the token over unchanged.
display(show_source(exercises.previous_token_head, docstring=False))
assert check_exercise_4_2(exercises.previous_token_head())

# %% [markdown]
# **Exercise 4.3: when do the scores cost more?** The table above has the projections ahead of the
# scores, about two to one, at $T = 30$. Predict the context length $T$, in tokens, at which the score and mixing FLOPs of
# {eq}`eq-ch4-flops` equal the projection FLOPs, for $d = 128$. The check counts both with
# `attention_cost`, which agreed with PyTorch's FLOP counter above, and wants your $T$ within 1%.

# %%
crossover_tokens = None  # your T [tokens]
passed = check_exercise_4_3(crossover_tokens)

# %% [markdown] tags=["remove-cell"]
# Solution (click the collapsed cell below to show it):

# %% tags=["hide-cell"] jupyter={"source_hidden": true} mystnb={"code_prompt_show": "Show the solution", "code_prompt_hide": "Hide the solution"}
# 8 T d^2 = 4 T^2 d at T = 2d, whatever the number of heads: 256 tokens for
# d = 128. For the book's Decision Transformer (d = 32) the crossing is at
# 64 tokens, and its context is 30 tokens (10 steps of 3): its projections
# cost more.
solution_tokens = 2 * exercises.CROSSOVER_WIDTH
assert solution_tokens == 256
assert check_exercise_4_3(solution_tokens)
T_book = 3 * DEFAULT_MODEL.context  # tokens
assert T_book == 30 < 2 * DEFAULT_MODEL.d_model == 64
book_cost = attention_cost(DEFAULT_MODEL.d_model, 1, T_book)
scores_cost = book_cost["score_flops"] + book_cost["mix_flops"]
# the table, at T = 30: the projections cost about twice the scores
assert round(book_cost["projection_flops"] / scores_cost) == 2
