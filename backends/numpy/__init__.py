"""The NumPy backend: plans graphs into flat lists of NumPy kernel calls."""
import numpy as np

from backends.numpy.executor import Executable, LoopExecutable
from backends.numpy.kernels import KERNELS


class NumpyBackend:
    name = "numpy"
    primitives = frozenset(KERNELS)

    def compile(self, graph, donate=None, loop=None, layout=None):
        """A callable running `graph`; `donate` maps input positions to the outputs that replace them.
        With `loop=(per_step, carry)` one call runs the graph once per leading slice of the
        per-step inputs (see `LoopExecutable`). A `layout` (an active distribution) is refused:
        this backend runs in one process on the host's memory."""
        if layout is not None:
            raise RuntimeError(
                f"the numpy backend cannot run a distribution ({type(layout.distribution).__name__} over "
                f"{layout.device_mesh.devices.size} devices): it computes in one process on the host. Use "
                "LAYERED_BACKEND=jax, or clear it with layered.distribution.set_distribution(None)")
        if loop is not None:
            return LoopExecutable(graph, *loop)
        return Executable(graph, donate)

    def asarray(self, value, dtype=None):
        return np.asarray(value, dtype=dtype)

    def place(self, value, layout=None):
        return value if type(value) is np.ndarray else np.array(value)  # a writable host copy

    moves_batches_ahead = False  # the kernels read host memory: `transfer` has nothing to do

    def transfer(self, value, layout=None, leading=0):
        return value

    def list_devices(self, device_type=None):
        if device_type not in (None, "cpu", "CPU"):
            raise ValueError(f"the numpy backend has only the cpu, not '{device_type}' devices")
        return ["cpu:0"]

    def initialize(self, coordinator_address=None, num_processes=None, process_id=None):
        if num_processes not in (None, 1):
            raise RuntimeError(f"the numpy backend runs in one process; it cannot join {num_processes} "
                               "processes (use LAYERED_BACKEND=jax)")
        return 1

    def to_numpy(self, array):
        return np.asarray(array)


backend = NumpyBackend()
