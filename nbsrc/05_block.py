# %% [markdown]
# # The transformer block: MLP, residuals and LayerNorm
#
# After {doc}`04_multihead` every token can look back along the sequence and collect what is relevant to
# it. The post calls what comes next "the reasoning part" {cite}`post2025`: once a token has gathered, it
# needs room to compute something from what it gathered. Three pieces turn attention into a transformer
# block {cite}`vaswani2017`: a small **MLP** applied to every token, **residual connections** that add
# each sub-layer's input back to its output, and **LayerNorm**, which rescales every token. The post draws
# them in one diagram, and this chapter takes it apart: what each piece does, and what goes wrong
# without it, measured. (Symbols: {doc}`notation`.)

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Markdown, display
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch
from myst_nb import glue
from torch import nn

from dtcart.attention import MultiHeadAttention
from dtcart.blocks import MLP, Block, input_gradient_norm
from dtcart import exercises
from dtcart.display import show_source
from dtcart.exercises import (
    check_exercise_5_1,
    check_exercise_5_2,
    check_exercise_5_3,
)
from dtcart.physics import simulate

# the models here are tiny: one thread runs them fastest
torch.set_num_threads(1)
_ = torch.manual_seed(0)

# %% [markdown]
# ## The diagram
#
# Read {numref}`fig-ch5-diagram` from left to right: the tokens $x$ go through multi-head attention, the
# result is added to $x$ itself, LayerNorm rescales the sum, the MLP works on it, its output is added to
# its own input, and a second LayerNorm gives the block's output. In symbols, for a sequence $X$ of
# $T$ tokens of width $d$ (`d_model`):
#
# $$
# H = \operatorname{LN}\big(X + \operatorname{MHA}(X)\big), \qquad
# Y = \operatorname{LN}\big(H + \operatorname{MLP}(H)\big).
# $$ (eq-ch5-post-ln)
#
# Because the LayerNorms come *after* each addition, this arrangement is called **post-LN**; it is the one
# of the original Transformer {cite}`vaswani2017`.


# %% tags=["remove-output", "hide-input"]
def draw_block_diagram():
    """The post's diagram of one post-LN block, drawn with boxes and arrows."""
    fig, ax = plt.subplots(figsize=(10, 2.2))
    nodes = [
        ("$x$", 0.35),
        ("Multi-Head\nAttention", 0.68),
        ("+", 0.2),
        ("LayerNorm", 0.62),
        ("MLP", 0.45),
        # (label, half width)
        ("+", 0.2),
        ("LayerNorm", 0.62),
        ("output", 0.45),
    ]
    colours = {
        "Multi-Head\nAttention": "#cfe2f3",
        "MLP": "#d9ead3",
        "LayerNorm": "#fff2cc",
    }
    xs = np.array([0.0, 1.8, 3.15, 4.4, 6.15, 7.4, 8.65, 10.2])
    for (label, half), cx in zip(nodes, xs):
        if label == "+":
            ax.add_patch(
                Circle(
                    (cx, 0), half, facecolor="white", edgecolor="black", lw=1.4
                )
            )
            ax.text(cx, 0, "+", ha="center", va="center", fontsize=15)
        else:
            ax.add_patch(
                FancyBboxPatch(
                    (cx - half, -0.32),
                    2 * half,
                    0.64,
                    boxstyle="round,pad=0.04",
                    facecolor=colours.get(label, "#eeeeee"),
                    edgecolor="black",
                    lw=1.2,
                )
            )
            ax.text(cx, 0, label, ha="center", va="center", fontsize=10)
    arrow = dict(arrowstyle="-|>", mutation_scale=14, lw=1.3)
    for i in range(len(nodes) - 1):
        start, end = (
            xs[i] + nodes[i][1] + 0.06,
            xs[i + 1] - nodes[i + 1][1] - 0.06,
        )
        ax.add_patch(FancyArrowPatch((start, 0), (end, 0), **arrow))
    skip = "#b45f06"
    # branch off the arrow leaving node src, rejoin at the (+) node dst
    for src, dst in ((0, 2), (3, 5)):
        branch = (xs[src] + nodes[src][1] + xs[src + 1] - nodes[src + 1][1]) / 2
        ax.plot(branch, 0, "o", color=skip, ms=5)
        ax.plot([branch, branch, xs[dst]], [0, 0.75, 0.75], color=skip, lw=1.3)
        ax.add_patch(
            FancyArrowPatch(
                (xs[dst], 0.75), (xs[dst], 0.22), color=skip, **arrow
            )
        )
        ax.text(
            (branch + xs[dst]) / 2,
            0.8,
            "residual (skip)",
            ha="center",
            va="bottom",
            fontsize=10,
            color=skip,
        )
    ax.set_xlim(xs[0] - 0.5, xs[-1] + 0.6)
    ax.set_ylim(-0.45, 1.1)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig


fig = draw_block_diagram()
glue("fig-ch5-diagram", fig, display=False)

