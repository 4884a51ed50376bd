"""Lambda layers in saved models (safe mode on every loading path) and saving before training."""
import json
import warnings

import numpy as np
import pytest

import layered
from layered import layers, ops
from layered.saving import functions

X = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
Y = X.sum(1, keepdims=True)


def double(x):
    """A module-level function: saved as "tests.saving.test_lambda_and_fresh_optimizer:double"."""
    return x * 2.0


def keep_mask(inputs, mask):
    return mask


@layered.saving.register_serializable(package="Tests")
def triple(x):
    return x * 3.0


def sequential(function, **kwargs):
    layered.utils.set_random_seed(0)
    return layered.Sequential([layered.Input(shape=(4,)), layers.Lambda(function, name="fn", **kwargs),
                               layers.Dense(1, name="head")], name="with_lambda")


def functional(function):
    layered.utils.set_random_seed(0)
    inputs = layered.Input(shape=(4,), name="x")
    return layered.Model(inputs, layers.Dense(1, name="head")(layers.Lambda(function, name="fn")(inputs)))


# ------------------------------------------------------------ safe mode, path by path

def test_load_model_refuses_a_named_function_unless_safe_mode_is_off(tmp_path, backend):
    model = sequential(double)
    model.compile(optimizer="adam", loss="mse")
    model.save(tmp_path / "m.layered")
    with pytest.raises(ValueError, match=r"Lambda layer 'fn'.*import and call '[\w.]*test_lambda_and_fresh_optimizer:"
                                         r"double'.*safe mode.*load_model\(path, safe_mode=False\)"):
        layered.models.load_model(tmp_path / "m.layered")
    assert layered.saving.in_safe_mode()  # the refusal left the default in place
    loaded = layered.models.load_model(tmp_path / "m.layered", safe_mode=False)
    assert loaded.layers[0].function is double
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    assert layered.saving.in_safe_mode()


def test_custom_objects_and_registered_functions_load_in_safe_mode(tmp_path):
    sequential(double).save(tmp_path / "double.layered")
    loaded = layered.models.load_model(tmp_path / "double.layered", custom_objects={"double": double})
    assert loaded.layers[0].function is double
    config = layers.Lambda(triple).get_config()
    assert config["function"] == "Tests>triple"
    sequential(triple).save(tmp_path / "triple.layered")
    assert layered.models.load_model(tmp_path / "triple.layered").layers[0].function is triple


def test_model_from_json_and_from_config_are_safe_by_default():
    for model in (sequential(double), functional(double)):
        with pytest.raises(ValueError, match="refused in safe mode"):
            layered.models.model_from_json(model.to_json())
        with layered.saving.safe_mode_scope(False):
            clone = layered.models.model_from_json(model.to_json())
        assert [layer.function for layer in clone.layers if isinstance(layer, layers.Lambda)] == [double]
    config = functional(double).get_config()
    with pytest.raises(ValueError, match="refused in safe mode"):
        layered.Model.from_config(config)
    with layered.saving.safe_mode_scope(False):
        assert isinstance(layered.Model.from_config(config), layered.Model)
    layer_config = layers.Lambda(double, name="fn").get_config()
    with pytest.raises(ValueError, match="refused in safe mode"):
        layers.Lambda.from_config(layer_config)
    assert layers.Lambda.from_config(layer_config, safe_mode=False).function is double
    assert layers.Lambda.from_config(layer_config, custom_objects={"double": double}).function is double


def test_a_python_lambda_is_saved_by_name_only_and_needs_custom_objects(tmp_path):
    model = sequential(lambda x: x * 3.0)
    with pytest.warns(UserWarning, match=r"Lambda layer 'fn'.*lambda or a local function.*custom_objects"):
        model.save(tmp_path / "m.layered")
    refusal = r"keeps only the name of its function \('[\w.]*:[\w.<>]*<lambda>'\), not its code.*\{'<lambda>': fn\}"
    for safe_mode in (True, False):  # no safe mode can bring back code that was never stored
        with pytest.raises(ValueError, match=refusal):
            layered.models.load_model(tmp_path / "m.layered", safe_mode=safe_mode)
    loaded = layered.models.load_model(tmp_path / "m.layered", custom_objects={"<lambda>": lambda x: x * 3.0})
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-6)


