"""Recurrent layers: Keras 3 shapes and weight layouts, values against NumPy loops, masks,
gradients on both backends, a small learning task and bad inputs."""
import numpy as np
import pytest

import layered
from layered import layers
from layered.graph.core import ShapeError
from tests.layers.layer_checks import HAS_JAX, assert_backends_agree


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# ---------------------------------------------------------------- NumPy references

def simple_rnn_step(w):
    kernel, recurrent, bias = w

    def step(x, states):
        h = np.tanh(x @ kernel + states[0] @ recurrent + bias)
        return h, [h]
    return step


def lstm_step(w):
    kernel, recurrent, bias = w

    def step(x, states):
        h, c = states
        i, f, g, o = np.split(x @ kernel + h @ recurrent + bias, 4, axis=-1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        return h, [h, c]
    return step


def gru_step(w, reset_after=True):
    kernel, recurrent, bias = w

    def step(x, states):
        h = states[0]
        u = h.shape[-1]
        if reset_after:
            xz, xr, xh = np.split(x @ kernel + bias[0], 3, axis=-1)
            hz, hr, hh = np.split(h @ recurrent + bias[1], 3, axis=-1)
            z, r = sigmoid(xz + hz), sigmoid(xr + hr)
            candidate = np.tanh(xh + r * hh)
        else:
            xz, xr, xh = np.split(x @ kernel + bias, 3, axis=-1)
            z = sigmoid(xz + h @ recurrent[:, :u])
            r = sigmoid(xr + h @ recurrent[:, u:2 * u])
            candidate = np.tanh(xh + (r * h) @ recurrent[:, 2 * u:])
        h = z * h + (1 - z) * candidate
        return h, [h]
    return step


def run_loop(step, x, states, mask=None, go_backwards=False):
    """A direct loop with Keras's semantics: outputs in processing order; masked steps keep
    the states and repeat the previous output (the first state)."""
    outputs = []
    for t in (range(x.shape[1] - 1, -1, -1) if go_backwards else range(x.shape[1])):
        out, new = step(x[:, t], states)
        if mask is not None:
            keep = mask[:, t, None]
            new = [np.where(keep, n, s) for n, s in zip(new, states)]
            out = np.where(keep, out, states[0])
        states = new
        outputs.append(out)
    return np.stack(outputs, 1), states


# ---------------------------------------------------------------- shapes and weights (Keras 3)

# name -> (layer, input shape, output shape(s), weight shapes)
SHAPES = {
    "simple_rnn": (lambda: layers.SimpleRNN(4), (None, 5, 3), (None, 4), [(3, 4), (4, 4), (4,)]),
    "simple_rnn_sequences": (lambda: layers.SimpleRNN(4, return_sequences=True, use_bias=False), (None, 5, 3),
                             (None, 5, 4), [(3, 4), (4, 4)]),
    "lstm": (lambda: layers.LSTM(4), (None, 5, 3), (None, 4), [(3, 16), (4, 16), (16,)]),
    "lstm_state": (lambda: layers.LSTM(4, return_state=True, return_sequences=True), (None, None, 3),
                   [(None, None, 4), (None, 4), (None, 4)], [(3, 16), (4, 16), (16,)]),
    "gru": (lambda: layers.GRU(4), (2, 5, 3), (2, 4), [(3, 12), (4, 12), (2, 12)]),
    "gru_reset_before": (lambda: layers.GRU(4, reset_after=False, return_state=True), (None, 5, 3),
                         [(None, 4), (None, 4)], [(3, 12), (4, 12), (12,)]),
    "rnn_lstm_cell": (lambda: layers.RNN(layers.LSTMCell(4), return_sequences=True), (None, 5, 3), (None, 5, 4),
                      [(3, 16), (4, 16), (16,)]),
    "bidirectional_concat": (lambda: layers.Bidirectional(layers.LSTM(4, return_sequences=True)), (None, 5, 3),
                             (None, 5, 8), [(3, 16), (4, 16), (16,)] * 2),
    "bidirectional_sum": (lambda: layers.Bidirectional(layers.GRU(4), merge_mode="sum"), (None, 5, 3), (None, 4),
                          [(3, 12), (4, 12), (2, 12)] * 2),
    "bidirectional_states": (lambda: layers.Bidirectional(layers.SimpleRNN(4, return_state=True), merge_mode=None),
                             (None, 5, 3), [(None, 4)] * 4, [(3, 4), (4, 4), (4,)] * 2),
    "time_distributed": (lambda: layers.TimeDistributed(layers.Dense(2)), (None, 5, 3), (None, 5, 2), [(3, 2), (2,)]),
}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_output_and_weight_shapes_match_keras(name):
    make, input_shape, expected, weight_shapes = SHAPES[name]
    layer = make()
    out = layer(layered.Input(batch_shape=input_shape))
    shapes = [t.shape for t in out] if isinstance(out, list) else out.shape
    assert shapes == expected
    assert [w.shape for w in layer.weights] == weight_shapes
    assert layer.count_params() == sum(int(np.prod(s)) for s in weight_shapes)


def test_keras_defaults_and_weight_names():
    lstm = layers.LSTM(3)
    lstm.build((None, 4, 2))
    assert [w.name for w in lstm.weights] == ["kernel", "recurrent_kernel", "bias"]
    np.testing.assert_array_equal(lstm.weights[2].numpy(), [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])  # unit_forget_bias
    recurrent = lstm.weights[1].numpy()
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(3), atol=1e-5)  # orthogonal rows
    assert (lstm.units, lstm.return_sequences, lstm.go_backwards, lstm.dropout) == (3, False, False, 0.0)
    assert layers.GRU(2).reset_after and layers.LSTM(2).recurrent_activation is layered.activations.get("sigmoid")
    assert layers.LSTM.from_config(lstm.get_config()).get_config() == {**lstm.get_config(),
                                                                      "name": lstm.get_config()["name"]}
    with pytest.raises(NotImplementedError, match="stateful"):
        layers.LSTM(3, stateful=True)
    layers.SimpleRNN(3, unroll=True)  # accepted and ignored: the loop is a scan either way


