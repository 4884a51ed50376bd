"""Keras 3's lowercase names, configs and deserialize for initializers, regularizers and
constraints. Expected configs and values are what Keras 3.15 gives."""
import numpy as np
import pytest

import layered
from layered import constraints, initializers, regularizers

SCALING = {"seed": None, "input_axes": None, "output_axes": None}
KERAS_CONFIGS = [
    ("Zeros", {}), ("Ones", {}), ("Constant", {"value": 0.0}),
    ("RandomNormal", {"seed": None, "mean": 0.0, "stddev": 0.05}),
    ("RandomUniform", {"seed": None, "minval": -0.05, "maxval": 0.05}),
    ("TruncatedNormal", {"seed": None, "mean": 0.0, "stddev": 0.05}),
    ("VarianceScaling", {"seed": None, "scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal",
                         "input_axes": None, "output_axes": None}),
    ("GlorotUniform", SCALING), ("GlorotNormal", SCALING), ("HeUniform", SCALING), ("HeNormal", SCALING),
    ("LecunUniform", SCALING), ("LecunNormal", SCALING),
    ("Orthogonal", {"seed": None, "gain": 1.0}), ("Identity", {}),
]


@pytest.mark.parametrize("name, config", KERAS_CONFIGS)
def test_initializer_configs_match_keras(name, config):
    assert getattr(initializers, name)().get_config() == config


LOWERCASE = {"zeros": "Zeros", "ones": "Ones", "constant": "Constant", "random_normal": "RandomNormal",
             "random_uniform": "RandomUniform", "truncated_normal": "TruncatedNormal",
             "variance_scaling": "VarianceScaling", "glorot_uniform": "GlorotUniform",
             "glorot_normal": "GlorotNormal", "he_uniform": "HeUniform", "he_normal": "HeNormal",
             "lecun_uniform": "LecunUniform", "lecun_normal": "LecunNormal", "orthogonal": "Orthogonal",
             "identity": "Identity", "OrthogonalInitializer": "Orthogonal", "IdentityInitializer": "Identity"}


@pytest.mark.parametrize("alias, name", sorted(LOWERCASE.items()))
def test_initializer_aliases_are_the_classes(alias, name):
    assert getattr(initializers, alias) is getattr(initializers, name)


def test_initializer_deserialize_and_errors():
    init = initializers.deserialize({"class_name": "HeNormal", "config": {"seed": 1}})
    assert type(init) is initializers.HeNormal and init.seed == 1
    np.testing.assert_array_equal(init((3, 4)), initializers.HeNormal(seed=1)((3, 4)))
    assert type(initializers.get("GlorotUniform")) is initializers.GlorotUniform
    with pytest.raises(ValueError, match=r"unknown initializer 'he_normall'.*Valid names:.*Did you mean 'he_normal'"):
        initializers.get("he_normall")
    with pytest.raises(ValueError, match="unknown initializer 'Nope'.*Valid names"):
        initializers.deserialize({"class_name": "Nope", "config": {}})


def test_variance_scaling_axes_set_the_fans():
    init = initializers.VarianceScaling(scale=1.0, mode="fan_in", distribution="uniform", seed=0,
                                        input_axes=[0], output_axes=[1, 2])
    values = init((100, 3, 4))
    assert np.abs(values).max() <= np.sqrt(3.0 / 100) + 1e-7
    assert init.get_config()["input_axes"] == [0]


def test_identity_keeps_a_non_default_gain():
    assert initializers.Identity(gain=2.0).get_config() == {"gain": 2.0}
    np.testing.assert_array_equal(initializers.identity(gain=2.0)((2, 2)), 2.0 * np.eye(2))


def test_regularizer_aliases_and_configs():
    assert regularizers.l2 is regularizers.L2 and regularizers.l1 is regularizers.L1
    assert regularizers.l1_l2 is regularizers.L1L2
    assert regularizers.orthogonal_regularizer is regularizers.OrthogonalRegularizer
    assert regularizers.l2(0.01).get_config() == {"l2": 0.01}
    reg = regularizers.deserialize({"class_name": "L1L2", "config": {"l1": 0.1, "l2": 0.2}})
    assert reg.get_config() == pytest.approx({"l1": 0.1, "l2": 0.2})
    assert regularizers.OrthogonalRegularizer(factor=0.1, mode="columns").get_config() == \
        pytest.approx({"factor": 0.1, "mode": "columns"})
    with pytest.raises(ValueError, match=r"unknown regularizer 'l3'.*Valid names:"):
        regularizers.deserialize({"class_name": "l3", "config": {}})
    with pytest.raises(ValueError, match="mode must be 'rows' or 'columns'"):
        regularizers.OrthogonalRegularizer(mode="diagonal")


@pytest.mark.parametrize("mode, expected", [("rows", 0.0619010), ("columns", 0.0467290)])
def test_orthogonal_regularizer_values_match_keras(backend, mode, expected):
    w = np.array([[0.3, -0.2, 0.5], [0.1, 0.7, -0.4]], "float32")
    penalty = regularizers.OrthogonalRegularizer(0.1, mode)(layered.ops.convert_to_tensor(w))
    assert float(penalty) == pytest.approx(expected, abs=2e-6)


def test_orthogonal_regularizer_trains_in_a_layer(backend):
    model = layered.Sequential([layered.Input((3,)), layered.layers.Dense(
        4, kernel_regularizer=regularizers.orthogonal_regularizer(0.01))])
    model.compile("sgd", "mse")
    model.fit(np.ones((4, 3), "float32"), np.ones((4, 4), "float32"), verbose=0)


def test_constraint_aliases_configs_and_deserialize():
    assert constraints.max_norm is constraints.MaxNorm and constraints.non_neg is constraints.NonNeg
    assert constraints.unit_norm is constraints.UnitNorm and constraints.min_max_norm is constraints.MinMaxNorm
    assert constraints.max_norm().get_config() == {"max_value": 2, "axis": 0}
    assert constraints.min_max_norm().get_config() == {"min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0}
    made = constraints.deserialize({"class_name": "MaxNorm", "config": {"max_value": 3, "axis": 1}})
    assert made.get_config() == {"max_value": 3, "axis": 1}
    with pytest.raises(ValueError, match=r"unknown constraint 'max_nrom'.*Did you mean 'max_norm'"):
        constraints.deserialize({"class_name": "max_nrom", "config": {}})
