"""Shared by the examples: the fast mode the tests use, and where TensorBoard logs go."""
import os


def epochs(normal, fast=2):
    """`normal` epochs, or `fast` when LAYERED_EXAMPLES_FAST=1 (the test suite's quick run)."""
    return fast if os.environ.get("LAYERED_EXAMPLES_FAST") == "1" else normal


def log_dir(name):
    """logs/<example name>, under LAYERED_EXAMPLES_LOGS when set (tests write to a temp dir)."""
    return os.path.join(os.environ.get("LAYERED_EXAMPLES_LOGS", "logs"), name)
