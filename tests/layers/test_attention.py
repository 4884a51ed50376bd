"""MultiHeadAttention and Attention: Keras weights, values against NumPy, masks, gradients, a tiny transformer."""
import numpy as np
import pytest

import layered
from layered import layers, ops
from layered.graph.core import ShapeError
from tests.helpers import check_vjp
from tests.layers.layer_checks import HAS_JAX, assert_backends_agree

rng = np.random.default_rng(0)


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def mha_reference(query, value, key, weights, key_dim, mask=None):
    """Multi-head attention in NumPy einsums, on Keras's weight layout."""
    wq, bq, wk, bk, wv, bv, wo, bo = weights
    q = np.einsum("btd,dhk->bhtk", query, wq) + bq[None, :, None, :]
    k = np.einsum("bsd,dhk->bhsk", key, wk) + bk[None, :, None, :]
    v = np.einsum("bsd,dhk->bhsk", value, wv) + bv[None, :, None, :]
    scores = np.einsum("bhtk,bhsk->bhts", q / np.sqrt(key_dim), k)
    if mask is not None:
        scores = scores - (1.0 - mask[:, None].astype(scores.dtype)) * 1e9
    probs = softmax(scores)
    return np.einsum("bhts,bhsv,hvo->bto", probs, v, wo) + bo, probs


def _set_random(layer, scale=0.5):
    values = [rng.normal(0, scale, w.shape).astype(w.dtype) for w in layer.weights]
    layer.set_weights(values)
    return values


def test_multi_head_attention_weights_follow_keras_layout_and_order():
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    out = mha(layered.Input(shape=(5, 8)), layered.Input(shape=(6, 4)))
    assert out.shape == (None, 5, 8)
    assert [(w.name, w.shape) for w in mha.weights] == [
        ("query/kernel", (8, 2, 3)), ("query/bias", (2, 3)), ("key/kernel", (4, 2, 3)), ("key/bias", (2, 3)),
        ("value/kernel", (4, 2, 3)), ("value/bias", (2, 3)),
        ("attention_output/kernel", (2, 3, 8)), ("attention_output/bias", (8,))]
    assert mha.count_params() == 8 * 6 + 6 + 2 * (4 * 6 + 6) + 6 * 8 + 8
    assert mha.compute_output_shape((None, 5, 8), (None, 6, 4)) == (None, 5, 8)

    other = layers.MultiHeadAttention(num_heads=3, key_dim=2, value_dim=4, output_shape=7, use_bias=False)
    out, scores = other(layered.Input(shape=(5, 8)), layered.Input(shape=(6, 4)), layered.Input(shape=(6, 2)),
                        return_attention_scores=True)
    assert out.shape == (None, 5, 7) and scores.shape == (None, 3, 5, 6)
    assert [w.shape for w in other.weights] == [(8, 3, 2), (2, 3, 2), (4, 3, 4), (3, 4, 7)]
    config = other.get_config()
    assert config["value_dim"] == 4 and config["output_shape"] == (7,) and config["use_bias"] is False
    assert layers.MultiHeadAttention.from_config(config).get_config() == config


