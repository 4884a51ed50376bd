"""layered.random: Keras 3's random functions, eagerly and inside a layer's call."""
import numpy as np
import pytest

import layered
from layered import random


def test_int_seed_is_reproducible_and_seed_generator_advances(backend):
    a = random.normal((2, 3), seed=1).numpy()
    np.testing.assert_array_equal(a, random.normal((2, 3), seed=1).numpy())
    assert a.shape == (2, 3) and a.dtype == np.float32
    gen = random.SeedGenerator(1)
    first, second = random.normal((4,), seed=gen).numpy(), random.normal((4,), seed=gen).numpy()
    assert not np.allclose(first, second)
    again = random.SeedGenerator(1)
    np.testing.assert_array_equal(random.normal((4,), seed=again).numpy(), first)
    assert not np.allclose(random.uniform((4,)).numpy(), random.uniform((4,)).numpy())


def test_set_random_seed_makes_unseeded_draws_reproducible(backend):
    layered.utils.set_random_seed(7)
    a = random.uniform((5,)).numpy()
    layered.utils.set_random_seed(7)
    np.testing.assert_array_equal(random.uniform((5,)).numpy(), a)


def test_distributions_have_the_right_moments_and_ranges(backend):
    normal = random.normal((20000,), mean=1.0, stddev=2.0, seed=0).numpy()
    assert abs(normal.mean() - 1.0) < 0.05 and abs(normal.std() - 2.0) < 0.05
    uniform = random.uniform((20000,), minval=-1.0, maxval=3.0, seed=0).numpy()
    assert uniform.min() >= -1.0 and uniform.max() < 3.0 and abs(uniform.mean() - 1.0) < 0.05
    truncated = random.truncated_normal((20000,), stddev=0.5, seed=0).numpy()
    assert np.abs(truncated).max() <= 1.0 and abs(truncated.std() - 0.5 * 0.8796) < 0.01
    ints = random.randint((1000,), 2, 6, seed=0).numpy()
    assert ints.dtype == np.int32 and set(np.unique(ints)) == {2, 3, 4, 5}


def test_dropout_zeroes_and_rescales(backend):
    out = random.dropout(np.ones((100, 100), "float32"), 0.25, seed=3).numpy()
    assert set(np.unique(out)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((out == 0).mean() - 0.25) < 0.02
    with pytest.raises(ValueError, match="rate must be in"):
        random.dropout(np.ones(3, "float32"), 1.5)


def test_categorical_follows_the_probabilities(backend):
    samples = random.categorical(np.log([[0.1, 0.9], [0.8, 0.2]]).astype("float32"), 4000, seed=5).numpy()
    assert samples.shape == (2, 4000) and samples.dtype == np.int32
    assert abs(samples[0].mean() - 0.9) < 0.03 and abs(samples[1].mean() - 0.2) < 0.03


def test_host_draws():
    shuffled = random.shuffle(np.arange(10), seed=1).numpy()
    assert sorted(shuffled.tolist()) == list(range(10)) and shuffled.tolist() != list(range(10))
    assert random.gamma((1000,), alpha=2.0, seed=1).numpy().mean() == pytest.approx(2.0, abs=0.15)
    assert random.beta((1000,), alpha=2.0, beta=2.0, seed=1).numpy().mean() == pytest.approx(0.5, abs=0.03)
    counts = random.binomial((1000,), counts=10, probabilities=0.3, seed=1).numpy()
    assert counts.dtype == np.float32 and counts.mean() == pytest.approx(3.0, abs=0.15)


def test_bad_seeds_and_shapes_are_refused():
    with pytest.raises(ValueError, match="seed must be None, an int or a SeedGenerator"):
        random.normal((2,), seed="one")
    with pytest.raises(ValueError, match="shape without None"):
        random.normal((None, 2), seed=1)
    with pytest.raises(ValueError, match="integer seed"):
        random.SeedGenerator(1.5)


class Noisy(layered.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = random.SeedGenerator(3)

    def call(self, x):
        return x + random.normal((4,), seed=self.seed_generator) + random.uniform((4,), seed=7)


def test_random_ops_inside_a_layer_draw_fresh_values_each_call(backend):
    model = layered.Sequential([layered.Input((4,)), Noisy()])
    x = np.zeros((2, 4), "float32")
    first, second = model.predict(x, verbose=0), model.predict(x, verbose=0)
    assert first.shape == (2, 4) and not np.allclose(first, second)
    np.testing.assert_array_equal(first[0], first[1])  # one draw of shape (4,), broadcast over the batch
    model.compile("sgd", "mse")
    model.fit(x, x, verbose=0)
    assert np.asarray(Noisy()(x)).shape == (2, 4)


class Sampling(layered.layers.Layer):
    """The classic Keras VAE layer: z = mean + exp(log_var / 2) * noise, noise shaped from the batch."""

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch, dim = layered.ops.shape(z_mean)[0], layered.ops.shape(z_mean)[1]
        noise = layered.random.normal(shape=(batch, dim), seed=self.seed)
        return z_mean + layered.ops.exp(0.5 * z_log_var) * noise

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed = layered.random.SeedGenerator(1)


def test_a_draw_shaped_by_the_run_time_batch_trains(backend):
    inputs = layered.Input((6,))
    z_mean, z_log_var = layered.layers.Dense(2)(inputs), layered.layers.Dense(2)(inputs)
    z = Sampling()([z_mean, z_log_var])
    model = layered.Model(inputs, layered.layers.Dense(6)(z))
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).normal(size=(20, 6)).astype("float32")
    history = model.fit(x, x, batch_size=8, epochs=2, verbose=0)  # batches of 8 and a last one of 4
    assert np.all(np.isfinite(history.history["loss"]))
    assert model.predict(x[:3], verbose=0).shape == (3, 6)
    with pytest.raises(ValueError, match="without None"):
        layered.random.normal((None, 2))
