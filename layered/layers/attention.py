"""Attention layers: MultiHeadAttention, dot-product Attention and AdditiveAttention."""
import math

import numpy as np

from layered import constraints, initializers, ops, regularizers
from layered.graph import build
from layered.graph.core import ShapeError, Tensor
from layered.layers.regularization import Dropout
from layered.models.layer import Layer, check_mask

# What a masked score becomes before the softmax: far below any real score, but finite, so
# a row with every key masked still gets (uniform) weights instead of NaN, as in Keras.
_MASKED = 1e9


def _mask_scores(scores, mask):
    """Push the scores where `mask` is False down by `_MASKED`."""
    if mask is None:
        return scores
    return scores - ops.cast(ops.logical_not(mask), scores.dtype) * _MASKED


def _causal_mask(query, key):
    """(1 or batch, T, S), True where query step t may attend to key step s (s <= t)."""
    if query.shape[1] is not None and key.shape[1] is not None:
        return ops.convert_to_tensor(np.tril(np.ones((1, query.shape[1], key.shape[1]), dtype=bool)))
    # Lengths known only when the graph runs: compare the step positions, counted by a scan.
    return ops.less_equal(ops.transpose(_positions(key), (0, 2, 1)), _positions(query))


def _positions(x):
    """(batch, steps, 1): 0, 1, 2, ... along the steps of a (batch, steps, features) tensor."""
    steps = ops.transpose(ops.stop_gradient(build.slice(x, (0, 0, 0), (None, None, 1))), (1, 0, 2))
    start = ops.zeros_like(ops.sum(steps, axis=0))  # (batch, 1)
    _, positions = ops.scan(lambda count, _: (count + 1.0, count), start, steps)
    return ops.transpose(positions, (1, 0, 2))


def _as_mask(mask):
    if mask is None:
        return None
    mask = ops.convert_to_tensor(mask)
    return mask if mask.dtype == "bool" else ops.not_equal(mask, 0)


def _and(a, b):
    return b if a is None else a if b is None else ops.logical_and(a, b)


