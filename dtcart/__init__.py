"""dtcart: the engine of an executable book on Decision Transformers and the cart-pole.

Modules, one job each: ``physics`` (equations of motion, integrators), ``control`` (heuristic
controller, task rules, batched rollouts), ``data`` (offline dataset, return-to-go), ``attention``
(QKV attention, multi-head), ``blocks`` (MLP, residual, LayerNorm), ``model`` (the Decision
Transformer), ``train`` and ``evaluate``, ``baselines`` (BC, filtered BC, RvS), ``compare``
(Chapter 8's comparisons), ``env`` (the task as a Gymnasium environment) and ``online`` (PPO from
stable-baselines3 on it), ``display`` (what the chapters use to show things), ``drawing`` (the
cart-pole drawn from a state, an episode's curves), ``animation`` (episodes played back on the page),
``live`` (the cart-pole live in the reader's browser, its JavaScript in ``live.js``) and ``exercises``
(the chapters' exercise checks).
"""

__version__ = "0.1.0"
