"""The JAX backend: lowers a whole graph to one jax.jit-compiled function."""
import jax
import numpy as np

from layered.graph.core import Aval
from layered.graph.primitives import SHAPE_ATTR_PRIMITIVES
from backends.jax import distribution
from backends.jax.lowering import LOWERINGS


def lower(graph):
    """A Python function computing `graph`'s outputs from its inputs with jax.numpy."""
    constants = graph.constants()

    def run(*arrays):
        env = {t.id: a for t, a in zip(graph.inputs, arrays)}
        env.update({c.id: c.value for c in constants})
        for node in graph.nodes:
            ins = [env[x.id] for x in node.inputs]
            attrs = node.attrs
            if node.primitive.name in SHAPE_ATTR_PRIMITIVES:
                in_avals = [Aval(a.shape, a.dtype) for a in ins]
                shape, _ = node.primitive.shape_rule(*in_avals, **attrs)
                attrs = dict(attrs, shape=shape)
            result = LOWERINGS[node.primitive.name](*ins, **attrs)
            if node.primitive.multiple_results:
                env.update(zip((t.id for t in node.outputs), result))
            else:
                env[node.outputs[0].id] = result
        return [env[t.id] for t in graph.outputs]

    return run


def scan(graph, per_step, carry, unroll=1):
    """`graph` run once per leading slice of the `per_step` inputs, inside one `lax.scan`.

    `carry` maps an input position to the output that feeds it on the next step (the
    parameters, slots and metric sums); other inputs are read as they are on every step.
    Carried outputs come back as final values, the others stacked along a first axis.
    """
    step = lower(graph)
    carry_in = list(carry)
    carried = set(carry.values())
    others = [j for j in range(len(graph.outputs)) if j not in carried]

    def run(*arrays):
        fixed = list(arrays)

        def body(state, slices):
            args = list(fixed)
            for i, value in zip(carry_in, state):
                args[i] = value
            for i, value in zip(per_step, slices):
                args[i] = value
            outputs = step(*args)
            return [outputs[carry[i]] for i in carry_in], [outputs[j] for j in others]

        final, stacked = jax.lax.scan(body, [arrays[i] for i in carry_in], [arrays[i] for i in per_step],
                                      unroll=unroll)
        results = [None] * len(graph.outputs)
        for i, value in zip(carry_in, final):
            results[carry[i]] = value
        for j, value in zip(others, stacked):
            results[j] = value
        return results

    return run


class JaxBackend:
    name = "jax"
    primitives = frozenset(LOWERINGS)

    def compile(self, graph, donate=None, loop=None, layout=None):
        """The graph as one jitted function; inputs named in `donate` are donated to XLA.
        With `loop=(per_step, carry)` one call runs K steps inside the program (`lax.scan`).
        With a `layout` (a layered.distribution.FunctionLayout) the function is jitted with
        the shardings it describes (see backends/jax/distribution.py)."""
        if layout is not None:
            if loop is not None:
                per_step, carry = loop
                return distribution.ShardedExecutable(scan(graph, per_step, carry), layout, carry,
                                                      len(graph.outputs), per_step, donate=carry)
            return distribution.ShardedExecutable(lower(graph), layout, donate or {}, len(graph.outputs),
                                                  donate=donate or {})
        if loop is not None:
            return jax.jit(scan(graph, *loop), donate_argnums=tuple(sorted(loop[1])))
        return jax.jit(lower(graph), donate_argnums=tuple(sorted(donate or {})))

    def asarray(self, value, dtype=None):
        if isinstance(value, jax.Array):
            return value if dtype is None or value.dtype == dtype else value.astype(dtype)
        # Host data stays a NumPy array (converted on the host): the jitted call moves it to
        # the device in one transfer, far cheaper than a device op per input.
        return np.asarray(value, dtype=None if dtype is None else jax.numpy.dtype(dtype))

    def place(self, value, layout=None):
        if layout is not None:
            return distribution.place(value, layout)
        return value if isinstance(value, jax.Array) else jax.device_put(value)

    # Whether `transfer` moves batches ahead of the step: None moves them to accelerators
    # only. A CPU device reads host memory, so there a device_put ahead buys nothing and
    # costs more Python time (about 0.1-0.2 ms a call) than the jitted call's own transfer.
    transfer_ahead = None

    @property
    def moves_batches_ahead(self):
        """Whether `transfer` moves batches (the fit loop then prepares them in a thread)."""
        return jax.default_backend() != "cpu" if self.transfer_ahead is None else bool(self.transfer_ahead)

    def transfer(self, value, layout=None, leading=0):
        """Start moving host batch data to the device(s) ahead of the call that reads it.
        Dtypes JAX would narrow (float64, int64) stay on the host: the call converts them."""
        if not self.moves_batches_ahead or isinstance(value, jax.Array) or not isinstance(value, np.ndarray) or \
                jax.dtypes.canonicalize_dtype(value.dtype) != value.dtype:
            return value
        if layout is None:
            return jax.device_put(value)
        return distribution.transfer(value, layout, leading)

    def to_numpy(self, array):
        if isinstance(array, jax.Array) and not array.is_fully_addressable:
            return distribution.local_numpy(array)  # this process's part
        return np.asarray(array)

    # ------------------------------------------------------------ devices and processes

    def list_devices(self, device_type=None):
        return distribution.list_devices(device_type)

    def initialize(self, coordinator_address=None, num_processes=None, process_id=None):
        return distribution.initialize(coordinator_address, num_processes, process_id)


backend = JaxBackend()
