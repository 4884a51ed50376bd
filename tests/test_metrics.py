"""Metrics against NumPy formulas on every backend: eager update_state, update_graph inside a
hand-built Function, accumulation over batches, reset, sample weights, AUC, names and configs."""
import numpy as np
import pytest

import layered
from layered import metrics
from layered.graph.core import Variable
from layered.training.function import Function

N, C = 8, 4
EPS = 1e-7


def _probs(rng, n):
    z = rng.normal(size=(n, C))
    return np.exp(z) / np.exp(z).sum(1, keepdims=True)


def _onehot(rng, n):
    return np.eye(C)[rng.integers(0, C, n)]


def _in_top_k(labels, scores, k):
    target = scores[np.arange(len(labels)), labels.astype(int)]
    return ((scores > target[:, None]).sum(-1) < k).astype(float)


def _bce(t, p):
    p = np.clip(p, EPS, 1 - EPS)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p))


def _unit(v):
    return v / np.sqrt(np.maximum((v**2).sum(-1, keepdims=True), 1e-12))


def _sorted_ids(rng, n):
    return np.argsort(-rng.normal(size=(n, C)), axis=-1)


def _regression(rng, n):
    return rng.normal(size=(n, 3)), rng.normal(size=(n, 3))


# name: (factory, data(rng, n) -> (y_true, y_pred), reference per-sample values, reduce)
CASES = {
    "accuracy": (metrics.Accuracy, lambda r, n: (r.integers(0, 3, n), r.integers(0, 3, n)),
                 lambda t, p: (t == p).astype(float), "mean"),
    "binary_accuracy": (metrics.BinaryAccuracy,
                        lambda r, n: (r.integers(0, 2, (n, 1)).astype(float), r.uniform(size=(n, 1))),
                        lambda t, p: (t == (p > 0.5)).mean(-1), "mean"),
    "binary_accuracy_threshold_2d": (lambda: metrics.BinaryAccuracy(threshold=0.3),
                                     lambda r, n: (r.integers(0, 2, (n, 3)), r.uniform(size=(n, 3))),
                                     lambda t, p: (t == (p > 0.3)).mean(-1), "mean"),
    "categorical_accuracy": (metrics.CategoricalAccuracy, lambda r, n: (_onehot(r, n), _probs(r, n)),
                             lambda t, p: (t.argmax(-1) == p.argmax(-1)).astype(float), "mean"),
    "sparse_categorical_accuracy": (metrics.SparseCategoricalAccuracy,
                                    lambda r, n: (r.integers(0, C, n), _probs(r, n)),
                                    lambda t, p: (t == p.argmax(-1)).astype(float), "mean"),
    "sparse_categorical_accuracy_float_column": (
        metrics.SparseCategoricalAccuracy, lambda r, n: (r.integers(0, C, (n, 1)).astype(float), _probs(r, n)),
        lambda t, p: (t[:, 0] == p.argmax(-1)).astype(float), "mean"),
    "top_k_categorical_accuracy": (lambda: metrics.TopKCategoricalAccuracy(k=2),
                                   lambda r, n: (_onehot(r, n), _probs(r, n)),
                                   lambda t, p: _in_top_k(t.argmax(-1), p, 2), "mean"),
    "sparse_top_k_categorical_accuracy": (lambda: metrics.SparseTopKCategoricalAccuracy(k=3),
                                          lambda r, n: (r.integers(0, C, n), _probs(r, n)),
                                          lambda t, p: _in_top_k(t, p, 3), "mean"),
    "sparse_top_k_from_sorted_ids": (
        lambda: metrics.SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True),
        lambda r, n: (r.integers(0, C, (n, 1)), _sorted_ids(r, n)),
        lambda t, p: (p[:, :2] == t).any(-1).astype(float), "mean"),
    "mean_squared_error": (metrics.MeanSquaredError, _regression, lambda t, p: ((p - t) ** 2).mean(-1), "mean"),
    "mean_absolute_error": (metrics.MeanAbsoluteError, _regression, lambda t, p: np.abs(p - t).mean(-1), "mean"),
    "root_mean_squared_error": (metrics.RootMeanSquaredError, _regression,
                                lambda t, p: ((p - t) ** 2).mean(-1), "rmse"),
    "binary_crossentropy": (metrics.BinaryCrossentropy,
                            lambda r, n: (r.integers(0, 2, (n, 3)).astype(float), r.uniform(0.01, 0.99, (n, 3))),
                            lambda t, p: _bce(t, p).mean(-1), "mean"),
    "categorical_crossentropy": (metrics.CategoricalCrossentropy, lambda r, n: (_onehot(r, n), _probs(r, n)),
                                 lambda t, p: -np.log((t * p).sum(-1)), "mean"),
    "sparse_categorical_crossentropy_logits": (
        lambda: metrics.SparseCategoricalCrossentropy(from_logits=True),
        lambda r, n: (r.integers(0, C, n), r.normal(size=(n, C))),
        lambda t, z: -np.log((np.exp(z) / np.exp(z).sum(-1, keepdims=True))[np.arange(len(t)), t]), "mean"),
    "kl_divergence": (metrics.KLDivergence, lambda r, n: (_probs(r, n), _probs(r, n)),
                      lambda t, p: (t * np.log(t / p)).sum(-1), "mean"),
    "cosine_similarity": (metrics.CosineSimilarity, _regression, lambda t, p: (_unit(t) * _unit(p)).sum(-1), "mean"),
    "huber_by_name": (lambda: metrics.get("huber"), _regression,
                      lambda t, p: np.where(np.abs(p - t) <= 1, 0.5 * (p - t) ** 2, np.abs(p - t) - 0.5).mean(-1),
                      "mean"),
}


