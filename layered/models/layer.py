"""The Layer base: weights declared with `add_weight`, `build` on first call, `call` in ops.

Calling a layer on symbolic tensors adds its ops to the graph under a name scope (the
layer's name), building it first from the input shapes. Calling it on NumPy arrays runs
it: the layer is traced once per input signature into a compiled function and the result
comes back as NumPy arrays.

The one piece of attribute tracking: a Layer assigned to an attribute (alone, or in a
list, tuple or dict) becomes a sublayer, so `weights` lists its weights after the
layer's own, in assignment order, exactly as Keras orders `get_weights()`.
"""
import contextlib
import inspect
import numbers
import re
import threading

import numpy as np

from layered import constraints, initializers, random, regularizers, tree
from layered.graph.primitives import PRIMITIVES, bind
from layered.graph.core import (Placeholder, ShapeError, Tensor, Variable, collect_assignments, collecting_assignments,
                                floatx, is_float, name_scope)

_names = {}
_context = threading.local()


def unique_name(base):
    """`base`, then `base_1`, `base_2`, ... for later layers with the same base (Keras style)."""
    count = _names.get(base, 0)
    _names[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def snake_case(name):
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()  # Conv2D -> conv2d, as Keras names it


def current_training():
    """The `training` flag of the outermost call in progress (None outside any call)."""
    return getattr(_context, "training", None)


@contextlib.contextmanager
def _training_scope(training):
    previous = getattr(_context, "training", None)
    _context.training = training
    try:
        yield
    finally:
        _context.training = previous


class InputSpec:
    """What a layer accepts: rank bounds and fixed sizes of given axes (checked per call)."""

    def __init__(self, ndim=None, min_ndim=None, max_ndim=None, axes=None):
        self.ndim, self.min_ndim, self.max_ndim = ndim, min_ndim, max_ndim
        self.axes = dict(axes or {})

    def check(self, layer, shape):
        rank = len(shape)
        problem = None
        if self.ndim is not None and rank != self.ndim:
            problem = f"expected rank {self.ndim}"
        elif self.min_ndim is not None and rank < self.min_ndim:
            problem = f"expected rank >= {self.min_ndim}"
        elif self.max_ndim is not None and rank > self.max_ndim:
            problem = f"expected rank <= {self.max_ndim}"
        else:
            for axis, size in self.axes.items():
                if size is not None and shape[axis] not in (None, size):
                    problem = f"expected axis {axis} of size {size}"
                    break
        if problem:
            raise ShapeError(f"Layer '{layer.name}' ({type(layer).__name__}) is incompatible with its input: "
                             f"{problem}{self._expected_text()}, received input shape {tuple(shape)}")

    def _expected_text(self):
        """' (input shape (None, None, 3))' where the rank is fixed; '' otherwise."""
        if self.ndim is None:
            return ""
        expected = [None] * self.ndim
        for axis, size in self.axes.items():
            expected[axis] = size
        return f" (input shape {tuple(expected)})"


def check_mask(layer, what, mask, expected, exact_rank=False):
    """A mask must broadcast to `expected` (None: any size; with `exact_rank`, have its rank),
    else a ShapeError naming the layer and both shapes."""
    shape = tuple(mask.shape)
    fits = (len(shape) == len(expected) if exact_rank else len(shape) <= len(expected)) and all(
        m in (1, None) or e is None or m == e for m, e in zip(shape[::-1], expected[::-1]))
    if not fits:
        raise ShapeError(f"Layer '{layer.name}' ({type(layer).__name__}): {what} has shape {shape}, which does not "
                         f"fit the expected shape {tuple(expected)}")


class CallRecord:
    """One call of a layer on tensors that trace back to `Input`s: the edges of a functional model."""

    def __init__(self, layer, args, kwargs, outputs):
        self.layer, self.args, self.kwargs, self.outputs = layer, args, kwargs, outputs

    def input_tensors(self):
        return [t for t in tree.flatten((self.args, self.kwargs)) if isinstance(t, Tensor)]


def _accepts(method, argument):
    parameters = inspect.signature(method).parameters
    return argument in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())


def _is_array(value):
    return isinstance(value, (np.ndarray, numbers.Number)) or hasattr(value, "__array__")


