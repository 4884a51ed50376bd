"""Losses against NumPy formulas, on every backend; reductions and sample weights."""
import numpy as np
import pytest

import layered
from layered import losses

rng = np.random.default_rng(0)
logits = rng.normal(size=(6, 4))
probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
labels = rng.integers(0, 4, 6)
onehot = np.eye(4)[labels]
y_true, y_pred = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
binary = rng.integers(0, 2, (6, 4)).astype(float)
sig = 1 / (1 + np.exp(-logits))
eps = 1e-7


def bce(t, p):
    p = np.clip(p, eps, 1 - eps)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p))


def unit(v):
    return v / np.sqrt(np.maximum((v**2).sum(-1, keepdims=True), 1e-12))


err = np.abs(y_pred - y_true)
CASES = {  # name: (function, kwargs, y_true, y_pred, expected per-sample values)
    "mse": (losses.mean_squared_error, {}, y_true, y_pred, ((y_pred - y_true) ** 2).mean(-1)),
    "mae": (losses.mean_absolute_error, {}, y_true, y_pred, err.mean(-1)),
    "msle": (losses.mean_squared_logarithmic_error, {}, np.abs(y_true), np.abs(y_pred),
             ((np.log1p(np.abs(y_pred)) - np.log1p(np.abs(y_true))) ** 2).mean(-1)),
    "bce": (losses.binary_crossentropy, {}, binary, sig, bce(binary, sig).mean(-1)),
    "bce_logits": (losses.binary_crossentropy, {"from_logits": True}, binary, logits, bce(binary, sig).mean(-1)),
    "bce_smooth": (losses.binary_crossentropy, {"label_smoothing": 0.2}, binary, sig,
                   bce(binary * 0.8 + 0.1, sig).mean(-1)),
    "cce": (losses.categorical_crossentropy, {}, onehot, probs, -np.log(probs[np.arange(6), labels])),
    "cce_logits": (losses.categorical_crossentropy, {"from_logits": True}, onehot, logits,
                   -np.log(probs[np.arange(6), labels])),
    "cce_smooth": (losses.categorical_crossentropy, {"label_smoothing": 0.1}, onehot, probs,
                   -((onehot * 0.9 + 0.025) * np.log(probs)).sum(-1)),
    "scce": (losses.sparse_categorical_crossentropy, {}, labels, probs, -np.log(probs[np.arange(6), labels])),
    "scce_logits_2d_labels": (losses.sparse_categorical_crossentropy, {"from_logits": True}, labels[:, None],
                              logits, -np.log(probs[np.arange(6), labels])),
    "huber": (losses.huber, {"delta": 0.5}, y_true, y_pred,
              np.where(err <= 0.5, 0.5 * err**2, 0.5 * err - 0.125).mean(-1)),
    "hinge_binary": (losses.hinge, {}, binary, y_pred, np.maximum(1 - (2 * binary - 1) * y_pred, 0).mean(-1)),
    "hinge_signed": (losses.hinge, {}, np.sign(y_true), y_pred, np.maximum(1 - np.sign(y_true) * y_pred, 0).mean(-1)),
    "kld": (losses.kl_divergence, {}, probs[::-1], probs,
            (probs[::-1] * np.log(probs[::-1] / probs)).sum(-1)),
    "cosine": (losses.cosine_similarity, {}, y_true, y_pred, -(unit(y_true) * unit(y_pred)).sum(-1)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_loss_function(case, backend):
    fn, kwargs, t, p, expected = CASES[case]
    tp = layered.placeholder((None,) + t.shape[1:], "int32" if t.dtype.kind == "i" else "float32")
    pp = layered.placeholder((None,) + p.shape[1:])
    got = layered.function([tp, pp], fn(tp, pp, **kwargs))(t.astype(tp.dtype), p.astype(np.float32))
    np.testing.assert_allclose(got, expected, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none"])
def test_reductions_with_sample_weights(reduction, backend):
    weights = rng.uniform(0, 2, 6)
    per_sample = ((y_pred - y_true) ** 2).mean(-1) * weights
    expected = {"sum_over_batch_size": per_sample.sum() / 6, "sum": per_sample.sum(),
                "mean": per_sample.sum() / 6, "mean_with_sample_weight": per_sample.sum() / weights.sum(),
                "none": per_sample}[reduction]
    t, p, w = layered.placeholder((None, 4)), layered.placeholder((None, 4)), layered.placeholder((None,))
    value = losses.MeanSquaredError(reduction=reduction)(t, p, sample_weight=w)
    got = layered.function([t, p, w], value)(*(a.astype(np.float32) for a in (y_true, y_pred, weights)))
    np.testing.assert_allclose(got, expected, rtol=2e-5)


def test_classes_strings_and_errors():
    assert losses.get("mse") is losses.mean_squared_error
    assert isinstance(losses.get(losses.Huber), losses.Huber)
    assert losses.CategoricalCrossentropy(from_logits=True).get_config()["from_logits"] is True
    with pytest.raises(ValueError, match=r"unknown loss 'mean_squared_eror'.*Did you mean 'mean_squared_error'"):
        losses.get("mean_squared_eror")
    with pytest.raises(ValueError, match="unknown reduction"):
        losses.MeanSquaredError(reduction="average")
    with pytest.raises(TypeError, match="unexpected arguments"):
        losses.Huber(from_logits=True)


def test_loss_classes_take_keras_positional_arguments_and_names():
    assert losses.BinaryCrossentropy(True).kwargs["from_logits"] is True
    assert losses.CategoricalCrossentropy(False, 0.1).kwargs["label_smoothing"] == 0.1
    assert losses.Huber(2.0).kwargs["delta"] == 2.0 and losses.Huber().name == "huber_loss"
    assert losses.CosineSimilarity(0).kwargs["axis"] == 0
    assert losses.SparseCategoricalCrossentropy(True, None, "sum").reduction == "sum"
    assert losses.MeanSquaredError().name == "mean_squared_error"
    with pytest.raises(TypeError, match="unexpected arguments \\['delta'\\]"):
        losses.MeanSquaredError(delta=1.0)
    with pytest.raises(NotImplementedError, match="ignore_class"):
        losses.SparseCategoricalCrossentropy(ignore_class=0)

    class MyLoss(losses.Loss):
        def call(self, y_true, y_pred):
            return layered.ops.mean(layered.ops.abs(y_true - y_pred), axis=-1)

    assert MyLoss().name == "my_loss"


@pytest.mark.parametrize("name", ["mse", "mae", "binary_crossentropy", "hinge", "huber", "cosine_similarity"])
def test_labels_of_rank_one_meet_predictions_of_shape_n_by_1(name, backend):
    """(n,) labels against (n, 1) outputs are aligned, never broadcast to (n, n)."""
    labels = (rng.random(5) > 0.5).astype(np.float32)
    preds = rng.uniform(0.1, 0.9, (5, 1)).astype(np.float32)
    t, p = layered.placeholder((None,)), layered.placeholder((None, 1))
    fn = losses.get(name)
    got = layered.function([t, p], fn(t, p))(labels, preds)
    t2 = layered.placeholder((None, 1))
    reference = layered.function([t2, p], fn(t2, p))(labels[:, None], preds)
    assert got.shape == (5,)
    np.testing.assert_allclose(got, reference, rtol=1e-6)