def test_multi_head_attention_matches_numpy_with_masks(backend):
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4)
    query = rng.normal(size=(2, 4, 5)).astype("float32")
    value = rng.normal(size=(2, 6, 3)).astype("float32")
    key = rng.normal(size=(2, 6, 2)).astype("float32")
    mha(query, value, key)
    weights = _set_random(mha)
    expected, probs = mha_reference(query, value, key, weights, 3)
    out, scores = mha(query, value, key, return_attention_scores=True)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(scores, probs, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(mha(query=query, value=value, key=key), expected, rtol=1e-4, atol=1e-5)

    mask = rng.uniform(size=(2, 4, 6)) > 0.4
    mask[:, :, 0] = True
    causal = np.tril(np.ones((4, 6), bool))[None]
    expected, _ = mha_reference(query, value, key, weights, 3, mask & causal)
    np.testing.assert_allclose(mha(query, value, key, attention_mask=mask, use_causal_mask=True), expected,
                               rtol=1e-4, atol=1e-5)


def test_self_attention_in_a_functional_model_with_keyword_inputs(backend):
    x_in = layered.Input(shape=(4, 6))
    mask_in = layered.Input(shape=(4, 4), dtype="bool")
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    model = layered.Model([x_in, mask_in], mha(query=x_in, value=x_in, attention_mask=mask_in))
    x = rng.normal(size=(3, 4, 6)).astype("float32")
    mask = rng.uniform(size=(3, 4, 4)) > 0.3
    mask[..., 0] = True
    expected, _ = mha_reference(x, x, x, mha.get_weights(), 3, mask)
    np.testing.assert_allclose(model.predict([x, mask], verbose=0), expected, rtol=1e-4, atol=1e-5)


def test_embedding_padding_mask_reaches_attention_and_passes_on(backend):
    tokens = layered.Input(shape=(5,), dtype="int32")
    embedded = layers.Embedding(7, 4, mask_zero=True)(tokens)
    mha = layers.MultiHeadAttention(num_heads=1, key_dim=4)
    out, scores = mha(embedded, embedded, return_attention_scores=True)
    assert out._keras_mask is not None and out._keras_mask.shape == (None, 5)  # the query's mask
    model = layered.Model(tokens, [out, scores])
    ids = np.array([[3, 2, 6, 0, 0], [1, 0, 0, 0, 0]], "int32")
    _, probs = model.predict(ids, verbose=0)
    np.testing.assert_allclose(probs[0, 0, :3, 3:], 0.0, atol=1e-7)  # real queries ignore padded keys
    np.testing.assert_allclose(probs[1, 0, 0], [1, 0, 0, 0, 0], atol=1e-7)


def test_mask_shape_mismatches_are_clear_errors():
    q, v = layered.Input(shape=(4, 6)), layered.Input(shape=(5, 6))
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=3, name="attn")
    with pytest.raises(ShapeError, match=r"'attn'.*attention_mask has shape \(None, 4, 7\).*\(None, 4, 5\)"):
        mha(q, v, attention_mask=layered.Input(shape=(4, 7), dtype="bool"))
    with pytest.raises(ShapeError, match=r"'attn'.*query mask has shape \(None, 5\).*\(None, 4\)"):
        mha(q, v, query_mask=layered.Input(shape=(5,), dtype="bool"))
    with pytest.raises(ShapeError, match=r"'attn'.*rank-3 inputs.*query shape \(None, 6\)"):
        layers.MultiHeadAttention(2, 3, name="attn")(layered.Input(shape=(6,)), layered.Input(shape=(6,)))
    with pytest.raises(ShapeError, match=r"'dot_attn'.*value mask has shape \(None, 3\).*\(None, 5\)"):
        layers.Attention(name="dot_attn")([q, v], mask=[None, layered.Input(shape=(3,), dtype="bool")])
    with pytest.raises(TypeError, match="needs `query` and `value`"):
        layers.MultiHeadAttention(2, 3)(q)


def test_attention_dropout_only_in_training(backend):
    x = rng.normal(size=(2, 5, 4)).astype("float32")
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=2, dropout=0.5)
    np.testing.assert_array_equal(mha(x, x), mha(x, x))
    assert not np.allclose(mha(x, x, training=True), mha(x, x))


ATTENTION_CASES = [
    ("dot", {}, []),
    ("dot_scaled", {"use_scale": True}, [("scale", ())]),
    ("concat", {"score_mode": "concat"}, [("concat_score_weight", ())]),
    ("concat_scaled", {"score_mode": "concat", "use_scale": True}, [("scale", ()), ("concat_score_weight", ())]),
]


def attention_reference(query, value, key, kwargs, weights, value_mask=None, query_mask=None, causal=False):
    scale = weights[0] if kwargs.get("use_scale") else 1.0
    if kwargs.get("score_mode") == "concat":
        scores = weights[-1] * np.tanh(scale * (query[:, :, None] + key[:, None])).sum(-1)
    else:
        scores = scale * query @ key.transpose(0, 2, 1)
    allowed = np.ones(scores.shape, bool)
    if value_mask is not None:
        allowed &= value_mask[:, None, :]
    if causal:
        allowed &= np.tril(np.ones(scores.shape[1:], bool))
    out = softmax(scores - (~allowed) * 1e9) @ value
    return out if query_mask is None else out * query_mask[..., None]


