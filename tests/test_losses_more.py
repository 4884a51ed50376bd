"""The focal, hinge, count, overlap, generalized, Circle and CTC losses against NumPy formulas:
values on every backend, reductions, gradients by finite differences, names, configs, errors."""
import numpy as np
import pytest

import layered
from layered import losses
from tests.helpers import check_vjp

EPS = 1e-7
rng = np.random.default_rng(0)
N, C = 6, 4
logits = rng.normal(size=(N, C))
probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
labels = rng.integers(0, C, N)
onehot = np.eye(C)[labels]
binary = rng.integers(0, 2, (N, C)).astype(float)
sig = 1 / (1 + np.exp(-logits))
y_true, y_pred = rng.normal(size=(N, C)), rng.normal(size=(N, C))
embeddings = rng.normal(size=(N, 5))
embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
groups = np.array([0, 1, 0, 2, 1, 3])  # samples 3 and 5 have no positive pair


def _hinge_labels(t):
    return 2 * t - 1 if np.isin(t, (0, 1)).all() else t


def _bce(t, p):
    p = np.clip(p, EPS, 1 - EPS)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p))


def _binary_focal(t, p, balance=False, alpha=0.25, gamma=2.0):
    p_t = t * p + (1 - t) * (1 - p)
    value = (1 - p_t) ** gamma * _bce(t, p)
    if balance:
        value *= t * alpha + (1 - t) * (1 - alpha)
    return value.mean(-1)


def _categorical_focal(t, p, alpha=0.25, gamma=2.0):
    p = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return (alpha * (1 - p) ** gamma * -t * np.log(p)).sum(-1)


def _circle(labels_, x, gamma=80.0, margin=0.4, remove_diagonal=True):
    distances = np.maximum(1 - x @ x.T, 0)
    positive = labels_[:, None] == labels_[None, :]
    negative = ~positive
    if remove_diagonal:
        positive &= ~np.eye(len(labels_), dtype=bool)
    out = []
    for i in range(len(labels_)):
        if not positive[i].any() or not negative[i].any():
            out.append(0.0)
            continue
        d_p, d_n = distances[i, positive[i]], distances[i, negative[i]]
        p_logits = -gamma * np.maximum(margin + d_p, 0) * (margin - d_p)
        n_logits = gamma * np.maximum(1 + margin - d_n, 0) * (1 - margin - d_n)
        lse = np.logaddexp.reduce(p_logits) + np.logaddexp.reduce(n_logits)
        out.append(np.logaddexp(0, lse))
    return np.array(out)


def _ctc(target, scores):
    """-log of the summed probability of every alignment, by enumerating all of them."""
    import itertools
    log_probs = scores - np.log(np.exp(scores).sum(-1, keepdims=True))
    label = [c for c in target if c != 0]

    def collapse(path):
        merged = [c for i, c in enumerate(path) if i == 0 or c != path[i - 1]]
        return [c for c in merged if c != 0]

    total = [sum(log_probs[t, c] for t, c in enumerate(path))
             for path in itertools.product(range(scores.shape[1]), repeat=scores.shape[0]) if collapse(path) == label]
    return -np.logaddexp.reduce(total)


ctc_labels = np.array([[1, 2, 0], [1, 1, 0], [2, 0, 0], [0, 0, 0]])
ctc_logits = rng.normal(size=(4, 5, 3))

