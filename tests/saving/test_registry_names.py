"""Keras 3's serialization names: the registry, custom-object scopes, (de)serialize_keras_object,
save_model/load_model and clone_model. Expected values are what Keras 3.15 gives."""
import numpy as np
import pytest

import layered
from layered import saving, utils


@saving.register_keras_serializable(package="TestPkg")
class Scaled(layered.layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@utils.register_keras_serializable()
def doubled(x):
    return x * 2.0


class Unregistered(layered.layers.Layer):
    def call(self, x):
        return x + 1.0


def test_registered_names_and_objects():
    assert saving.get_registered_name(Scaled) == "TestPkg>Scaled"
    assert saving.get_registered_name(doubled) == "Custom>doubled"
    assert saving.get_registered_name(layered.layers.Dense) == "Dense"
    assert saving.get_registered_object("TestPkg>Scaled") is Scaled
    assert saving.get_registered_object("Scaled") is None
    assert saving.get_registered_object("Custom>doubled") is doubled
    assert saving.get_custom_objects()["TestPkg>Scaled"] is Scaled
    assert utils.get_custom_objects() is saving.get_custom_objects()
    assert saving.register_keras_serializable is saving.register_serializable


def test_named_registration_and_subclass_keeps_its_own_name():
    @saving.register_keras_serializable(package="P", name="Other")
    class Named(layered.layers.Layer):
        pass

    class Child(Named):
        pass
    assert saving.get_registered_name(Named) == "P>Other"
    assert saving.get_registered_name(Child) == "Child"


def test_registering_a_class_without_get_config_is_refused():
    class Plain:
        pass
    with pytest.raises(ValueError, match="no get_config"):
        saving.register_keras_serializable()(Plain)


def test_custom_object_scope_is_seen_inside_only():
    assert utils.custom_object_scope is saving.CustomObjectScope
    with utils.custom_object_scope({"Unregistered": Unregistered}) as scope:
        assert isinstance(scope, saving.CustomObjectScope)
        assert saving.get_registered_object("Unregistered") is Unregistered
    assert saving.get_registered_object("Unregistered") is None


def test_serialize_keras_object_forms():
    data = saving.serialize_keras_object(Scaled(3.0, name="s"))
    assert data["module"] is None and data["class_name"] == "Scaled" and data["registered_name"] == "TestPkg>Scaled"
    assert data["config"]["factor"] == 3.0
    dense = saving.serialize_keras_object(layered.layers.Dense(2))
    assert (dense["module"], dense["class_name"], dense["registered_name"]) == ("layered.layers", "Dense", None)
    assert saving.serialize_keras_object(doubled) == {"module": "builtins", "class_name": "function",
                                                      "config": "Custom>doubled", "registered_name": "function"}
    assert saving.serialize_keras_object(layered.initializers.Zeros()) == {
        "module": "layered.initializers", "class_name": "Zeros", "config": {}, "registered_name": None}
    assert saving.serialize_keras_object("relu") == "relu"
    assert saving.serialize_keras_object(None) is None
    assert saving.serialize_keras_object((1, 2)) == (1, 2)


def test_deserialize_keras_object_round_trips():
    layer = saving.deserialize_keras_object(saving.serialize_keras_object(Scaled(3.0)))
    assert type(layer) is Scaled and layer.factor == 3.0
    assert saving.deserialize_keras_object(saving.serialize_keras_object(doubled)) is doubled
    dense = saving.deserialize_keras_object({"class_name": "Dense", "config": {"units": 3}, "module": "keras.layers",
                                             "registered_name": None})
    assert type(dense) is layered.layers.Dense and dense.units == 3
    opt = utils.deserialize_keras_object(utils.serialize_keras_object(layered.optimizers.Adam(0.1)))
    assert type(opt) is layered.optimizers.Adam and opt.learning_rate == pytest.approx(0.1)
    init = saving.deserialize_keras_object(saving.serialize_keras_object(layered.initializers.HeNormal(seed=3)))
    assert init.get_config() == {"seed": 3, "input_axes": None, "output_axes": None}
    assert saving.deserialize_keras_object("relu") == "relu"
    found = saving.deserialize_keras_object({"class_name": "Unregistered", "config": {}},
                                            custom_objects={"Unregistered": Unregistered})
    assert type(found) is Unregistered


def test_deserialize_functions_by_name_and_unknown_names():
    def function(name):
        return {"module": "builtins", "class_name": "function", "config": name, "registered_name": "function"}
    assert saving.deserialize_keras_object(function("relu")) is layered.activations.relu
    assert saving.deserialize_keras_object(function("mean_squared_error")) is \
        layered.losses.get("mean_squared_error")
    with pytest.raises(TypeError, match="could not find the function 'nope'"):
        saving.deserialize_keras_object(function("nope"))
    with pytest.raises(TypeError, match="could not find the class 'Nope'.*register_keras_serializable"):
        saving.deserialize_keras_object({"class_name": "Nope", "config": {}})


def test_save_model_and_load_model_with_scope(backend, tmp_path):
    model = layered.Sequential([layered.Input((3,)), Unregistered(), Scaled(), layered.layers.Dense(2)])
    path = str(tmp_path / "m.layered")
    saving.save_model(model, path)
    with pytest.raises(ValueError, match="unknown class 'Unregistered'"):
        saving.load_model(path)
    x = np.ones((2, 3), "float32")
    with saving.custom_object_scope({"Unregistered": Unregistered}):
        loaded = saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    layered.models.save_model(model, path)
    loaded = layered.models.load_model(path, custom_objects={"Unregistered": Unregistered})
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_clone_functional_model_has_new_weights_same_names(backend):
    inputs = layered.Input((4,))
    hidden = layered.layers.Dense(3, activation="relu")(inputs)
    model = layered.Model(inputs, layered.layers.Dense(2)(hidden))
    clone = layered.models.clone_model(model)
    assert clone.name == model.name
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    assert all(a is not b for a, b in zip(clone.layers, model.layers))
    assert not np.allclose(clone.layers[1].kernel.numpy(), model.layers[1].kernel.numpy())
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    on_new_input = layered.models.clone_model(model, input_tensors=layered.Input((4,)))
    assert on_new_input.predict(x, verbose=0).shape == (5, 2)


def test_clone_sequential_with_clone_function():
    model = layered.Sequential([layered.Input((4,)), layered.layers.Dense(3), layered.layers.Dense(2)])
    clone = layered.models.clone_model(model)
    assert isinstance(clone, layered.Sequential) and clone.built and len(clone.weights) == 4
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    last = model.layers[-1]
    wider = layered.models.clone_model(
        model, clone_function=lambda layer: layered.layers.Dense(5) if layer is last
        else type(layer).from_config(layer.get_config()))
    assert wider.output_shape == (None, 5)
    unbuilt = layered.models.clone_model(layered.Sequential([layered.layers.Dense(3)]))
    assert not unbuilt.built


def test_clear_session_restarts_layer_names():
    layered.layers.Dense(1)
    utils.clear_session()
    assert layered.layers.Dense(1).name == "dense"
    assert layered.layers.Dense(1).name == "dense_1"
    assert layered.Sequential().name == "sequential"


@saving.register_keras_serializable(package="TestInits")
class HalfInit(layered.initializers.Initializer):
    def __call__(self, shape, dtype=None):
        return np.full(shape, 0.5, dtype="float32")

    def get_config(self):
        return {}


@saving.register_keras_serializable(package="TestRegs")
class SquareReg(layered.regularizers.Regularizer):
    def __init__(self, strength=0.1):
        self.strength = strength

    def __call__(self, x):
        return self.strength * layered.ops.sum(layered.ops.square(x))

    def get_config(self):
        return {"strength": self.strength}


def test_registered_initializer_and_regularizer_survive_a_layer_config():
    assert layered.initializers.serialize(HalfInit()) == {"class_name": "HalfInit", "config": {},
                                                          "registered_name": "TestInits>HalfInit"}
    dense = layered.layers.Dense(2, kernel_initializer=HalfInit(), kernel_regularizer=SquareReg(0.2))
    again = layered.layers.Dense.from_config(dense.get_config())
    assert type(again.kernel_initializer) is HalfInit
    assert type(again.kernel_regularizer) is SquareReg and again.kernel_regularizer.strength == 0.2
