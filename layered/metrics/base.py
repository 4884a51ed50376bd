"""The Metric base class, the weighted Mean and Sum, and the wrapper of per-sample functions.

A metric's state lives in non-trainable `Variable`s. `update_graph` returns the new values
of that state as graph tensors (a training step adds them to its updates, so the sums stay
on the backend); `result` reads the state on the host with NumPy, which is the only moment
the values leave the backend.
"""
import re

import numpy as np

import backends
from layered import initializers, ops
from layered.graph import build as b
from layered.graph.core import Placeholder, Variable, canonical_dtype, floatx


def snake_case(name):
    """'SparseCategoricalAccuracy' -> 'sparse_categorical_accuracy' (the default metric names)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def divide_no_nan(numerator, denominator):
    """numerator / denominator on the host, 0 where the denominator is 0."""
    numerator, denominator = np.broadcast_arrays(np.asarray(numerator, np.float64),
                                                 np.asarray(denominator, np.float64))
    out = np.zeros(numerator.shape)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def match_ranks(a, b_):
    """Drop a trailing axis of size 1 from whichever of the two has one axis more."""
    if a.ndim == b_.ndim + 1 and a.shape[-1] == 1:
        a = ops.squeeze(a, -1)
    elif b_.ndim == a.ndim + 1 and b_.shape[-1] == 1:
        b_ = ops.squeeze(b_, -1)
    return a, b_


def broadcast_weights(sample_weight, values):
    """Sample weights cast to `values`' dtype and broadcast to its shape, axis 0 first.

    Weights of shape (n,), (n, 1), ... or () fit values of shape (n, ...): trailing axes
    of size 1 beyond the values' rank are dropped, missing trailing axes are added.
    """
    weights = b.as_tensor(sample_weight, values.dtype)
    while weights.ndim > values.ndim and weights.shape[-1] == 1:
        weights = ops.squeeze(weights, -1)
    if weights.ndim > values.ndim:
        raise ValueError(f"sample weights of shape {weights.shape} do not fit values of shape {values.shape}")
    while 0 < weights.ndim < values.ndim:
        weights = ops.expand_dims(weights, -1)
    return b.broadcast_to(weights, values.shape, like=values)


def _trailing_axes(x, start):
    return tuple(range(start, x.ndim))


def reduce_to_samples(values, sample_weight, reduce, dtype):
    """Per-sample values (axis 0 kept, the rest reduced) times the weights, and the weights.

    `reduce` is `ops.mean` or `ops.sum`. The weights (None when not given) come back reduced
    to one per sample in the same way, so their sum is the count a weighted mean divides by.
    """
    values = b.cast(values, dtype)
    weights = None
    if sample_weight is not None:
        weights = b.as_tensor(sample_weight, dtype)
        values, weights = match_ranks(values, weights)
        if values.ndim > weights.ndim:  # weights per sample: reduce the values to per sample first
            values = reduce(values, axis=_trailing_axes(values, weights.ndim))
        weights = broadcast_weights(weights, values)
        values = values * weights
        if weights.ndim > 1:
            weights = reduce(weights, axis=_trailing_axes(weights, 1))
    if values.ndim > 1:
        values = reduce(values, axis=_trailing_axes(values, 1))
    return values, weights


def host_array(value):
    """A NumPy array for an eager update: float64 becomes floatx and int64 int32, as on devices."""
    array = np.asarray(value)
    if array.dtype == np.float64:
        return array.astype(floatx())
    if array.dtype == np.int64:
        return array.astype(np.int32)
    return array


def as_result(value, dtype):
    """A NumPy scalar (or array, for several thresholds) of the metric's dtype."""
    return np.asarray(value, dtype=dtype)[()]


