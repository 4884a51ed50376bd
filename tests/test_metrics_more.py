"""The regression, correlation, R2, F-score, IoU and rate-at-constraint metrics against NumPy formulas:
streaming over batches with sample weights on every backend, inside a compiled step, in fit,
names, configs and errors."""
import numpy as np
import pytest

import layered
from layered import losses, metrics
from layered.training.function import Function

EPS = 1e-7
C = 4


def _regression(rng, n):
    return rng.normal(size=(n, 3)), rng.normal(size=(n, 3))


def _multilabel(rng, n):
    return rng.integers(0, 2, (n, C)).astype(float), rng.uniform(size=(n, C))


def _scores(rng, n):
    labels = rng.integers(0, 2, n).astype(float)
    return labels, np.clip(0.3 * labels + rng.uniform(0, 0.7, n), 0, 1)


def _class_ids(rng, n):
    return rng.integers(0, C, (n, 3)), rng.integers(-1, C + 1, (n, 3))  # some predictions out of range


def _one_hot(rng, n):
    z = rng.normal(size=(n, C))
    return np.eye(C)[rng.integers(0, C, n)], np.exp(z) / np.exp(z).sum(1, keepdims=True)


def _batches(data, seed, weight_shape=None):
    """Three batches of sizes 8, 5, 8; the first and last weighted, the middle one not."""
    rng = np.random.default_rng(seed)
    out = []
    for i, n in enumerate((8, 5, 8)):
        t, p = data(rng, n)
        w = None if i == 1 else rng.uniform(0.0, 2.0, n if weight_shape is None else t.shape)
        out.append((t, p, w))
    return out


def _weighted_mean(values, w):
    return (values * w).sum() / w.sum()


def _pearson(t, p):
    t, p = t - t.mean(-1, keepdims=True), p - p.mean(-1, keepdims=True)
    return (t / t.std(-1, keepdims=True) * p / p.std(-1, keepdims=True)).mean(-1)


def _concordance(t, p):
    tm, pm = t.mean(-1, keepdims=True), p.mean(-1, keepdims=True)
    norm = t.var(-1, keepdims=True) + p.var(-1, keepdims=True) + (tm - pm) ** 2
    return (2 * (t - pm) * (p - pm) / (norm + EPS)).mean(-1)


def _r2(t, p, w, aggregation="uniform_average", regressors=0):
    w = np.broadcast_to(w[:, None], t.shape)
    mean = (w * t).sum(0) / w.sum(0)
    total = (w * (t - mean) ** 2).sum(0)
    scores = 1 - (w * (t - p) ** 2).sum(0) / total
    score = {"uniform_average": scores.mean(), "variance_weighted_average": (total * scores).sum() / total.sum(),
             None: scores}[aggregation]
    n = t.size
    return 1 - (1 - score) * (n - 1) / (n - regressors - 1) if regressors else score


def _fbeta(t, p, w, average=None, beta=1.0, threshold=None):
    if threshold is None:
        positive = (p >= p.max(-1, keepdims=True)) & (np.abs(p) > 1e-9)
    else:
        positive = p > threshold
    positive, w = positive.astype(float), w[:, None]
    axis = None if average == "micro" else 0
    tp, fp = (w * positive * t).sum(axis), (w * positive * (1 - t)).sum(axis)
    fn, support = (w * (1 - positive) * t).sum(axis), (w * t).sum(axis)
    precision, recall = tp / (tp + fp + EPS), tp / (tp + fn + EPS)
    score = (1 + beta**2) * precision * recall / (beta**2 * precision + recall + EPS)
    if average == "weighted":
        return (score * support / (support.sum() + EPS)).sum()
    return score.mean() if average == "macro" else score