CASES = {  # name: (function, kwargs, y_true, y_pred, expected per-sample values)
    "mape": (losses.mean_absolute_percentage_error, {}, y_true, y_pred,
             100 * (np.abs(y_true - y_pred) / np.maximum(np.abs(y_true), EPS)).mean(-1)),
    "squared_hinge_binary": (losses.squared_hinge, {}, binary, y_pred,
                             (np.maximum(1 - _hinge_labels(binary) * y_pred, 0) ** 2).mean(-1)),
    "squared_hinge_signed": (losses.squared_hinge, {}, np.sign(y_true), y_pred,
                             (np.maximum(1 - np.sign(y_true) * y_pred, 0) ** 2).mean(-1)),
    "categorical_hinge": (losses.categorical_hinge, {}, onehot, y_pred,
                          np.maximum(((1 - onehot) * y_pred).max(-1) - (onehot * y_pred).sum(-1) + 1, 0)),
    "log_cosh": (losses.log_cosh, {}, y_true, y_pred, np.log(np.cosh(y_pred - y_true)).mean(-1)),
    "poisson": (losses.poisson, {}, np.abs(y_true), np.abs(y_pred),
                (np.abs(y_pred) - np.abs(y_true) * np.log(np.abs(y_pred) + EPS)).mean(-1)),
    "binary_focal": (losses.binary_focal_crossentropy, {}, binary, sig, _binary_focal(binary, sig)),
    "binary_focal_logits_balanced": (
        losses.binary_focal_crossentropy,
        {"from_logits": True, "apply_class_balancing": True, "alpha": 0.3, "gamma": 1.5, "label_smoothing": 0.1},
        binary, logits, _binary_focal(binary * 0.9 + 0.05, sig, True, 0.3, 1.5)),
    "categorical_focal": (losses.categorical_focal_crossentropy, {}, onehot, probs, _categorical_focal(onehot, probs)),
    "categorical_focal_logits": (losses.categorical_focal_crossentropy,
                                 {"from_logits": True, "alpha": 0.5, "gamma": 3.0, "label_smoothing": 0.2},
                                 onehot, logits, _categorical_focal(onehot * 0.8 + 0.05, probs, 0.5, 3.0)),
    "dice_all": (losses.dice, {}, binary, sig, 1 - 2 * (binary * sig).sum() / (binary.sum() + sig.sum() + EPS)),
    "dice_per_sample": (losses.dice, {"axis": 1}, binary, sig,
                        1 - 2 * (binary * sig).sum(1) / (binary.sum(1) + sig.sum(1) + EPS)),
    "tversky": (losses.tversky, {"alpha": 0.3, "beta": 0.7, "axis": -1}, binary, sig,
                1 - (binary * sig).sum(1) / ((binary * sig).sum(1) + 0.3 * ((1 - sig) * binary).sum(1)
                                             + 0.7 * (sig * (1 - binary)).sum(1) + EPS)),
    "generalized_ce": (losses.categorical_generalized_cross_entropy, {"q": 0.7}, labels, probs,
                       (1 - probs[np.arange(N), labels] ** 0.7) / 0.7),
    "circle": (losses.circle, {}, groups, embeddings, _circle(groups, embeddings)),
    "circle_keep_diagonal": (losses.circle, {"gamma": 10.0, "margin": 0.25, "remove_diagonal": False}, groups,
                             embeddings, _circle(groups, embeddings, 10.0, 0.25, False)),
    "ctc": (losses.ctc, {}, ctc_labels, ctc_logits, np.array([_ctc(t, s) for t, s in zip(ctc_labels, ctc_logits)])),
}


def _placeholder(array, dtype="float32"):
    return layered.placeholder((None,) + array.shape[1:], "int32" if array.dtype.kind == "i" else dtype)


@pytest.mark.parametrize("case", sorted(CASES))
def test_loss_function_values(case, backend):
    fn, kwargs, t, p, expected = CASES[case]
    tp, pp = _placeholder(t), _placeholder(p)
    got = layered.function([tp, pp], fn(tp, pp, **kwargs))(t.astype(tp.dtype), p.astype(np.float32))
    np.testing.assert_allclose(got, expected, rtol=2e-5, atol=2e-6)


GRADIENT_CASES = ["mape", "squared_hinge_signed", "categorical_hinge", "log_cosh", "poisson", "binary_focal",
                  "binary_focal_logits_balanced", "categorical_focal", "categorical_focal_logits", "dice_per_sample",
                  "tversky", "generalized_ce", "circle_keep_diagonal", "ctc"]


