"""The protocol every backend implements.

A backend compiles a pure `layered.graph.Graph` into a callable and converts arrays to
and from NumPy. It must implement every primitive in `layered.graph.PRIMITIVES`; the
test suite checks that for each registered backend.
"""
from typing import Any, Callable, Mapping, Protocol


class Backend(Protocol):
    name: str
    primitives: frozenset  # the primitive names it implements

    def compile(self, graph, donate: Mapping[int, int] | None = None, loop=None, layout=None) -> Callable[..., list]:
        """A callable taking one array per graph input and returning the output arrays.

        It specialises (and caches) itself per input shape signature. `donate` maps input
        positions to the output positions that replace them, so their buffers may be reused.
        `loop=(per_step, carry)`: one call runs K steps (steps_per_execution). `layout`, given
        only while a distribution is active, is a `layered.distribution.FunctionLayout`: per
        input its role ('data', 'variable', 'replicated'), path and `TensorLayout`; a backend
        that cannot distribute raises a clear error.
        """

    def asarray(self, value, dtype=None) -> Any:
        """Host data converted for a call (it may stay on the host until the call moves it)."""

    def place(self, value, layout=None) -> Any:
        """A value to keep between calls (a variable's), as this backend's own array on its
        device (laid out as `layout`, a TensorLayout, says); arrays already there come back
        unchanged."""

    moves_batches_ahead: bool  # whether `transfer` does anything (optional; default False)

    def transfer(self, value, layout=None, leading=0) -> Any:
        """Batch data, started on its way to where the next call reads it (the data-loading
        thread calls this ahead of the step); `layout` splits it, after `leading` step axes."""

    def list_devices(self, device_type=None) -> list:
        """Device names ('cpu:0', 'gpu:1', ...) over every process."""

    def initialize(self, coordinator_address=None, num_processes=None, process_id=None) -> int:
        """Join a multi-process run; returns the number of processes."""

    def to_numpy(self, array):
        """A NumPy array from a backend array."""
