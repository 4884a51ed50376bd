"""layered.datasets.digits: the bundled 8x8 UCI digits, its fixed split, and a sanity check that pixels match labels."""
from importlib import resources

import numpy as np
import pytest

from layered.datasets import digits

N_TRAIN, N_TEST = 1437, 360


@pytest.fixture(scope="module")
def data():
    return digits.load_data()


def _npz():
    return resources.files("layered.datasets").joinpath("digits.npz")


def test_shapes_and_dtypes(data):
    (x_train, y_train), (x_test, y_test) = data
    assert x_train.shape == (N_TRAIN, 8, 8) and x_test.shape == (N_TEST, 8, 8)
    assert y_train.shape == (N_TRAIN,) and y_test.shape == (N_TEST,)
    for a in (x_train, y_train, x_test, y_test):
        assert a.dtype == np.uint8


def test_value_ranges(data):
    (x_train, y_train), (x_test, y_test) = data
    x = np.concatenate([x_train, x_test])
    y = np.concatenate([y_train, y_test])
    assert x.min() == 0 and x.max() == 16
    assert set(np.unique(y)) == set(range(10))


def test_label_counts(data):
    (_, y_train), (_, y_test) = data
    full = np.bincount(np.concatenate([y_train, y_test]), minlength=10)
    assert full.sum() == 1797
    np.testing.assert_array_equal(full, [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    assert full.min() >= 174 and full.max() <= 183
    test = np.bincount(y_test, minlength=10)  # stratified: each class gives ~20% to the test set
    assert test.min() >= 35 and test.max() <= 37


def test_split_is_a_partition_of_the_file():
    with _npz().open("rb") as f, np.load(f, allow_pickle=False) as z:
        order, x, y = z["order"], z["x"], z["y"]
    np.testing.assert_array_equal(np.sort(order), np.arange(1797))
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    np.testing.assert_array_equal(x_train, x[order[:N_TRAIN]])
    np.testing.assert_array_equal(y_test, y[order[N_TRAIN:]])


def test_source_order_spot_check():
    # First row of sklearn's digits.csv.gz (a 0) and the label of the last row (an 8).
    with _npz().open("rb") as f, np.load(f, allow_pickle=False) as z:
        x, y = z["x"], z["y"]
    first = [0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, 0, 3, 15, 2, 0, 11, 8, 0, 0, 4, 12, 0, 0, 8, 8, 0,
             0, 5, 8, 0, 0, 9, 8, 0, 0, 4, 11, 0, 1, 12, 7, 0, 0, 2, 14, 5, 10, 12, 0, 0, 0, 0, 6, 13, 10, 0, 0, 0]
    np.testing.assert_array_equal(x[0].ravel(), first)
    assert y[0] == 0 and y[1] == 1 and y[-1] == 8


def test_deterministic_and_fresh_arrays(data):
    again = digits.load_data()
    for a, b in zip([*data[0], *data[1]], [*again[0], *again[1]]):
        np.testing.assert_array_equal(a, b)
        assert a is not b
    again[0][0][0, 0, 0] = 99  # mutating one result doesn't leak into the next
    assert digits.load_data()[0][0][0, 0, 0] == data[0][0][0, 0, 0]


def test_class_means_differ(data):
    (x_train, y_train), _ = data
    m0 = x_train[y_train == 0].mean(0)
    m1 = x_train[y_train == 1].mean(0)
    assert np.abs(m0 - m1).mean() > 1.0


def test_nearest_class_mean_accuracy(data):
    (x_train, y_train), (x_test, y_test) = data
    xt = x_train.reshape(N_TRAIN, -1).astype(np.float64)
    xs = x_test.reshape(N_TEST, -1).astype(np.float64)
    means = np.stack([xt[y_train == c].mean(0) for c in range(10)])
    pred = ((xs[:, None, :] - means[None]) ** 2).sum(-1).argmin(1)
    assert (pred == y_test).mean() > 0.85
    # and with labels shuffled, the same classifier is near chance: the check can fail
    shuffled = np.random.default_rng(0).permutation(y_train)
    means = np.stack([xt[shuffled == c].mean(0) for c in range(10)])
    pred = ((xs[:, None, :] - means[None]) ** 2).sum(-1).argmin(1)
    assert (pred == y_test).mean() < 0.5


def test_file_is_small_and_pickle_free():
    f = _npz()
    assert f.is_file()
    with f.open("rb") as fh:
        raw = fh.read()
    assert len(raw) < 100_000
    with f.open("rb") as fh, np.load(fh, allow_pickle=False) as z:
        assert sorted(z.files) == ["order", "x", "y"]
        for k in z.files:
            assert z[k].dtype != object


def test_load_data_passes_allow_pickle_false(monkeypatch):
    calls = []
    real_load = np.load

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(np, "load", spy)
    digits.load_data()
    assert calls and all(kw.get("allow_pickle") is False for kw in calls)


def test_import_styles():
    import layered.datasets
    from layered.datasets.digits import load_data

    assert layered.datasets.digits is digits and load_data is digits.load_data