@pytest.mark.parametrize("case", GRADIENT_CASES)
def test_gradients_against_finite_differences(case):
    fn, kwargs, t, p, _ = CASES[case]
    p = p[:3] if case != "circle_keep_diagonal" else p  # fewer evaluations; Circle needs the whole batch
    t = t[:len(p)]
    if case == "categorical_hinge":  # away from the kinks of max
        p = p + 3.0 * np.eye(C)[(labels[:3] + 1) % C]
    label_array = t if t.dtype.kind == "i" else t.astype(np.float64)
    check_vjp(lambda a, x: fn(a, x, **kwargs), [label_array, p.astype(np.float64)], wrt=[1], rtol=1e-4, atol=1e-6)


def test_ctc_with_one_time_step_and_sample_weights(backend):
    t, p, w = layered.placeholder((None, 3), "int32"), layered.placeholder((None, 5, 3)), layered.placeholder((None,))
    weights = np.array([1.0, 0.5, 2.0, 1.5], np.float32)
    got = layered.function([t, p, w], losses.CTC()(t, p, sample_weight=w))(ctc_labels.astype(np.int32),
                                                                             ctc_logits.astype(np.float32), weights)
    np.testing.assert_allclose(got, (CASES["ctc"][4] * weights).mean(), rtol=1e-5)
    one = layered.placeholder((None, 1, 3))
    single = layered.function([t, one], losses.ctc(t, one))(np.array([[2, 0, 0]], np.int32),
                                                            ctc_logits[:1, :1].astype(np.float32))
    np.testing.assert_allclose(single, [_ctc([2], ctc_logits[0, :1])], rtol=1e-5)
    with pytest.raises(ValueError, match="batch_size, max_length, num_classes"):
        losses.ctc(t, layered.placeholder((None, 3)))


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean_with_sample_weight", "none"])
def test_circle_reductions_leave_out_samples_without_pairs(reduction, backend):
    weights = rng.uniform(0.5, 1.5, N)
    per_sample = _circle(groups, embeddings, 10.0) * weights
    valid = _circle(groups, embeddings, 10.0) > 0
    expected = {"sum_over_batch_size": per_sample.sum() / valid.sum(), "sum": per_sample.sum(),
                "mean_with_sample_weight": per_sample.sum() / weights[valid].sum(), "none": per_sample}[reduction]
    t, p, w = layered.placeholder((None,), "int32"), layered.placeholder((None, 5)), layered.placeholder((None,))
    value = losses.Circle(gamma=10.0, reduction=reduction)(t, p, sample_weight=w)
    got = layered.function([t, p, w], value)(groups.astype(np.int32), embeddings.astype(np.float32),
                                             weights.astype(np.float32))
    np.testing.assert_allclose(got, expected, rtol=2e-5)


def test_dice_over_every_axis_with_sample_weights_scales_the_scalar(backend):
    t, p, w = layered.placeholder((None, C)), layered.placeholder((None, C)), layered.placeholder((None,))
    weights = rng.uniform(0, 2, N)
    got = layered.function([t, p, w], losses.Dice()(t, p, sample_weight=w))(
        binary.astype(np.float32), sig.astype(np.float32), weights.astype(np.float32))
    np.testing.assert_allclose(got, CASES["dice_all"][4] * weights.mean(), rtol=2e-5)


# ---------------------------------------------------------------- classes, names, configs, errors

CLASSES = {  # class: (Keras default name, Keras config keys beyond name and reduction)
    losses.MeanAbsolutePercentageError: ("mean_absolute_percentage_error", set()),
    losses.SquaredHinge: ("squared_hinge", set()),
    losses.CategoricalHinge: ("categorical_hinge", set()),
    losses.LogCosh: ("log_cosh", set()),
    losses.Poisson: ("poisson", set()),
    losses.BinaryFocalCrossentropy: ("binary_focal_crossentropy",
                                     {"apply_class_balancing", "alpha", "gamma", "from_logits", "label_smoothing",
                                      "axis"}),
    losses.CategoricalFocalCrossentropy: ("categorical_focal_crossentropy",
                                          {"alpha", "gamma", "from_logits", "label_smoothing", "axis"}),
    losses.Dice: ("dice", {"axis"}),
    losses.Tversky: ("tversky", {"alpha", "beta", "axis"}),
    losses.CategoricalGeneralizedCrossEntropy: ("categorical_generalized_cross_entropy", {"q"}),
    losses.Circle: ("circle", {"gamma", "margin", "remove_diagonal"}),
    losses.CTC: ("ctc", set()),
}