# ---------------------------------------------------------------- values against NumPy loops

def _random_weights(layer, rng):
    layer.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32") for w in layer.weights])
    return layer.get_weights()


VALUE_CASES = {
    "simple_rnn": (layers.SimpleRNN, {}, simple_rnn_step),
    "lstm": (layers.LSTM, {}, lstm_step),
    "gru": (layers.GRU, {}, gru_step),
    "gru_reset_before": (layers.GRU, {"reset_after": False}, lambda w: gru_step(w, reset_after=False)),
}


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("name", sorted(VALUE_CASES))
def test_values_match_a_numpy_loop(backend, name, go_backwards):
    cls, kwargs, reference = VALUE_CASES[name]
    rng = np.random.default_rng(1)
    layer = cls(3, return_sequences=True, return_state=True, go_backwards=go_backwards, **kwargs)
    x = rng.normal(size=(2, 4, 5)).astype("float32")
    n_states = 2 if cls is layers.LSTM else 1
    initial = [rng.normal(size=(2, 3)).astype("float32") for _ in range(n_states)]
    layer.build((None, 4, 5))
    weights = _random_weights(layer, rng)
    inputs = [layered.Input(shape=(4, 5))] + [layered.Input(shape=(3,)) for _ in initial]
    model = layered.Model(inputs, layer(inputs[0], initial_state=inputs[1:]))
    outputs = model([x] + initial)
    expected, states = run_loop(reference(weights), x, initial, go_backwards=go_backwards)
    np.testing.assert_allclose(outputs[0], expected, rtol=1e-5, atol=1e-5)
    for got, want in zip(outputs[1:], states):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_masks_from_embedding_keep_states_and_repeat_outputs(backend):
    rng = np.random.default_rng(2)
    tokens = np.array([[3, 1, 0, 2, 0], [0, 0, 4, 1, 2]], "int32")  # 0 is padding
    inputs = layered.Input(shape=(None,), dtype="int32")
    embedded = layers.Embedding(5, 4, mask_zero=True)(inputs)
    lstm = layers.LSTM(3, return_sequences=True, return_state=True)
    gru = layers.GRU(3)  # receives the mask through the LSTM's output sequence
    sequences, h, c = lstm(embedded)
    model = layered.Model(inputs, [sequences, h, c, gru(sequences)])
    lstm_weights, gru_weights = _random_weights(lstm, rng), _random_weights(gru, rng)
    outputs = model(tokens)
    x = model.layers[1].get_weights()[0][tokens]
    mask = tokens != 0
    zeros = [np.zeros((2, 3), "float32")] * 2
    expected, (want_h, want_c) = run_loop(lstm_step(lstm_weights), x, zeros, mask)
    np.testing.assert_allclose(outputs[0], expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(outputs[1], want_h, rtol=1e-5, atol=1e-6)  # the last unmasked step's
    np.testing.assert_allclose(outputs[2], want_c, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(expected[0, 2], expected[0, 1])  # a masked step repeats the output
    gru_out, _ = run_loop(gru_step(gru_weights), expected, zeros[:1], mask)
    np.testing.assert_allclose(outputs[3], gru_out[:, -1], rtol=1e-5, atol=1e-6)


def test_masking_layer_and_bidirectional_and_time_distributed(backend):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 4, 3)).astype("float32")
    x[0, 3] = 0.0  # a padded last step
    inputs = layered.Input(shape=(None, 3))
    bidirectional = layers.Bidirectional(layers.SimpleRNN(2, return_sequences=True))
    dense = layers.Dense(1)
    model = layered.Model(inputs, layers.TimeDistributed(dense)(bidirectional(layers.Masking()(inputs))))
    weights = _random_weights(bidirectional, rng)
    forward, _ = run_loop(simple_rnn_step(weights[:3]), x, [np.zeros((2, 2))], x.any(-1))
    backward, _ = run_loop(simple_rnn_step(weights[3:]), x, [np.zeros((2, 2))], x.any(-1), go_backwards=True)
    merged = np.concatenate([forward, backward[:, ::-1]], -1)
    merged[~x.any(-1)] = 0.0  # as Keras, Bidirectional outputs zeros at masked steps (both directions)
    kernel, bias = dense.get_weights()
    np.testing.assert_allclose(model(x), merged @ kernel + bias, rtol=1e-5, atol=1e-5)


