"""`Model`: a Layer with the training API, built functionally or by subclassing.

- Functional: `Model(inputs, outputs)` with tensors from `layered.Input`.
- Subclassed: a `Model` subclass creates layers in `__init__` and uses them in `call`.
"""
from layered import random
from layered.graph.core import Placeholder
from layered.models.functional import FunctionalGraph
from layered.models.layer import Layer, unique_name
from layered.models.summary import print_summary
from layered.training.trainer import Trainer


class Model(Trainer, Layer):
    """A trainable graph of layers.

    Example:
        inputs = layered.Input(shape=(784,))
        outputs = layered.layers.Dense(10, activation="softmax")(inputs)
        model = layered.Model(inputs, outputs)
    """

    def __init__(self, *args, **kwargs):
        inputs = args[0] if args else kwargs.pop("inputs", None)
        outputs = args[1] if len(args) > 1 else kwargs.pop("outputs", None)
        if (inputs is None) != (outputs is None):
            raise ValueError("a functional Model needs both `inputs` and `outputs`")
        self._functional = None
        if inputs is not None:
            name = kwargs.pop("name", None) or unique_name("functional")
            Layer.__init__(self, name=name, **kwargs)
            self._functional = FunctionalGraph(inputs, outputs, self.name)
            self._layers[:] = self._functional.layers
            self._last_call = (inputs, outputs)
            self.built = True
        else:
            Layer.__init__(self, **kwargs)
        Trainer.__init__(self)

    def __setattr__(self, name, value):
        if "_layers" not in self.__dict__ and not name.startswith("_"):
            raise RuntimeError(f"{type(self).__name__}: call super().__init__() before assigning attributes")
        super().__setattr__(name, value)

    def call(self, inputs, training=None):
        if self._functional is None:
            raise NotImplementedError(f"{type(self).__name__} must implement call(inputs, training=None)")
        return self._functional.call(inputs)

    def _build_for_call(self, input_shape):
        self._build_shape = input_shape
        self.built = True  # sublayers build themselves when `call` first uses them

    def build(self, input_shape=None):
        """Create the weights by tracing `call` on a symbolic input of `input_shape`."""
        if self._functional is not None or input_shape is None:
            self.built = True
            return
        is_shape = isinstance(input_shape, (tuple, list)) and all(d is None or isinstance(d, int) for d in input_shape)
        inputs = Placeholder(tuple(input_shape), self.dtype) if is_shape else [
            Placeholder(tuple(s), self.dtype) for s in input_shape]
        with random.seed_stream():
            self(inputs)

    # ------------------------------------------------------------ structure

    @property
    def inputs(self):
        return list(self._functional.input_tensors) if self._functional else None

    @property
    def outputs(self):
        return list(self._functional.output_tensors) if self._functional else None

    @property
    def input_names(self):
        return [t._history[0].layer.name for t in self._functional.input_tensors] if self._functional else []

    @property
    def output_names(self):
        if self._functional is None:
            return []
        if isinstance(self._functional.outputs, dict):  # dict outputs are named by their keys
            return sorted(self._functional.outputs)
        return [t._history[0].layer.name for t in self._functional.output_tensors]

    @property
    def layers(self):
        return list(self._layers)

    def get_layer(self, name=None, index=None):
        """A layer by name or by index in `layers`."""
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(f"model '{self.name}' has {len(self.layers)} layers, no index {index}")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"model '{self.name}' has no layer named '{name}'. "
                         f"Layers: {', '.join(l.name for l in self.layers)}")

    # ------------------------------------------------------------ weights files

    def save_weights(self, filepath, overwrite=True):
        """Write the weights to `filepath`, which must end in `.weights.npz` (an `.npz` archive,
        written atomically; Keras 3's `.weights.h5` needs h5py, not a layered dependency).

        Example:
            model.save_weights("run/model.weights.npz")
        """
        from layered.saving import weights  # saving sits above models

        weights.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False):
        """Load weights written by `save_weights`. Every shape is checked before any weight is
        set; a mismatch names the layer, the weight and both shapes (`skip_mismatch=True` skips
        mismatched layers with a warning instead).

        Example:
            model.load_weights("run/model.weights.npz")
        """
        from layered.saving import weights  # saving sits above models

        weights.load_weights(self, filepath, skip_mismatch=skip_mismatch)

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Print a table of the layers (name and type, output shape, parameter count) and totals."""
        print_summary(self, line_length=line_length, print_fn=print_fn)

    # ------------------------------------------------------------ saving

    def save(self, filepath, overwrite=True):
        """Write architecture, weights, compile arguments and optimizer state to a `.layered` file.

        Example:
            model.save("digits.layered")
            model = layered.models.load_model("digits.layered")
        """
        from layered.saving.model_file import save_model
        save_model(self, filepath, overwrite=overwrite)

    def export(self, filepath, format="onnx", verbose=True, input_signature=None, **kwargs):
        """Write the inference graph (training=False) for serving: "onnx" or "stablehlo".

        See `layered.export.export_model` for the arguments.

        Example:
            model.export("digits.onnx")
            model.export("digits.stablehlo", format="stablehlo")  # on LAYERED_BACKEND=jax
        """
        from layered.export import export_model  # export sits above models
        export_model(self, filepath, format=format, verbose=verbose, input_signature=input_signature, **kwargs)

    def get_config(self):
        if self._functional is not None:
            from layered.saving.serialization import functional_config
            return functional_config(self)
        return super().get_config()

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if "calls" in config and "layers" in config:
            from layered.saving.serialization import functional_from_config
            return functional_from_config(config, custom_objects)
        return cls(**config)

    def to_json(self, **kwargs):
        """The architecture as a JSON string (no weights); rebuild with `layered.models.model_from_json`."""
        import json
        from layered.saving.serialization import serialize_layer
        return json.dumps(serialize_layer(self), **kwargs)
