"""Run the benchmarks and print tables with ratios.

    python -m benchmarks                 # physics, rollouts and data, Decision Transformer (about 2-3 minutes)
    python -m benchmarks --quick         # fewer sizes and repeats, no train_default (under a minute)
    python -m benchmarks --notebooks     # also: time and peak memory of every book notebook
    python -m benchmarks --suite --build # also: the whole test suite and a fresh book build (slow)
    python -m benchmarks --seeds         # also: Chapter 6's figures for training seeds 0-4 (about 7 minutes)
    python -m benchmarks --seeds --ablation  # ... and for two other logs (about 20 minutes)
    python -m benchmarks --only worth    # Chapter 8's record: PPO, learners, scarce data, pushes (12 min)
    python -m benchmarks --only datasize # Chapter 8's log sizes: DT and filtered BC (15 min)
    python -m benchmarks --only recipes  # could training take half the time? (15 min)
    python -m benchmarks --only live     # the live cart-pole's step in Chromium (under a minute)
    python -m benchmarks --only teaching # what the teaching path's plain arithmetic costs (2 min)
    python -m benchmarks --only heads    # one head against two, seeds 0-4 (15 min)
    python -m benchmarks --only physics  # one section (physics, rollouts, dt, seeds, notebooks, suite, build)
    python -m benchmarks --only outside  # every notebook, dtcart installed as Colab has it (slow)
    python -m benchmarks --json          # also record every number in dtcart/records.json (the
                                         # records the book prints: dtcart.records)
    python -m benchmarks --json out.json # ... or in another file

Timings are best-of-N wall times (time.perf_counter); each section prints the load average beside them.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys

from dtcart import records

from .timing import load, si, table



def report_physics(r: dict) -> str:
    rows = [[row["batch"], si(row["dtcart"]), si(row["vector_env"]), si(row["gym_make_loop"]),
             f"{row['ratio_vector']:.2f}x", f"{row['ratio_gym']:.3g}x"] for row in r["rows"]]
    return table(["batch", "dtcart step", "CartPoleVectorEnv", "CartPole-v1 loop", "vs vector env",
                  "vs CartPole-v1"], rows, "Physics: cart-steps per second (one call steps the whole batch)") + \
        f"\nstep() called once per cart from a Python loop: {si(r['dtcart_loop'])} cart-steps/s"


def report_rollouts(r: dict) -> str:
    rows = [[row["batch"], f"{row['episodes_per_s']:.1f}", si(row["cart_steps_per_s"])] for row in r["rows"]]
    return table(["batch", "episodes/s", "cart-steps/s"], rows,
                 "Rollouts: control.rollout(heuristic(24), starts), 500-step episodes") + \
        f"\nmake_dataset(): {r['dataset_s']:.2f} s for {r['dataset_episodes']} episodes, " \
        f"{r['dataset_steps']} steps (goal < 2 s)"


def report_dt(r: dict) -> str:
    peak = r["matmul_flops"]

    def line(name, row):
        return [name, row["d_model"], row["n_layers"], row["context"], f"{row['params']:,}",
                f"{row['steps_per_s']:.1f}", si(row["tokens_per_s"]), si(row["flops_per_s"], "FLOP/s"),
                f"{100 * row['flops_per_s'] / peak:.1f}%"]

    rows = [line("book default", r["default"]), line("paper's size", r["paper_size"])]
    rows += [line(f"context {row['context']}", row) for row in r["by_context"]]
    rows += [line(f"width {row['d_model']}", row) for row in r["by_width"]]
    text = table(["model", "d", "layers", "K", "params", "steps/s", "tokens/s", "achieved", "of matmul"], rows,
                 f"Decision Transformer training (batch 64, {r['threads']} torch threads); "
                 f"1024x1024 matmul: {si(peak, 'FLOP/s')}")
    one = r["default_1_thread"]
    text += (f"\nbook default on 1 thread: {one['steps_per_s']:.1f} steps/s, {si(one['tokens_per_s'])} tokens/s, "
             f"{100 * one['flops_per_s'] / r['matmul_flops_1_thread']:.1f}% of a 1-thread matmul "
             f"({si(r['matmul_flops_1_thread'], 'FLOP/s')}); {one['steps_per_s'] / r['default']['steps_per_s']:.2f}x "
             f"the steps/s on {r['threads']} threads")
    if "train_default_s" in r:
        text += (f"\ntrain_default(): {r['train_default_s']:.1f} s on {r['threads']} threads, "
                 f"{r['train_default_1_thread_s']:.1f} s on 1 thread (goal <= 60 s)")
    rows = [[f"{row['batch']}, {threads}", f"{row['episodes_per_s']:.2f}", si(row["cart_steps_per_s"]),
             f"{row['forward_passes_per_s']:.0f}", f"{row['mean_return']:.0f}"]
            for row, threads in zip(r["rollout"] + [r["rollout_1_thread"]], [r["threads"]] * 2 + [1])]
    return text + "\n\n" + table(["batch, threads", "episodes/s", "cart-steps/s", "forward passes/s",
                                    "mean return"], rows, f"rollout_dt at target 500, model: {r['model']}")


def report_seeds(r: dict) -> str:
    rows = [[row["data"], row["seed"], row["starts"], f"{row['train_s']:.0f}", f"{row['solved_500']:.0%}",
             " ".join(f"{m:.0f}" for m in row["means"]), "yes" if row["rising"] else "NO", f"{row['tracking']:.1%}",
             f"{row['copy']:.2f}"] for row in r["rows"]]
    return table(["data", "seed", "starts", "train [s]", "500 reached", "mean at 100..500", "rising", "tracking",
                  "copy c"],
                 rows, f"Chapter 6's figures, {r['n_starts']} unseen starts per set "
                       f"(goals: >= 95%, rising, <= 15%)") + \
        f"\nthe book's data meets every figure for every seed and start set: {'yes' if r['ok'] else 'NO'}"


def report_worth(r: dict) -> str:
    text = ""
    if "ppo" in r:
        rows = [[row["seed"], row["steps_to_solve"], row["episodes_to_solve"], f"{row['seconds']:.1f}"]
                for row in r["ppo"]]
        text += table(["seed", "steps to solve", "episodes", "seconds"], rows,
                      "PPO (stable-baselines3 defaults) until it holds all 20 evaluation starts") + "\n"
    for part in ("learners", "scarce", "pushes"):
        if part in r:
            rows = [[row["learner"], row["pushes"], row["seed"], row["starts"], f"{row['solved_500']:.0%}",
                     " ".join(f"{m:.0f}" for m in row["means"]),
                     "-" if row["tracking"] is None else f"{row['tracking']:.1%}"] for row in r[part]]
            text += table(["learner", "pushes [N]", "seed", "starts", "500 reached", "mean at 100..500",
                           "tracking"], rows, f"{part}") + "\n"
    return text


def report_datasize(r: dict) -> str:
    from .datasize_bench import smallest
    rows = [[row["learner"], row["episodes"], row["seed"], row["starts"], f"{row['solved_500']:.0%}",
             " ".join(f"{m:.0f}" for m in row["means"]),
             "-" if row["tracking"] is None else f"{row['tracking']:.1%}", "yes" if row["holds"] else "no"]
            for row in r["rows"]]
    text = table(["learner", "episodes", "seed", "starts", "500 reached", "mean at 100..500", "tracking", "holds"],
                 rows, "Log size: the first N episodes of the book's log")
    return text + "".join(f"\n{name}: smallest log that holds the figures: {smallest(r, name)} episodes"
                          for name in sorted({row["learner"] for row in r["rows"]}))


def report_recipes(r: dict) -> str:
    rows = [[name, f"{s['update_ms']:.1f}", s["updates"], f"{s['time_share']:.0%}",
             f"{s['solved_min']:.0%} / {s['solved_mean']:.0%}",
             f"{s['tracking_mean']:.1%} / {s['tracking_max']:.1%}", "yes" if s["all_hold"] else "no"]
            for name, s in r["summary"].items()]
    return table(["recipe", "ms/update", "updates", "time", "500 reached min/mean", "tracking mean/max",
                  "all hold"], rows, f"Recipes, seeds 0-4, {r['n_starts']} unseen starts per set "
                                     f"(goals: >= 95%, rising, <= 15%)")


def report_live(r: dict) -> str:
    py = r["python"]
    return (f"Live cart-pole in Chromium {r['chromium']}: {r['step_ms']:.3f} ms per step (best block of 10; "
            f"whole episodes {r['episode_step_ms']:.3f}, median {r['episode_step_ms_median']:.3f}; budget "
            f"{r['budget_ms']} ms), physics and the Decision Transformer "
            f"(d={r['model']['d_model']}, {r['model']['n_layers']} blocks, K={r['model']['context']}); "
            f"heuristic {1e3 * r['heuristic_step_ms']:.1f} us\nPython: torch forward on one window "
            f"{py['forward_ms']:.3f} ms (1 thread), physics.step {1e3 * py['physics_step_ms']:.1f} us")


def report_teaching(r: dict) -> str:
    t, p = r["training"], r["physics"]
    return (f"Teaching path, one thread: a training update {t['update_ms']['shown']:.1f} ms as shown, "
            f"{t['update_ms']['states_only']:.1f} ms with the last block on the state tokens only "
            f"(x{t['ratio']:.2f}); physics.step on {r['settings']['carts']} carts "
            f"{p['step_us']['sin_cos']:.0f} us with sin/cos, {p['step_us']['tan_half_angle']:.0f} us "
            f"with tan(theta/2) (x{p['ratio']:.2f})")


def report_heads(r: dict) -> str:
    rows = [[part, f"{s['tracking_mean']:.1%}", f"{s['solved_min']:.0%}", "yes" if s["all_hold"] else "no"]
            for part, s in r["summary"].items()]
    return table(["heads, starts", "tracking mean", "500 reached min", "all hold"], rows,
                 f"One head against two at width {r['settings']['model']['d_model']}, seeds 0-4, "
                 f"{r['n_starts']} unseen starts per set")


def report_notebooks(rows: list) -> str:
    body = [[row["notebook"], f"{row['seconds']:.1f}", f"{row.get('kernel_cpu_seconds', float('nan')):.1f}",
             f"{row['kernel_peak_rss_mb']:.0f}"] if "seconds" in row
            else [row["notebook"], "FAILED", "", " ".join(row["error"])] for row in rows]
    return table(["notebook", "seconds", "kernel CPU [s]", "kernel peak RSS [MB]"], body,
                 "Notebooks, each in a fresh kernel (budget: < 60 s and < 2 GB each; kernel well under 600 MB for Binder)")


def report_outside(r: dict) -> str:
    def cells(row, key):
        return " ".join(str(c["cell"] if isinstance(c, dict) else c) for c in row.get(key, [])) or "-"

    body = [[row["notebook"], f"{row['seconds']:.1f}", "yes" if row["passed"] else "NO",
             cells(row, "figures_shown_twice"), cells(row, "stray_reprs"),
             " ".join(f"{c['cell']}:{c['seconds']:.0f}s{'' if c['progress_bar'] else '(no bar)'}"
                      for c in row.get("slow_cells", [])) or "-", row.get("error", "")]
            for row in r["rows"]]
    return table(["notebook", "seconds", "ran", "figure twice", "stray repr", "cells > 5 s", "error"], body,
                 f"Every notebook outside the repository, dtcart installed from a clean clone "
                 f"({r['dtcart']}; install {r['install_s']:.0f} s)")


def report_timed(name: str, r: dict) -> str:
    cpu = f", {r['cpu_seconds']:.0f} s of CPU" if "cpu_seconds" in r else ""
    return f"{name}: {r['seconds']:.1f} s{cpu}, exit status {r['returncode']} ({r['last_line']})"


def _none(args) -> dict:
    """No keyword arguments, whatever the command line says."""
    return {}


# section: (its module, what to call there, the call's keyword arguments from
# the command line, its report)
_RUNS = {
    "physics": ("physics_bench", "run", lambda a: dict(
        min_time=0.05 if a.quick else 0.2, repeat=3 if a.quick else 5),
        report_physics),
    "rollouts": ("rollout_bench", "run",
                 lambda a: dict(repeat=1 if a.quick else 3), report_rollouts),
    "dt": ("dt_bench", "run", lambda a: dict(quick=a.quick), report_dt),
    "seeds": ("seeds_bench", "run", lambda a: dict(ablation=a.ablation),
              report_seeds),
    "worth": ("worth_bench", "run", _none, report_worth),
    "datasize": ("datasize_bench", "run", _none, report_datasize),
    "recipes": ("recipes_bench", "everything", _none, report_recipes),
    "outside": ("outside_bench", "run", _none, report_outside),
    "live": ("live_bench", "run", _none, report_live),
    "teaching": ("teaching_bench", "run", lambda a: dict(quick=a.quick),
                 report_teaching),
    "heads": ("heads_bench", "run", _none, report_heads),
    "notebooks": ("book_bench", "notebooks", _none, report_notebooks),
    "suite": ("book_bench", "suite", _none, lambda r: report_timed(
        "test suite (python -m pytest, clean copy)", r)),
    "build": ("book_bench", "build", _none, lambda r: report_timed(
        "book build (fresh, jupyter-book build)", r)),
}

SECTIONS = tuple(_RUNS)


def _run(section: str, args) -> tuple:
    """Run one section's benchmark: ``(its results, their report)``."""
    module, function, options, report = _RUNS[section]
    bench = importlib.import_module(f".{module}", __package__)
    result = getattr(bench, function)(**options(args))
    return result, report(result)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer sizes and repeats; skip train_default")
    parser.add_argument("--seeds", action="store_true", help="Chapter 6's figures for training seeds 0-4")
    parser.add_argument("--ablation", action="store_true",
                        help="with --seeds: also two other logs (seeds_bench.ABLATIONS)")
    parser.add_argument("--notebooks", action="store_true", help="time every book notebook")
    parser.add_argument("--suite", action="store_true", help="time the whole test suite")
    parser.add_argument("--build", action="store_true", help="time a fresh book build")
    parser.add_argument("--only", choices=SECTIONS, action="append", help="run only these sections")
    parser.add_argument("--json", metavar="PATH", nargs="?", const=str(records.PATH),
                        help="save every number to this JSON file, merged into it when it exists "
                             f"(without PATH: the book's records, {records.PATH.name} in dtcart/)")
    args = parser.parse_args(argv)
    sections = args.only or ["physics", "rollouts", "dt"] + [s for s in ("seeds", "notebooks", "suite", "build")
                                                              if getattr(args, s)]
    # merged: a run of some sections keeps the others' record
    results = records.read(args.json) if args.json else {}
    for section in sections:
        before = load()
        results[section], text = _run(section, args)
        results[section + "_load"] = [before, load()]
        print(f"{text}\n[{before} before, {load()} after]\n", flush=True)
        if args.json:  # saved after every section, so a long run interrupted keeps what it measured
            with open(args.json, "w") as f:
                json.dump(results, f, indent=1, default=float)
    return 0


if __name__ == "__main__":
    sys.exit(main())