def test_time_distributed_over_unknown_batch_and_time(backend):
    x = np.arange(2 * 3 * 2 * 2, dtype="float32").reshape(2, 3, 2, 2)
    inputs = layered.Input(shape=(None, 2, 2))
    model = layered.Model(inputs, layers.TimeDistributed(layers.Flatten())(inputs))  # runs as a scan
    np.testing.assert_array_equal(model(x), x.reshape(2, 3, 4))


def test_generic_rnn_over_a_custom_cell(backend):
    class MinimalRNNCell(layers.Layer):  # the cell of Keras's RNN documentation
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), name="recurrent_kernel")

        def call(self, inputs, states):
            output = layered.ops.matmul(inputs, self.kernel) + layered.ops.matmul(states[0], self.recurrent_kernel)
            return output, [output]

    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 3, 4)).astype("float32")
    keep = np.array([[1, 0, 1], [1, 1, 0]], bool)
    layer = layers.RNN(MinimalRNNCell(2), return_sequences=True)
    layer.build((None, 3, 4))
    kernel, recurrent = _random_weights(layer, rng)

    def step(x_t, states):
        out = x_t @ kernel + states[0] @ recurrent
        return out, [out]

    expected, _ = run_loop(step, x, [np.zeros((2, 2))], keep)
    np.testing.assert_allclose(layer(x, mask=keep), expected, rtol=1e-5, atol=1e-6)


