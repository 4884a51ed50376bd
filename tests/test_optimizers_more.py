"""Lion, Ftrl, Adafactor, Lamb and LossScaleOptimizer. The expected weights after three
steps were computed with Keras 3.15 (JAX backend) from the same start and gradients."""
import numpy as np
import pytest

import layered
from layered import optimizers

W0 = np.array([[0.5, -1.0], [1.5, 0.25]], "float32")
B0 = np.array([0.1, -0.2], "float32")
GRADS = [(np.array([[0.3, -0.1], [0.2, 0.4]], "float32"), np.array([0.5, -0.5], "float32")),
         (np.array([[-0.2, 0.6], [0.1, -0.3]], "float32"), np.array([0.2, 0.1], "float32")),
         (np.array([[0.4, 0.2], [-0.5, 0.1]], "float32"), np.array([-0.3, 0.4], "float32"))]

KERAS_AFTER_3_STEPS = [
    ("Lion", {"learning_rate": 0.01, "weight_decay": 0.1, "clipnorm": 0.5},
     [[0.4885115, -1.007013], [1.4855345, 0.2392608]], [0.0897303, -0.2094106]),
    ("Ftrl", {"learning_rate": 0.1, "l1_regularization_strength": 0.01, "l2_regularization_strength": 0.02,
              "l2_shrinkage_regularization_strength": 0.03, "beta": 0.1},
     [[0.0260446, -0.0979116], [0.1643042, 0.0380319]], [-0.0208153, -0.0666492]),
    ("Adafactor", {"learning_rate": 0.01, "weight_decay": 0.1},
     [[0.482815, -1.01036], [1.4981943, 0.2436308]], [0.0986464, -0.2000062]),
    ("Adafactor", {"learning_rate": 0.5, "relative_step": True, "clipnorm": 0.5},
     [[-0.3565203, -1.503158], [1.6301486, -0.1433051]], [0.0340294, -0.1923142]),
    ("Lamb", {"learning_rate": 0.01, "weight_decay": 0.1, "global_clipnorm": 0.5},
     [[0.4776334, -1.0118279], [1.4766681, 0.2373266]], [0.0941299, -0.1976362]),
]


@pytest.mark.parametrize("name, kwargs, kernel, bias", KERAS_AFTER_3_STEPS,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(KERAS_AFTER_3_STEPS)])
def test_updates_match_keras(backend, name, kwargs, kernel, bias):
    opt = getattr(optimizers, name)(**kwargs)
    w, b = layered.Variable(W0), layered.Variable(B0)
    for gw, gb in GRADS:
        opt.apply_gradients([(gw, w), (gb, b)])
    np.testing.assert_allclose(w.numpy(), kernel, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b.numpy(), bias, rtol=1e-5, atol=1e-6)
    assert int(opt.iterations.numpy()) == 3


@pytest.mark.parametrize("name, extra", [
    ("Lion", {"beta_1": 0.9, "beta_2": 0.99}),
    ("Ftrl", {"learning_rate_power": -0.5, "initial_accumulator_value": 0.1, "l1_regularization_strength": 0.0,
              "l2_regularization_strength": 0.0, "l2_shrinkage_regularization_strength": 0.0, "beta": 0.0}),
    ("Adafactor", {"beta_2_decay": -0.8, "epsilon_1": 1e-30, "epsilon_2": 1e-3, "clip_threshold": 1.0,
                   "relative_step": True}),
    ("Lamb", {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}),
])
def test_default_configs_match_keras_and_round_trip(name, extra):
    opt = getattr(optimizers, name)()
    config = opt.get_config()
    assert config["name"] == name.lower()
    assert config["learning_rate"] == pytest.approx(0.001)
    assert {k: config[k] for k in extra} == extra
    again = optimizers.deserialize(optimizers.serialize(opt))
    assert type(again) is type(opt) and again.get_config() == config
    assert type(optimizers.get(name.lower())) is type(opt)