class Metric:
    """Base class: state variables, a graph update of them, and a result read on the host.

    Subclasses create their state with `add_variable` in `__init__`, and implement
    `update_graph` (symbolic tensors in, `(variable, new_value)` pairs out) and `result`
    (NumPy on the values of the variables).

    Example:
        m = layered.metrics.Mean()
        m.update_state([1.0, 2.0, 3.0]); m.result()  # 2.0
    """

    def __init__(self, name=None, dtype=None):
        self.name = name or snake_case(type(self).__name__)
        self.dtype = canonical_dtype(dtype or floatx())
        self._variables = []
        self._initial_values = []
        self._compiled = {}  # eager update functions by backend and input signature

    def add_variable(self, shape, initializer="zeros", dtype=None, name=None):
        """A new non-trainable state variable, set back to its initial value by `reset_state`."""
        dtype = canonical_dtype(dtype or self.dtype)
        value = np.asarray(initializers.get(initializer)(tuple(shape), dtype), dtype=dtype)
        variable = Variable(value, dtype=dtype, trainable=False, name=f"{self.name}/{name or 'variable'}")
        self._variables.append(variable)
        self._initial_values.append(value)
        return variable

    @property
    def variables(self):
        return list(self._variables)

    @property
    def trainable_variables(self):
        return []

    @property
    def non_trainable_variables(self):
        return list(self._variables)

    def update_graph(self, y_true, y_pred, sample_weight=None):
        """The graph updates of the state: a list of `(variable, new_value)` pairs."""
        raise NotImplementedError(f"{type(self).__name__} does not implement update_graph")

    def result(self):
        """The metric's value, computed on the host from the state variables."""
        raise NotImplementedError(f"{type(self).__name__} does not implement result")

    def reset_state(self):
        """Set every state variable back to its initial value."""
        for variable, value in zip(self._variables, self._initial_values):
            variable.assign(value)

    def update_state(self, *args, sample_weight=None):
        """Accumulate a batch given as arrays (compiles the update once per input signature)."""
        from layered.training.function import Function  # training depends on metrics, not the reverse

        arrays = [host_array(a) for a in args]
        if sample_weight is not None:
            arrays.append(host_array(sample_weight))
        shapes = tuple(a.shape[1:] if a.ndim else None for a in arrays)
        key = (backends.get().name, shapes, tuple(a.dtype.name for a in arrays), sample_weight is not None)
        function = self._compiled.get(key)
        if function is None:
            inputs = [Placeholder((None,) + a.shape[1:] if a.ndim else (), a.dtype.name) for a in arrays]
            weight = inputs.pop() if sample_weight is not None else None
            updates = self.update_graph(*inputs, sample_weight=weight)
            function = Function(inputs + ([weight] if weight is not None else []), [], updates)
            self._compiled[key] = function
        function(*arrays)

    def __call__(self, *args, sample_weight=None):
        """`update_state` then `result`."""
        self.update_state(*args, sample_weight=sample_weight)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


class _Reduce(Metric):
    """A total (and a count) of sample values, with optional sample weights."""

    reduce = None

    def __init__(self, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), "zeros", name="total")
        self.count = self.add_variable((), "zeros", name="count")

    def update_graph(self, values, sample_weight=None):
        values, weights = reduce_to_samples(values, sample_weight, type(self).reduce, self.dtype)
        if weights is not None:
            count = ops.sum(weights)
        elif values.ndim == 0:
            count = 1.0
        else:
            count = ops.sum(b.ones_like(values))
        return [(self.total, self.total + ops.sum(values)), (self.count, self.count + count)]


class Mean(_Reduce):
    """The weighted mean of the values seen so far: sum(values * weights) / sum(weights).

    Values with more than one axis are averaged per sample (over all but the first axis)
    before weighting.

    Example:
        m = layered.metrics.Mean()
        m.update_state([1.0, 3.0], sample_weight=[1.0, 3.0]); m.result()  # 2.5
    """

    reduce = staticmethod(ops.mean)

    def result(self):
        return as_result(divide_no_nan(self.total.numpy(), self.count.numpy()), self.dtype)


class Sum(_Reduce):
    """The weighted sum of the values seen so far.

    Example:
        m = layered.metrics.Sum()
        m.update_state([1.0, 3.0]); m.result()  # 4.0
    """

    reduce = staticmethod(ops.sum)

    def result(self):
        return as_result(self.total.numpy(), self.dtype)


class MeanMetricWrapper(Mean):
    """The weighted mean of `fn(y_true, y_pred, **kwargs)`, a function of per-sample values.

    Args:
        fn: builds per-sample (or per-element) values from symbolic `y_true`, `y_pred`.
        name: the metric's name; defaults to `fn.__name__`.
        dtype: the dtype of the state and result (floatx by default).
        **kwargs: passed to `fn`.

    Example:
        m = layered.metrics.MeanMetricWrapper(layered.losses.huber, delta=0.5)
        m.update_state(y_true, y_pred); m.result()
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None), dtype=dtype)
        self.fn = fn
        self.fn_kwargs = kwargs

    def update_graph(self, y_true, y_pred, sample_weight=None):
        values = self.fn(y_true, y_pred, **self.fn_kwargs)
        return super().update_graph(values, sample_weight)

    def get_config(self):
        return {**super().get_config(), "fn": getattr(self.fn, "__name__", repr(self.fn)), **self.fn_kwargs}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        fn = config.pop("fn")
        if isinstance(fn, str):
            from layered.metrics import FUNCTIONS
            from layered.registry import lookup
            fn = lookup(FUNCTIONS, fn, "metric function")
        return cls(fn, **config)


def wrapper_class(class_name, fn, default_name, doc, **defaults):
    """A MeanMetricWrapper subclass for `fn`, taking `name`, `dtype` and `fn`'s keyword arguments."""
    def __init__(self, name=default_name, dtype=None, **kwargs):
        unknown = set(kwargs) - set(defaults)
        if unknown:
            raise TypeError(f"{class_name} got unexpected arguments {sorted(unknown)}; "
                            f"it takes name, dtype{''.join(', ' + k for k in defaults)}")
        MeanMetricWrapper.__init__(self, fn, name, dtype, **{**defaults, **kwargs})

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, **self.fn_kwargs}

    def from_config(cls, config):
        return cls(**config)

    return type(class_name, (MeanMetricWrapper,), {
        "__init__": __init__, "get_config": get_config, "from_config": classmethod(from_config),
        "__doc__": doc, "__module__": "layered.metrics"})