@pytest.mark.parametrize("name,kwargs,weights", ATTENTION_CASES, ids=[c[0] for c in ATTENTION_CASES])
def test_attention_layer_weights_and_values(backend, name, kwargs, weights):
    layer = layers.Attention(**kwargs)
    q_in, v_in = layered.Input(shape=(4, 3)), layered.Input(shape=(5, 3))
    assert layer([q_in, v_in]).shape == (None, 4, 3)
    assert layer.compute_output_shape([(None, 4, 3), (None, 5, 3)]) == (None, 4, 3)
    assert [(w.name, w.shape) for w in layer.weights] == weights
    values = [np.float32(rng.uniform(0.5, 2.0)) for _ in layer.weights]
    layer.set_weights(values)
    query = rng.normal(size=(2, 4, 3)).astype("float32")
    value = rng.normal(size=(2, 5, 3)).astype("float32")
    key = rng.normal(size=(2, 5, 3)).astype("float32")
    np.testing.assert_allclose(layer([query, value]), attention_reference(query, value, value, kwargs, values),
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(layer([query, value, key]), attention_reference(query, value, key, kwargs, values),
                               rtol=1e-4, atol=1e-5)
    value_mask = np.array([[1, 1, 0, 1, 0], [1, 0, 0, 0, 0]], bool)
    query_mask = np.array([[1, 1, 1, 0], [1, 0, 1, 1]], bool)
    expected = attention_reference(query, value, key, kwargs, values, value_mask, query_mask, causal=True)
    got = layer([query, value, key], mask=[query_mask, value_mask], use_causal_mask=True)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    assert layers.Attention.from_config(layer.get_config()).get_config() == layer.get_config()


def test_gradients_match_finite_differences(monkeypatch):
    monkeypatch.setenv("LAYERED_BACKEND", "numpy")
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=2, dtype="float64")
    query, value = rng.normal(size=(1, 3, 3)), rng.normal(size=(1, 4, 2))
    mha.build(query.shape, value.shape)
    mha.set_weights([rng.normal(0, 0.7, w.shape) for w in mha.weights])
    mask = np.array([[[1, 1, 0, 1], [1, 0, 1, 1], [1, 1, 1, 0]]], bool)
    check_vjp(lambda q, v: mha(q, v, attention_mask=mask), [query, value])
    concat = layers.Attention(score_mode="concat", use_scale=True, dtype="float64")
    check_vjp(lambda q, v: concat([q, v]), [query[..., :2], value])


@pytest.mark.skipif(not HAS_JAX, reason="needs jax")
def test_numpy_and_jax_agree_on_values_and_weight_gradients(monkeypatch):
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=2)
    query = rng.normal(size=(2, 4, 5)).astype("float32")
    value = rng.normal(size=(2, 4, 3)).astype("float32")
    mha.build(query.shape, value.shape)
    _set_random(mha)
    assert_backends_agree(lambda q, v: mha(q, v, use_causal_mask=True), [query, value], mha.trainable_weights,
                          monkeypatch)
    attention = layers.Attention(use_scale=True)
    attention.build([query.shape, query.shape])
    assert_backends_agree(lambda q, v: attention([q, v]), [query, query], attention.trainable_weights, monkeypatch)


class PositionEmbedding(layers.Layer):
    """Adds a learned vector per position (the transformer's position signal)."""

    supports_masking = True

    def build(self, input_shape):
        self.positions = self.add_weight(shape=input_shape[1:], initializer="random_normal", name="positions")

    def call(self, x):
        return x + self.positions


def test_tiny_causal_transformer_block_learns_to_copy_the_previous_token(backend):
    layered.utils.set_random_seed(1)
    vocab, length, width = 6, 6, 16
    tokens = layered.Input(shape=(length,), dtype="int32")
    x = PositionEmbedding()(layers.Embedding(vocab, width)(tokens))
    attended = layers.MultiHeadAttention(num_heads=2, key_dim=8)(x, x, use_causal_mask=True)
    x = layers.LayerNormalization()(layers.Add()([x, attended]))
    feed = layers.Dense(width)(layers.Dense(2 * width, activation="relu")(x))
    x = layers.LayerNormalization()(layers.Add()([x, feed]))
    model = layered.Model(tokens, layers.Dense(vocab)(x))
    model.compile(optimizer=layered.optimizers.Adam(0.01),
                  loss=layered.losses.SparseCategoricalCrossentropy(from_logits=True))
    data = np.random.default_rng(0).integers(1, vocab, size=(256, length)).astype("int32")
    target = np.concatenate([np.zeros((256, 1), "int32"), data[:, :-1]], axis=1)  # the previous token
    losses = model.fit(data, target, batch_size=32, epochs=12, verbose=0).history["loss"]
    assert np.all(np.isfinite(losses))
    assert losses[-1] < 0.3 * losses[0]