def test_output_shape_and_mask_functions_are_references_too():
    layer = layers.Lambda(double, output_shape=lambda shape: shape, mask=keep_mask, name="fn")
    config = json.loads(json.dumps(layer.get_config()))  # JSON-able, no function objects inside
    assert config["mask"].endswith(":keep_mask") and config["output_shape"].endswith(".<lambda>")
    with pytest.raises(ValueError, match="its output_shape"):
        layers.Lambda.from_config(config, safe_mode=False)
    rebuilt = layers.Lambda.from_config(config, custom_objects={"<lambda>": tuple}, safe_mode=False)
    assert (rebuilt.function, rebuilt.mask, rebuilt.output_shape_arg) == (double, keep_mask, tuple)
    assert layers.Lambda.from_config({**config, "output_shape": [4], "mask": None}, safe_mode=False).mask is None


def test_references_never_import_in_safe_mode_and_fail_clearly_outside():
    assert functions.importable("os.path:join") and not functions.importable("m:f.<locals>.g")
    with pytest.raises(ValueError, match="refused in safe mode"):
        functions.resolve_function("os:system", "evil")
    with pytest.raises(ValueError, match="cannot find its function 'layered.ops:no_such_op'"):
        functions.resolve_function("layered.ops:no_such_op", "fn", safe_mode=False)
    with pytest.raises(ValueError, match="is not callable"):
        functions.resolve_function("layered:__version__", "fn", safe_mode=False)
    assert functions.resolve_function("layered.ops:square", "fn", safe_mode=False) is ops.square


def test_importable_functions_save_without_a_warning(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sequential(double).save(tmp_path / "m.layered")


# ------------------------------------------------------------ saving before the first step

def test_compiled_but_never_trained_model_saves_loads_and_trains(tmp_path, backend):
    model = sequential(double)
    model.compile(optimizer=layered.optimizers.Adam(0.01), loss="mse")
    model.save(tmp_path / "fresh.layered")
    loaded = layered.models.load_model(tmp_path / "fresh.layered", safe_mode=False)
    assert int(loaded.optimizer.iterations) == 0 and not loaded.optimizer.built
    for m in (model, loaded):
        layered.utils.set_random_seed(3)
        m.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert int(loaded.optimizer.iterations) == 4
    loaded.save(tmp_path / "trained.layered")  # now with slots: those load as before
    again = layered.models.load_model(tmp_path / "trained.layered", safe_mode=False)
    assert again.optimizer.built and int(again.optimizer.iterations) == 4


def test_an_unbuilt_sequential_saved_before_training(tmp_path):
    model = layered.Sequential([layers.Dense(3, activation="relu"), layers.Dense(1)])
    model.compile(optimizer="nadam", loss="mse")
    model.save(tmp_path / "m.layered")
    loaded = layered.models.load_model(tmp_path / "m.layered")
    loaded.fit(X, Y, batch_size=8, epochs=1, verbose=0)
    assert int(loaded.optimizer.iterations) == 2


def test_a_trained_state_with_its_slots_removed_is_still_refused(tmp_path):
    model = sequential(double)
    model.compile(optimizer="adam", loss="mse")
    model.fit(X, Y, epochs=1, verbose=0)
    state = layered.saving.optimizer_arrays(model.optimizer, model.trainable_weights)
    stripped = {key: value for key, value in state.items() if not key.startswith("slot:")}
    fresh = sequential(double)
    fresh.compile(optimizer="adam", loss="mse")
    with pytest.raises(ValueError, match="the file has no entry for 'slot:0:"):
        layered.saving.assign_optimizer_arrays(fresh.optimizer, fresh.trainable_weights, stripped)