def _expected(reference, reduce, batches):
    """The weighted mean of reference per-sample values over (y_true, y_pred, weights) batches."""
    total = sum((reference(t, p) * (1.0 if w is None else w)).sum() for t, p, w in batches)
    count = sum(len(t) if w is None else w.sum() for t, p, w in batches)
    value = total / count
    return np.sqrt(value) if reduce == "rmse" else value


@pytest.mark.parametrize("case", sorted(CASES))
def test_mean_metrics_eager(case, backend):
    factory, data, reference, reduce = CASES[case]
    rng = np.random.default_rng(len(case))
    (t1, p1), (t2, p2) = data(rng, N), data(rng, N)
    w1 = rng.uniform(0.0, 2.0, N)
    m = factory()
    m.update_state(t1, p1, sample_weight=w1)
    m.update_state(t2, p2)
    result = m.result()
    assert isinstance(result, np.float32)
    np.testing.assert_allclose(result, _expected(reference, reduce, [(t1, p1, w1), (t2, p2, None)]),
                               rtol=1e-5, atol=1e-6)
    m.reset_state()
    assert m.result() == 0.0
    np.testing.assert_allclose(m(t2, p2), _expected(reference, reduce, [(t2, p2, None)]), rtol=1e-5, atol=1e-6)


def _placeholder(array):
    array = np.asarray(array)
    return layered.placeholder((None,) + array.shape[1:], "int32" if array.dtype.kind in "iu" else "float32")


def _feed(array):
    array = np.asarray(array)
    return array.astype(np.int32 if array.dtype.kind in "iu" else np.float32)


