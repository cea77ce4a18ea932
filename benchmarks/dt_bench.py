"""Decision Transformer on the CPU: training throughput, its scaling, FLOP/s against a large matmul,
``train_default`` wall time and ``rollout_dt`` speed."""

from __future__ import annotations

import time
from dataclasses import replace

import torch

from dtcart.attention import attention_cost
from dtcart.control import random_initial_states
from dtcart.data import make_dataset
from dtcart.evaluate import rollout_dt
from dtcart.model import DecisionTransformer
from dtcart.train import DEFAULT_MODEL, DEFAULT_TRAIN, TrainConfig, WindowSampler, dt_loss, fit, fit_scalings, \
    train_default

from .timing import best_time

CONTEXTS = (5, 10, 20, 40)
WIDTHS = (32, 64, 128, 256)
PAPER = replace(DEFAULT_MODEL, d_model=128, n_layers=3, n_heads=1, context=20)  # kzl/decision-transformer's size


def matmul_flops(n: int = 1024, repeat: int = 5) -> float:
    """FLOP/s of an ``n x n`` float32 matrix product: a rough practical peak of this CPU for torch."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    return 2 * n**3 / best_time(lambda: torch.mm(a, b), repeat=repeat, min_time=0.2)


def train_flops_per_step(config, batch_size: int) -> float:
    """FLOPs of one training update (forward + backward = 3 forwards), 2 per multiply-accumulate.

    Per block over L = 3K tokens: the attention as :func:`dtcart.attention.attention_cost` counts it
    (8 L d^2 for the four projections, 4 L^2 d for the scores and their weighted sum), plus 16 L d^2
    for the 4d-wide MLP; embeddings and the head are negligible at these widths.
    """
    d, seq = config.d_model, 3 * config.context
    mlp = 2 * 2 * seq * d * 4 * d  # two (d x 4d) products per token
    block = attention_cost(d, config.n_heads, seq)["flops"] + mlp
    return 3 * config.n_layers * block * batch_size


def train_rate(ds, config, train: TrainConfig = DEFAULT_TRAIN, steps: int = 20, repeat: int = 3) -> dict:
    """Updates/s and tokens/s of the book's training loop for a model of ``config`` on ``ds``."""
    torch.manual_seed(0)
    model = DecisionTransformer(config=fit_scalings(ds, config))
    sampler = WindowSampler(ds, config.context)
    short = replace(train, steps=steps, warmup=1)
    fit(model, sampler.sample, dt_loss, replace(short, steps=2))  # warm up the allocator and kernels
    seconds = best_time(lambda: fit(model, sampler.sample, dt_loss, short), repeat=repeat) / steps
    tokens = train.batch_size * 3 * config.context
    flops = train_flops_per_step(config, train.batch_size)
    return {"d_model": config.d_model, "n_layers": config.n_layers, "context": config.context,
            "params": sum(p.numel() for p in model.parameters()), "steps_per_s": 1 / seconds,
            "tokens_per_s": tokens / seconds, "flops_per_s": flops / seconds}


def rollout_rate(model, n: int, target: float = 500.0, repeat: int = 3) -> dict:
    """Episodes/s and cart-steps/s of ``rollout_dt`` on ``n`` starts at once, and its mean return."""
    starts = random_initial_states(n, seed=12345)
    run = rollout_dt(model, target, starts)
    seconds = best_time(lambda: rollout_dt(model, target, starts), repeat=repeat)
    return {"batch": n, "episodes_per_s": n / seconds, "cart_steps_per_s": run.lengths.sum() / seconds,
            "forward_passes_per_s": int(run.lengths.max()) / seconds, "mean_return": float(run.lengths.mean())}


def with_threads(n: int, fn):
    """``fn()`` with torch limited to ``n`` threads, then the previous setting restored."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        return fn()
    finally:
        torch.set_num_threads(before)


def run(quick: bool = False) -> dict:
    """Every measurement above. ``quick`` skips ``train_default`` and uses fewer sizes.

    The 1-thread and default-thread measurements of the book's model alternate, round by round, so that
    both see the same moments of a shared machine's load; the matmul peak is the best of the measurements
    taken at the start and at the end of the training measurements.
    """
    ds = make_dataset()
    threads = torch.get_num_threads()
    out = {"threads": threads}
    peaks = [matmul_flops()]
    steps, repeat = (5, 2) if quick else (20, 3)
    rounds = [(train_rate(ds, DEFAULT_MODEL, steps=steps, repeat=1),
               with_threads(1, lambda: train_rate(ds, DEFAULT_MODEL, steps=steps, repeat=1)))
              for _ in range(repeat)]
    out["default"] = max((r[0] for r in rounds), key=lambda row: row["steps_per_s"])
    out["default_1_thread"] = max((r[1] for r in rounds), key=lambda row: row["steps_per_s"])
    out["paper_size"] = train_rate(ds, PAPER, steps=steps, repeat=repeat)
    contexts, widths = ((10, 40), (32, 128)) if quick else (CONTEXTS, WIDTHS)
    out["by_context"] = [train_rate(ds, replace(DEFAULT_MODEL, context=k), steps=steps, repeat=repeat)
                         for k in contexts]
    out["by_width"] = [train_rate(ds, replace(DEFAULT_MODEL, d_model=d), steps=steps, repeat=repeat)
                       for d in widths]
    peaks.append(matmul_flops())
    out["matmul_flops"] = max(peaks)
    out["matmul_flops_1_thread"] = with_threads(1, matmul_flops)
    if quick:
        torch.manual_seed(0)
        model = DecisionTransformer(config=fit_scalings(ds, DEFAULT_MODEL)).eval()
        out["model"] = "untrained (episodes end early: compare cart-steps/s, not episodes/s)"
    else:
        start = time.perf_counter()
        model, _ = train_default()
        out["train_default_s"] = time.perf_counter() - start
        start = time.perf_counter()
        with_threads(1, train_default)
        out["train_default_1_thread_s"] = time.perf_counter() - start
        out["model"] = "train_default()"
    out["rollout"] = [rollout_rate(model, n, repeat=1 if quick else 3) for n in (1, 60)]
    out["rollout_1_thread"] = with_threads(1, lambda: rollout_rate(model, 60, repeat=1 if quick else 3))
    return out
