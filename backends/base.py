"""The protocol every backend implements.

A backend compiles a pure `layered.graph.Graph` into a callable and converts arrays to
and from NumPy. It must implement every primitive in `layered.graph.PRIMITIVES`; the
test suite checks that for each registered backend.
"""
from typing import Any, Callable, Mapping, Protocol


class Backend(Protocol):
    name: str
    primitives: frozenset  # the primitive names it implements

    def compile(self, graph, donate: Mapping[int, int] | None = None) -> Callable[..., list]:
        """A callable taking one array per graph input and returning the output arrays.

        It specialises (and caches) itself per input shape signature. `donate` maps input
        positions to the output positions that replace them, so their buffers may be reused.
        """

    def asarray(self, value, dtype=None) -> Any:
        """Host data converted for a call (it may stay on the host until the call moves it)."""

    def place(self, value) -> Any:
        """A value to keep between calls (a variable's), as this backend's own array on its
        device; arrays the backend made come back unchanged."""

    def to_numpy(self, array):
        """A NumPy array from a backend array."""