@pytest.mark.parametrize("case", sorted(CASES))
def test_mean_metrics_in_a_function(case):
    """update_graph's pairs compiled by hand, as the fit loop does, over batches of two sizes."""
    factory, data, reference, reduce = CASES[case]
    rng = np.random.default_rng(len(case) + 1)
    (t1, p1), (t2, p2) = data(rng, N), data(rng, 5)
    w1, w2 = rng.uniform(0.0, 2.0, N), rng.uniform(0.0, 2.0, 5)
    m = factory()
    t, p, w = _placeholder(t1), _placeholder(p1), layered.placeholder((None,))
    updates = m.update_graph(t, p, w)
    assert {id(v) for v, _ in updates} <= {id(v) for v in m.variables}
    step = Function([t, p, w], [], updates)
    step(_feed(t1), _feed(p1), _feed(w1))
    step(_feed(t2), _feed(p2), _feed(w2))
    np.testing.assert_allclose(m.result(), _expected(reference, reduce, [(t1, p1, w1), (t2, p2, w2)]),
                               rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- Mean and Sum

values_2d = np.random.default_rng(1).normal(size=(N, 3))
WEIGHTS = {  # name: (weights, expected mean, expected sum)
    "none": (None, values_2d.mean(), values_2d.sum()),
    "per_sample": (w := np.linspace(0.0, 2.0, N), (values_2d.mean(1) * w).sum() / w.sum(),
                   (values_2d * w[:, None]).sum()),
    "column": (w[:, None], (values_2d.mean(1) * w).sum() / w.sum(), (values_2d * w[:, None]).sum()),
    "per_element": (we := np.abs(values_2d[::-1]), (values_2d * we).mean(1).sum() / we.mean(1).sum(),
                    (values_2d * we).sum()),
    "scalar": (np.float32(3.0), values_2d.mean(), 3.0 * values_2d.sum()),
}


@pytest.mark.parametrize("weights", sorted(WEIGHTS))
def test_mean_and_sum_with_weight_shapes(weights, backend):
    w, expected_mean, expected_sum = WEIGHTS[weights]
    mean, total = metrics.Mean(), metrics.Sum()
    mean.update_state(values_2d, sample_weight=w)
    total.update_state(values_2d, sample_weight=w)
    np.testing.assert_allclose(mean.result(), expected_mean, rtol=1e-5)
    np.testing.assert_allclose(total.result(), expected_sum, rtol=1e-5)


def test_mean_of_scalars_and_variables():
    m = metrics.Mean(name="loss")
    m.update_state(2.0)
    m.update_state(4.0, sample_weight=3.0)
    assert m.result() == pytest.approx(3.5)
    assert [v.name for v in m.variables] == ["loss/total", "loss/count"]
    assert all(isinstance(v, Variable) and not v.trainable for v in m.variables)
    assert m.trainable_variables == []
    assert metrics.Mean().result() == 0.0  # nothing seen yet: 0, not NaN


# ---------------------------------------------------------------- confusion counts


def _reference_counts(y_true, y_pred, thresholds, weights=None):
    """tp, fp, tn, fn per threshold, by direct comparison, on flattened elements."""
    label = np.broadcast_to(np.asarray(y_true) != 0, y_pred.shape).ravel()
    w = np.ones(y_pred.shape) if weights is None else np.broadcast_to(
        np.reshape(weights, np.shape(weights) + (1,) * (y_pred.ndim - np.ndim(weights))), y_pred.shape)
    w, pred = w.ravel(), y_pred.ravel()
    out = {k: [] for k in ("tp", "fp", "tn", "fn")}
    for th in np.asarray(thresholds, np.float32):
        pos = pred.astype(np.float32) > th
        out["tp"].append(w[pos & label].sum())
        out["fp"].append(w[pos & ~label].sum())
        out["tn"].append(w[~pos & ~label].sum())
        out["fn"].append(w[~pos & label].sum())
    return {k: np.array(v) for k, v in out.items()}


def _ratio(a, b):
    return np.divide(a, b, out=np.zeros_like(a), where=b != 0)


rng_c = np.random.default_rng(7)
labels_c = [rng_c.integers(0, 2, (N, 3)) for _ in range(2)]
scores_c = [rng_c.uniform(size=(N, 3)) for _ in range(2)]
weights_c = rng_c.uniform(0.0, 2.0, N)
THRESHOLDS = [0.2, 0.5, 0.8]


def _two_batch_counts(thresholds, **kwargs):
    first = _reference_counts(labels_c[0], scores_c[0], thresholds, weights_c, **kwargs)
    second = _reference_counts(labels_c[1], scores_c[1], thresholds, **kwargs)
    return {k: first[k] + second[k] for k in first}


CONFUSION = {  # name: (metric factory, result from reference counts per threshold)
    "precision": (lambda th: metrics.Precision(thresholds=th), lambda c: _ratio(c["tp"], c["tp"] + c["fp"])),
    "recall": (lambda th: metrics.Recall(thresholds=th), lambda c: _ratio(c["tp"], c["tp"] + c["fn"])),
    "true_positives": (lambda th: metrics.TruePositives(thresholds=th), lambda c: c["tp"]),
    "false_positives": (lambda th: metrics.FalsePositives(thresholds=th), lambda c: c["fp"]),
    "true_negatives": (lambda th: metrics.TrueNegatives(thresholds=th), lambda c: c["tn"]),
    "false_negatives": (lambda th: metrics.FalseNegatives(thresholds=th), lambda c: c["fn"]),
}


@pytest.mark.parametrize("thresholds", [None, THRESHOLDS], ids=["default", "three"])
@pytest.mark.parametrize("case", sorted(CONFUSION))
def test_confusion_metrics(case, thresholds, backend):
    factory, formula = CONFUSION[case]
    m = factory(thresholds)
    m.update_state(labels_c[0], scores_c[0], sample_weight=weights_c)
    m.update_state(labels_c[1], scores_c[1])
    expected = formula(_two_batch_counts([0.5] if thresholds is None else thresholds))
    result = m.result()
    assert np.shape(result) == (() if thresholds is None else (3,))
    np.testing.assert_allclose(result, expected[0] if thresholds is None else expected, rtol=1e-5)
    m.reset_state()
    assert np.all(m.result() == 0.0)


def test_precision_recall_class_id(backend):
    p, r = metrics.Precision(class_id=1), metrics.Recall(thresholds=THRESHOLDS, class_id=2)
    for m in (p, r):
        m.update_state(labels_c[0], scores_c[0], sample_weight=weights_c)
    cp = _reference_counts(labels_c[0][:, 1], scores_c[0][:, 1], [0.5], weights_c)
    cr = _reference_counts(labels_c[0][:, 2], scores_c[0][:, 2], THRESHOLDS, weights_c)
    np.testing.assert_allclose(p.result(), _ratio(cp["tp"], cp["tp"] + cp["fp"])[0], rtol=1e-5)
    np.testing.assert_allclose(r.result(), _ratio(cr["tp"], cr["tp"] + cr["fn"]), rtol=1e-5)


def test_precision_recall_top_k(backend):
    scores = np.array([[0.5, 0.5, 0.5, 0.1], [0.1, 0.9, 0.3, 0.8], [0.2, 0.1, 0.7, 0.6]])
    labels = np.array([[0, 1, 1, 0], [0, 1, 0, 1], [1, 0, 0, 1]])
    # Top 2 by score, ties to the lower index: {0, 1}, {1, 3}, {2, 3}.
    kept = np.zeros_like(labels, bool)
    kept[[0, 0, 1, 1, 2, 2], [0, 1, 1, 3, 2, 3]] = True
    tp = (kept & (labels == 1)).sum()
    p, r = metrics.Precision(top_k=2), metrics.Recall(top_k=2, thresholds=[0.5, 0.75])
    p.update_state(labels, scores)
    r.update_state(labels, scores)
    assert p.result() == pytest.approx(tp / kept.sum())
    tp_hi = (kept & (labels == 1) & (scores > 0.75)).sum()
    tp_mid = (kept & (labels == 1) & (scores > 0.5)).sum()
    np.testing.assert_allclose(r.result(), [tp_mid / labels.sum(), tp_hi / labels.sum()], rtol=1e-6)


def test_top_k_accuracy_ties_count_as_in():
    scores = np.array([[0.4, 0.4, 0.4, 0.1], [0.1, 0.2, 0.3, 0.4]])
    m = metrics.SparseTopKCategoricalAccuracy(k=1)
    m.update_state([2, 2], scores)  # sample 0: no class scores above 0.4, so class 2 is in the top 1
    assert m.result() == pytest.approx(0.5)


def test_thresholds_are_checked():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        metrics.Precision(thresholds=[0.5, 1.5])
    with pytest.raises(ValueError, match="class axis"):
        metrics.Recall(class_id=0).update_state([1, 0], [0.3, 0.6])


# ---------------------------------------------------------------- AUC


def _auc_thresholds(num):
    return np.array([-EPS] + [(i + 1) / (num - 1) for i in range(num - 2)] + [1 + EPS])


def _roc_reference(c, summation):
    tpr, fpr = _ratio(c["tp"], c["tp"] + c["fn"]), _ratio(c["fp"], c["fp"] + c["tn"])
    if summation == "interpolation":
        return np.trapezoid(tpr[::-1], fpr[::-1])
    pick = np.minimum if summation == "minoring" else np.maximum
    return sum((fpr[i] - fpr[i + 1]) * pick(tpr[i], tpr[i + 1]) for i in range(len(tpr) - 1))


def _pr_reference(c, summation):
    recall, precision = _ratio(c["tp"], c["tp"] + c["fn"]), _ratio(c["tp"], c["tp"] + c["fp"])
    if summation != "interpolation":
        pick = np.minimum if summation == "minoring" else np.maximum
        return sum((recall[i] - recall[i + 1]) * pick(precision[i], precision[i + 1])
                   for i in range(len(recall) - 1))
    # Davis & Goadrich: between neighbouring thresholds tp grows linearly with the predicted
    # positives P; integrate precision = tp / P over recall = tp / positives numerically.
    area, positives = 0.0, c["tp"][0] + c["fn"][0]
    predicted = c["tp"] + c["fp"]
    for i in range(len(predicted) - 1):
        lo, hi = predicted[i + 1], predicted[i]
        if hi <= lo:
            continue
        slope = (c["tp"][i] - c["tp"][i + 1]) / (hi - lo)
        grid = np.linspace(lo, hi, 2001)[1:] if lo == 0 else np.linspace(lo, hi, 2001)
        tp = c["tp"][i + 1] + slope * (grid - lo)
        area += np.trapezoid(tp / grid, tp / positives)
    return area


auc_rng = np.random.default_rng(3)
auc_labels = [auc_rng.integers(0, 2, 40) for _ in range(2)]
auc_scores = [np.clip(0.3 * l + auc_rng.uniform(0, 0.7, 40), 0, 1) for l in auc_labels]
auc_weights = auc_rng.uniform(0.0, 2.0, 40)


@pytest.mark.parametrize("summation", ["interpolation", "minoring", "majoring"])
@pytest.mark.parametrize("curve", ["ROC", "PR"])
def test_auc_against_reference(curve, summation, backend):
    m = metrics.AUC(num_thresholds=50, curve=curve, summation_method=summation)
    m.update_state(auc_labels[0], auc_scores[0], sample_weight=auc_weights)
    m.update_state(auc_labels[1], auc_scores[1])
    th = _auc_thresholds(50)
    first = _reference_counts(auc_labels[0], auc_scores[0], th, auc_weights)
    second = _reference_counts(auc_labels[1], auc_scores[1], th)
    counts = {k: first[k] + second[k] for k in first}
    for key, attr in (("tp", "true_positives"), ("fp", "false_positives"),
                      ("tn", "true_negatives"), ("fn", "false_negatives")):
        np.testing.assert_allclose(getattr(m, attr).numpy(), counts[key], rtol=1e-5)
    reference = (_roc_reference if curve == "ROC" else _pr_reference)(counts, summation)
    np.testing.assert_allclose(m.result(), reference, rtol=1e-4)
    m.reset_state()
    assert m.result() == 0.0


def _rank_auc(labels, scores):
    """The exact ROC AUC: P(score of a positive > score of a negative), ties counting half."""
    pos, neg = scores[labels == 1], scores[labels == 0]
    return ((pos[:, None] > neg).sum() + 0.5 * (pos[:, None] == neg).sum()) / (len(pos) * len(neg))


def _average_precision(labels, scores):
    order = np.argsort(-scores, kind="stable")
    hits = labels[order] == 1
    return (np.cumsum(hits) / np.arange(1, len(hits) + 1))[hits].mean()


def test_auc_close_to_exact_areas_with_many_thresholds():
    rng = np.random.default_rng(11)
    labels = rng.integers(0, 2, 1000)
    scores = 1 / (1 + np.exp(-(labels - 0.5 + rng.normal(size=1000))))
    roc, pr = metrics.AUC(num_thresholds=1000), metrics.AUC(num_thresholds=1000, curve="PR")
    roc.update_state(labels, scores)
    pr.update_state(labels, scores)
    assert abs(roc.result() - _rank_auc(labels, scores)) < 1e-2
    assert abs(pr.result() - _average_precision(labels, scores)) < 2e-2


def test_auc_from_logits_multi_label_and_label_weights(backend):
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 2, (30, 3))
    logits = 2 * labels - 1 + rng.normal(size=(30, 3))
    probs = 1 / (1 + np.exp(-logits))
    th = _auc_thresholds(200)
    per_label = [_roc_reference(_reference_counts(labels[:, j], probs[:, j], th), "interpolation")
                 for j in range(3)]

    m = metrics.AUC(multi_label=True, from_logits=True)
    m.update_state(labels, logits)
    assert m.true_positives.shape == (200, 3) and m.num_labels == 3
    np.testing.assert_allclose(m.result(), np.mean(per_label), rtol=1e-4)

    lw = np.array([1.0, 2.0, 0.5])
    weighted = metrics.AUC(multi_label=True, num_labels=3, label_weights=lw)
    weighted.update_state(labels, probs)
    np.testing.assert_allclose(weighted.result(), (np.array(per_label) * lw).sum() / lw.sum(), rtol=1e-4)

    flat = metrics.AUC(label_weights=lw)  # weighs each label's elements in one pooled curve
    flat.update_state(labels, probs)
    counts = _reference_counts(labels, probs, th, np.broadcast_to(lw, labels.shape))
    np.testing.assert_allclose(flat.result(), _roc_reference(counts, "interpolation"), rtol=1e-4)


