"""The NumPy backend: plans graphs into flat lists of NumPy kernel calls."""
import numpy as np

from backends.numpy.executor import Executable, LoopExecutable
from backends.numpy.kernels import KERNELS


class NumpyBackend:
    name = "numpy"
    primitives = frozenset(KERNELS)

    def compile(self, graph, donate=None, loop=None):
        """A callable running `graph`; `donate` maps input positions to the outputs that replace them.
        With `loop=(per_step, carry)` one call runs the graph once per leading slice of the
        per-step inputs (see `LoopExecutable`)."""
        if loop is not None:
            return LoopExecutable(graph, *loop)
        return Executable(graph, donate)

    def asarray(self, value, dtype=None):
        return np.asarray(value, dtype=dtype)

    def place(self, value):
        return value if type(value) is np.ndarray else np.array(value)  # a writable host copy

    def to_numpy(self, array):
        return np.asarray(array)


backend = NumpyBackend()