def _iou(t, p, w, num_classes, targets, ignore=None, truncate=True):
    w = np.broadcast_to(w.reshape(w.shape + (1,) * (t.ndim - w.ndim)), t.shape)
    t, p, w = t.ravel(), p.ravel(), w.ravel()
    w = np.trunc(w) if truncate else w  # the default int32 state truncates the weights, as in Keras
    keep = (t >= 0) & (t < num_classes) & (p >= 0) & (p < num_classes)
    if ignore is not None:
        keep &= t != ignore
    cm = np.zeros((num_classes, num_classes))
    np.add.at(cm, (t[keep], p[keep]), w[keep])
    tp = np.diag(cm)
    union = cm.sum(0) + cm.sum(1) - tp
    tp, union = tp[targets], union[targets]
    valid = union > 1e-9
    return np.where(valid, tp / (union + EPS), 0).sum() / (valid.sum() + EPS)


def _rates(t, p, w, thresholds):
    pos, label = p[None, :] > np.asarray(thresholds, np.float32)[:, None], (t != 0)[None, :]
    tp, fp = (w * (pos & label)).sum(1), (w * (pos & ~label)).sum(1)
    tn, fn = (w * (~pos & ~label)).sum(1), (w * (~pos & label)).sum(1)

    def ratio(a, b):
        return np.divide(a, b, out=np.zeros_like(a), where=b != 0)

    return {"sensitivity": ratio(tp, tp + fn), "recall": ratio(tp, tp + fn), "specificity": ratio(tn, tn + fp),
            "precision": ratio(tp, tp + fp)}


def _at(constrained, maximised, value, num_thresholds=200):
    thresholds = [0.0] + [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)] + [1.0]

    def reference(t, p, w):
        rates = _rates(t, p, w, thresholds)
        return np.max(np.where(rates[constrained] >= value, rates[maximised], 0.0), initial=0.0)
    return reference


def _mean_of(per_sample):
    return lambda t, p, w: _weighted_mean(per_sample(t, p), w)


# name: (metric factory, data, reference(y_true, y_pred, weights) on the joined batches, weight shape)
CASES = {
    "mape": (metrics.MeanAbsolutePercentageError, _regression,
             _mean_of(lambda t, p: 100 * (np.abs(t - p) / np.maximum(np.abs(t), EPS)).mean(-1)), None),
    "logcosh": (metrics.LogCoshError, _regression, _mean_of(lambda t, p: np.log(np.cosh(p - t)).mean(-1)), None),
    "poisson": (metrics.Poisson, lambda r, n: (np.abs(r.normal(size=(n, 3))), r.uniform(0.1, 2, (n, 3))),
                _mean_of(lambda t, p: (p - t * np.log(p + EPS)).mean(-1)), None),
    "squared_hinge": (metrics.SquaredHinge, _multilabel,
                      _mean_of(lambda t, p: (np.maximum(1 - (2 * t - 1) * p, 0) ** 2).mean(-1)), None),
    "categorical_hinge": (metrics.CategoricalHinge, _one_hot,
                          _mean_of(lambda t, p: np.maximum(((1 - t) * p).max(-1) - (t * p).sum(-1) + 1, 0)), None),
    "pearson": (metrics.PearsonCorrelation, _regression, _mean_of(_pearson), None),
    "concordance": (metrics.ConcordanceCorrelation, _regression, _mean_of(_concordance), None),
    "r2": (metrics.R2Score, _regression, _r2, None),
    "r2_variance_weighted_adjusted": (
        lambda: metrics.R2Score("variance_weighted_average", num_regressors=2), _regression,
        lambda t, p, w: _r2(t, p, w, "variance_weighted_average", 2), None),
    "r2_per_column": (lambda: metrics.R2Score(class_aggregation=None), _regression,
                      lambda t, p, w: _r2(t, p, w, None), None),
    "f1_top": (metrics.F1Score, _multilabel, _fbeta, None),
    "f1_micro": (lambda: metrics.F1Score("micro", 0.5), _multilabel,
                 lambda t, p, w: _fbeta(t, p, w, "micro", threshold=0.5), None),
    "f1_macro": (lambda: metrics.F1Score(average="macro"), _one_hot, lambda t, p, w: _fbeta(t, p, w, "macro"), None),
    "fbeta_weighted": (lambda: metrics.FBetaScore("weighted", 2.0, 0.3), _multilabel,
                       lambda t, p, w: _fbeta(t, p, w, "weighted", 2.0, 0.3), None),
    "iou": (lambda: metrics.IoU(C, [0, 2]), _class_ids, lambda t, p, w: _iou(t, p, w, C, [0, 2]), "full"),
    "mean_iou_ignore": (lambda: metrics.MeanIoU(C, ignore_class=1), _class_ids,
                        lambda t, p, w: _iou(t, p, w, C, list(range(C)), ignore=1), "full"),
    "mean_iou_float": (lambda: metrics.MeanIoU(C, dtype="float32"), _class_ids,
                       lambda t, p, w: _iou(t, p, w, C, list(range(C)), truncate=False), "full"),
    "binary_iou": (lambda: metrics.BinaryIoU([1], threshold=0.4), _scores,
                   lambda t, p, w: _iou(t.astype(int), (p >= 0.4).astype(int), w, 2, [1]), None),
    "one_hot_iou": (lambda: metrics.OneHotIoU(C, [1, 3]), _one_hot,
                    lambda t, p, w: _iou(t.argmax(-1), p.argmax(-1), w, C, [1, 3]), None),
    "one_hot_mean_iou": (lambda: metrics.OneHotMeanIoU(C), _one_hot,
                         lambda t, p, w: _iou(t.argmax(-1), p.argmax(-1), w, C, list(range(C))), None),
    "sensitivity_at_specificity": (lambda: metrics.SensitivityAtSpecificity(0.6), _scores,
                                   _at("specificity", "sensitivity", 0.6), None),
    "specificity_at_sensitivity": (lambda: metrics.SpecificityAtSensitivity(0.7, num_thresholds=50), _scores,
                                   _at("sensitivity", "specificity", 0.7, 50), None),
    "precision_at_recall": (lambda: metrics.PrecisionAtRecall(0.5), _scores, _at("recall", "precision", 0.5), None),
    "recall_at_precision": (lambda: metrics.RecallAtPrecision(0.7, num_thresholds=20), _scores,
                            _at("precision", "recall", 0.7, 20), None),
}


