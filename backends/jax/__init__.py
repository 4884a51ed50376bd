"""The JAX backend: lowers a whole graph to one jax.jit-compiled function."""
import jax
import numpy as np

from layered.graph.core import Aval
from layered.graph.primitives import SHAPE_ATTR_PRIMITIVES
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
            env[node.outputs[0].id] = LOWERINGS[node.primitive.name](*ins, **attrs)
        return [env[t.id] for t in graph.outputs]

    return run


class JaxBackend:
    name = "jax"
    primitives = frozenset(LOWERINGS)

    def compile(self, graph, donate=None):
        """The graph as one jitted function; inputs named in `donate` are donated to XLA."""
        return jax.jit(lower(graph), donate_argnums=tuple(sorted(donate or {})))

    def asarray(self, value, dtype=None):
        return jax.numpy.asarray(value, dtype=dtype)

    def to_numpy(self, array):
        return np.asarray(array)


backend = JaxBackend()
