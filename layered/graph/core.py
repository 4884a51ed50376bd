"""Symbolic tensors, the nodes that produce them, and the graph's leaves.

A `Tensor` is a symbolic value: a shape (``None`` for a dimension known only at run
time, usually the batch), a dtype name and the `Node` that produces it. Leaves have
no node: a `Placeholder` is fed at call time, a `Constant` carries a host array and a
`Variable` holds a value that compiled steps read and update.
"""
import contextlib
import itertools
import threading

import numpy as np


class ShapeError(ValueError):
    """A shape or dtype that does not fit, found while the graph is built."""


_state = threading.local()
_counter = itertools.count()
_floatx = ["float32"]  # the dtype of Python floats and new weights; set by layered.config


def floatx():
    return _floatx[0]


def current_scope():
    return "/".join(getattr(_state, "scopes", ()))


@contextlib.contextmanager
def name_scope(name):
    """Prefix the nodes created inside with `name/` (layers open one per call)."""
    scopes = getattr(_state, "scopes", ())
    _state.scopes = scopes + (name,)
    try:
        yield
    finally:
        _state.scopes = scopes


@contextlib.contextmanager
def collect_assignments():
    """Collect the symbolic `Variable.assign` calls made while a step is traced; yields the
    list of (variable, new value) pairs."""
    previous = getattr(_state, "assignments", None)
    _state.assignments = pending = []
    try:
        yield pending
    finally:
        _state.assignments = previous


def collecting_assignments():
    return getattr(_state, "assignments", None) is not None


def canonical_dtype(dtype):
    """The dtype's name as used in graphs ('float32', 'int32', 'bool', ...)."""
    return np.dtype(dtype).name


def is_float(dtype):
    return np.issubdtype(np.dtype(dtype), np.floating)


