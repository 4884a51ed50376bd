"""`Sequential`: a stack of layers, each feeding the next."""
from layered.graph.core import Tensor, is_float
from layered.layers.core import InputLayer
from layered.models.functional import FunctionalGraph
from layered.models.layer import Layer, unique_name
from layered.models.model import Model


class Sequential(Model):
    """A model that applies its layers in order.

    Example:
        model = layered.Sequential([
            layered.Input(shape=(64,)),
            layered.layers.Dense(32, activation="relu"),
            layered.layers.Dense(10, activation="softmax"),
        ])
    """

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(trainable=trainable, name=name or unique_name("sequential"))
        self._input_layer = None
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
        """Append a layer (or set the input with a `layered.Input` tensor or an `InputLayer`)."""
        if isinstance(layer, Tensor) and getattr(layer, "_history", None) and \
                isinstance(layer._history[0].layer, InputLayer):
            layer = layer._history[0].layer
        if isinstance(layer, InputLayer):
            if self._layers:
                raise ValueError(f"Sequential '{self.name}': an input must come before the other layers")
            self._input_layer = layer
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential '{self.name}' takes layers, got {layer!r}")
        if not self._layers and self._input_layer is None and layer._input_shape_arg is not None:
            self._input_layer = InputLayer(batch_shape=layer._input_shape_arg)
        self._layers.append(layer)
        self._functional = None
        self.built = False
        if self._input_layer is not None:
            self._trace()  # shape errors surface as soon as the layer is added

    def pop(self):
        """Remove the last layer."""
        if not self._layers:
            raise ValueError(f"Sequential '{self.name}' has no layers to pop")
        layer = self._layers.pop()
        self._functional = None
        if self._layers and self._input_layer is not None:
            self._trace()
        return layer

    def _trace(self):
        x = self._input_layer.output_tensor
        for layer in self._layers:
            x = layer(x)
        self._functional = FunctionalGraph(self._input_layer.output_tensor, x, self.name)
        self._last_call = (self._input_layer.output_tensor, x)
        self.built = True

    def build(self, input_shape=None, dtype=None):
        """Trace the layers on an input of `input_shape` (and `dtype`, default floatx)."""
        if input_shape is None or self._functional is not None:
            return
        if not self._layers:
            raise ValueError(f"Sequential '{self.name}' has no layers to build")
        self._input_layer = InputLayer(batch_shape=tuple(input_shape), dtype=dtype)
        self._trace()

    def __call__(self, *args, **kwargs):
        inputs = args[0] if args else kwargs.get("inputs")
        # Built lazily by its first input, the model's input takes that input's dtype when it is
        # not a float one: integer ids into an Embedding stay integers.
        self._first_input_dtype = getattr(inputs, "dtype", None) if isinstance(inputs, Tensor) else None
        return super().__call__(*args, **kwargs)

    def _build_for_call(self, input_shape):
        if not self._layers:
            raise ValueError(f"Sequential '{self.name}' has no layers; add some before calling it")
        if isinstance(input_shape, tuple) and self._input_layer is None:
            dtype = getattr(self, "_first_input_dtype", None)
            self.build((None,) + tuple(input_shape[1:]), dtype=None if dtype is None or is_float(dtype) else dtype)
        self.built = True

    def call(self, inputs, training=None):
        if self._functional is not None:
            return self._functional.call(inputs)
        x = inputs
        for layer in self._layers:
            x = layer(x)
        return x

    @property
    def layers(self):
        return list(self._layers)

    def get_config(self):
        from layered.saving.serialization import sequential_config  # saving sits above models
        return sequential_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from layered.saving.serialization import sequential_from_config
        return sequential_from_config(config, custom_objects)
