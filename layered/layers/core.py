"""Core layers: Input/InputLayer, Dense, Activation, Identity."""
from layered import activations, constraints, initializers, ops, regularizers
from layered.graph.core import Placeholder, floatx
from layered.models.layer import CallRecord, InputSpec, Layer, unique_name


class InputLayer(Layer):
    """The entry of a functional model: holds the symbolic input tensor.

    Example:
        layer = layered.layers.InputLayer(shape=(784,))
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None,
                 input_tensor=None, **kwargs):
        if "input_shape" in kwargs:
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        super().__init__(name=name or unique_name("input_layer"), dtype=dtype or floatx(), **kwargs)
        if sparse:
            raise NotImplementedError("sparse inputs are not supported")
        if input_tensor is not None:
            batch_shape = input_tensor.shape
        elif batch_shape is None:
            if shape is None:
                raise ValueError("InputLayer needs `shape` (without the batch dimension) or `batch_shape`")
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            batch_shape = (batch_size,) + shape
        self.batch_shape = tuple(batch_shape)
        self.output_tensor = input_tensor or Placeholder(self.batch_shape, self.dtype, name=self.name)
        self.output_tensor._history = (CallRecord(self, (), {}, self.output_tensor), 0)
        self._last_call = (self.output_tensor, self.output_tensor)
        self.built = True

    def get_config(self):
        return {"batch_shape": self.batch_shape, "dtype": self.dtype, "sparse": False, "name": self.name}


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None, tensor=None):
    """A symbolic input tensor: the start of a functional model.

    Args:
        shape: the shape of one sample (no batch dimension); None marks a variable size.
        batch_size: a fixed batch size (default: any).
        dtype: the input's dtype (default floatx, 'float32').
        name: the input's name (also the key of dict inputs to `fit`).
    Example:
        x = layered.Input(shape=(784,))
        y = layered.layers.Dense(10)(x)
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse, batch_shape=batch_shape,
                       name=name, input_tensor=tensor)
    return layer.output_tensor


class Dense(Layer):
    """A fully connected layer: `activation(inputs @ kernel + bias)` on the last axis.

    Example:
        layer = layered.layers.Dense(64, activation="relu")
    """

    supports_masking = True

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, lora_rank=None, **kwargs):
        super().__init__(**kwargs)
        if int(units) <= 0:
            raise ValueError(f"Dense units must be a positive integer, got {units}")
        if activity_regularizer is not None or lora_rank is not None:
            raise NotImplementedError("Dense: activity_regularizer and lora_rank are not supported yet")
        kernel_regularizer, bias_regularizer = regularizers.get(kernel_regularizer), regularizers.get(bias_regularizer)
        kernel_constraint, bias_constraint = constraints.get(kernel_constraint), constraints.get(bias_constraint)
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer
        self.kernel_constraint, self.bias_constraint = kernel_constraint, bias_constraint
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"Layer '{self.name}' (Dense) needs a known last input dimension, got {input_shape}")
        self.kernel = self.add_weight(shape=(input_dim, self.units), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
                                      name="kernel")
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.units,), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                                        name="bias")
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.built = True

    def call(self, inputs):
        x = ops.matmul(inputs, self.kernel)
        if self.bias is not None:
            x = ops.add(x, self.bias)
        return self.activation(x)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint)}


class Activation(Layer):
    """Applies an activation function by name or callable.

    Example:
        layer = layered.layers.Activation("relu")
    """

    supports_masking = True

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Identity(Layer):
    """Returns its input unchanged (a placeholder layer)."""

    supports_masking = True

    def compute_output_shape(self, input_shape):
        return input_shape


class Lambda(Layer):
    """Wraps a function of tensors (written with `layered.ops`) as a layer.

    Args:
        function: called as `function(inputs, **arguments)`; it also gets `mask=` and
            `training=` when its signature takes them.
        output_shape: the output shape without the batch axis (a tuple), or a function of the
            input shape; by default it is found by tracing `function`.
        mask: None (the output has no mask), a function `(inputs, mask) -> mask`, or a fixed mask.
        arguments: extra keyword arguments for `function`.

    Saving: layered never stores code (Keras 3 stores bytecode and unpickles it). The config
    names each function (see `layered.saving.functions`): a registered function loads
    anywhere; a module-level one is imported only with `load_model(path, safe_mode=False)`;
    a lambda or local function must be passed back in `custom_objects`.

    Example:
        layer = layered.layers.Lambda(lambda x: layered.ops.square(x))
    """

    supports_masking = True

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        if not callable(function):
            raise TypeError(f"Lambda needs a callable function, got {function!r}")
        super().__init__(**kwargs)
        self.function, self.output_shape_arg, self.mask = function, output_shape, mask
        self.arguments = dict(arguments or {})

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        parameters = _parameters(self.function)
        if "mask" in parameters:
            kwargs["mask"] = mask
        if "training" in parameters:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        return self.mask(inputs, mask) if callable(self.mask) else self.mask

    def compute_output_shape(self, input_shape):
        if self.output_shape_arg is None:
            return super().compute_output_shape(input_shape)
        if callable(self.output_shape_arg):
            return self.output_shape_arg(input_shape)
        batch = input_shape[0][0] if isinstance(input_shape, list) else input_shape[0]
        return (batch,) + tuple(self.output_shape_arg)

    def _functions(self):
        """{config key: function} for the arguments that are Python functions."""
        candidates = {"function": self.function, "output_shape": self.output_shape_arg, "mask": self.mask}
        return {key: value for key, value in candidates.items() if callable(value)}

    def warn_if_unloadable(self):
        """Warn (when saving) about functions that a loader will have to pass in custom_objects."""
        from layered.saving.functions import warn_if_unloadable
        for key, function in self._functions().items():
            warn_if_unloadable(function, self.name, key)

    def get_config(self):
        from layered.saving.functions import function_reference
        if self.mask is not None and not callable(self.mask) and not isinstance(self.mask, (bool, list)):
            raise ValueError(f"Lambda layer '{self.name}': a fixed mask tensor cannot be saved; give `mask` as a "
                             "function (inputs, mask) -> mask")
        config = {**super().get_config(), "function": None, "output_shape": self.output_shape_arg,
                  "mask": self.mask, "arguments": self.arguments}
        config.update({key: function_reference(function) for key, function in self._functions().items()})
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        """Rebuild from `get_config()`; the named functions are found as `layered.saving.functions` says.

        A string under "function", "output_shape" or "mask" is a function reference; entries
        that are already callables are used as they are (the caller's own code).
        """
        from layered.saving.functions import resolve_function
        config = dict(config)
        for key in ("function", "output_shape", "mask"):
            if isinstance(config.get(key), str):
                config[key] = resolve_function(config[key], config.get("name"), key, custom_objects, safe_mode)
        return cls(**config)


def _parameters(function):
    import inspect
    try:
        return inspect.signature(function).parameters
    except (TypeError, ValueError):  # some builtins have no signature
        return {}