class Aval:
    """A concrete shape and dtype: what shape rules see when a backend specialises a graph."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape, self.dtype = tuple(shape), canonical_dtype(dtype)

    @property
    def ndim(self):
        return len(self.shape)


class Node:
    """One application of a primitive: inputs, static attributes, outputs."""

    __slots__ = ("primitive", "inputs", "attrs", "outputs", "scope", "id")

    def __init__(self, primitive, inputs, attrs, avals, scope):
        self.primitive = primitive
        self.inputs = tuple(inputs)
        self.attrs = attrs
        self.scope = scope
        self.id = next(_counter)
        self.outputs = tuple(Tensor(shape, dtype, node=self, index=i) for i, (shape, dtype) in enumerate(avals))

    def __repr__(self):
        where = f" in {self.scope}" if self.scope else ""
        return f"<Node {self.primitive.name}{where}>"


class Tensor:
    """A symbolic value in a graph. Arithmetic operators build new nodes."""

    __array_priority__ = 100  # numpy defers `array + tensor` to Tensor.__radd__

    def __init__(self, shape, dtype, node=None, index=0, name=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = canonical_dtype(dtype)
        self.node = node
        self.index = index
        self.name = name
        self.id = next(_counter)

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        label = self.name or (self.node.primitive.name if self.node else type(self).__name__)
        return f"<{type(self).__name__} {label} shape={self.shape} dtype={self.dtype}>"

    def __hash__(self):
        return self.id

    def __bool__(self):
        # A value known now (ops on arrays) has a truth value, as in eager Keras; one that
        # depends on a placeholder has none.
        from layered.graph.graph import leaves
        if self.shape == () and not any(isinstance(t, Placeholder) for t in leaves([self])):
            return bool(self.numpy())
        raise TypeError("a symbolic Tensor has no truth value; use layered.ops.where for conditions")

    # Values: a tensor over constants and variables can be computed (`ops` on arrays, losses
    # called on arrays, as in Keras); one that depends on a placeholder raises.
    __array_ufunc__ = None  # NumPy operators defer to the Tensor ones (which build nodes)

    def numpy(self):
        from layered.graph.evaluate import evaluate
        return evaluate(self)

    def __array__(self, dtype=None, copy=None):
        value = self.numpy()
        return value if dtype is None else value.astype(dtype)

    def __float__(self):
        return float(self.numpy())

    def __int__(self):
        return int(self.numpy())

    # Operators: thin calls into the primitive wrappers of build.py.
    def __neg__(self): return _p.neg(self)
    def __abs__(self): return _p.abs(self)
    def __add__(self, other): return _p.add(self, other)
    def __radd__(self, other): return _p.add(other, self)
    def __sub__(self, other): return _p.sub(self, other)
    def __rsub__(self, other): return _p.sub(other, self)
    def __mul__(self, other): return _p.mul(self, other)
    def __rmul__(self, other): return _p.mul(other, self)
    def __truediv__(self, other): return _p.div(self, other)
    def __rtruediv__(self, other): return _p.div(other, self)
    def __pow__(self, other): return _p.pow(self, other)
    def __rpow__(self, other): return _p.pow(other, self)
    def __matmul__(self, other): return _p.matmul(self, other)
    def __rmatmul__(self, other): return _p.matmul(other, self)
    def __lt__(self, other): return _p.less(self, other)
    def __le__(self, other): return _p.less_equal(self, other)
    def __gt__(self, other): return _p.greater(self, other)
    def __ge__(self, other): return _p.greater_equal(self, other)
    def __getitem__(self, key): return _p.getitem(self, key)

    @property
    def T(self):
        return _p.transpose(self, tuple(reversed(range(self.ndim))))


class Placeholder(Tensor):
    """An input fed when a compiled graph is called."""

    def __init__(self, shape, dtype="float32", name=None):
        super().__init__(shape, dtype, name=name or f"placeholder_{next(_counter)}")


class Constant(Tensor):
    """A value fixed at build time; `value` is a host NumPy array."""

    def __init__(self, value, dtype=None, name=None):
        value = np.asarray(value, dtype=dtype)
        if dtype is None and value.dtype == np.float64:
            value = value.astype(floatx())  # Python floats follow floatx, like Keras
        super().__init__(value.shape, value.dtype, name=name)
        value.setflags(write=False)
        self.value = value

    def numpy(self):
        return np.array(self.value, copy=True)


class Variable(Tensor):
    """A named, shaped value held between calls, read by graphs and updated by steps.

    `value` holds a backend array (a NumPy array on the NumPy backend); graphs read the
    variable as a leaf and compiled steps write the new value back.

    Example:
        w = layered.Variable(0.8, name="weight")
        w.numpy()  # array(0.8, dtype=float32)
    """

    def __init__(self, initial_value, dtype=None, trainable=True, name=None):
        value = np.asarray(initial_value, dtype=dtype)
        if dtype is None and value.dtype == np.float64:
            value = value.astype(floatx())
        super().__init__(value.shape, value.dtype, name=name or f"variable_{next(_counter)}")
        self.trainable = trainable
        self.value = np.array(value, copy=True, order="C")

    def assign(self, value):
        """Replace the held value; the shape and dtype must stay the same.

        Given a symbolic tensor while a step is being traced (a layer's `call`, e.g. a
        BatchNormalization's moving mean), the assignment becomes one of the step's updates.
        """
        if isinstance(value, Tensor):
            pending = getattr(_state, "assignments", None)
            if pending is None:
                raise RuntimeError(f"variable '{self.name}' was assigned a symbolic tensor outside a traced step; "
                                   "assign NumPy values, or assign tensors inside a layer's call")
            if value.shape != self.shape and None not in value.shape:
                raise ShapeError(f"variable '{self.name}' has shape {self.shape}, cannot assign a value of shape "
                                 f"{value.shape}")
            pending.append((self, value))
            return
        value = np.asarray(value)
        if value.shape != self.shape:
            raise ShapeError(f"variable '{self.name}' has shape {self.shape}, cannot assign a value of shape {value.shape}")
        self.value = np.array(value, dtype=self.dtype, copy=True, order="C")

    def numpy(self):
        """A host copy of the current value."""
        return np.array(self.value, copy=True)


class Dim:
    """A size known only at run time: axis `axis` of `tensor` (what `ops.shape` gives for a None).

    Ops that take a shape (`reshape`, `zeros`, `broadcast_to`, `arange`, random draws) accept it
    and read the size from `tensor` when the graph runs, as Keras code expects of
    `ops.shape(x)[0]`. It is not an int: arithmetic on it raises.

    Example:
        batch = ops.shape(x)[0]
        noise = ops.zeros((batch, 8))
    """

    __slots__ = ("tensor", "axis")

    def __init__(self, tensor, axis):
        self.tensor, self.axis = tensor, axis

    def __repr__(self):
        return f"Dim({self.tensor!r}, axis={self.axis})"

    def _no_arithmetic(self, *_):
        raise TypeError(f"axis {self.axis} of {self.tensor!r} has a size known only at run time; it can be passed "
                        "as a shape entry (reshape, zeros, broadcast_to, ...) but not computed with")

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _no_arithmetic
    __floordiv__ = __rfloordiv__ = __truediv__ = __rtruediv__ = __index__ = __int__ = _no_arithmetic


def is_leaf(tensor):
    return tensor.node is None


from layered.graph import build as _p  # noqa: E402  (operators need the wrappers)
