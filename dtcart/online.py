"""Online reinforcement learning on the book's task, with stable-baselines3.

An online learner gathers its own experience: it acts in the environment of
:mod:`dtcart.env`, and learns from what happens. :func:`train_ppo` runs
stable-baselines3's PPO with its default hyper-parameters and, after each
update, evaluates the deterministic policy with
:func:`dtcart.control.rollout` on fixed starts (the way the book evaluates
every controller), so its :class:`OnlineRun` says how many environment steps
and episodes it needed to hold the pole from every start.
"""

from __future__ import annotations

import random
import time
from contextlib import contextmanager
from dataclasses import dataclass

import gymnasium
import numpy as np
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback

from .checks import (
    check_initial_states,
    check_type,
    integer,
    positive_int,
    require,
)
from .control import Policy, random_initial_states, rollout
from .env import ENV_ID, FORCE_LIMIT


def sb3_policy(model: BaseAlgorithm) -> Policy:
    """A stable-baselines3 model's deterministic policy as a batched policy.

    Returns:
        A callable from states ``(N, 4)`` to forces ``(N,)`` [N], clipped to
        +-FORCE_LIMIT as the environment clips them; one
        ``model.predict(states, deterministic=True)`` call serves the batch,
        so ``control.rollout(sb3_policy(model), starts)`` runs vectorised.

    Raises:
        TypeError: if ``model`` is not a stable-baselines3 model.
    """
    check_type(model, BaseAlgorithm, "model")

    def policy(states: np.ndarray) -> np.ndarray:
        states = np.asarray(states, dtype=np.float64)
        require(states.shape[1:] == (4,), f"states must have shape (N, 4), got {states.shape}")
        actions, _ = model.predict(states, deterministic=True)  # (N, 1)
        forces = actions.reshape(len(states)).astype(np.float64)
        return np.clip(forces, -FORCE_LIMIT, FORCE_LIMIT)

    return policy


@dataclass(frozen=True, eq=False)  # arrays inside: compare with numpy
class OnlineRun:
    """The learning curve of one online run, E evaluations long.

    Attributes:
        algorithm: the stable-baselines3 algorithm, e.g. ``"PPO"``.
        seed: the seed of the run.
        steps: ``(E,)`` int, the environment steps learned from at each
            evaluation.
        mean_returns: ``(E,)`` the deterministic policy's mean return over
            the evaluation starts [steps].
        solved: ``(E,)`` the share of evaluation starts held for
            ``MAX_STEPS`` steps.
        steps_to_solve: the steps at the first evaluation that held every
            start, or None if none did.
        episodes_to_solve: the training episodes completed by then, or None.
        seconds: wall time of learning [s], evaluations excluded.
    """

    algorithm: str
    seed: int
    steps: np.ndarray
    mean_returns: np.ndarray
    solved: np.ndarray
    steps_to_solve: int | None
    episodes_to_solve: int | None
    seconds: float


class _Evaluator(BaseCallback):
    """Evaluates the deterministic policy on ``starts`` once ``every`` more
    environment steps have been learned from, and at the end; stops learning
    at the first evaluation that holds every start if ``stop``."""

    def __init__(self, starts: np.ndarray, every: int, stop: bool, bar):
        super().__init__()
        self.starts, self.every, self.stop, self.bar = starts, every, stop, bar
        self.next_eval = every
        self.episodes = 0  # training episodes completed so far
        self.rows = []  # (steps, mean return, share solved) per evaluation
        self.solved_at = None  # (steps, episodes) at the first solved one
        self.seconds = 0.0  # spent evaluating

    @property
    def stopping(self) -> bool:
        return self.stop and self.solved_at is not None

    def _on_step(self) -> bool:
        self.episodes += int(np.sum(self.locals["dones"]))
        return not self.stopping

    def _on_rollout_start(self) -> None:
        # The model has just been updated on every step so far.
        if self.num_timesteps >= self.next_eval:
            self._evaluate()

    def _on_training_end(self) -> None:
        last = self.rows[-1][0] if self.rows else 0
        if self.num_timesteps > last and not self.stopping:
            self._evaluate()

    def _evaluate(self) -> None:
        start = time.perf_counter()
        run = rollout(sb3_policy(self.model), self.starts)
        steps, solved = self.num_timesteps, float(run.solved.mean())
        self.rows.append((steps, float(run.returns.mean()), solved))
        if solved == 1.0 and self.solved_at is None:
            self.solved_at = (steps, self.episodes)
        self.next_eval = steps + self.every
        if self.bar is not None:
            self.bar.update(steps - self.bar.n)
            self.bar.set_postfix(mean_return=self.rows[-1][1], solved=solved)
        self.seconds += time.perf_counter() - start


