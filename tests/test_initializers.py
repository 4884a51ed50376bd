"""Initializers: Keras names and defaults, statistics, seeds, errors."""
import numpy as np
import pytest

from layered import initializers as init


@pytest.mark.parametrize("name", sorted(init.INITIALIZERS))
def test_shape_and_dtype(name):
    value = init.get(name)((20, 30), "float32")
    assert value.shape == (20, 30) and value.dtype == np.float32


@pytest.mark.parametrize("name,expected_std", [
    ("glorot_uniform", np.sqrt(2 / 500)), ("glorot_normal", np.sqrt(2 / 500)),
    ("he_uniform", np.sqrt(2 / 200)), ("he_normal", np.sqrt(2 / 200)),
    ("lecun_uniform", np.sqrt(1 / 200)), ("lecun_normal", np.sqrt(1 / 200)),
    ("random_normal", 0.05), ("random_uniform", 0.1 / np.sqrt(12)),
])
def test_variance(name, expected_std):
    value = init.get(name)((200, 300))
    assert abs(value.std() / expected_std - 1) < 0.03
    assert abs(value.mean()) < 5 * expected_std / np.sqrt(value.size)


def test_uniform_limits_and_truncation():
    limit = np.sqrt(6 / (200 + 300))
    assert np.abs(init.GlorotUniform()((200, 300))).max() <= limit
    std = np.sqrt(2 / 200) / 0.87962566103423978
    assert np.abs(init.HeNormal()((200, 300))).max() <= 2 * std + 1e-12
    assert np.abs(init.TruncatedNormal(stddev=1.0)((1000,))).max() <= 2.0


def test_conv_kernel_fans():
    assert init.compute_fans((3, 3, 16, 32)) == (144, 288)
    assert init.compute_fans((5,)) == (5, 5)


def test_seeds_reproduce():
    a = init.GlorotUniform(seed=3)((4, 5))
    np.testing.assert_array_equal(a, init.GlorotUniform(seed=3)((4, 5)))
    assert not np.array_equal(a, init.GlorotUniform(seed=4)((4, 5)))


def test_orthogonal_and_identity():
    q = init.Orthogonal(gain=2.0)((6, 4))
    np.testing.assert_allclose(q.T @ q, 4 * np.eye(4), atol=1e-5)
    q = init.Orthogonal()((3, 5))
    np.testing.assert_allclose(q @ q.T, np.eye(3), atol=1e-5)
    np.testing.assert_array_equal(init.Identity(gain=3.0)((2, 3)), 3 * np.eye(2, 3))


def test_constant_zeros_ones():
    np.testing.assert_array_equal(init.Constant(0.8)((2,)), np.float32([0.8, 0.8]))
    np.testing.assert_array_equal(init.get("zeros")((2,)), [0, 0])
    np.testing.assert_array_equal(init.get(init.Ones)((2,)), [1, 1])


def test_errors():
    with pytest.raises(ValueError, match=r"unknown initializer 'glorot_unifrom'.*Did you mean 'glorot_uniform'"):
        init.get("glorot_unifrom")
    with pytest.raises(ValueError, match="mode"):
        init.VarianceScaling(mode="fan_sideways")
    with pytest.raises(ValueError, match="rank >= 2"):
        init.Orthogonal()((3,))
    with pytest.raises(ValueError, match="2D"):
        init.Identity()((2, 2, 2))