class MultiHeadAttention(Layer):
    """Multi-head scaled dot-product attention (Vaswani et al., 2017) over rank-3 inputs.

    `query` (batch, T, dim_q) attends to `key` (batch, S, dim_k; default `value`) and mixes
    `value` (batch, S, dim_v); each of `num_heads` heads projects to `key_dim` (queries and
    keys) and `value_dim` (values), and the heads are projected back to `output_shape`
    (default dim_q). The weights are Keras's, in Keras's order and layout:
    query/kernel (dim_q, heads, key_dim), query/bias (heads, key_dim), key/..., value/...,
    attention_output/kernel (heads, value_dim, out), attention_output/bias (out,).

    Masks: the Keras masks of query, value and key (e.g. from `Embedding(mask_zero=True)`),
    `attention_mask` (batch, T, S) and `use_causal_mask=True` combine with a logical and;
    the output carries the query's mask. A query step with every key masked gets uniform
    weights, or (as Keras's unfused path) zero weights when `dropout > 0` or the scores are
    returned.

    Example:
        mha = layered.layers.MultiHeadAttention(num_heads=4, key_dim=16)
        y = mha(x, x, use_causal_mask=True)  # or mha(query=x, value=x)
    """

    supports_masking = True

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None,
                 attention_axes=None, flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if activity_regularizer is not None or flash_attention:
            raise NotImplementedError("MultiHeadAttention: activity_regularizer and flash_attention are not "
                                      "supported yet")
        if attention_axes is not None and tuple(np.atleast_1d(attention_axes)) not in ((1,), (-2,)):
            raise NotImplementedError(f"MultiHeadAttention supports the default attention_axes only (the "
                                      f"sequence axis of rank-3 inputs), got {attention_axes}")
        self.num_heads, self.key_dim = int(num_heads), int(key_dim)
        self.value_dim = int(value_dim) if value_dim else self.key_dim
        self.dropout, self.use_bias, self.seed = float(dropout), bool(use_bias), seed
        if output_shape is not None:
            output_shape = (int(output_shape),) if np.ndim(output_shape) == 0 else tuple(int(d) for d in output_shape)
        self.output_shape_arg = output_shape
        self.attention_axes = attention_axes
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self._dropout_layer = Dropout(self.dropout, seed=seed, dtype=self.dtype, name=f"{self.name}_dropout")

    # Our Layer.__call__ takes the first positional argument as the input; attention takes two
    # or three, by position or by name, and builds from all their shapes.
    def __call__(self, query=None, value=None, key=None, **kwargs):
        if query is None and "inputs" in kwargs:
            query = kwargs.pop("inputs")
        if query is None or value is None:
            raise TypeError(f"Layer '{self.name}' (MultiHeadAttention) needs `query` and `value`")
        if not self.built:
            shapes = [None if t is None else tuple(t.shape if isinstance(t, Tensor) else np.shape(t))
                      for t in (query, value, key)]
            self.build(*shapes)
        args = (query, value) if key is None else (query, value, key)
        return super().__call__(*args, **kwargs)

    def build(self, query_shape, value_shape=None, key_shape=None):
        value_shape = query_shape if value_shape is None else value_shape
        key_shape = value_shape if key_shape is None else key_shape
        for what, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(shape) != 3 or shape[-1] is None:
                raise ShapeError(f"Layer '{self.name}' (MultiHeadAttention) needs rank-3 inputs (batch, steps, "
                                 f"features) with known features, received {what} shape {tuple(shape)}")
        if value_shape[1] is not None and key_shape[1] is not None and value_shape[1] != key_shape[1]:
            raise ShapeError(f"Layer '{self.name}' (MultiHeadAttention): value and key must have the same length, "
                             f"received value shape {tuple(value_shape)} and key shape {tuple(key_shape)}")
        heads, out = self.num_heads, self.output_shape_arg or (query_shape[-1],)
        for prefix, width, size in (("query", query_shape[-1], self.key_dim), ("key", key_shape[-1], self.key_dim),
                                    ("value", value_shape[-1], self.value_dim)):
            self._projection(prefix, (width, heads, size), (heads, size))
        self._projection("attention_output", (heads, self.value_dim) + out, out)
        self.attention_axes = (1,)  # the sequence axis, which Keras records once built
        self.built = True

    def _projection(self, prefix, kernel_shape, bias_shape):
        kernel = self.add_weight(shape=kernel_shape, initializer=self.kernel_initializer, name=f"{prefix}/kernel",
                                 regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        bias = None
        if self.use_bias:
            bias = self.add_weight(shape=bias_shape, initializer=self.bias_initializer, name=f"{prefix}/bias",
                                   regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        setattr(self, f"_{prefix}_weights", (kernel, bias))

    def _heads(self, x, prefix):
        """(batch, steps, width) -> (batch, heads, steps, size): one broadcast matmul per head."""
        kernel, bias = getattr(self, f"_{prefix}_weights")
        x = ops.matmul(ops.expand_dims(x, 1), ops.transpose(kernel, (1, 0, 2)))
        return x if bias is None else x + ops.expand_dims(bias, 1)

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
             return_attention_scores=False, training=None, use_causal_mask=False):
        # The Keras masks of the inputs count unless masks are given; the key's only if it is its own tensor.
        query_mask = _as_mask(query_mask if query_mask is not None else getattr(query, "_keras_mask", None))
        value_mask = _as_mask(value_mask if value_mask is not None else getattr(value, "_keras_mask", None))
        if key is None:
            key = value
        elif key_mask is None and key is not value:
            key_mask = getattr(key, "_keras_mask", None)
        key_mask = _as_mask(key_mask)
        mask = self._combined_mask(query, value, query_mask, value_mask, key_mask, _as_mask(attention_mask),
                                   use_causal_mask)

        q = self._heads(query, "query") * (1.0 / math.sqrt(self.key_dim))
        k, v = self._heads(key, "key"), self._heads(value, "value")
        scores = ops.matmul(q, ops.transpose(k, (0, 1, 3, 2)))  # (batch, heads, T, S)
        weights = scores
        if mask is not None:
            # Replaced, not shifted, as Keras does: no gradient reaches a masked score (a padded
            # query, with every key masked, still gets uniform weights in the softmax).
            mask = ops.expand_dims(mask, 1)  # one mask for every head
            weights = ops.where(mask, scores, -_MASKED)
        weights = ops.softmax(weights, axis=-1)
        if mask is not None and (self.dropout > 0 or return_attention_scores):
            # Keras runs this case unfused, through a masked Softmax that zeroes masked weights.
            weights = ops.where(mask, weights, 0.0)
        mixed = ops.matmul(self._dropout_layer(weights, training=training), v)  # (batch, heads, T, value_dim)

        kernel, bias = self._attention_output_weights
        out = kernel.shape[2:]
        flat_kernel = ops.reshape(kernel, (self.num_heads, self.value_dim, math.prod(out)))
        outputs = ops.sum(ops.matmul(mixed, flat_kernel), axis=1)  # sum over heads
        if bias is not None:
            outputs = outputs + ops.reshape(bias, (math.prod(out),))
        if len(out) > 1:
            outputs = ops.reshape(outputs, (None, query.shape[1]) + out)
        return (outputs, weights) if return_attention_scores else outputs

    def _combined_mask(self, query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask):
        """The (batch, T, S) mask of allowed query -> key pairs (None: all allowed)."""
        batch, length_q, length_s = query.shape[0], query.shape[1], value.shape[1]
        mask = None
        if query_mask is not None:
            check_mask(self, "the query mask", query_mask, (batch, length_q))
            mask = ops.expand_dims(query_mask, -1)
        for what, m in (("the value mask", value_mask), ("the key mask", key_mask)):
            if m is not None:
                check_mask(self, what, m, (batch, length_s))
                mask = _and(mask, ops.expand_dims(m, -2))
        if use_causal_mask:
            mask = _and(mask, _causal_mask(query, value))
        if attention_mask is not None:
            check_mask(self, "attention_mask", attention_mask, (batch, length_q, length_s))
            mask = _and(attention_mask, mask)
        return mask

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        query_shape = tuple(query_shape)
        return query_shape[:-1] + (self.output_shape_arg or query_shape[-1:])

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads, "key_dim": self.key_dim,
                "value_dim": self.value_dim, "dropout": self.dropout, "use_bias": self.use_bias,
                "output_shape": self.output_shape_arg, "attention_axes": self.attention_axes,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint), "activity_regularizer": None,
                "seed": self.seed}