@contextmanager
def _one_thread_own_rng():
    """torch on one thread (deterministic, and the other cores stay free);
    afterwards the thread count and the global random states that
    stable-baselines3 reseeds (random, numpy, torch) are put back."""
    threads = torch.get_num_threads()
    states = random.getstate(), np.random.get_state()
    torch.set_num_threads(1)
    try:
        with torch.random.fork_rng(devices=[]):
            yield
    finally:
        torch.set_num_threads(threads)
        random.setstate(states[0])
        np.random.set_state(states[1])


def train_ppo(seed: int = 0, eval_starts=None, total_steps: int = 100_000,
              eval_every: int | None = None, stop_when_solved: bool = True,
              progress: bool = False) -> tuple[PPO, OnlineRun]:
    """Train stable-baselines3's PPO, default hyper-parameters, on the task.

    ``PPO("MlpPolicy", gymnasium.make(ENV_ID), seed=seed, device="cpu")``
    learns from rollouts of ``n_steps`` (2048) environment steps. After each
    update that brings ``eval_every`` more steps, and after the last, its
    deterministic policy plays one episode from each of ``eval_starts``
    (:func:`sb3_policy` in :func:`dtcart.control.rollout`). torch runs on one
    thread meanwhile; the same seed gives the same run.

    Args:
        seed: the seed of PPO and its environment, in [0, 2**32).
        eval_starts: ``(N, 4)`` evaluation starts; by default
            ``control.random_initial_states(20, seed=777)``.
        total_steps: environment steps to learn from at most; PPO learns
            from whole rollouts, so it may take up to ``n_steps - 1`` more.
        eval_every: environment steps between evaluations; by default
            ``n_steps``, after every update.
        stop_when_solved: stop at the first evaluation in which every start
            reaches ``MAX_STEPS`` steps.
        progress: show a progress bar (tqdm).

    Returns:
        ``(model, run)``: the trained PPO model and its :class:`OnlineRun`.

    Raises:
        ValueError: if ``seed``, ``total_steps`` or ``eval_every`` is out of
            range, or ``eval_starts`` is not a finite ``(N, 4)`` array.
        TypeError: if ``stop_when_solved`` or ``progress`` is not a bool.
    """
    seed = integer(seed, "seed", 0, 2**32 - 1)
    if eval_starts is None:
        eval_starts = random_initial_states(20, seed=777)
    starts = check_initial_states(eval_starts, "eval_starts")
    total_steps = positive_int(total_steps, "total_steps")
    if eval_every is not None:
        eval_every = positive_int(eval_every, "eval_every")
    check_type(stop_when_solved, bool, "stop_when_solved")
    check_type(progress, bool, "progress")
    return _train_ppo(int(seed), starts, total_steps, eval_every,
                      stop_when_solved, progress)


def _train_ppo(seed: int, starts: np.ndarray, total_steps: int,
               eval_every: int | None, stop: bool,
               progress: bool) -> tuple[PPO, OnlineRun]:
    """The core of :func:`train_ppo`, on checked arguments."""
    with _one_thread_own_rng():
        model = PPO("MlpPolicy", gymnasium.make(ENV_ID), seed=seed,
                    device="cpu", verbose=0)  # the library's defaults
        every = eval_every or model.n_steps  # 2048: after every update
        return model, _learn(model, seed, starts, total_steps, every, stop,
                             progress)


def _learn(model: BaseAlgorithm, seed: int, starts: np.ndarray,
           total_steps: int, every: int, stop: bool,
           progress: bool) -> OnlineRun:
    """Let ``model`` learn, evaluated by an :class:`_Evaluator`."""
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=total_steps, desc=type(model).__name__, unit="step")
    evaluator = _Evaluator(starts, every, stop, bar)
    start = time.perf_counter()
    try:
        model.learn(total_steps, callback=evaluator)
    finally:
        if bar is not None:
            if stop and evaluator.solved_at is not None:  # stopped: not a failure
                bar.set_description(f"{type(model).__name__}: solved, stopped")
                bar.total = bar.n
                bar.refresh()
            bar.close()
    seconds = time.perf_counter() - start - evaluator.seconds
    steps, mean_returns, solved = zip(*evaluator.rows)
    steps_to_solve, episodes_to_solve = evaluator.solved_at or (None, None)
    return OnlineRun(type(model).__name__, seed, np.array(steps),
                     np.array(mean_returns), np.array(solved),
                     steps_to_solve, episodes_to_solve, seconds)
