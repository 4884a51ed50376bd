"""The graph of layer calls behind a functional model, and its replay on new inputs.

`Model(inputs, outputs)` walks back from the outputs through the layer calls recorded on
each tensor (`tensor._history`) to the `Input`s. Calling the model replays those calls in
order on new tensors, so the same model builds a training graph, an inference graph or a
part of a bigger model.
"""
from layered import tree
from layered.graph.core import ShapeError, Tensor


class FunctionalGraph:
    def __init__(self, inputs, outputs, model_name):
        self.inputs, self.outputs, self.model_name = inputs, outputs, model_name
        self.input_tensors = tree.flatten(inputs)
        self.output_tensors = tree.flatten(outputs)
        for t in self.input_tensors:
            if not isinstance(t, Tensor) or not _is_input(t):
                raise TypeError(f"model '{model_name}': inputs must be tensors made by layered.Input, got {t!r}")
        self.records = self._toposort()
        self.layers = self._keras_layer_order()

    def _toposort(self):
        known = {t.id for t in self.input_tensors}
        order, visited = [], set()

        def visit(tensor):
            history = getattr(tensor, "_history", None)
            if history is None:
                raise ValueError(f"model '{self.model_name}': tensor {tensor!r} was not produced by a layer "
                                 "called on the model's inputs (wrap raw ops in a layer)")
            record = history[0]
            if tensor.id in known:
                return
            if _is_input(tensor):
                raise ValueError(f"model '{self.model_name}': the graph is disconnected; it needs the input "
                                 f"'{record.layer.name}', which is not among the model's inputs")
            if id(record) in visited:
                return
            visited.add(id(record))
            for t in record.input_tensors():
                visit(t)
            order.append(record)

        for t in self.output_tensors:
            if not isinstance(t, Tensor):
                raise TypeError(f"model '{self.model_name}': outputs must be tensors, got {t!r}")
            visit(t)
        return order

    def _keras_layer_order(self):
        """The layers as Keras lists them (and so orders `weights`): by depth from the outputs,
        deepest first; within a depth, in the order a depth-first walk from the outputs met them."""
        index, post_order, finished = {}, [], set()
        known = {t.id for t in self.input_tensors}

        def visit(tensor):
            record = tensor._history[0]
            if id(record) in finished:
                return
            index.setdefault(record.layer, len(index))
            if tensor.id not in known:
                for t in record.input_tensors():
                    visit(t)
            finished.add(id(record))
            post_order.append(record)

        for t in self.output_tensors:
            visit(t)
        record_depth, layer_depth = {}, {}
        for record in reversed(post_order):
            depth = max(record_depth.get(id(record), 0), layer_depth.get(record.layer, 0))
            layer_depth[record.layer] = record_depth[id(record)] = depth
            if record.args:  # an InputLayer's record has no parents
                for t in record.input_tensors():
                    parent = id(t._history[0])
                    record_depth[parent] = max(record_depth.get(parent, 0), depth + 1)
        for t in self.input_tensors:  # an input no output depends on still belongs to the model
            layer = t._history[0].layer
            if layer not in layer_depth:
                layer_depth[layer], index[layer] = 0, -1
        return sorted(layer_depth, key=lambda layer: (-layer_depth[layer], index[layer]))

    def check_inputs(self, tensors):
        """Compare new inputs with the `Input`s: same rank, same known sizes."""
        if len(tensors) != len(self.input_tensors):
            raise ValueError(f"model '{self.model_name}' expects {len(self.input_tensors)} inputs, "
                             f"got {len(tensors)}")
        for new, old in zip(tensors, self.input_tensors):
            fits = len(new.shape) == len(old.shape) and all(
                a is None or b is None or a == b for a, b in zip(new.shape, old.shape))
            if not fits:
                raise ShapeError(f"Input '{old._history[0].layer.name}' of model '{self.model_name}' expects "
                                 f"shape {old.shape}, received shape {new.shape}")

    def call(self, inputs):
        """Replay the recorded calls on `inputs` (same structure as the model's inputs)."""
        flat = tree.flatten(inputs) if not isinstance(inputs, Tensor) else [inputs]
        self.check_inputs(flat)
        env = {old.id: new for old, new in zip(self.input_tensors, flat)}

        def substitute(value):
            return env[value.id] if isinstance(value, Tensor) else value

        for record in self.records:
            args = tree.map_structure(substitute, record.args)
            kwargs = tree.map_structure(substitute, record.kwargs)
            outputs = record.layer(*args, **kwargs)
            for old, new in zip(tree.flatten(record.outputs), tree.flatten(outputs)):
                env[old.id] = new
        return tree.map_structure(substitute, self.outputs)


def _is_input(tensor):
    history = getattr(tensor, "_history", None)
    return history is not None and type(history[0].layer).__name__ == "InputLayer" and not history[0].args