def _expected(reference, batches):
    """The reference on the batches joined into one; missing weights count as ones."""
    full = any(w is not None and w.ndim > 1 for _, _, w in batches)
    t, p = np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches])
    w = np.concatenate([(np.ones(b[0].shape if full else len(b[0])) if b[2] is None else b[2]) for b in batches])
    return reference(t, p, w)


@pytest.mark.parametrize("case", sorted(CASES))
def test_streaming_over_batches_with_weights(case, backend):
    factory, data, reference, weight_shape = CASES[case]
    batches = _batches(data, len(case), weight_shape)
    m = factory()
    for t, p, w in batches:
        m.update_state(t, p, sample_weight=w)
    np.testing.assert_allclose(m.result(), _expected(reference, batches), rtol=2e-5, atol=2e-6)
    m.reset_state()
    m.update_state(*batches[1][:2])
    np.testing.assert_allclose(m.result(), _expected(reference, batches[1:2]), rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("case", ["r2", "f1_macro", "mean_iou_ignore", "precision_at_recall", "pearson"])
def test_updates_in_a_compiled_step(case):
    """update_graph's pairs compiled once, run over batches of two sizes, as the fit loop does."""
    factory, data, reference, weight_shape = CASES[case]
    batches = _batches(data, 7, weight_shape)
    batches = [(t, p, np.ones(t.shape if weight_shape else len(t)) if w is None else w) for t, p, w in batches]
    m = factory()
    placeholders = [layered.placeholder((None,) + np.shape(a)[1:], "int32" if np.asarray(a).dtype.kind == "i"
                                        else "float32") for a in batches[0]]
    step = Function(placeholders, [], m.update_graph(*placeholders[:2], placeholders[2]))
    for batch in batches:
        step(*[np.asarray(a).astype(ph.dtype) for a, ph in zip(batch, placeholders)])
    np.testing.assert_allclose(m.result(), _expected(reference, batches), rtol=2e-5, atol=2e-6)


def test_fit_logs_the_new_metrics_under_keras_names():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(24, 5)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 24)]
    model = layered.Sequential([layered.Input((5,)), layered.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_focal_crossentropy",
                  metrics=["f1_score", metrics.OneHotMeanIoU(3), "categorical_hinge", metrics.PrecisionAtRecall(0.5),
                           "mape", "log_cosh_error", "r2_score"])
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert list(history.history) == ["loss", "f1_score", "one_hot_mean_io_u", "categorical_hinge",
                                     "precision_at_recall", "mape", "log_cosh_error", "r2_score"]
    result = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    probabilities = model.predict(x, verbose=0)
    np.testing.assert_allclose(result["one_hot_mean_io_u"],
                               _iou(y.argmax(-1), probabilities.argmax(-1), np.ones(24), 3, [0, 1, 2]), rtol=1e-5)
    np.testing.assert_allclose(result["f1_score"], _fbeta(y, probabilities, np.ones(24)), rtol=1e-5)


# ---------------------------------------------------------------- names, functions, configs, errors

CONFIGS = {  # factory: (Keras default name, Keras config keys)
    metrics.MeanAbsolutePercentageError: ("mean_absolute_percentage_error", {"name", "dtype"}),
    metrics.LogCoshError: ("logcosh", {"name", "dtype"}),
    metrics.Poisson: ("poisson", {"name", "dtype"}),
    metrics.SquaredHinge: ("squared_hinge", {"name", "dtype"}),
    metrics.CategoricalHinge: ("categorical_hinge", {"name", "dtype"}),
    metrics.PearsonCorrelation: ("pearson_correlation", {"name", "dtype", "axis"}),
    metrics.ConcordanceCorrelation: ("concordance_correlation", {"name", "dtype", "axis"}),
    metrics.R2Score: ("r2_score", {"name", "dtype", "class_aggregation", "num_regressors"}),
    metrics.F1Score: ("f1_score", {"name", "dtype", "average", "threshold"}),
    metrics.FBetaScore: ("fbeta_score", {"name", "dtype", "average", "beta", "threshold"}),
    lambda: metrics.IoU(3, [0, 1]): ("io_u", {"name", "dtype", "num_classes", "target_class_ids", "ignore_class",
                                               "sparse_y_true", "sparse_y_pred", "axis"}),
    lambda: metrics.MeanIoU(3): ("mean_io_u", {"name", "dtype", "num_classes", "ignore_class", "sparse_y_true",
                                               "sparse_y_pred", "axis"}),
    metrics.BinaryIoU: ("binary_io_u", {"name", "dtype", "target_class_ids", "threshold"}),
    lambda: metrics.OneHotIoU(3, [2]): ("one_hot_io_u", {"name", "dtype", "num_classes", "target_class_ids",
                                                         "ignore_class", "sparse_y_pred", "axis"}),
    lambda: metrics.OneHotMeanIoU(3): ("one_hot_mean_io_u", {"name", "dtype", "num_classes", "ignore_class",
                                                             "sparse_y_pred", "axis"}),
    lambda: metrics.SensitivityAtSpecificity(0.5): ("sensitivity_at_specificity",
                                                    {"name", "dtype", "class_id", "num_thresholds", "specificity"}),
    lambda: metrics.SpecificityAtSensitivity(0.5): ("specificity_at_sensitivity",
                                                    {"name", "dtype", "class_id", "num_thresholds", "sensitivity"}),
    lambda: metrics.PrecisionAtRecall(0.5): ("precision_at_recall",
                                             {"name", "dtype", "class_id", "num_thresholds", "recall"}),
    lambda: metrics.RecallAtPrecision(0.5): ("recall_at_precision",
                                             {"name", "dtype", "class_id", "num_thresholds", "precision"}),
}


@pytest.mark.parametrize("factory", list(CONFIGS), ids=lambda f: CONFIGS[f][0])
def test_names_configs_and_round_trips(factory):
    name, keys = CONFIGS[factory]
    m = factory()
    assert m.name == name
    config = m.get_config()
    assert set(config) == keys
    again = metrics.deserialize(metrics.serialize(m))
    assert type(again) is type(m) and again.get_config() == config
    assert (m.dtype == "int32") == ("io_u" in name)  # IoU state counts in int32 by default, as Keras


@pytest.mark.parametrize("name, cls", [
    ("mape", metrics.MeanAbsolutePercentageError), ("MAPE", metrics.MeanAbsolutePercentageError),
    ("mean_absolute_percentage_error", metrics.MeanAbsolutePercentageError), ("log_cosh_error", metrics.LogCoshError),
    ("poisson", metrics.Poisson), ("squared_hinge", metrics.SquaredHinge),
    ("categorical_hinge", metrics.CategoricalHinge),
    ("r2_score", metrics.R2Score), ("f1_score", metrics.F1Score), ("F1Score", metrics.F1Score),
    ("pearson_correlation", metrics.PearsonCorrelation), ("concordance_correlation", metrics.ConcordanceCorrelation),
])
def test_get_by_keras_names(name, cls):
    m = metrics.get(name)
    assert type(m) is cls and m.name == name


def test_function_forms_are_the_loss_functions():
    for name in ("binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy", "hinge",
                 "squared_hinge", "categorical_hinge", "huber", "kl_divergence", "log_cosh", "mean_absolute_error",
                 "mean_absolute_percentage_error", "mean_squared_error", "mean_squared_logarithmic_error", "poisson",
                 "binary_focal_crossentropy", "categorical_focal_crossentropy"):
        assert getattr(metrics, name) is getattr(losses, name)
    t, p = layered.placeholder((None, 3)), layered.placeholder((None, 3))
    data = _regression(np.random.default_rng(2), 5)
    got = layered.function([t, p], metrics.pearson_correlation(t, p))(*(a.astype(np.float32) for a in data))
    np.testing.assert_allclose(got, _pearson(*data), rtol=1e-5)


def test_errors():
    with pytest.raises(ValueError, match="unknown average 'mean'"):
        metrics.F1Score(average="mean")
    with pytest.raises(ValueError, match="beta must be a float > 0"):
        metrics.FBetaScore(beta=2)
    with pytest.raises(ValueError, match=r"threshold must be a float in \(0, 1\]"):
        metrics.F1Score(threshold=1.5)
    with pytest.raises(ValueError, match="unknown class_aggregation"):
        metrics.R2Score(class_aggregation="mean")
    with pytest.raises(ValueError, match="num_regressors must be >= 0"):
        metrics.R2Score(num_regressors=-1)
    with pytest.raises(ValueError, match="R2Score expects inputs of shape"):
        metrics.R2Score().update_state(np.zeros((2, 3, 1)), np.zeros((2, 3, 2)))
    with pytest.raises(ValueError, match=r"target_class_ids \[3\] must lie in \[0, 3\)"):
        metrics.IoU(3, [3])
    with pytest.raises(ValueError, match=r"specificity must lie in \[0, 1\]"):
        metrics.SensitivityAtSpecificity(1.5)
    with pytest.raises(ValueError, match="num_thresholds must be an integer > 0"):
        metrics.PrecisionAtRecall(0.5, num_thresholds=0)
    with pytest.raises(TypeError, match="num_classes"):
        metrics.get("mean_io_u")  # needs arguments, as in Keras
    with pytest.raises(ValueError, match=r"unknown metric 'log_cosh'.*Did you mean 'log_cosh_error'"):
        metrics.get("log_cosh")  # Keras accepts only 'log_cosh_error' as a metric name


def test_empty_states():
    assert metrics.F1Score().result() == 0.0
    assert np.isnan(metrics.R2Score().result())
    assert metrics.MeanIoU(3).result() == 0.0
    assert metrics.PrecisionAtRecall(0.5).result() == 0.0
