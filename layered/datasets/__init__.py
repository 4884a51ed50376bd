"""Small built-in datasets, shipped with the package (no downloads), in the style of `keras.datasets`.

    from layered.datasets import digits
    (x_train, y_train), (x_test, y_test) = digits.load_data()
"""
from layered.datasets import digits as digits
