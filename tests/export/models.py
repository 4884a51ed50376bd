"""Small models of every kind the exporters must handle, with sample inputs.

Each builder returns (model, inputs): `inputs` is a list with one array per model input,
eight samples each (tests slice two batch sizes out of it). Built models are predicted
once so that subclassed ones know their input shape and every weight exists.
"""
import numpy as np

import layered
from layered import layers

BATCH = 8


def _rng(seed):
    return np.random.default_rng(seed)


def cnn():
    """Conv2D, BatchNormalization (moving statistics set away from 0/1), MaxPooling2D,
    Dropout, Flatten, Dense."""
    model = layered.Sequential([
        layered.Input(shape=(8, 8, 3)),
        layers.Conv2D(4, 3, padding="same", activation="relu"),
        layers.BatchNormalization(),
        layers.MaxPooling2D(2),
        layers.Conv2D(6, 2, strides=2, padding="valid"),
        layers.AveragePooling2D(2, strides=1, padding="same"),
        layers.Dropout(0.5),
        layers.Flatten(),
        layers.Dense(5, activation="softmax"),
    ])
    norm = model.layers[1]
    rng = _rng(1)
    norm.moving_mean.assign(rng.normal(size=4).astype("float32"))
    norm.moving_variance.assign(rng.uniform(0.5, 2.0, size=4).astype("float32"))
    return model, [rng.normal(size=(BATCH, 8, 8, 3)).astype("float32")]


def recurrent():
    """Masked Embedding -> Bidirectional(LSTM) -> GRU (sequences) -> SimpleRNN (backwards) -> Dense."""
    model = layered.Sequential([
        layered.Input(shape=(7,), dtype="int32"),
        layers.Embedding(12, 4, mask_zero=True),
        layers.Bidirectional(layers.LSTM(5, return_sequences=True)),
        layers.GRU(4, return_sequences=True),
        layers.SimpleRNN(3, go_backwards=True),
        layers.Dense(2),
    ])
    tokens = _rng(2).integers(1, 12, size=(BATCH, 7)).astype("int32")
    tokens[::2, 5:] = 0  # padded tails: masked steps keep their states
    return model, [tokens]


def two_in_two_out():
    """A functional model with two named inputs and two named outputs."""
    a = layered.Input(shape=(4,), name="features")
    b = layered.Input(shape=(3, 2), name="extra")
    h = layers.Concatenate()([layers.Dense(6, activation="gelu")(a), layers.Flatten()(b)])
    probs = layers.Dense(3, activation="softmax", name="probs")(h)
    value = layers.Dense(1, name="value")(layers.Dense(4, activation="tanh")(h))
    model = layered.Model([a, b], [probs, value])
    rng = _rng(3)
    return model, [rng.normal(size=(BATCH, 4)).astype("float32"), rng.normal(size=(BATCH, 3, 2)).astype("float32")]


def attention():
    """Embedding -> causal MultiHeadAttention + residual -> LayerNormalization -> pooling -> Dense."""
    tokens = layered.Input(shape=(6,), dtype="int32", name="tokens")
    x = layers.Embedding(20, 8)(tokens)
    attended = layers.MultiHeadAttention(num_heads=2, key_dim=4)(x, x, use_causal_mask=True)
    x = layers.LayerNormalization()(layers.Add()([x, attended]))
    outputs = layers.Dense(3)(layers.GlobalAveragePooling1D()(x))
    return layered.Model(tokens, outputs), [_rng(4).integers(0, 20, size=(BATCH, 6)).astype("int32")]


class _TwoHeads(layered.Model):
    def __init__(self):
        super().__init__()
        self.hidden = layers.Dense(8, activation="relu")
        self.drop = layers.Dropout(0.5)
        self.head = layers.Dense(2)

    def call(self, inputs, training=None):
        return self.head(self.drop(self.hidden(inputs), training=training))


def subclassed():
    """A subclassed model (built by predict on data)."""
    model = _TwoHeads()
    return model, [_rng(5).normal(size=(BATCH, 5)).astype("float32")]


def conv_transpose():
    """Conv1D with dilation, Conv2DTranspose ('same', stride 2), UpSampling-free decoder."""
    model = layered.Sequential([
        layered.Input(shape=(5, 5, 2)),
        layers.Conv2DTranspose(3, 3, strides=2, padding="same"),
        layers.Conv2DTranspose(2, 2, strides=1, padding="valid"),
        layers.Reshape((-1, 2)),
        layers.Conv1D(3, 3, dilation_rate=2, padding="causal"),
        layers.GlobalMaxPooling1D(),
    ])
    return model, [_rng(6).normal(size=(BATCH, 5, 5, 2)).astype("float32")]


MODELS = {"cnn": cnn, "recurrent": recurrent, "two_in_two_out": two_in_two_out, "attention": attention,
          "subclassed": subclassed, "conv_transpose": conv_transpose}


def build(name):
    """(model, inputs) for `name`, predicted once."""
    layered.utils.set_random_seed(0)
    model, inputs = MODELS[name]()
    model.predict(feed(inputs), verbose=0)
    return model, inputs


def feed(inputs, n=None):
    """The first `n` samples of each input, as `predict` takes them (an array for one input)."""
    sliced = [x[:n] for x in inputs]
    return sliced[0] if len(sliced) == 1 else sliced


def as_list(outputs):
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