# %% [markdown]
# ```{glue:figure} fig-ch5-diagram
# :name: fig-ch5-diagram
#
# One transformer block as the post draws it (post-LN, equation {eq}`eq-ch5-post-ln`). Orange arrows are
# the residual connections: the input of a sub-layer skips around it and is added to its output.
# ```
#
# Here is the block in `dtcart`, written as the diagram; the `norm="pre"` branch and the `residual`
# switch are for later in this chapter.

# %%
show_source(Block, docstring=False)

# %% [markdown]
# A first check: a block maps a sequence of $T$ tokens to a sequence of $T$ tokens of the same width, so
# blocks can be stacked, and it is exactly equation {eq}`eq-ch5-post-ln` rebuilt from the block's own
# parts.

# %% tags=["hide-cell"]
block = Block(d_model=16, n_heads=2).eval()
X = torch.randn(4, 10, 16)  # (B, T, d_model)
Y = block(X)
assert Y.shape == X.shape == (4, 10, 16)
H = block.ln1(X + block.attn(X))
torch.testing.assert_close(Y, block.ln2(H + block.mlp(H)))

# %% [markdown]
# The block is causal like its attention: changing the tokens after step $t$ leaves every output up to
# $t$ untouched, because the MLP and LayerNorm work on one token at a time and only attention mixes
# tokens, under the causal mask.

# %% tags=["hide-cell"]
X_future = X.clone()
X_future[:, 6:] = torch.randn(4, 4, 16)
Y_future = block(X_future)
torch.testing.assert_close(Y_future[:, :6], Y[:, :6], rtol=0, atol=1e-6)
assert (Y_future[:, 6:] - Y[:, 6:]).abs().max() > 0.1

# %% [markdown]
# ## What the MLP adds
#
# The MLP is two linear layers with a GELU {cite}`hendrycks2016` between them, applied to every token
# separately, with a hidden layer four times wider than the token. GELU is GPT-2's choice, inherited from
# the first GPT {cite}`radford2019`; Vaswani et al.'s feed-forward layer uses ReLU {cite}`vaswani2017`, and
# so does the Decision Transformer's configuration for the gym tasks (3 layers, width 128, dropout 0.1,
# learning rate $10^{-4}$, 10k warm-up steps) {cite}`chen2021`:
#
# $$
# \operatorname{MLP}(x) = W_2\, \operatorname{GELU}(W_1 x + b_1) + b_2 ,
# $$ (eq-ch5-mlp)
#
# where $W_1$ is $4d \times d$ and $W_2$ is $d \times 4d$.

# %%
show_source(MLP, docstring=False)

# %% [markdown]
# "Separately" is literal: nudge token 3 and only output 3 moves.

# %% tags=["hide-cell"]
mlp = MLP(16).eval()
X_nudged = X.clone()
X_nudged[:, 3] += 1.0
# (T,) largest change per position
moved = (mlp(X_nudged) - mlp(X)).abs().amax(dim=(0, 2))
assert moved[3] > 1e-2 and torch.all(moved[torch.arange(10) != 3] == 0)

# %% [markdown]
# So the MLP moves no information between tokens. Why is it needed, then? Because attention, for all its
# cleverness, cannot compute much *inside* a token. Its output for token $t$ is
# $\sum_{j \le t} w_{tj} v_j$ with weights $w_{tj} \ge 0$ that sum to one: a weighted average, a convex
# combination, of value vectors that are themselves linear in the tokens. The softmax makes the *weights*
# depend on the tokens in a nonlinear way, but whatever comes out is a blend of linearly transformed
# inputs: every feature of a head's output lies between the smallest and the largest value that feature
# takes among the values the token sees. This is the post's smoothie of fruit: the blend is a new point,
# which no single fruit occupies, but it always lies inside the span of the values it mixes (their convex
# hull): blending cannot reach past its ingredients.
#
# We check it on a random single-head attention, with $\phi(x) = W_O(W_V x + b_V) + b_O$, the value path
# including the output projection (averaging commutes with an affine map, so the output is also a convex
# combination of the $\phi(x_j)$). With several heads the same holds head by head, before $W_O$ mixes them.

# %% tags=["hide-cell"]
mha = MultiHeadAttention(16, 1, causal=True).eval()
with torch.no_grad():
    out = mha(X)  # (B, T, d)
    g = mha.out_proj(mha.v_proj(X))  # (B, T, d): each token's value, projected
    T_seq = X.shape[1]
    # (1, t, j, 1): j <= t
    seen = torch.ones(T_seq, T_seq, dtype=torch.bool).tril()[None, :, :, None]
    lo = torch.where(seen, g[:, None], torch.inf).amin(dim=2)
    hi = torch.where(seen, g[:, None], -torch.inf).amax(dim=2)
