"""The inference graph as serialized StableHLO (`jax.export`), one file with its weights.

The file is a zip archive:
    meta.json           format version, input/output names, dtypes and shapes
    module.jaxexport    `jax.export.Exported.serialize()` of f(*inputs, *weights)
    weights.npz         the weights, in the order f takes them (no pickle)

The batch dimension is symbolic (`jax.export.symbolic_shape("batch, ...")`), so one file
serves every batch size. Weights are arguments rather than constants baked into the
module: the module stays small and loading reads plain arrays.

jax is imported inside the functions only (layered's front end never imports jax at
import time). `load_stablehlo` needs jax and numpy, nothing of layered's backends.
"""
import io
import json
import zipfile

import numpy as np

FORMAT_VERSION = 1
_MODULE, _META, _WEIGHTS = "module.jaxexport", "meta.json", "weights.npz"


# ---------------------------------------------------------------- lowering with a symbolic batch

def _filled(shape, like):
    """`shape` with its unknown (None) sizes taken from the array `like` (sizes may be symbolic)."""
    if like is None:
        return tuple(shape)
    return tuple(l if d is None else d for d, l in zip(shape, like.shape))


def _reshape_target(x, shape):
    """A reshape's target with -1 resolved (symbolic sizes divide exactly)."""
    shape = list(shape)
    if -1 in shape:
        rest = 1
        for d in shape:
            if d != -1:
                rest = rest * d
        size = 1
        for d in x.shape:
            size = size * d
        shape[shape.index(-1)] = size // rest
    return tuple(shape)


def _output_shape(name, arrays, attrs):
    """The concrete output shape of a primitive with a `shape` attribute.

    The JAX backend runs the graph's shape rules for this, on concrete sizes; here the batch
    is a symbolic size that those rules cannot multiply or compare, so the unknown sizes are
    filled from the `like` input (or the cotangent's batch), as the rules define them.
    """
    shape = attrs["shape"]
    if name in ("conv_backprop_input", "avg_pool_backprop"):
        operands = 2 if name == "conv_backprop_input" else 1  # (g, w) or (g), then an optional `like`
        like = arrays[operands] if len(arrays) > operands else None
        return (arrays[0].shape[0],) + _filled(shape, like)[1:]
    like = arrays[1] if len(arrays) > 1 else None
    if name == "reshape":
        return _reshape_target(arrays[0], _filled(shape, like))
    return _filled(shape, like)


def _lowerings():
    from backends.jax import conv
    from backends.jax.lowering import LOWERINGS

    table = dict(LOWERINGS)
    # The XLA convolutions directly: LAYERED_JAX_CONV=auto would time candidates on concrete shapes.
    for name, impls in conv.IMPLEMENTATIONS.items():
        def xla_conv(*arrays, _impl=impls["xla"], **attrs):
            return _impl(*arrays[:2], **attrs)  # a trailing `like` only carries a shape
        table[name] = xla_conv
    return table


def lower(graph, table):
    """A function computing `graph` with jax.numpy, tolerant of a symbolic batch size.

    It mirrors the JAX backend's `lower` and its scan lowering (backends/jax/__init__.py and
    control_flow.py), with `_output_shape` in place of the shape rules.
    """
    from jax import lax
    from layered.graph.primitives import SHAPE_ATTR_PRIMITIVES

    constants = graph.constants()

    def scan(*arrays, body, n_carry, n_seq, length, reverse, saved):
        step = lower(body, table)
        invariants = list(arrays[n_carry + n_seq:])

        def run(carry, slices):
            outputs = step(*carry, *slices, *invariants)
            new = [lax.convert_element_type(o, c.dtype) for o, c in zip(outputs[:n_carry], carry)]
            return new, list(outputs[n_carry:]) + [carry[i] for i in saved]

        sequences = list(arrays[n_carry:n_carry + n_seq])
        final, stacked = lax.scan(run, list(arrays[:n_carry]), sequences, length=None if sequences else length,
                                  reverse=reverse)
        return list(final) + list(stacked)

    def run(*arrays):
        env = {t.id: a for t, a in zip(graph.inputs, arrays)}
        env.update({c.id: c.value for c in constants})
        for node in graph.nodes:
            name, attrs = node.primitive.name, node.attrs
            ins = [env[x.id] for x in node.inputs]
            if name in SHAPE_ATTR_PRIMITIVES:
                attrs = dict(attrs, shape=_output_shape(name, ins, attrs))
            result = scan(*ins, **attrs) if name == "scan" else table[name](*ins, **attrs)
            if node.primitive.multiple_results:
                env.update(zip((t.id for t in node.outputs), result))
            else:
                env[node.outputs[0].id] = result
        return [env[t.id] for t in graph.outputs]

    return run


# ---------------------------------------------------------------- export

def _symbolic_specs(jax, placeholders):
    """One ShapeDtypeStruct per input: `batch` shared by every input's first axis, other
    unknown sizes symbolic of their own."""
    parts = []
    for i, p in enumerate(placeholders):
        dims = [("batch" if j == 0 else f"d{i}_{j}") if d is None else str(d) for j, d in enumerate(p.shape)]
        parts.append(dims)
    # All symbols in one scope, so that `batch` is the same size in every input.
    flat = ", ".join(d for dims in parts for d in dims)
    symbols = jax.export.symbolic_shape(flat) if flat else ()
    specs, k = [], 0
    for p, dims in zip(placeholders, parts):
        specs.append(jax.ShapeDtypeStruct(tuple(symbols[k:k + len(dims)]), np.dtype(p.dtype)))
        k += len(dims)
    return specs


