"""The 8x8 handwritten digits (UCI "Optical Recognition of Handwritten Digits"), shipped as `digits.npz`.

1797 grey-scale 8x8 images, pixel values 0..16 (counts of on pixels in 4x4 blocks of a 32x32
bitmap), labels 0..9. This is the UCI test-set file `optdigits.tes` as packaged by scikit-learn
(`sklearn.datasets.load_digits`), by E. Alpaydin and C. Kaynak (1998), licensed CC BY 4.0 by the
UCI Machine Learning Repository, https://doi.org/10.24432/C50P49 ; see README.md in this package
for the citation and how the file was made.

Split (fixed, stored in the file): a stratified 80/20 split, 1437 training and 360 test samples
(35-37 test samples per class), drawn once at conversion time with `np.random.default_rng(0)`; the
file keeps the images in source order plus an `order` array, the training indices (shuffled)
followed by the test indices (shuffled). Loading does no random numbers, so every call returns the
same arrays.
"""
from importlib import resources

import numpy as np

NUM_TRAIN = 1437
NUM_TEST = 360


def load_data():
    """Returns `(x_train, y_train), (x_test, y_test)`.

    x: uint8 arrays of shape (n, 8, 8) with values 0..16 (not 0..255: scale by 1/16 for [0, 1]).
    y: uint8 arrays of shape (n,) with labels 0..9, as `keras.datasets.mnist.load_data` returns them.
    n is 1437 for train and 360 for test. Fresh arrays on each call.
    """
    with resources.files(__package__).joinpath("digits.npz").open("rb") as f:
        with np.load(f, allow_pickle=False) as data:
            x, y, order = data["x"], data["y"], data["order"]
    train, test = order[:NUM_TRAIN], order[NUM_TRAIN:]
    return (x[train], y[train]), (x[test], y[test])