assert torch.all(out >= lo - 1e-5) and torch.all(out <= hi + 1e-5)
# the first token sees only itself: its output is g(x_0)
torch.testing.assert_close(out[:, 0], g[:, 0])
mha2 = MultiHeadAttention(16, 2, causal=True).eval()
# with two heads too, the first token's output is its own projected value
with torch.no_grad():
    torch.testing.assert_close(
        mha2(X)[:, 0], mha2.out_proj(mha2.v_proj(X))[:, 0]
    )

# %% [markdown]
# The first token is the sharpest case. Under the causal mask the first token sees only itself, so
# attention hands it $\phi(x_0)$, an *affine* function of its own features, whatever the weights are. Take a
# token that carries a cart-pole's $(\theta, \dot\theta)$: no attention layer can give that token
# $|\theta|$ (how far the pole leans, either side) or $\theta\dot\theta$ (positive when the pole is
# falling further, negative when it is coming back), because neither is affine. The best an affine map can
# do is the least-squares fit, and an MLP does far better. We fit both on 512 random
# states, with $\theta$ in units of the 12° failure angle and $\dot\theta$ in rad/s, both in $[-1, 1]$:

# %% tags=["hide-input"] mystnb={"markdown_format": "myst"}
rng = np.random.default_rng(0)
# (N, 2): theta / 12deg, theta_dot
S = torch.tensor(rng.uniform(-1, 1, size=(512, 2)), dtype=torch.float32)
# (N, 2): |theta|, theta * theta_dot
targets = torch.stack([S[:, 0].abs(), S[:, 0] * S[:, 1]], dim=1)

# best affine map: least squares
design = torch.cat([S, torch.ones(len(S), 1)], dim=1)
affine_mse = (
    (design @ torch.linalg.lstsq(design, targets).solution - targets) ** 2
).mean(0)

