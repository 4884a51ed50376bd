"""`layered.function`: compile inputs -> outputs, with variable updates, on the active backend."""
import backends
from layered import distribution as distribution_lib
from layered.graph import build, passes
from layered.graph.core import Placeholder, Tensor, Variable
from layered.graph.graph import Graph, leaves


class Function:
    """A compiled graph from placeholders to outputs that also reads and updates variables.

    Every variable the outputs read is fed its current value; each `(variable, new_value)`
    pair in `updates` is written back after the call. Variables being updated are donated
    to the backend, which may update their buffers in place.
    """

    def __init__(self, inputs, outputs, updates=()):
        self.single_output = isinstance(outputs, Tensor)
        self.outputs = [outputs] if self.single_output else list(outputs)
        self.inputs = list(inputs)
        self.updates = list(updates)
        for p in self.inputs:
            if not isinstance(p, Placeholder):
                raise TypeError(f"function inputs must be placeholders, got {p!r}")
        for var, value in self.updates:
            if not isinstance(var, Variable):
                raise TypeError(f"updates must be (Variable, Tensor) pairs, got {var!r}")
            if not isinstance(value, Tensor) or value.shape != var.shape:
                shape = getattr(value, "shape", None)
                raise ValueError(f"update of variable '{var.name}' {var.shape} has shape {shape}")
        new_values = [build.cast(value, var.dtype)
                      for var, value in self.updates]
        # Updated variables come first among the variable inputs, in the order of their new
        # values among the outputs: JAX pairs donated buffers with same-shaped outputs in order,
        # so each variable meets its own new value (no defensive copies in the program). The
        # user's outputs come first so that the NumPy plan reads a variable before overwriting it.
        updated = [var for var, _ in self.updates]
        updated_ids = {v.id for v in updated}
        all_outputs = self.outputs + new_values
        read = [t for t in leaves(all_outputs) if isinstance(t, Variable) and t.id not in updated_ids]
        self.variables = updated + read
        donate = {len(self.inputs) + k: len(self.outputs) + k for k in range(len(updated))}

        self.backend = backends.get()
        graph = Graph(self.inputs + self.variables, all_outputs)
        self.graph = passes.optimize(graph, evaluate=self._evaluate)
        self._donate = donate
        self._compile_for(distribution_lib.distribution())

    def _compile_for(self, distribution):
        """Compile for `distribution` (None: one device). Under a distribution the backend is
        told which inputs are batch data and where each variable lies (a FunctionLayout)."""
        self._distribution = distribution
        self._layout = None if distribution is None else distribution.function_layout(self.inputs, self.variables)
        self._layout_arg = {} if self._layout is None else {"layout": self._layout}
        self._executable = self.backend.compile(self.graph, self._donate, **self._layout_arg)
        self._loop_executable = None
        placed = self._layout.inputs[len(self.inputs):] if self._layout is not None else ()
        self._placements = [p.layout for p in placed] or [None] * len(self.variables)

    def _check_distribution(self):
        if distribution_lib.distribution() is not self._distribution:  # set or left since the last call
            self._compile_for(distribution_lib.distribution())

    def _evaluate(self, graph):
        return [self.backend.to_numpy(a) for a in self.backend.compile(graph)()]

    def __call__(self, *values):
        self._check_distribution()
        return self._run(self._executable, values)

    def call_steps(self, *stacked_values):
        """Run the function once per leading slice of the inputs (K steps in one backend call,
        updates carried from step to step); returns the outputs stacked along a first axis."""
        self._check_distribution()
        if self._loop_executable is None:
            per_step = tuple(range(len(self.inputs)))
            self._loop_executable = self.backend.compile(self.graph, loop=(per_step, self._donate),
                                                         **self._layout_arg)
        return self._run(self._loop_executable, stacked_values)

    def _run(self, executable, values):
        if len(values) != len(self.inputs):
            raise TypeError(f"this function takes {len(self.inputs)} inputs, got {len(values)}")
        arrays = [self.backend.asarray(v, p.dtype) for v, p in zip(values, self.inputs)]
        variables = []
        for var, layout in zip(self.variables, self._placements):
            # A value set on the host (an assign, a reset) moves to the device once and stays
            # there, instead of being sent again on every call.
            value = self.backend.place(var.value) if layout is None else self.backend.place(var.value, layout)
            var.value = value
            variables.append(value)
        results = executable(*arrays, *variables)
        n = len(self.outputs)
        for (var, _), value in zip(self.updates, results[n:]):
            var.value = value
        outputs = [self.backend.to_numpy(r) for r in results[:n]]
        return outputs[0] if self.single_output else outputs

def function(inputs, outputs, updates=()):
    """Compile a graph into a Python callable on the active backend.

    Args:
        inputs: placeholders, fed positionally when the function is called.
        outputs: a tensor or a list of tensors to return (as NumPy arrays).
        updates: `(variable, new_value)` pairs applied after each call.

    Example:
        x = layered.placeholder((None, 3))
        f = layered.function([x], layered.ops.sum(x * 2.0))
        f(np.ones((4, 3)))  # 24.0
    """
    return Function(inputs, outputs, updates)