def _is_fed(value):
    """Whether an eager keyword argument is data to feed: an array, or a list of arrays and Nones."""
    if isinstance(value, np.ndarray):
        return True
    leaves = tree.flatten(value) if isinstance(value, (list, tuple)) else []
    return any(isinstance(a, np.ndarray) for a in leaves) and all(a is None or isinstance(a, np.ndarray)
                                                                  for a in leaves)


def _host_dtype(array):
    """The graph dtype a NumPy input is fed as: floats at floatx, integers as int32."""
    if is_float(array.dtype):
        return floatx()
    if array.dtype == np.bool_:
        return "bool"
    return "int32"


class Layer:
    """Base class of all layers.

    Subclasses create weights in `build(input_shape)` with `add_weight` and compute in
    `call(inputs, training=None)` with `layered.ops`.

    Example:
        class Scale(layered.layers.Layer):
            def build(self, input_shape):
                self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")
            def call(self, x):
                return x * self.w
    """

    def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
        shape = kwargs.pop("input_shape", None)
        if "input_dim" in kwargs:
            shape = (kwargs.pop("input_dim"),)
        batch_shape = kwargs.pop("batch_input_shape", None)
        batch_size = kwargs.pop("batch_size", None)
        if kwargs:
            raise TypeError(f"{type(self).__name__} got unexpected keyword arguments {sorted(kwargs)}")
        object.__setattr__(self, "_layers", [])
        self.name = name or unique_name(snake_case(type(self).__name__))
        self.trainable = trainable
        self.dtype = dtype or floatx()
        self.built = False
        self.input_spec = None
        self._own_weights = []
        self._call_losses = []
        self._last_call = None  # (input tensors, output tensors) of the latest symbolic call
        self._eager_functions = {}
        if batch_shape is not None:
            self._input_shape_arg = tuple(batch_shape)
        elif shape is not None:
            self._input_shape_arg = (batch_size,) + tuple(shape)
        else:
            self._input_shape_arg = None

    # ------------------------------------------------------------ tracking

    def __setattr__(self, name, value):
        if not name.startswith("_"):
            for layer in _layers_in(value):
                if layer is not self and all(layer is not l for l in self._layers):
                    self._layers.append(layer)
        object.__setattr__(self, name, value)

    # ------------------------------------------------------------ weights

    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True, autocast=True,
                   regularizer=None, constraint=None, aggregation="none", name=None):
        """Create a weight owned by this layer and initialise it on the host.

        Args:
            shape: the weight's shape (default: a scalar).
            initializer: an initializer name or object (default glorot_uniform for floats,
                zeros otherwise).
            trainable: whether gradients update it (False for state such as moving means).
            name: the weight's name; its path is `<layer name>/<name>`.
        Returns:
            the new `Variable`.
        """
        shape = tuple(shape or ())
        dtype = dtype or self.dtype
        if initializer is None:
            initializer = "glorot_uniform" if is_float(dtype) else "zeros"
        value = initializers.get(initializer)(shape, dtype=dtype)
        variable = Variable(value, dtype=dtype, trainable=trainable, name=name or f"variable_{len(self._own_weights)}")
        variable.path = f"{self.name}/{variable.name}"
        variable.regularizer = regularizers.get(regularizer)
        variable.constraint = constraints.get(constraint)
        self._own_weights.append(variable)
        return variable

    def add_loss(self, loss):
        """Add a scalar tensor to the training loss (from `call`, e.g. an activity penalty)."""
        self._call_losses.append(loss)

    @property
    def losses(self):
        """Scalar tensors the training loss adds: weight penalties and `add_loss` terms of the
        latest call, this layer's then its sublayers'."""
        own = [w.regularizer(w) for w in self._own_weights if getattr(w, "regularizer", None) is not None]
        return own + list(self._call_losses) + [loss for layer in self._layers for loss in layer.losses]

    def _own(self, trainable):
        return [w for w in self._own_weights if w.trainable == trainable]

    @property
    def weights(self):
        """Every weight: this layer's trainable then non-trainable ones, then each sublayer's."""
        return _unique(self._own(True) + self._own(False) + [w for l in self._layers for w in l.weights])

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return _unique(self._own(True) + [w for l in self._layers for w in l.trainable_weights])

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return self.weights
        return _unique(self._own(False) + [w for l in self._layers for w in l.non_trainable_weights])

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

    def get_weights(self):
        """The weights' values as NumPy arrays, in `weights` order (Keras order)."""
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights):
        """Assign NumPy arrays in `weights` order; every shape is checked before any is set."""
        own = self.weights
        weights = list(weights)
        if len(weights) != len(own):
            raise ValueError(f"Layer '{self.name}' has {len(own)} weights, set_weights got {len(weights)}")
        for variable, value in zip(own, weights):
            if np.shape(value) != variable.shape:
                raise ValueError(f"Layer '{self.name}': weight '{variable.path}' has shape {variable.shape}, "
                                 f"the value given has shape {np.shape(value)}")
        for variable, value in zip(own, weights):
            variable.assign(value)

    def count_params(self):
        if not self.built:
            raise ValueError(f"Layer '{self.name}' is not built yet, so it has no weights to count; "
                             "call it on data or build(input_shape) first")
        return int(sum(np.prod(w.shape, dtype=np.int64) for w in self.weights))

    @property
    def layers(self):
        return list(self._layers)

    # ------------------------------------------------------------ building and calling

    def build(self, input_shape=None):
        self.built = True

    def call(self, inputs, *args, **kwargs):
        return inputs

    supports_masking = False

    def compute_mask(self, inputs, mask=None):
        """The mask of the outputs: a layer that supports masking passes its input's on."""
        return mask if self.supports_masking else None

    def _build_for_call(self, input_shape):
        self.build(input_shape)
        self.built = True

    def __call__(self, *args, **kwargs):
        leaves = tree.flatten((args, kwargs))
        if not any(isinstance(t, Tensor) for t in leaves) and any(_is_array(t) for t in tree.flatten(args)):
            return self._eager_call(args, kwargs)
        if "training" in kwargs and kwargs["training"] is None:
            kwargs.pop("training")
        training = kwargs.pop("training", current_training())
        given = args[0] if args else kwargs.pop("inputs")
        rest = args[1:]
        inputs = tree.map_structure(self._autocast, given)
        shapes = tree.map_structure(lambda t: t.shape if isinstance(t, Tensor) else None, inputs)
        with name_scope(self.name):
            self._check_input_spec(inputs)
            if not self.built:
                self._build_for_call(shapes)
                self._check_input_spec(inputs)  # build may have pinned sizes (Dense: the input width)
            call_kwargs = dict(kwargs)
            if training is not None and _accepts(self.call, "training"):
                call_kwargs["training"] = training
            masks = tree.map_structure(lambda t: getattr(t, "_keras_mask", None), inputs)
            masked = any(m is not None for m in tree.flatten(masks))
            if masked and "mask" not in kwargs and _accepts(self.call, "mask"):
                call_kwargs["mask"] = masks
            self._call_losses = []
            # Outside a traced step (building a functional model, say) a layer's state
            # assignments have nowhere to go: they are collected and dropped.
            state = contextlib.nullcontext() if collecting_assignments() else collect_assignments()
            try:
                with _training_scope(training), state:
                    outputs = self.call(inputs, *rest, **call_kwargs)
            except ShapeError as err:
                if str(err).startswith("Layer '"):
                    raise
                raise ShapeError(f"Layer '{self.name}' ({type(self).__name__}) received input shape "
                                 f"{_shape_text(shapes)}: {err}") from None
        output_mask = self.compute_mask(inputs, masks if masked else None)
        # The call record links the tensors as given (an autocast input is a new tensor, with
        # no history of its own).
        history = any(getattr(t, "_history", None) for t in tree.flatten(given) if isinstance(t, Tensor))
        if history or output_mask is not None:
            outputs = tree.map_structure(_fresh_if_passed_through(inputs), outputs)
        if output_mask is not None:
            for t, m in zip(tree.flatten(outputs), _spread(output_mask, len(tree.flatten(outputs)))):
                t._keras_mask = m
        if history or self._last_call is None:
            # A model's own graph (tensors with history) defines input_shape/output_shape; the
            # traces of fit and predict, at the data's sizes, do not overwrite it.
            self._last_call = (given, outputs)
        if history:
            record = CallRecord(self, (given,) + tuple(rest), dict(kwargs), outputs)
            for index, t in enumerate(tree.flatten(outputs)):
                t._history = (record, index)
        return outputs

    def _check_input_spec(self, inputs):
        if self.input_spec is not None:
            for t in tree.flatten(inputs):
                if isinstance(t, Tensor):
                    self.input_spec.check(self, t.shape)

    def _autocast(self, t):
        """A float input cast to this layer's float dtype; its Keras mask goes along."""
        if isinstance(t, Tensor) and is_float(t.dtype) and is_float(self.dtype) and t.dtype != self.dtype:
            from layered.graph import build
            cast = build.cast(t, self.dtype)
            mask = getattr(t, "_keras_mask", None)
            if mask is not None:
                cast._keras_mask = mask
            return cast
        return t

    def _eager_call(self, args, kwargs):
        """Run the layer on NumPy inputs through a compiled function cached per signature."""
        # Array keyword arguments (an attention mask, a list of masks with Nones) are fed like
        # the positional inputs; None leaves stay None.
        fed = {k: v for k, v in kwargs.items() if _is_fed(v)}
        leaves = tree.flatten((args, fed))
        arrays = [np.asarray(a) for a in leaves if a is not None]
        options = {k: v for k, v in kwargs.items() if not isinstance(v, (np.ndarray, list))}
        key = (repr(tree.map_structure(lambda a: a is None, fed)), tuple((a.shape, _host_dtype(a)) for a in arrays),
               repr(sorted(options.items())))
        if key not in self._eager_functions:
            from layered.training.function import Function  # training sits above models
            placeholders = [Placeholder(a.shape, _host_dtype(a)) for a in arrays]
            with random.seed_stream() as stream, collect_assignments() as assignments:
                feeds = iter(placeholders)
                fed_args, fed_kwargs = tree.pack_like((args, fed), [None if a is None else next(feeds) for a in leaves])
                outputs = self(*fed_args, **fed_kwargs, **options)
            seeds = [stream.placeholder] if stream.placeholder is not None else []
            function = Function(placeholders + seeds, tree.flatten(outputs), assignments)
            self._eager_functions[key] = (function, outputs, bool(seeds))
        function, outputs, needs_seed = self._eager_functions[key]
        feeds = arrays + ([random.draw_seed()] if needs_seed else [])
        return tree.pack_like(outputs, function(*feeds))

    def compute_output_shape(self, input_shape):
        """The output shape for `input_shape`, found by tracing `call` on placeholders."""
        def placeholder(shape):
            return Placeholder(shape, self.dtype)
        is_shape = isinstance(input_shape, tuple) and all(d is None or isinstance(d, int) for d in input_shape)
        inputs = placeholder(input_shape) if is_shape else tree.map_structure(placeholder, input_shape)
        with random.seed_stream():
            outputs = self(inputs)
        return tree.map_structure(lambda t: t.shape, outputs)

    # ------------------------------------------------------------ last call

    @property
    def input(self):
        return self._called("input")[0]

    @property
    def output(self):
        return self._called("output")[1]

    @property
    def input_shape(self):
        return tree.map_structure(lambda t: t.shape, self._called("input_shape")[0])

    @property
    def output_shape(self):
        return tree.map_structure(lambda t: t.shape, self._called("output_shape")[1])

    def _called(self, what):
        if self._last_call is None:
            raise AttributeError(f"Layer '{self.name}' has not been called yet, so it has no {what}")
        return self._last_call

    # ------------------------------------------------------------ config

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _spread(mask, count):
    """One mask per output: a list of masks as given, a single mask for one output."""
    if isinstance(mask, (list, tuple)):
        return list(mask) if len(mask) == count else [mask[0]] * count
    return [mask] * count


def _layers_in(value):
    """The Layers in an attribute value, walking lists, tuples and dicts in their own order."""
    if isinstance(value, Layer):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [layer for item in value for layer in _layers_in(item)]
    return []


def _fresh_if_passed_through(inputs):
    """A layer that returns its input unchanged (Dropout at inference) still needs an output
    tensor of its own to carry its call record; a same-dtype cast is free (simplify drops it)."""
    ids = {t.id for t in tree.flatten(inputs) if isinstance(t, Tensor)}

    def fresh(t):
        if isinstance(t, Tensor) and t.id in ids:
            return bind(PRIMITIVES["cast"], [t], dtype=t.dtype)
        return t
    return fresh


def _unique(variables):
    seen, result = set(), []
    for v in variables:
        if v.id not in seen:
            seen.add(v.id)
            result.append(v)
    return result


def _shape_text(shapes):
    return str(shapes if not isinstance(shapes, tuple) or not shapes or not isinstance(shapes[0], tuple)
               else list(shapes))
