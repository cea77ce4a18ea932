"""dtcart: the engine of an executable book on Decision Transformers and the cart-pole.

Modules, one job each: ``physics`` (equations of motion, integrators), ``control`` (heuristic
controller, task rules, batched rollouts), ``data`` (offline dataset, return-to-go), ``attention``
(QKV attention, multi-head), ``blocks`` (MLP, residual, LayerNorm), ``model`` (the Decision
Transformer), ``train`` and ``evaluate``, ``display`` (what the chapters use to show things),
``drawing`` (the cart-pole drawn from a state, an episode's curves) and ``animation`` (episodes played
back on the page).
"""

__version__ = "0.1.0"