def test_config_matches_keras_after_build():
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    assert mha.get_config()["attention_axes"] is None
    mha(layered.Input(shape=(4, 6)), layered.Input(shape=(5, 6)))
    config = mha.get_config()
    assert tuple(config["attention_axes"]) == (1,) and config["activity_regularizer"] is None
    assert layers.MultiHeadAttention.from_config(config).get_config()["attention_axes"] == (1,)


def test_causal_masks_for_sequences_of_unknown_length(backend):
    # Bug: use_causal_mask needed known lengths, and MultiHeadAttention could not take a
    # (batch, None, features) input at all (its per-head axis was added by a reshape).
    x = np.array([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]], "float32")
    inputs = layered.Input(shape=(None, 2))
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=2)
    attention = layers.Attention()
    out, scores = mha(inputs, inputs, use_causal_mask=True, return_attention_scores=True)
    model = layered.Model(inputs, [out, scores, attention([inputs, inputs], use_causal_mask=True)])
    assert out.shape == (None, None, 2) and scores.shape == (None, 2, None, None)
    mha_out, mha_scores, dot = model.predict(x, verbose=0)
    np.testing.assert_allclose(np.triu(mha_scores[0, 0], 1), 0.0)  # no step attends to a later one
    np.testing.assert_allclose(mha_scores[0, :, 0], [[1, 0, 0], [1, 0, 0]], atol=1e-7)
    # dot-product attention, scores x x^T: step 1 sees steps 0 and 1 with scores 0 and 1
    w = np.exp([0.0, 1.0]) / np.exp([0.0, 1.0]).sum()
    np.testing.assert_allclose(dot[0, :2], [[1.0, 0.0], [w[0], w[1]]], rtol=1e-6)
    fixed = layered.Input(shape=(3, 2))  # the same layers on a known length agree
    np.testing.assert_allclose(layered.Model(fixed, mha(fixed, fixed, use_causal_mask=True)).predict(x, verbose=0),
                               mha_out, rtol=1e-6)


def test_masked_scores_are_replaced_as_keras_does(backend):
    # Keras replaces masked scores (no gradient reaches them; a padded query attends uniformly)
    # and, on its unfused path (returned scores or dropout), zeroes the masked weights.
    x = np.array([[[1.0, 0.0], [0.0, 2.0], [5.0, 5.0]]], "float32")
    keep = np.array([[True, True, False]])
    mha = layers.MultiHeadAttention(num_heads=1, key_dim=2)
    query = layered.placeholder((1, 3, 2))
    out = mha(query, query, query_mask=keep, value_mask=keep)
    eye = np.eye(2, dtype="float32")
    mha.set_weights([eye[:, None], np.zeros((1, 2))] * 3 + [eye[None], np.zeros(2)])  # identity projections
    kernel = mha.weights[0]  # query/kernel
    [grad] = layered.ops.grad(layered.ops.sum(out[:, 2]), [kernel])  # the padded query's output
    padded_out, padded_grad = layered.function([query], [out[:, 2], grad])(x)
    np.testing.assert_allclose(padded_out, [[2.0, 7.0 / 3.0]], rtol=1e-6)  # uniform over all three values
    np.testing.assert_array_equal(padded_grad, 0.0)  # its (constant) scores carry no gradient
    out, scores = mha(query, query, query_mask=keep, value_mask=keep, return_attention_scores=True)
    out, scores = layered.function([query], [out, scores])(x)
    np.testing.assert_array_equal(scores[0, 0, 2], [0.0, 0.0, 0.0])  # every key masked: no weight at all
    np.testing.assert_array_equal(scores[0, 0, :2, 2], [0.0, 0.0])
    np.testing.assert_allclose(scores[0, 0, :2].sum(-1), [1.0, 1.0], rtol=1e-6)
    np.testing.assert_array_equal(out[0, 2], [0.0, 0.0])  # zero weights and a zero bias