def test_auc_explicit_thresholds_and_errors():
    m = metrics.AUC(thresholds=[0.25, 0.5, 0.75])
    assert m.num_thresholds == 5
    np.testing.assert_allclose(m.thresholds, [-EPS, 0.25, 0.5, 0.75, 1 + EPS])
    m.update_state([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9])
    assert m.result() == pytest.approx(0.75)
    assert m.get_config()["thresholds"] == [0.25, 0.5, 0.75]
    with pytest.raises(ValueError, match="curve"):
        metrics.AUC(curve="PRGAIN2")
    with pytest.raises(ValueError, match="summation_method"):
        metrics.AUC(summation_method="trapezoid")
    with pytest.raises(ValueError, match="at least 2"):
        metrics.AUC(num_thresholds=1)


def test_confusion_metrics_in_a_function(backend):
    """Precision and AUC updates compiled into one hand-built step, as the fit loop does."""
    precision, auc = metrics.Precision(thresholds=THRESHOLDS), metrics.AUC(num_thresholds=20)
    t, p, w = layered.placeholder((None, 3)), layered.placeholder((None, 3)), layered.placeholder((None,))
    step = Function([t, p, w], [], precision.update_graph(t, p, w) + auc.update_graph(t, p, w))
    ones = np.ones(N, np.float32)
    step(labels_c[0].astype(np.float32), scores_c[0].astype(np.float32), weights_c.astype(np.float32))
    step(labels_c[1].astype(np.float32), scores_c[1].astype(np.float32), ones)
    counts = _two_batch_counts(THRESHOLDS)
    np.testing.assert_allclose(precision.result(), _ratio(counts["tp"], counts["tp"] + counts["fp"]), rtol=1e-5)
    auc_counts = _two_batch_counts(_auc_thresholds(20))
    np.testing.assert_allclose(auc.result(), _roc_reference(auc_counts, "interpolation"), rtol=1e-4)