torch.manual_seed(0)
mlp = MLP(2, hidden=32)
opt = torch.optim.Adam(mlp.parameters(), lr=1e-2)
for _ in range(400):
    loss = ((mlp(S) - targets) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
with torch.no_grad():
    mlp_mse = ((mlp(S) - targets) ** 2).mean(0)

assert torch.all(mlp_mse < 0.1 * affine_mse), (mlp_mse, affine_mse)
# |theta| ~ a theta + b theta_dot + c
affine_coef = torch.linalg.lstsq(design, targets).solution[:, 0]
# symmetric data: no slope helps
assert abs(affine_coef[0]) < 0.05 and abs(affine_coef[1]) < 0.05
Markdown(
    "| target | mean squared error: best affine map (any attention, first"
    " token) | mean squared error: MLP, 2 → 32 → 2 |\n|---|---:|---:|\n|"
    f" $\\lvert\\theta\\rvert$ | {affine_mse[0]:.4f} | {mlp_mse[0]:.5f} |\n|"
    f" $\\theta\\dot\\theta$ | {affine_mse[1]:.4f} | {mlp_mse[1]:.5f} |"
)

# %% tags=["remove-output", "hide-input"]
grid = torch.linspace(-1, 1, 201)
with torch.no_grad():
    mlp_curve = mlp(torch.stack([grid, torch.zeros_like(grid)], dim=1))[:, 0]
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(grid, grid.abs(), color="black", lw=2.5, label=r"target $|\theta|$")
ax.plot(
    grid,
    affine_coef[0] * grid + affine_coef[2],
    "--",
    color="tab:blue",
    label="best affine map (what attention can give the first token)",
)
ax.plot(grid, mlp_curve, color="tab:green", label="MLP (at $\\dot\\theta = 0$)")
ax.set_xlabel(r"pole angle $\theta$ (units of the 12° failure angle)")
ax.set_ylabel(r"$|\theta|$ (same units)")
ax.legend(fontsize=10, loc="upper center")
ax.grid(alpha=0.3)
glue("fig-ch5-mlp", fig, display=False)

# %% [markdown]
# ```{glue:figure} fig-ch5-mlp
# :name: fig-ch5-mlp
#
# How far the pole leans, $|\theta|$, computed from the angle inside one token. The best affine map is a
# nearly flat line (for data symmetric in $\theta$ no slope helps); the MLP bends where it must.
# ```
#
# The table says it in numbers: on both targets the MLP's error is less than a tenth of the best affine
# map's ({numref}`fig-ch5-mlp` shows $|\theta|$). Attention decides *where to look*; the MLP computes
# *what to make of it*, token by token. A block needs both.
#
# ## Residual connections: the gradient's shortcut
#
# Stack $N$ blocks, $x_N = f_N(\cdots f_2(f_1(x_0)))$, and the chain rule gives the gradient at the input
# as a product of $N$ Jacobians:
#
# $$
# \frac{\partial \mathcal L}{\partial x_0} = J_1^\top J_2^\top \cdots J_N^\top \frac{\partial \mathcal L}{\partial x_N},
# \qquad J_k = \frac{\partial f_k}{\partial x_{k-1}}.
# $$ (eq-ch5-chain)
#
# The post puts it plainly: multiply enough factors and the gradient shrinks to something useless. Every
# sub-layer passes back only part of what it receives (LayerNorm ignores any change that shifts all of a
# token's features equally or scales the whole token, GELU damps negative inputs, attention averages
# tokens together), and in a product
# of dozens of such factors the losses compound. The residual connection writes each sub-layer as
# $x + f(x)$, so its Jacobian becomes $I + J_f$: however poorly $f$ passes the gradient back, the identity
# carries it through untouched {cite}`he2016`. (In post-LN the skip path still crosses the LayerNorm that
# follows each addition; that difference comes back when we compare post-LN with pre-LN below.)
#
# The post's picture for this is a good one; here it is in our words. Picture copying a drawing over many
# rounds, each round improving it a little. Without the shortcut you only ever see the previous round's
# copy, so every small loss of detail is inherited and the original fades from round to round. With the
# shortcut the original picture stays on the table: each round looks at it again and only adds its
# correction on top, so nothing of it can be lost.
#
# To measure this we need a gauge. `input_gradient_norm` sends a fixed random gradient $r$ back from a
# network's output and reports how much of it arrives at the input:

# %%
show_source(input_gradient_norm, docstring=False)

# %% [markdown]
# Now stacks of 2 to 32 blocks ($d = 16$, 2 heads, batches of 16 sequences of 8 tokens), with and without
# the two residual connections, each depth with 4 seeds (fresh weights and inputs), for both post-LN and
# the pre-LN arrangement met below. The probe $r$ has about $\sqrt{16 \cdot 8 \cdot 16} \approx 45$ of
# norm at the output, whatever the depth.

# %% tags=["hide-input"]
DEPTHS, SEEDS = (2, 4, 8, 16, 32), range(4)
grad = {}  # (norm, residual) -> (seeds, depths) array of ||dL/dx||
for norm in ("post", "pre"):
    for residual in (True, False):
        grad[norm, residual] = np.empty((len(SEEDS), len(DEPTHS)))
        for i, seed in enumerate(SEEDS):
            for j, depth in enumerate(DEPTHS):
                torch.manual_seed(seed)
                x0 = torch.randn(16, 8, 16)
                stack = nn.Sequential(*[
                    Block(16, 2, norm=norm, residual=residual)
                    for _ in range(depth)
                ])
                grad[norm, residual][i, j] = input_gradient_norm(
                    stack, x0, seed=seed
                )
# the probe's norm at the output
assert 40 < input_gradient_norm(nn.Identity(), x0) < 50
# geometric mean over seeds
geo = {key: np.exp(np.log(g).mean(axis=0)) for key, g in grad.items()}

# %% tags=["remove-output", "hide-input"]
fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
for ax, norm in zip(axes, ("post", "pre")):
    for residual, colour in ((True, "tab:green"), (False, "tab:red")):
        label = "with residuals" if residual else "without residuals"
        for g in grad[norm, residual]:
            ax.plot(DEPTHS, g, color=colour, alpha=0.25, lw=0.8)
        ax.plot(
            DEPTHS,
            geo[norm, residual],
            "o-",
            color=colour,
            lw=2,
            label=label + " (geometric mean)",
        )
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(DEPTHS, [str(d) for d in DEPTHS])
    ax.set_xlabel("number of blocks stacked")
    ax.set_title(f"{norm}-LN blocks", fontsize=10)
    ax.grid(alpha=0.3, which="both")
axes[0].set_ylabel(
    r"gradient norm at the input $\|\partial \mathcal{L} / \partial x_0\|$"
)
axes[0].legend(fontsize=10, loc="lower left")
fig.tight_layout()
glue("fig-ch5-gradients", fig, display=False)

# %% [markdown]
# ```{glue:figure} fig-ch5-gradients
# :name: fig-ch5-gradients
#
# How much of a gradient of norm about 45 at the output reaches the input of a stack of blocks, on a log
# scale. Thin lines: 4 seeds; thick: their geometric mean. Without residual connections it falls by orders
# of magnitude as the stack deepens; with them it stays put.
# ```
#
# {numref}`fig-ch5-gradients` is the post's claim, measured. The table gives the geometric means at the
# deepest stack:

# %% tags=["hide-input"] mystnb={"markdown_format": "myst"}
for norm in ("post", "pre"):
    kept, lost = grad[norm, True], grad[norm, False]
    # with residuals the gradient barely changes from 2 to 32 blocks (within a
    # factor of 4)
    assert geo[norm, True].max() < 4 * geo[norm, True].min()
    # without them, 32 blocks pass back over 100 times less than 2 blocks, and
    # over 1000 times less than
    # the residual stack of the same depth; every single seed loses at least a
    # factor of 10
    assert geo[norm, False][-1] < 1e-2 * geo[norm, False][0]
    assert geo[norm, False][-1] < 1e-3 * geo[norm, True][-1]
    assert np.all(lost[:, -1] < 0.1 * kept[:, -1])
Markdown(
    "| block | with residuals, 2 blocks | with residuals, 32 blocks | without,"
    " 2 blocks | without, 32 blocks | with / without at 32"
    " |\n|---|---:|---:|---:|---:|---:|\n"
    + "\n".join(
        f"| {norm}-LN | {geo[norm, True][0]:.1f} | {geo[norm, True][-1]:.1f} |"
        f" {geo[norm, False][0]:.2f} | {geo[norm, False][-1]:.1e} |"
        f" {geo[norm, True][-1] / geo[norm, False][-1]:.0e} |"
        for norm in ("post", "pre")
    )
)

# %% [markdown]
# With residual connections, 32 blocks pass the gradient back within a factor of 4 of what 2 blocks do;
# without them, 32 blocks pass back more than a thousand times less than the residual stack of the same
# depth, and every seed loses at least a factor of 10. How fast it fades depends on the width and the
# initialisation: narrower stacks lose it faster. The cell below repeats the 16-block stacks without
# residuals at widths 8 and 32 (same heads, seeds and batches): the share of the probe that reaches the
# input falls by more than a factor of 10 at each halving of the width. The direction does not depend on the
# width: a product of many factors that each lose a little is small, and the skip connection takes the
# gradient around the product.

# %% tags=["hide-input"]
# share of the probe reaching the input of 16 blocks without residuals, by
# width d (geometric mean over the 4 seeds)
kept_share = {}
for norm in ("post", "pre"):
    for d in (8, 16, 32):
        shares = []
        for seed in SEEDS:
            torch.manual_seed(seed)
            x0 = torch.randn(16, 8, d)
            if d == 16:  # measured above
                g = grad[norm, False][seed, DEPTHS.index(16)]
            else:
                stack = nn.Sequential(*[
                    Block(d, 2, norm=norm, residual=False) for _ in range(16)
                ])
                g = input_gradient_norm(stack, x0, seed=seed)
            probe = np.sqrt(x0.numel())  # the probe's norm at the output
            shares.append(max(g, 1e-300) / probe)
        kept_share[norm, d] = np.exp(np.log(shares).mean())
for norm in ("post", "pre"):
    widths = ", ".join(
        f"d = {d}: {kept_share[norm, d]:.1e}" for d in (8, 16, 32)
    )
    print(f"{norm}-LN, share kept: {widths}")
    # narrower stacks lose it faster: at least 10x less per halving
    assert kept_share[norm, 8] < 0.1 * kept_share[norm, 16]
    assert kept_share[norm, 16] < 0.1 * kept_share[norm, 32]

# %% [markdown]
# ## LayerNorm: every token rescaled on its own
#
# LayerNorm {cite}`ba2016` takes one token $x \in \mathbb{R}^d$, subtracts the mean of its $d$ features,
# divides by their standard deviation, and then applies a learned gain $\gamma$ and bias $\beta$ (1 and 0
# at initialisation):
#
# $$
# \operatorname{LN}(x) = \gamma \odot \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta ,
# $$ (eq-ch5-layernorm)
#
# with $\mu = \frac{1}{d}\sum_k x_k$ and $\sigma^2 = \frac{1}{d}\sum_k (x_k - \mu)^2$ the mean and variance
# of the token's $d$ features, and $\epsilon = 10^{-5}$ (PyTorch's default) a guard against dividing by zero.
#
# The statistics are per token, over its features: not over the batch, and not over time. Each token is
# put on the same scale whatever the others do, which keeps the inputs of the next sub-layer in a range
# its weights were made for, however large the sums $x + f(x)$ grow. Below, six tokens of width 16 with
# very different offsets and spreads go in, and six tokens with mean 0 and standard deviation 1 come out.

# %% tags=["hide-input"]
torch.manual_seed(1)
offsets, spreads = torch.tensor([-3.0, -1.0, 0.0, 0.5, 2.0, 4.0]), torch.tensor(
    [0.3, 2.0, 1.0, 4.0, 0.6, 1.5]
)
# (T, d): 6 tokens of width 16
tokens = offsets[:, None] + spreads[:, None] * torch.randn(6, 16)
ln = nn.LayerNorm(16)
# gamma = 1, beta = 0
assert ln.eps == 1e-5 and torch.all(ln.weight == 1) and torch.all(ln.bias == 0)
with torch.no_grad():
    normed = ln(tokens)
# per token: mean 0
torch.testing.assert_close(
    normed.mean(dim=1), torch.zeros(6), rtol=0, atol=1e-5
)
# std 1
torch.testing.assert_close(
    normed.std(dim=1, unbiased=False), torch.ones(6), rtol=0, atol=1e-3
)
# per feature, across tokens: NOT normalised
assert normed.mean(dim=0).abs().max() > 0.1

# %% tags=["remove-output", "hide-input"]
fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
for ax, values, title in (
    (axes[0], tokens, "before LayerNorm"),
    (axes[1], normed, "after LayerNorm"),
):
    for t in range(6):
        ax.scatter(
            np.full(16, t) + np.linspace(-0.2, 0.2, 16),
            values[t],
            s=10,
            color=f"C{t}",
        )
        ax.errorbar(
            t + 0.32,
            values[t].mean(),
            yerr=values[t].std(unbiased=False),
            fmt="_k",
            capsize=3,
        )
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xticks(range(6))
    ax.set_xlabel("token")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
axes[0].set_ylabel("feature value (dimensionless)")
fig.tight_layout()
glue("fig-ch5-layernorm", fig, display=False)

# %% [markdown]
# ```{glue:figure} fig-ch5-layernorm
# :name: fig-ch5-layernorm
#
# The 16 features of six tokens before and after LayerNorm (dots), with each token's mean ± standard
# deviation (black). Afterwards every token has mean 0 and standard deviation 1.
# ```
#
# In a post-LN block the last LayerNorm is the output, so a fresh block returns tokens normalised exactly
# like this:

# %% tags=["hide-cell"]
with torch.no_grad():
    Y_scaled = Block(16, 2).eval()(5.0 * X + 3.0)
torch.testing.assert_close(
    Y_scaled.mean(-1), torch.zeros(4, 10), rtol=0, atol=1e-5
)
torch.testing.assert_close(
    Y_scaled.std(-1, unbiased=False), torch.ones(4, 10), rtol=0, atol=1e-3
)

# %% [markdown]
# ## Post-LN or pre-LN?
#
# Where the LayerNorms go turns out to matter. GPT-2 {cite}`radford2019` moved them to the *input* of each
# sub-layer, leaving the residual path from input to output free of any normalisation, and added one final
# LayerNorm after the last block:
#
# $$
# H = X + \operatorname{MHA}\big(\operatorname{LN}(X)\big), \qquad
# Y = H + \operatorname{MLP}\big(\operatorname{LN}(H)\big).
# $$ (eq-ch5-pre-ln)
#
# This is **pre-LN**, `Block(..., norm="pre")`. Xiong et al. {cite}`xiong2020` show why it matters: at
# initialisation a post-LN stack has large gradients near its output, so it needs a learning-rate warmup
# (small steps first) to train at all, while pre-LN's gradients are well behaved and it trains without
# one. We try both on a toy task that needs everything in this chapter.
#
# **The task: the largest swing so far.** A cart-pole is shoved by random pushes (as in {doc}`01_physics`)
# and we see its angle every 0.02 s. At each step $t$ the model must say how far the pole has leaned so
# far, $y_t = \max_{t' \le t} |\theta_{t'}|$: attention to look back over the past, the MLP for the absolute
# value, causality because the future is not allowed. Each model is an embedding (one number to 16
# features), 8 blocks, and a linear read-out; all are trained with the same seed, data and batches, with
# Adam at a learning rate of $10^{-2}$, for 100 steps.

# %% tags=["hide-input"] mystnb={"markdown_format": "myst"}
rng = np.random.default_rng(0)
N_EP, T_EP = 2048, 8
start = np.zeros((N_EP, 4))
start[:, 0], start[:, 1] = rng.uniform(-0.2, 0.2, N_EP), rng.uniform(
    -1.0, 1.0, N_EP
)
# (N, T) angle, rad
theta = simulate(start, rng.normal(0.0, 10.0, (N_EP, T_EP - 1)))[..., 0]
scale = theta.std()
# (N, T, 1)
inputs = torch.tensor(theta / scale, dtype=torch.float32)[..., None]
swing = torch.tensor(
    np.maximum.accumulate(np.abs(theta), axis=1) / scale, dtype=torch.float32
)[..., None]
var_swing = swing.var().item()  # the loss of always predicting the average


def toy_model(norm, depth=8, d=16):
    """Embedding (1 -> d), `depth` blocks, a final LayerNorm for pre-LN (as
    GPT-2), read-out (d -> 1).
    """
    final = [nn.LayerNorm(d)] if norm == "pre" else []
    blocks = [Block(d, 2, norm=norm) for _ in range(depth)]
    return nn.Sequential(nn.Linear(1, d), *blocks, *final, nn.Linear(d, 1))


def train(norm, steps=100, lr=1e-2, warmup=0, seed=0, batch=32):
    """Train toy_model(norm) with Adam; a linear warmup over `warmup` steps if
    asked. Returns the losses.
    """
    torch.manual_seed(seed)
    model = toy_model(norm)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    ramp = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda i: min(1.0, (i + 1) / warmup) if warmup else 1.0
    )
    batches = torch.randint(
        0, N_EP, (steps, batch), generator=torch.Generator().manual_seed(seed)
    )
    losses = []
    for idx in batches:
        loss = ((model(inputs[idx]) - swing[idx]) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        ramp.step()
        losses.append(loss.item())
    return np.array(losses)


curves = {
    "post-LN": train("post"),
    "pre-LN": train("pre"),
    "post-LN, 50-step warmup": train("post", warmup=50),
}
# mean loss over the last 20 steps
final = {name: c[-20:].mean() for name, c in curves.items()}
Markdown(
    "| block | final loss (mean of the last 20 steps) |\n|---|---:|\n"
    + "\n".join(f"| {name} | {value:.4f} |" for name, value in final.items())
    + f"\n| *predicting the average* | {var_swing:.4f} |"
)

# %% tags=["remove-output", "hide-input"]
fig, ax = plt.subplots(figsize=(7, 3.5))
for (name, c), colour in zip(
    curves.items(), ("tab:orange", "tab:blue", "tab:purple")
):
    ax.plot(np.arange(1, len(c) + 1), c, color=colour, lw=1.2, label=name)
ax.axhline(var_swing, color="grey", ls=":", label="predicting the average")
ax.set_yscale("log")
ax.set_xlabel("training step")
ax.set_ylabel("mean squared error (units of std(θ)²)")
ax.legend(fontsize=10)
ax.grid(alpha=0.3, which="both")
glue("fig-ch5-post-vs-pre", fig, display=False)

# %% [markdown]
# ```{glue:figure} fig-ch5-post-vs-pre
# :name: fig-ch5-post-vs-pre
#
# Training loss of an 8-block model on the largest-swing task, same seed, data and learning rate
# ($10^{-2}$, Adam). Post-LN without warmup stalls at the loss of predicting the average; pre-LN gets past
# it and learns; a warmup rescues post-LN.
# ```

# %% tags=["hide-cell"]
assert final["post-LN"] > 0.5 * var_swing  # stuck near "predict the average"
assert (
    final["pre-LN"] < 0.2 * var_swing
    and final["pre-LN"] < 0.2 * final["post-LN"]
)
assert final["post-LN, 50-step warmup"] < 0.2 * var_swing

# %% [markdown]
# The honest reading of {numref}`fig-ch5-post-vs-pre`: with this learning rate and no warmup, pre-LN
# trains and post-LN does not; it ends above half the loss of ignoring the input, while pre-LN ends below
# a fifth of it. A warmup (the learning rate ramped up over the first 50 steps) brings post-LN below a fifth
# too, as Xiong et al. lead us to expect {cite}`xiong2020`.
# This is one toy at one learning rate, briefly trained: it says that pre-LN is the more forgiving of the
# two, not that it ends up better after long, careful training.
#
# Radford et al. give no reason for GPT-2's move {cite}`radford2019`; Xiong et al.'s analysis came a year
# later {cite}`xiong2020`. The Decision Transformer takes GPT-2 as its
# backbone {cite}`chen2021`: so {doc}`06_decision_transformer` stacks `Block(..., norm="pre")` with a final
# LayerNorm. The post's diagram, post-LN, remains the `Block` default, and everything else in this chapter
# (the MLP, the residual connections, LayerNorm per token) is the same in both.
#
# ## Before the block: tokens
#
# One step is still missing, and the post names it at the end of its pipeline: we cannot feed the
# transformer raw numbers, we must **tokenise** them first. The toy model above already did, with its first
# layer `nn.Linear(1, 16)`. Why not skip it? Look at what LayerNorm, which every block applies, would do to
# raw cart-pole numbers. A single number as a token of width 1 is its own mean, so LayerNorm turns every
# such token into $\beta = 0$. A whole state $s = (\theta, \dot\theta, x, \dot x)$ as a token of width 4
# fares little better: its mean mixes radians with metres, and with its mean and its scale gone the state
# $2s$ (twice the tilt, twice the speed) becomes the same token as $s$:

# %% tags=["hide-cell"]
# (1, 4): theta [rad], theta_dot [rad/s], x [m], x_dot [m/s]
state = torch.tensor([[0.05, -0.3, 0.4, 0.2]])
with torch.no_grad():
    assert torch.all(nn.LayerNorm(1)(state.T) == 0)  # each number alone: erased
    torch.testing.assert_close(
        nn.LayerNorm(4)(2 * state), nn.LayerNorm(4)(state), rtol=0, atol=1e-4
    )
    torch.manual_seed(0)
    # a linear embedding, 4 numbers -> 16 features (learned, in a real model)
    embed = nn.Linear(4, 16)
    assert (
        nn.LayerNorm(16)(embed(2 * state)) - nn.LayerNorm(16)(embed(state))
    ).abs().max() > 0.1

# %% [markdown]
# A linear embedding with its bias maps each state to a point in a space of width $d$, where the model
# learns which directions matter, so that sums, dot products and LayerNorm act on features it chose rather
# than on raw units; the same reason the post gave for projecting states to queries and keys before
# comparing them ({doc}`03_attention`). A Decision Transformer has three kinds of token, return-to-go,
# state and action, with different units and widths, so it gives each kind its own linear embedding to the
# same width $d$ and adds an embedding of the time step {cite}`chen2021`. That is where
# {doc}`06_decision_transformer` begins.

# %% [markdown]
# ## Exercises
#
# Each exercise has a starter cell that runs as it stands, a check from `dtcart.exercises` that prints
# PASS or FAIL and says what it expected on which input, and a collapsed solution that shows the code of
# one. Edit the starter and run it until the check passes; then open the solution.
#
# **Exercise 5.1: LayerNorm by hand.** Write `my_layer_norm(x)`, equation {eq}`eq-ch5-layernorm` with
# $\gamma = 1$ and $\beta = 0$ for a tensor of tokens `(..., d)`: what `nn.LayerNorm(d)` computes when it
# is fresh. The starter normalises each feature over the first axis, the statistics a batch norm would use.

# %%
def my_layer_norm(x, eps=1e-5):
    """x (..., d) normalised as nn.LayerNorm(d) does at initialisation."""
    mean = x.mean(dim=0, keepdim=True)
    var = x.var(dim=0, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps)


passed = check_exercise_5_1(my_layer_norm)

# %% [markdown] tags=["remove-cell"]
# Solution (click the collapsed cell below to show it):

# %% tags=["hide-cell"] jupyter={"source_hidden": true} mystnb={"code_prompt_show": "Show the solution", "code_prompt_hide": "Hide the solution"}
# The statistics of each token's own d features (dim=-1), and the biased
# variance (divided by d, not d - 1), as torch's LayerNorm computes it
display(show_source(exercises.layer_norm, docstring=False))
assert check_exercise_5_1(exercises.layer_norm)

# %% [markdown]
# **Exercise 5.2: what a block weighs.** Write `my_block_parameters(d)`, the number of parameters of
# `Block(d, n_heads)` as a formula in $d$ (the number of heads does not change it, as
# {doc}`04_multihead` showed for attention). Count the weights and biases of the attention, the MLP
# {eq}`eq-ch5-mlp` and the two LayerNorms. The starter counts the attention only.

# %%
def my_block_parameters(d):
    """Parameters of Block(d, n_heads)."""
    return 4 * (d * d + d)  # the attention's four projections


passed = check_exercise_5_2(my_block_parameters)

# %% [markdown] tags=["remove-cell"]
# Solution (click the collapsed cell below to show it):

# %% tags=["hide-cell"] jupyter={"source_hidden": true} mystnb={"code_prompt_show": "Show the solution", "code_prompt_hide": "Hide the solution"}
# attention 4 (d^2 + d); MLP d -> 4d -> d: 4 d^2 + 4 d + 4 d^2 + d; two
# LayerNorms, a gain and a bias each: 4 d. At the book's d = 32: 12,704
display(show_source(exercises.block_parameters, docstring=False))
assert check_exercise_5_2(exercises.block_parameters)
assert exercises.block_parameters(32) == 12_704

# %% [markdown]
# **Exercise 5.3: who reads whom.** Attention moves information between tokens, the MLP and LayerNorm
# work on each token alone, and the causal mask hides the future. See all three at once: write
# `token_dependence(layer, x)`, a `(T, T)` boolean map that is True where output token $i$ of `layer(x)`
# changes when input token $j$ does, for one sequence `x` of shape `(1, T, d)`. The check tries
# `MLP(8)`, `Block(8, 2)`, `MultiHeadAttention(8, 2, causal=False)` and a layer that hands each token
# its predecessor: predict their maps before you run it. The starter takes one gradient of the sum of
# every output, which lumps the outputs together; `torch.autograd.functional.jacobian(layer, x)` keeps
# every output feature apart.

# %%
def token_dependence(layer, x):
    """(T, T) bool: True where output token i of layer(x) reads input j."""
    x = x.detach().clone().requires_grad_(True)
    layer(x).sum().backward()  # one gradient for every output at once
    read = x.grad[0].abs().sum(dim=-1) > 0  # (T,): read by some output
    return read.expand(len(read), -1).numpy()  # the same row for every i


passed = check_exercise_5_3(token_dependence)

# %% [markdown] tags=["remove-cell"]
# Solution (click the collapsed cell below to show it):

# %% tags=["hide-cell"] jupyter={"source_hidden": true} mystnb={"code_prompt_show": "Show the solution", "code_prompt_hide": "Hide the solution"}
# The Jacobian holds every d out[0, i, k] / d x[0, j, l]: output i reads
# input j where any of them is not 0. One gradient per output token of the
# sum of its features would not do: a post-LN block ends with a LayerNorm,
# whose outputs always sum to 0. The MLP reads each token alone, the causal
# block every token up to its own:
display(show_source(exercises.token_dependence, docstring=False))
assert check_exercise_5_3(exercises.token_dependence)
probe_x = torch.randn(1, 5, 8, generator=torch.Generator().manual_seed(0))
for name, layer in (("MLP(8)", MLP(8)), ("Block(8, 2)", Block(8, 2))):
    print(f"{name}:\n{exercises.token_dependence(layer, probe_x).astype(int)}")