def test_dropout_in_training_only(backend):
    rng = np.random.default_rng(6)
    x = rng.normal(size=(4, 5, 3)).astype("float32")
    layer = layers.LSTM(3, dropout=0.5, recurrent_dropout=0.5, seed=1)
    inference = layer(x)
    layered.utils.set_random_seed(0)
    trained = layer(x, training=True)
    assert np.all(np.isfinite(trained)) and not np.allclose(trained, inference)
    plain = layers.LSTM(3)
    plain.build((None, 5, 3))
    plain.set_weights(layer.get_weights())
    np.testing.assert_allclose(plain(x), inference, rtol=1e-6)
    if backend != "numpy":
        return  # what follows is about building the gradient graph; one backend suffices
    # An encoder's states start a decoder with dropout: the masks' draws stay off gradient paths.
    encoder_in, decoder_in = layered.Input(shape=(5, 3)), layered.Input(shape=(4, 3))
    _, h, c = layers.LSTM(3, return_state=True)(encoder_in)
    decoded = layers.LSTM(3, dropout=0.3, recurrent_dropout=0.3)(decoder_in, initial_state=[h, c])
    model = layered.Model([encoder_in, decoder_in], decoded)
    model.compile(optimizer="adam", loss="mse")
    history = model.fit([x, x[:, :4]], np.zeros((4, 3)), epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))


# ---------------------------------------------------------------- gradients and training

@pytest.mark.skipif(not HAS_JAX, reason="needs jax")
@pytest.mark.parametrize("make", [lambda: layers.LSTM(3, return_sequences=True),
                                  lambda: layers.GRU(3, go_backwards=True),
                                  lambda: layers.SimpleRNN(3, return_state=True)],
                         ids=["lstm", "gru_backwards", "simple_rnn_state"])
def test_gradients_agree_on_numpy_and_jax(make, monkeypatch):
    layer = make()
    layer.build((None, 4, 2))
    x = np.random.default_rng(4).normal(size=(3, 4, 2)).astype("float32")
    keep = np.array([[1, 1, 1, 0], [1, 1, 1, 1], [0, 1, 1, 1]], bool)

    def call(x, keep):
        out = layer(x, mask=keep)
        return layered.ops.concatenate(out, -1) if isinstance(out, list) else out

    assert_backends_agree(call, [x, keep], layer.weights, monkeypatch)