# ---------------------------------------------------------------- names, get, configs


@pytest.mark.parametrize("name, cls", [
    ("binary_accuracy", metrics.BinaryAccuracy), ("categorical_accuracy", metrics.CategoricalAccuracy),
    ("sparse_categorical_accuracy", metrics.SparseCategoricalAccuracy),
    ("top_k_categorical_accuracy", metrics.TopKCategoricalAccuracy),
    ("sparse_top_k_categorical_accuracy", metrics.SparseTopKCategoricalAccuracy),
    ("mse", metrics.MeanSquaredError), ("mean_absolute_error", metrics.MeanAbsoluteError),
    ("auc", metrics.AUC), ("precision", metrics.Precision), ("recall", metrics.Recall),
    ("accuracy", metrics.Accuracy), ("acc", metrics.Accuracy),
    ("binary_crossentropy", metrics.BinaryCrossentropy), ("kl_divergence", metrics.KLDivergence),
    ("sparse_categorical_crossentropy", metrics.SparseCategoricalCrossentropy),
    ("huber", metrics.MeanMetricWrapper),
])
def test_get_by_name(name, cls):
    m = metrics.get(name)
    assert isinstance(m, cls) and m.name == name
    assert metrics.get(name) is not m  # a new object each time


def test_get_objects_classes_functions_and_unknown_names():
    m = metrics.AUC(curve="PR")
    assert metrics.get(m) is m
    assert isinstance(metrics.get(metrics.Recall), metrics.Recall)
    assert metrics.get("AUC").name == "AUC"  # Keras logs the string as given
    assert metrics.get(None) is None

    def doubled_error(y_true, y_pred):
        return 2.0 * layered.ops.abs(y_pred - y_true)

    wrapped = metrics.get(doubled_error)
    assert isinstance(wrapped, metrics.MeanMetricWrapper) and wrapped.name == "doubled_error"
    assert wrapped([1.0, 2.0], [2.0, 2.0]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match=r"unknown metric 'precison'.*Valid names:.*auc.*Did you mean 'precision'"):
        metrics.get("precison")
    with pytest.raises(ValueError, match="cannot interpret"):
        metrics.get(3)


