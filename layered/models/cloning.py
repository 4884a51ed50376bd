"""`clone_model`: the same architecture with new layers (freshly initialised weights)."""
from layered import tree
from layered.graph.core import Tensor


def _default_clone(layer):
    return type(layer).from_config(layer.get_config())


def clone_model(model, input_tensors=None, clone_function=None, call_function=None, recursive=False, **kwargs):
    """A new model with the architecture of `model` and new weights.

    Each layer is replaced by `clone_function(layer)` (default: a new layer of the same class
    and config, so the same name); a layer shared between several calls stays shared in the
    clone. A Sequential gives a Sequential; a functional model is rebuilt call by call, on
    `input_tensors` when given (tensors from `layered.Input`), on new inputs otherwise; a
    subclassed model is rebuilt with `from_config`. Weights are not copied: use
    `clone.set_weights(model.get_weights())` for that.

    Example:
        fresh = layered.models.clone_model(model)
        fresh.compile(optimizer="adam", loss="mse")
    """
    from layered.layers.core import Input, InputLayer
    from layered.models.model import Model
    from layered.models.sequential import Sequential

    if call_function is not None or kwargs:
        raise NotImplementedError(f"clone_model does not support call_function or {sorted(kwargs)}")
    clone = clone_function or _default_clone
    if isinstance(model, Sequential):
        return _clone_sequential(model, input_tensors, clone)
    if getattr(model, "_functional", None) is None or type(model).__name__ != "Model":
        if input_tensors is not None:
            raise ValueError("clone_model of a subclassed model cannot take input_tensors")
        return type(model).from_config(model.get_config())

    graph = model._functional
    if input_tensors is None:
        new_inputs = [Input(batch_shape=t.shape, dtype=t.dtype, name=t._history[0].layer.name)
                      for t in graph.input_tensors]
    else:
        new_inputs = tree.flatten(input_tensors)
        if len(new_inputs) != len(graph.input_tensors):
            raise ValueError(f"model '{model.name}' has {len(graph.input_tensors)} inputs, "
                             f"got {len(new_inputs)} input_tensors")
    env = {old.id: new for old, new in zip(graph.input_tensors, new_inputs)}
    clones = {}

    def substitute(value):
        return env[value.id] if isinstance(value, Tensor) else value

    for record in graph.records:
        if isinstance(record.layer, InputLayer):
            continue
        if record.layer not in clones:
            clones[record.layer] = clone(record.layer)
        outputs = clones[record.layer](*tree.map_structure(substitute, record.args),
                                       **tree.map_structure(substitute, record.kwargs))
        for old, new in zip(tree.flatten(record.outputs), tree.flatten(outputs)):
            env[old.id] = new
    inputs = tree.pack_like(graph.inputs, new_inputs)
    return Model(inputs, tree.map_structure(substitute, graph.outputs), name=model.name, trainable=model.trainable)


def _clone_sequential(model, input_tensors, clone):
    from layered.layers.core import InputLayer
    from layered.models.sequential import Sequential

    layers = [clone(layer) for layer in model.layers]
    if input_tensors is not None:
        first = tree.flatten(input_tensors)
        if len(first) != 1:
            raise ValueError(f"a Sequential model takes one input tensor, got {len(first)}")
        layers = [first[0]] + layers
    elif model._input_layer is not None:
        old = model._input_layer
        layers = [InputLayer(batch_shape=old.batch_shape, dtype=old.dtype, name=old.name)] + layers
    return Sequential(layers, name=model.name, trainable=model.trainable)