def export_stablehlo(exported, filepath, platforms=None):
    """Write `exported` (an `InferenceGraph`) to `filepath` as serialized StableHLO.

    Args:
        platforms: the platforms the module is lowered for ("cpu", "cuda", ...); default
            the one JAX runs on now.
    """
    import jax
    import jax.export  # noqa: F401  (the submodule is not imported by `import jax` in every version)
    from layered.export.graph import UnsupportedPrimitiveError, layer_of, random_node
    from layered.saving.atomic import atomic_write

    if exported.seed is not None:
        node = random_node(exported.graph)
        raise UnsupportedPrimitiveError(
            f"cannot export primitive '{node.primitive.name}' of layer '{layer_of(node)}' to StableHLO: it draws "
            "random numbers at inference, from a seed no exported input feeds")
    weights = [np.ascontiguousarray(v.numpy()) for v in exported.variables]
    predict = lower(exported.graph, _lowerings())  # takes (*inputs, *weights): the graph's input order
    specs = _symbolic_specs(jax, exported.placeholders)
    specs += [jax.ShapeDtypeStruct(w.shape, w.dtype) for w in weights]
    options = {} if platforms is None else {"platforms": tuple(platforms)}
    module = jax.export.export(jax.jit(predict), **options)(*specs)
    meta = {
        "format": "layered-stablehlo", "version": FORMAT_VERSION, "jax_version": jax.__version__,
        "platforms": list(module.platforms),
        "inputs": [{"name": n, "dtype": p.dtype, "shape": list(p.shape)}
                   for n, p in zip(exported.input_names, exported.placeholders)],
        "outputs": [{"name": n, "dtype": t.dtype, "shape": list(t.shape)}
                    for n, t in zip(exported.output_names, exported.graph.outputs)],
        "single_output": exported.single_output,
        "n_weights": len(weights),
    }
    buffer = io.BytesIO()
    np.savez(buffer, **{f"w{i}": w for i, w in enumerate(weights)})
    with atomic_write(filepath) as f, zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(_META, json.dumps(meta, indent=1))
        archive.writestr(_MODULE, bytes(module.serialize()))
        archive.writestr(_WEIGHTS, buffer.getvalue())
    return module


# ---------------------------------------------------------------- loading

class StableHLOModel:
    """A loaded StableHLO export: call it with one array per input, in the model's input order
    (or with one list of them, or a dict keyed by input name).

    Returns NumPy arrays like `model.predict`: one array for a single-output model, a list
    otherwise. `input_names`, `output_names` and `inputs` (name, dtype, shape) describe it.
    """

    def __init__(self, exported, weights, meta):
        import jax

        self.meta = meta
        self.inputs = meta["inputs"]
        self.input_names = [i["name"] for i in meta["inputs"]]
        self.output_names = [o["name"] for o in meta["outputs"]]
        self.platforms = tuple(meta["platforms"])
        self._weights = [jax.device_put(w) for w in weights]
        self._call = jax.jit(exported.call)  # compiled once per batch size

    def __call__(self, *inputs):
        if len(inputs) == 1 and isinstance(inputs[0], dict):  # {input name: array}
            missing = [n for n in self.input_names if n not in inputs[0]]
            if missing:
                raise ValueError(f"inputs {missing} are missing; the model's inputs are {self.input_names}")
            inputs = tuple(inputs[0][n] for n in self.input_names)
        elif len(inputs) == 1 and isinstance(inputs[0], (list, tuple)) and len(self.inputs) > 1:
            inputs = tuple(inputs[0])
        if len(inputs) != len(self.inputs):
            raise TypeError(f"this model takes {len(self.inputs)} inputs ({', '.join(self.input_names)}), "
                            f"got {len(inputs)}")
        arrays = [np.asarray(x, dtype=spec["dtype"]) for x, spec in zip(inputs, self.inputs)]
        outputs = [np.asarray(y) for y in self._call(*arrays, *self._weights)]
        return outputs[0] if self.meta["single_output"] else outputs

    def __repr__(self):
        return f"<StableHLOModel inputs={self.input_names} outputs={self.output_names} platforms={self.platforms}>"


def load_stablehlo(path):
    """Load a file written by `model.export(path, format="stablehlo")`; needs jax only.

    Args:
        path: the exported file.
    Returns:
        a callable taking one NumPy array per model input (in input order) and returning
        NumPy arrays as `model.predict` does (an array for one output, a list otherwise).
    Example:
        predict = layered.export.load_stablehlo("model.stablehlo")
        probabilities = predict(images)
    """
    try:
        import jax
        import jax.export  # noqa: F401
    except ImportError as err:
        raise ImportError("loading a StableHLO export needs jax: pip install 'layered[jax]'") from err
    with zipfile.ZipFile(path) as archive:
        meta = json.loads(archive.read(_META))
        if meta.get("format") != "layered-stablehlo":
            raise ValueError(f"'{path}' is not a layered StableHLO export")
        if meta.get("version", 0) > FORMAT_VERSION:
            raise ValueError(f"'{path}' was written by a newer layered (format version {meta['version']}); "
                             "upgrade layered to load it")
        module = archive.read(_MODULE)
        with np.load(io.BytesIO(archive.read(_WEIGHTS)), allow_pickle=False) as stored:
            weights = [stored[f"w{i}"] for i in range(meta["n_weights"])]
    exported = jax.export.deserialize(bytearray(module))
    platform = jax.default_backend()
    names = {"gpu": ("cuda", "rocm")}.get(platform, (platform,))  # JAX calls CUDA and ROCm 'gpu'
    if not any(name in exported.platforms for name in names):
        raise ValueError(f"'{path}' was exported for {', '.join(exported.platforms)}, JAX runs on {platform}; "
                         f"export again with platforms=('{platform}', ...)")
    return StableHLOModel(exported, weights, meta)