CONFIG_KEYS = {
    metrics.Mean: {"name", "dtype"},
    metrics.BinaryAccuracy: {"name", "dtype", "threshold"},
    metrics.CategoricalAccuracy: {"name", "dtype"},
    metrics.TopKCategoricalAccuracy: {"name", "dtype", "k"},
    metrics.SparseTopKCategoricalAccuracy: {"name", "dtype", "k", "from_sorted_ids"},
    metrics.MeanSquaredError: {"name", "dtype"},
    metrics.CategoricalCrossentropy: {"name", "dtype", "from_logits", "label_smoothing", "axis"},
    metrics.Precision: {"name", "dtype", "thresholds", "top_k", "class_id"},
    metrics.Recall: {"name", "dtype", "thresholds", "top_k", "class_id"},
    metrics.TruePositives: {"name", "dtype", "thresholds"},
    metrics.AUC: {"name", "dtype", "num_thresholds", "curve", "summation_method", "multi_label", "num_labels",
                  "label_weights", "from_logits"},
}


@pytest.mark.parametrize("cls", list(CONFIG_KEYS), ids=lambda c: c.__name__)
def test_get_config_keys_and_round_trip(cls):
    m = cls()
    config = m.get_config()
    assert set(config) == CONFIG_KEYS[cls]
    again = metrics.deserialize(metrics.serialize(m))
    assert type(again) is cls and again.get_config() == config


def test_keras_default_names_and_config_values():
    assert metrics.SparseCategoricalAccuracy().name == "sparse_categorical_accuracy"
    assert metrics.AUC().name == "auc" and metrics.Precision().name == "precision"
    assert metrics.TopKCategoricalAccuracy(3).get_config()["k"] == 3
    config = metrics.AUC(curve="pr", summation_method="Majoring").get_config()
    assert (config["curve"], config["summation_method"], config["num_thresholds"]) == ("PR", "majoring", 200)
    wrapper = metrics.MeanMetricWrapper(layered.losses.huber, name="h", delta=0.5)
    assert wrapper.get_config() == {"name": "h", "dtype": "float32", "fn": "huber", "delta": 0.5}
    assert metrics.MeanMetricWrapper.from_config(wrapper.get_config()).fn is layered.losses.huber
