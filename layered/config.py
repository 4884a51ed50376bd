"""Global settings: the active backend and the default float type."""
import backends
from layered.graph import core


def backend():
    """The name of the active backend, from LAYERED_BACKEND (default 'numpy')."""
    return backends.get().name


def floatx():
    """The default float dtype for weights and Python numbers ('float32')."""
    return core.floatx()


def set_floatx(dtype):
    """Set the default float dtype: 'float16', 'bfloat16', 'float32' or 'float64'."""
    if dtype not in ("float16", "float32", "float64", "bfloat16"):
        raise ValueError(f"unknown floatx '{dtype}'; use one of float16, bfloat16, float32, float64")
    core._floatx[0] = dtype
