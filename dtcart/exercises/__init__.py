"""The exercises at the end of each chapter: checks that tell a reader whether
their answer works, and the reference solutions the chapters show.

Every check is ``check_exercise_C_N(answer, ...)`` for exercise N of chapter
C. It prints one line, ``PASS: ...`` or ``FAIL: ...``, saying what was
expected on which input, and returns True or False. A wrong answer never
raises: an answer that raises, or returns the wrong shape or type, is a FAIL
that quotes the error. Only a misuse of the check itself (a number where a
function is expected, say) raises ``TypeError`` or ``ValueError``. A
prediction left at ``None`` is a FAIL that gives nothing away.

One module per chapter (``ch1`` ... ``ch8``; Chapter 7 has none) and the
shared ``harness``. Every name is importable from here, loaded from its
chapter's module on first use: a check of Chapters 1 and 2 imports no torch.
"""

from __future__ import annotations

import importlib

# Each chapter module's public names (its __all__; a test compares).
_CHAPTERS = {
    "ch1": ("HINGE_FRICTION", "check_exercise_1_1", "check_exercise_1_2",
            "hinge_friction_accelerations", "predicted_friction_rate"),
    "ch2": ("CENTRING_GAINS", "DAMPING", "LIGHT_POLE", "MIX_TOLERANCE",
            "balanced_gain_range", "centring_controller",
            "check_exercise_2_1", "check_exercise_2_2", "check_exercise_2_3",
            "check_exercise_2_4", "return_mix", "smallest_holding_gain"),
    "ch3": ("check_exercise_3_1", "check_exercise_3_2", "check_exercise_3_3"),
    "ch4": ("CROSSOVER_WIDTH", "PREVIOUS_T", "check_exercise_4_1",
            "check_exercise_4_2", "check_exercise_4_3", "previous_token_head",
            "split_heads"),
    "ch5": ("check_exercise_5_1", "check_exercise_5_2", "check_exercise_5_3",
            "block_parameters", "gradient_ratio", "layer_norm",
            "token_dependence"),
    "ch6": ("LAG_GAIN", "LAG_GRID", "calibrated_target", "check_exercise_6_1",
            "check_exercise_6_2", "check_exercise_6_3", "check_exercise_6_4",
            "lagged_heuristic", "largest_holding_lag", "zero_target_return"),
    "ch8": ("PUSH_SCALE", "check_exercise_8_1", "check_exercise_8_2",
            "pushed_share", "rvs_policy"),
}
_HOME = {name: module for module, names in _CHAPTERS.items()
         for name in names}
# Chapter 8 was Chapter 7: its checks keep their old names too.
_FORMER = {"check_exercise_7_1": "check_exercise_8_1",
           "check_exercise_7_2": "check_exercise_8_2"}

__all__ = sorted(name for name in _HOME if name.startswith("check_exercise_"))


def __getattr__(name: str):
    """Load ``name`` from its chapter's module (a current name once: then it
    is cached here; a former name resolves to its current one every time)."""
    current = _FORMER.get(name, name)
    if current not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f".{_HOME[current]}", __name__)
    value = getattr(module, current)
    if current == name:
        globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_HOME))