class Attention(Layer):
    """Dot-product attention (Luong style) of `[query, value]` or `[query, value, key]`:
    softmax(scores) @ value, with scores = query @ key^T (times a learned `scale` with
    `use_scale=True`), or with `score_mode="concat"` the sum over features of
    tanh(query + key) (times a learned weight).

    Masks: `mask=[query_mask, value_mask]` (or the Keras masks of the inputs); masked values
    get no weight and masked query steps give zeros. `use_causal_mask=True` lets step t
    attend to steps <= t only.

    Example:
        context = layered.layers.Attention()([query, value])  # (batch, Tq, dim)
    """

    supports_masking = True

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(f"Attention score_mode must be 'dot' or 'concat', got {score_mode!r}")
        self.use_scale, self.score_mode, self.dropout, self.seed = bool(use_scale), score_mode, float(dropout), seed
        self._dropout_layer = Dropout(self.dropout, seed=seed, dtype=self.dtype, name=f"{self.name}_dropout")

    def _check_inputs(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) not in (2, 3) or \
                not all(isinstance(s, tuple) for s in input_shape):
            raise ValueError(f"Layer '{self.name}' (Attention) must be called on a list [query, value] or "
                             f"[query, value, key], got {input_shape}")

    def build(self, input_shape):
        self._check_inputs(input_shape)
        self.scale = self.add_weight(shape=(), initializer="ones", name="scale") if self.use_scale else None
        self.concat_score_weight = None
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(shape=(), initializer="ones", name="concat_score_weight")
        self.built = True

    def call(self, inputs, mask=None, training=None, return_attention_scores=False, use_causal_mask=False):
        self._check_inputs([tuple(t.shape) for t in inputs])
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        query_mask, value_mask = self._masks(mask, query, value)
        scores = self._scores(query, key)  # (batch, Tq, Tv)
        allowed = None if value_mask is None else ops.expand_dims(value_mask, -2)
        if use_causal_mask:
            allowed = _and(allowed, _causal_mask(query, value))
        weights = ops.softmax(_mask_scores(scores, allowed), axis=-1)
        outputs = ops.matmul(self._dropout_layer(weights, training=training), value)
        if query_mask is not None:
            outputs = outputs * ops.cast(ops.expand_dims(query_mask, -1), outputs.dtype)
        return (outputs, weights) if return_attention_scores else outputs

    def _masks(self, mask, query, value):
        if mask is None:
            return None, None
        if not isinstance(mask, (list, tuple)) or len(mask) not in (2, 3):
            raise ValueError(f"Layer '{self.name}' (Attention): mask must be a list [query_mask, value_mask], "
                             f"got {mask!r}")
        query_mask, value_mask = _as_mask(mask[0]), _as_mask(mask[1])
        if query_mask is not None:
            check_mask(self, "the query mask", query_mask, query.shape[:2])
        if value_mask is not None:
            check_mask(self, "the value mask", value_mask, value.shape[:2])
        return query_mask, value_mask

    def _scores(self, query, key):
        if self.score_mode == "dot":
            scores = ops.matmul(query, ops.transpose(key, (0, 2, 1)))
            return scores if self.scale is None else scores * self.scale
        pairs = ops.expand_dims(query, -2) + ops.expand_dims(key, -3)  # (batch, Tq, Tv, dim)
        if self.scale is not None:
            pairs = pairs * self.scale
        return ops.sum(ops.tanh(pairs), axis=-1) * self.concat_score_weight

    def compute_mask(self, inputs, mask=None):
        if mask is None or not isinstance(mask, (list, tuple)):
            return None
        return mask[0]

    def compute_output_shape(self, input_shape):
        self._check_inputs(input_shape)
        return tuple(input_shape[0][:-1]) + tuple(input_shape[1][-1:])

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale, "score_mode": self.score_mode,
                "dropout": self.dropout, "seed": self.seed}



class AdditiveAttention(Attention):
    """Additive (Bahdanau style) attention of `[query, value]` or `[query, value, key]`:
    scores are the sum over features of `scale * tanh(query + key)`, with `scale` a learned
    (dim,) weight when `use_scale=True` (the default). Masks work as in `Attention`.

    Example:
        context = layered.layers.AdditiveAttention()([query, value])  # (batch, Tq, dim)
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._check_inputs(input_shape)
        dim = input_shape[0][-1]
        self.scale = None
        if self.use_scale:
            self.scale = self.add_weight(shape=(dim,), initializer="glorot_uniform", name="scale")
        self.built = True

    def _scores(self, query, key):
        pairs = ops.tanh(ops.expand_dims(query, -2) + ops.expand_dims(key, -3))  # (batch, Tq, Tv, dim)
        if self.scale is not None:
            pairs = pairs * self.scale
        return ops.sum(pairs, axis=-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config
