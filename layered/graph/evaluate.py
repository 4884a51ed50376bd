"""Values of tensors that need no feeding: graphs over constants and variables.

`ops` called on arrays build nodes over constants; `tensor.numpy()` (and `float()`,
`np.asarray`) compiles that small graph on the active backend and runs it, so code that
uses ops or losses outside a model gets values, as it would in Keras.
"""
from layered.graph.core import Placeholder, Variable
from layered.graph.graph import Graph, leaves


def evaluate(tensor):
    """The value of `tensor` as a NumPy array; an error if it depends on a placeholder."""
    import backends  # the graph package must not depend on backends at import time

    sources = leaves([tensor])
    missing = [t for t in sources if isinstance(t, Placeholder)]
    if missing:
        raise ValueError(f"{tensor!r} depends on the placeholder '{missing[0].name}', which has no value; "
                         "compute it with layered.function([...placeholders], tensor)")
    variables = [t for t in sources if isinstance(t, Variable)]
    backend = backends.get()
    result = backend.compile(Graph(variables, [tensor]))(*[v.value for v in variables])[0]
    return backend.to_numpy(result)
