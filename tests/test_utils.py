"""layered.utils: seeding and one-hot labels."""
import numpy as np
import pytest

import layered


def test_to_categorical_matches_an_identity_lookup():
    np.testing.assert_array_equal(layered.utils.to_categorical([0, 2, 1]), np.eye(3, dtype="float32")[[0, 2, 1]])
    out = layered.utils.to_categorical(np.array([[1], [3]]), num_classes=5)
    assert out.shape == (2, 5) and out.dtype == np.float32 and out[1, 3] == 1.0
    with pytest.raises(ValueError, match="out of range for num_classes=2"):
        layered.utils.to_categorical([0, 2], num_classes=2)
    with pytest.raises(ValueError, match="non-negative integer"):
        layered.utils.to_categorical([0.5])


def test_set_random_seed_fixes_initial_weights_and_rejects_bad_seeds():
    def kernel(seed):
        layered.utils.set_random_seed(seed)
        layer = layered.layers.Dense(3)
        layer.build((None, 4))
        return layer.get_weights()[0]

    np.testing.assert_array_equal(kernel(5), kernel(5))
    assert not np.array_equal(kernel(5), kernel(6))
    with pytest.raises(ValueError, match="non-negative integer"):
        layered.utils.set_random_seed(-1)


def test_seeded_initializers_repeat_and_unseeded_ones_follow_the_global_seed():
    init = layered.initializers.GlorotUniform(seed=3)
    np.testing.assert_array_equal(init((4, 4)), init((4, 4)))
    layered.utils.set_random_seed(1)
    a = layered.initializers.HeNormal()((4, 4))
    layered.utils.set_random_seed(1)
    np.testing.assert_array_equal(a, layered.initializers.HeNormal()((4, 4)))
