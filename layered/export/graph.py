"""The graph an export writes: the model's forward pass at inference (training=False).

Dropout and noise layers pass their inputs through and BatchNormalization reads its
moving statistics, exactly as `model.predict` runs. The graph's inputs are one placeholder
per model input (batch dimension unknown) followed by the variables it reads; every
exporter turns the variables into stored weights.
"""
from dataclasses import dataclass

import numpy as np

from layered import random, tree
from layered.graph import passes
from layered.graph.core import Placeholder, Tensor, Variable, collect_assignments, floatx
from layered.graph.graph import Graph, leaves
from layered.models.layer import _host_dtype


class UnsupportedPrimitiveError(ValueError):
    """A primitive an export format cannot express; the message names the primitive and the layer."""


@dataclass
class InferenceGraph:
    """What an exporter needs: the graph and the names of its model inputs and outputs.

    `graph.inputs` is `placeholders + [seed] + variables` (`seed` only when a random op is
    still active at inference, which exporters refuse); `single_output` tells whether the
    model returns one tensor (a callable built from the export then returns an array, not a
    list), as `predict` does.
    """
    graph: Graph
    placeholders: list
    variables: list
    seed: object  # the seed placeholder a random op left on at inference reads, or None
    input_names: list
    output_names: list
    single_output: bool


def _spec(entry, name):
    """A placeholder from one input_signature entry: a tensor (`layered.Input(...)`), a
    sample array (its first axis is the batch) or a shape tuple (floatx)."""
    if isinstance(entry, Tensor):
        return Placeholder((None,) + tuple(entry.shape[1:]), entry.dtype, name=name)
    if isinstance(entry, np.ndarray):
        return Placeholder((None,) + entry.shape[1:], _host_dtype(entry), name=name)  # as predict feeds it
    if isinstance(entry, (tuple, list)) and all(d is None or isinstance(d, int) for d in entry):
        return Placeholder((None,) + tuple(entry[1:]), floatx(), name=name)
    raise TypeError(f"input_signature entries must be layered.Input tensors, sample arrays or shape tuples "
                    f"(batch first), got {entry!r}")


def _is_shape(value):
    return isinstance(value, tuple) and all(d is None or isinstance(d, int) for d in value)


def _subclassed_inputs(model, input_signature):
    """(structured placeholders, flat placeholders, names) for a model without a functional graph."""
    if input_signature is None:
        shape = getattr(model, "_build_shape", None)
        if shape is None:
            raise ValueError(f"model '{model.name}' has no known input shape yet: call it, build it or fit it "
                             "before exporting it, or pass input_signature=[layered.Input(shape=..., dtype=...)]")
        entries = [tuple(shape)] if _is_shape(tuple(shape)) else [tuple(s) for s in shape]
    elif isinstance(input_signature, (Tensor, np.ndarray)) or _is_shape(input_signature):
        entries = [input_signature]
    else:
        entries = list(input_signature)
    single = len(entries) == 1  # a one-entry list means a model called on one tensor, as in Keras
    names = ["input"] if single else [f"input_{i}" for i in range(len(entries))]
    placeholders = [_spec(e, n) for e, n in zip(entries, names)]
    return (placeholders[0] if single else placeholders), placeholders, names


def inference_graph(model, input_signature=None):
    """The model's forward graph at inference, on placeholders named after its inputs.

    Args:
        model: a built Sequential, functional or subclassed model.
        input_signature: optional, one entry per model input (a `layered.Input(...)`
            tensor, a sample array or a batch-first shape tuple); needed for a subclassed
            model that was never called, or whose inputs are not floats.
    Returns:
        an `InferenceGraph`.
    Example:
        exported = inference_graph(model)
        exported.input_names  # ['image']
    """
    functional = getattr(model, "_functional", None)
    if functional is not None and input_signature is None:
        names = model.input_names or [f"input_{i}" for i in range(len(functional.input_tensors))]
        placeholders = [Placeholder((None,) + tuple(t.shape[1:]), t.dtype, name=name)
                        for t, name in zip(functional.input_tensors, names)]
        structured = tree.pack_like(functional.inputs, placeholders)
    elif functional is not None:
        names = model.input_names
        entries = input_signature if isinstance(input_signature, (list, tuple)) else [input_signature]
        if len(entries) != len(names):
            raise ValueError(f"model '{model.name}' has {len(names)} inputs, input_signature gives {len(entries)}")
        placeholders = [_spec(e, n) for e, n in zip(entries, names)]
        structured = tree.pack_like(functional.inputs, placeholders)
    else:
        structured, placeholders, names = _subclassed_inputs(model, input_signature)

    # A fresh seed stream: a random op that stays active at inference reads its placeholder,
    # which no exported input feeds; the exporter then names the op and its layer.
    with random.seed_stream() as stream, collect_assignments():
        outputs = model(structured, training=False)
    flat = tree.flatten(outputs)
    single = isinstance(outputs, Tensor)
    output_names = list(model.output_names) if functional is not None else []
    if len(output_names) != len(flat):
        output_names = [f"output_{i}" for i in range(len(flat))]
    output_names = _unique_names(output_names, taken=set(names))

    variables = [t for t in leaves(flat) if isinstance(t, Variable)]
    seed = [] if stream.placeholder is None else [stream.placeholder]
    graph = passes.optimize(Graph(placeholders + seed + variables, flat))
    variables = [t for t in leaves(graph.outputs, graph.nodes) if isinstance(t, Variable)]
    graph = Graph(placeholders + seed + variables, graph.outputs)
    return InferenceGraph(graph, placeholders, variables, stream.placeholder, list(names), output_names, single)


def _unique_names(names, taken):
    """`names` with repeats (a layer called twice for two outputs) and clashes suffixed `_1`, `_2`, ..."""
    result = []
    for name in names:
        candidate, k = name, 0
        while candidate in taken:
            k += 1
            candidate = f"{name}_{k}"
        taken.add(candidate)
        result.append(candidate)
    return result


def random_node(graph):
    """The first random op of `graph`, looking inside loop bodies too (a recurrent layer's
    recurrent dropout lives in its scan's body), or None."""
    for node in graph.nodes:
        if node.primitive.name in ("random_uniform", "random_normal"):
            return node
        if node.primitive.name == "scan":
            inner = random_node(node.attrs["body"])
            if inner is not None:
                return inner
    return None


def layer_of(node):
    """The layer a node belongs to, from its scope ('model/dense_1' -> 'dense_1')."""
    return node.scope.split("/")[-1] if node.scope else "<no layer>"