def test_argument_checks():
    with pytest.raises(ValueError, match="beta_1 must be in"):
        optimizers.Lion(beta_1=0.0)
    with pytest.raises(ValueError, match="`l1_regularization_strength` must be at least 0"):
        optimizers.Ftrl(l1_regularization_strength=-1.0)
    with pytest.raises(ValueError, match="`learning_rate_power` must be at most 0"):
        optimizers.Ftrl(learning_rate_power=0.5)
    with pytest.raises(ValueError, match="wraps an optimizer"):
        optimizers.LossScaleOptimizer("adam")


def test_adafactor_factors_rank_3_variables(backend):
    opt = optimizers.Adafactor(learning_rate=0.1)
    v = layered.Variable(np.ones((2, 3, 4), "float32"))
    opt.apply_gradients([(np.full((2, 3, 4), 0.5, "float32"), v)])
    assert opt.slot(v, "r").shape == (2, 3) and opt.slot(v, "c").shape == (2, 4)
    assert np.all(v.numpy() < 1.0)


def test_loss_scale_optimizer_is_its_inner_optimizer(backend):
    inner = optimizers.SGD(0.1)
    opt = optimizers.LossScaleOptimizer(inner)
    assert opt.get_config() == {"name": "loss_scale_optimizer", "inner_optimizer": optimizers.serialize(inner),
                                "initial_scale": 32768.0, "dynamic_growth_steps": 2000}
    w = layered.Variable(np.array([1.0, 2.0], "float32"))
    opt.apply_gradients([(np.array([1.0, -1.0], "float32"), w)])
    np.testing.assert_allclose(w.numpy(), [0.9, 2.1], rtol=1e-6)
    assert opt.learning_rate == pytest.approx(0.1) and int(opt.iterations.numpy()) == 1
    again = optimizers.deserialize(optimizers.serialize(opt))
    assert type(again.inner_optimizer) is optimizers.SGD


@pytest.mark.parametrize("name", ["Lion", "Ftrl", "Adafactor", "Lamb"])
def test_fit_reduces_the_loss(backend, name):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], "float32")
    model = layered.Sequential([layered.Input((3,)), layered.layers.Dense(1)])
    model.compile(getattr(optimizers, name)(learning_rate=0.05), "mse")
    history = model.fit(x, y, epochs=4, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


MUON_SHAPES = {"tall": (4, 3), "wide": (2, 5), "bias": (3,), "embedding_table": (4, 2)}
MUON_KERAS = [  # the first 4 values of each weight after 3 steps, from Keras 3.15
    ({}, {"tall": [0.344873, 0.821456, 0.330311, -1.302983], "wide": [-0.736423, -0.162688, -0.482484, 0.598362],
          "bias": [1.296046, 1.005088, -2.711687], "embedding_table": [-1.887881, -0.1721, -0.421874, 0.210845]}),
    ({"learning_rate": 0.02, "weight_decay": 0.1, "adam_weight_decay": 0.01, "nesterov": False,
      "adam_lr_ratio": 0.5, "clipnorm": 1.0},
     {"tall": [0.327341, 0.805258, 0.332907, -1.292233], "wide": [-0.730667, -0.154486, -0.488218, 0.579818],
      "bias": [1.310503, 0.985976, -2.713942], "embedding_table": [-1.874654, -0.14802, -0.419529, 0.185034]}),
]


@pytest.mark.parametrize("kwargs, expected", MUON_KERAS, ids=["defaults", "decay-clip-no-nesterov"])
def test_muon_matches_keras(backend, kwargs, expected):
    rng = np.random.default_rng(1)
    init = {n: rng.normal(size=s).astype("float32") for n, s in MUON_SHAPES.items()}
    grads = [{n: rng.normal(size=s).astype("float32") for n, s in MUON_SHAPES.items()} for _ in range(3)]
    opt = optimizers.Muon(**kwargs)
    variables = {n: layered.Variable(init[n], name=n) for n in MUON_SHAPES}
    for g in grads:
        opt.apply_gradients([(g[n], variables[n]) for n in MUON_SHAPES])
    for name, values in expected.items():
        np.testing.assert_allclose(variables[name].numpy().ravel()[:4], values, atol=2e-6)
    assert opt.uses_adamw(variables["bias"]) and opt.uses_adamw(variables["embedding_table"])
    assert not opt.uses_adamw(variables["tall"])
    assert optimizers.deserialize(optimizers.serialize(opt)).get_config() == opt.get_config()