def test_lstm_learns_whether_the_first_step_exceeds_the_last(monkeypatch):
    monkeypatch.setenv("LAYERED_BACKEND", "numpy")
    layered.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(1024, 6, 1)).astype("float32")
    y = (x[:, 0, 0] > x[:, -1, 0]).astype("float32")
    model = layered.Sequential([layered.Input(shape=(6, 1)), layers.LSTM(8), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=layered.optimizers.Adam(0.02), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x[:768], y[:768], batch_size=64, epochs=25, verbose=0)
    _, accuracy = model.evaluate(x[768:], y[768:], verbose=0)
    assert accuracy > 0.9


# ---------------------------------------------------------------- bad inputs

def test_wrong_rank_names_the_layer_and_shapes():
    with pytest.raises(ShapeError, match=r"'my_lstm' \(LSTM\).*expected rank 3.*\(None, 5\)"):
        layers.LSTM(4, name="my_lstm")(layered.Input(shape=(5,)))
    with pytest.raises(ShapeError, match=r"'gru.*initial state must have shape \(batch, 4\), got \(None, 3\)"):
        layers.GRU(4)(layered.Input(shape=(2, 5)), initial_state=[layered.Input(shape=(3,))])
    with pytest.raises(ValueError, match="has 2 states, initial_state has 1"):
        layers.LSTM(4)(layered.Input(shape=(2, 5)), initial_state=[layered.Input(shape=(4,))])


def test_wrong_rank_error_shows_the_expected_input_shape():
    with pytest.raises(ShapeError, match=r"'seq' \(GRU\).*expected rank 3 \(input shape \(None, None, None\)\), "
                                         r"received input shape \(None, 5, 2, 2\)"):
        layers.GRU(4, name="seq")(layered.Input(shape=(5, 2, 2)))


def test_mask_shape_mismatches_are_clear_errors(backend):
    x = layered.Input(shape=(5, 3))
    with pytest.raises(ShapeError, match=r"'rnn_a' \(LSTM\): the mask has shape \(None, 7\).*"
                                         r"expected shape \(None, 5\)"):
        layers.LSTM(4, name="rnn_a")(x, mask=layered.Input(shape=(7,), dtype="bool"))
    with pytest.raises(ShapeError, match=r"'rnn_b' \(GRU\): the mask has shape \(None, 5, 2\)"):
        layers.GRU(4, name="rnn_b")(x, mask=layered.Input(shape=(5, 2), dtype="bool"))
    with pytest.raises(ShapeError, match=r"'forward_rnn_c' \(SimpleRNN\): the mask has shape \(None, 7\)"):
        layers.Bidirectional(layers.SimpleRNN(2, name="rnn_c"))(x, mask=layered.Input(shape=(7,), dtype="bool"))
    with pytest.raises(ShapeError, match=r"'rnn_d' \(LSTM\): the mask has shape \(2, 4\).*\(2, 5\)"):
        layers.LSTM(4, name="rnn_d")(np.ones((2, 5, 3), "float32"), mask=np.ones((2, 4), bool))


def test_bidirectional_outputs_zeros_at_masked_steps(backend):
    # Keras forces zero_output_for_mask=return_sequences on both directions of a Bidirectional;
    # the forward direction used to repeat its previous output at a padded step.
    ids = layered.Input(shape=(3,), dtype="int32")
    embedded = layers.Embedding(4, 2, mask_zero=True, embeddings_initializer="ones")(ids)
    bidirectional = layers.Bidirectional(layers.SimpleRNN(1, return_sequences=True, kernel_initializer="ones",
                                                          recurrent_initializer="zeros", name="rnn"), name="bi")
    out = layered.Model(ids, bidirectional(embedded)).predict(np.array([[1, 2, 0]]), verbose=0)
    t = np.tanh(2.0)
    np.testing.assert_allclose(out, [[[t, t], [t, t], [0.0, 0.0]]], rtol=1e-6)
    assert bidirectional.forward_layer.zero_output_for_mask and bidirectional.backward_layer.zero_output_for_mask
    # Keras paths of wrapped weights: bidirectional name / direction / cell / weight
    assert [w.path for w in bidirectional.weights[2:4]] == ["bi/forward_rnn/simple_rnn_cell/bias",
                                                          "bi/backward_rnn/simple_rnn_cell/kernel"]
    lstm = layers.LSTM(2, return_sequences=True, zero_output_for_mask=True)  # a loop argument, as in Keras
    assert lstm.zero_output_for_mask and layers.LSTM.from_config(lstm.get_config()).zero_output_for_mask


def test_masking_after_a_trainable_layer_trains(backend):
    # Bug: the gradient reached Masking's `not_equal` (through its mask and its output), so a
    # Masking layer after any trainable layer made fit fail with NotDifferentiableError.
    x = np.array([[[1.0, 2.0], [0.0, 0.0]]], "float32")
    inputs = layered.Input(shape=(2, 2))
    masked = layers.Masking()(layers.Dense(2, kernel_initializer="identity")(inputs))
    model = layered.Model(inputs, [layers.LSTM(1)(masked), layers.GlobalAveragePooling1D()(masked)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, [np.ones((1, 1), "float32"), np.ones((1, 2), "float32")], epochs=1, verbose=0)
    placeholder = layered.placeholder((1, 2, 2))
    [grad] = layered.ops.grad(layered.ops.sum(layers.Masking()(placeholder) * 3.0), [placeholder])
    np.testing.assert_array_equal(layered.function([placeholder], [grad])(x)[0], [[[3.0, 3.0], [0.0, 0.0]]])


def test_time_distributed_weights_have_keras_paths():
    wrapped = layers.TimeDistributed(layers.Dense(2, name="inner"), name="td")
    wrapped(layered.Input(shape=(3, 4)))
    assert [w.path for w in wrapped.weights] == ["td/inner/kernel", "td/inner/bias"]
    config = layers.GRU(2).get_config()
    assert config["activity_regularizer"] is None and config["zero_output_for_mask"] is False
