"""Cart-steps per second of dtcart.physics.step against Gymnasium's CartPole, at several batch sizes."""

from __future__ import annotations

import numpy as np

from dtcart.physics import DEFAULT_PARAMS, step

from .timing import best_time

BATCH_SIZES = (1, 64, 1024, 16384)


def gymnasium_single_rate(min_time: float = 0.2, repeat: int = 5) -> float:
    """Cart-steps/s of ``gym.make("CartPole-v1").step``, one cart per call (resets included when it ends)."""
    import gymnasium as gym

    env = gym.make("CartPole-v1")
    env.reset(seed=0)
    actions = np.random.default_rng(0).integers(0, 2, 4096).tolist()
    counter = iter(range(10**12))

    def one_step():
        _, _, terminated, truncated, _ = env.step(actions[next(counter) % 4096])
        if terminated or truncated:
            env.reset()

    return 1.0 / best_time(one_step, min_time=min_time, repeat=repeat)


def _vector_env_step(n: int):
    """A callable stepping Gymnasium's numpy-vectorised ``CartPoleVectorEnv`` of ``n`` carts once."""
    from gymnasium.envs.classic_control.cartpole import CartPoleVectorEnv

    env = CartPoleVectorEnv(num_envs=n)
    env.reset(seed=0)
    actions = np.random.default_rng(0).integers(0, 2, n)
    return lambda: env.step(actions)


def _dtcart_step(n: int):
    """A callable advancing a batch of ``n`` carts by one ``dtcart.physics.step``."""
    rng = np.random.default_rng(0)
    states, forces = rng.uniform(-0.05, 0.05, (n, 4)), rng.uniform(-10, 10, n)
    return lambda: step(states, forces, DEFAULT_PARAMS)


def paired_rates(n: int, min_time: float = 0.2, repeat: int = 5) -> tuple[float, float]:
    """Cart-steps/s of dtcart's step and of ``CartPoleVectorEnv`` on ``n`` carts, timed in alternating
    rounds so that both see the same moments of a shared machine's load; the best round of each."""
    ours, theirs = _dtcart_step(n), _vector_env_step(n)
    best = [float("inf"), float("inf")]
    for _ in range(repeat):
        best = [min(best[0], best_time(ours, min_time=min_time, repeat=1)),
                min(best[1], best_time(theirs, min_time=min_time, repeat=1))]
    return n / best[0], n / best[1]


def dtcart_loop_rate(min_time: float = 0.2, repeat: int = 5) -> float:
    """Cart-steps/s of ``step`` called once per cart from a Python loop (a (4,) state each time)."""
    states = np.random.default_rng(0).uniform(-0.05, 0.05, (256, 4))

    def per_cart():
        for s in states:
            step(s, 1.0)

    return states.shape[0] / best_time(per_cart, min_time=min_time, repeat=repeat)


def run(batch_sizes=BATCH_SIZES, min_time: float = 0.2, repeat: int = 5) -> dict:
    """Every rate above; ``rows`` has one dict per batch size."""
    single = gymnasium_single_rate(min_time, repeat)
    loop = dtcart_loop_rate(min_time, repeat)
    rows = []
    for n in batch_sizes:
        ours, vector = paired_rates(n, min_time, repeat)
        rows.append({"batch": n, "dtcart": ours, "vector_env": vector, "gym_make_loop": single,
                     "dtcart_loop": loop, "ratio_vector": ours / vector, "ratio_gym": ours / single})
    return {"rows": rows, "gym_make_single": single, "dtcart_loop": loop}