@pytest.mark.parametrize("cls", list(CLASSES), ids=lambda c: c.__name__)
def test_names_configs_and_serialization_round_trip(cls):
    name, keys = CLASSES[cls]
    loss = cls()
    assert loss.name == name
    config = loss.get_config()
    assert set(config) == {"name", "reduction"} | keys
    again = losses.deserialize(losses.serialize(loss))
    assert type(again) is cls and again.get_config() == config
    assert type(losses.get(cls.__name__)) is cls


def test_keras_positional_argument_order():
    assert losses.BinaryFocalCrossentropy(True, 0.3, 1.0).kwargs == {
        "apply_class_balancing": True, "alpha": 0.3, "gamma": 1.0, "from_logits": False, "label_smoothing": 0.0,
        "axis": -1}
    assert losses.CategoricalFocalCrossentropy(0.5, 3.0, True).kwargs["from_logits"] is True
    dice = losses.Dice("sum", "d", 1)
    assert (dice.reduction, dice.name, dice.kwargs["axis"]) == ("sum", "d", 1)
    tversky = losses.Tversky(0.3, 0.7, "none", "t", -1)
    assert tversky.kwargs == {"alpha": 0.3, "beta": 0.7, "axis": -1} and tversky.reduction == "none"
    circle = losses.Circle(10.0, 0.2, False)
    assert circle.kwargs == {"gamma": 10.0, "margin": 0.2, "remove_diagonal": False}


@pytest.mark.parametrize("name, fn", [
    ("mape", losses.mean_absolute_percentage_error), ("MAPE", losses.mean_absolute_percentage_error),
    ("log_cosh", losses.log_cosh), ("poisson", losses.poisson), ("squared_hinge", losses.squared_hinge),
    ("categorical_hinge", losses.categorical_hinge), ("binary_focal_crossentropy", losses.binary_focal_crossentropy),
    ("categorical_focal_crossentropy", losses.categorical_focal_crossentropy), ("dice", losses.dice),
    ("tversky", losses.tversky), ("circle", losses.circle), ("ctc", losses.ctc), ("BCE", losses.binary_crossentropy),
    ("KLD", losses.kl_divergence), ("MSLE", losses.mean_squared_logarithmic_error),
])
def test_keras_string_names(name, fn):
    assert losses.get(name) is fn
    assert losses.deserialize(losses.serialize(fn)) is fn


def test_errors_name_the_valid_choices():
    with pytest.raises(ValueError, match=r"unknown loss 'logcosh'.*log_cosh.*Did you mean 'log_cosh'"):
        losses.get("logcosh")
    with pytest.raises(ValueError, match=r"q must lie in the open interval \(0, 1\)"):
        losses.CategoricalGeneralizedCrossEntropy(q=1.5)
    with pytest.raises(TypeError, match="unexpected arguments"):
        losses.Dice(alpha=0.5)
    with pytest.raises(ValueError, match="unknown loss class 'Focal'"):
        losses.deserialize({"class_name": "Focal", "config": {}})
    with pytest.raises(ValueError, match="axis must be an int"):
        losses.categorical_focal_crossentropy(onehot, probs, axis=True)


def test_compile_and_fit_with_the_new_losses_by_name():
    x = rng.normal(size=(16, 3)).astype(np.float32)
    y = np.abs(x[:, :2]).astype(np.float32)
    for loss in ("poisson", "log_cosh", "mape", losses.Tversky(axis=-1)):
        model = layered.Sequential([layered.Input((3,)), layered.layers.Dense(2, activation="softplus")])
        model.compile(optimizer="sgd", loss=loss)
        history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
        assert np.all(np.isfinite(history.history["loss"]))
