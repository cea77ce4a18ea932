"""Benchmarks of dtcart: physics against Gymnasium, rollouts and data, the Decision Transformer, the book.

Run them all with ``python -m benchmarks`` from the repository root (``--help`` for the slow options).
They are measurements, not tests: nothing here passes or fails.
"""
