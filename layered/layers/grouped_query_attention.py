"""GroupedQueryAttention (Keras's `GroupQueryAttention`): multi-head attention whose key and
value heads are shared by groups of query heads (Ainslie et al., 2023)."""
from layered import constraints, initializers, ops, regularizers
from layered.graph.core import ShapeError
from layered.layers.attention import MultiHeadAttention


class GroupedQueryAttention(MultiHeadAttention):
    """Attention with `num_query_heads` query heads and `num_key_value_heads` key/value heads:
    each key/value head serves num_query_heads / num_key_value_heads consecutive query heads.

    Weights (Keras's order and layout): query/kernel (dim_q, query heads, head_dim),
    query/bias, key/kernel (dim_k, key/value heads, head_dim), key/bias, value/kernel,
    value/bias, attention_output/kernel (query heads, head_dim, dim_q), attention_output/bias.
    Masks and `use_causal_mask` work as in `MultiHeadAttention`.

    Example:
        gqa = layered.layers.GroupQueryAttention(head_dim=16, num_query_heads=8, num_key_value_heads=2)
        y = gqa(x, x, use_causal_mask=True)
    """

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0, use_bias=True, use_gate=False,
                 sliding_window=None, flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, seed=None, **kwargs):
        super().__init__(num_query_heads, head_dim, dropout=dropout, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
                         bias_constraint=bias_constraint, seed=seed, flash_attention=flash_attention, **kwargs)
        if use_gate or sliding_window is not None:
            raise NotImplementedError(f"GroupQueryAttention layer '{self.name}': use_gate and sliding_window are "
                                      "not supported")
        if num_key_value_heads <= 0 or num_query_heads % num_key_value_heads:
            raise ValueError(f"GroupQueryAttention layer '{self.name}': num_query_heads ({num_query_heads}) must be "
                             f"a multiple of num_key_value_heads ({num_key_value_heads})")
        self.head_dim, self.num_query_heads = int(head_dim), int(num_query_heads)
        self.num_key_value_heads = int(num_key_value_heads)

    def build(self, query_shape, value_shape=None, key_shape=None):
        value_shape = query_shape if value_shape is None else value_shape
        key_shape = value_shape if key_shape is None else key_shape
        for what, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(shape) != 3 or shape[-1] is None:
                raise ShapeError(f"Layer '{self.name}' (GroupQueryAttention) needs rank-3 inputs (batch, steps, "
                                 f"features) with known features, received {what} shape {tuple(shape)}")
        groups, size = self.num_key_value_heads, self.head_dim
        self._projection("query", (query_shape[-1], self.num_query_heads, size), (self.num_query_heads, size))
        self._projection("key", (key_shape[-1], groups, size), (groups, size))
        self._projection("value", (value_shape[-1], groups, size), (groups, size))
        self._projection("attention_output", (self.num_query_heads, size, query_shape[-1]), (query_shape[-1],))
        self.built = True

    def _heads(self, x, prefix):
        heads = super()._heads(x, prefix)  # (batch, heads, steps, head_dim)
        if prefix in ("key", "value"):  # each key/value head serves a group of query heads
            heads = ops.repeat(heads, self.num_query_heads // self.num_key_value_heads, axis=1)
        return heads

    def get_config(self):
        config = {key: value for key, value in super().get_config().items()
                  if key not in ("num_heads", "key_dim", "value_dim", "output_shape", "attention_axes")}
        return {**config, "head_dim": self.head_dim, "num_query_heads": self.num_query_heads,
                "num_key_value_heads": self.num_key_value_heads, "use_gate": False, "sliding_window": None,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint)}


GroupQueryAttention = GroupedQueryAttention
