"""compile / fit / evaluate / predict against NumPy references, on both backends."""
import numpy as np
import pytest

import layered
from layered import layers


def linear_data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]], "float32") + 0.3).astype("float32")
    return x, y


def linear_model(kernel=None):
    model = layered.Sequential([layered.Input(shape=(3,)), layers.Dense(1)])
    if kernel is not None:
        model.set_weights([kernel, np.zeros(1, "float32")])
    return model


def test_one_sgd_step_matches_the_closed_form_gradient(backend):
    x, y = linear_data(8)
    kernel = np.full((3, 1), 0.1, "float32")
    model = linear_model(kernel)
    model.compile(optimizer=layered.optimizers.SGD(0.1), loss="mse")
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    error = x @ kernel - y
    expected_kernel = kernel - 0.1 * (2 * x.T @ error / len(x))
    expected_bias = -0.1 * 2 * error.mean(0)
    new_kernel, new_bias = model.get_weights()
    np.testing.assert_allclose(new_kernel, expected_kernel, rtol=1e-5)
    np.testing.assert_allclose(new_bias, expected_bias, rtol=1e-5)


def test_fit_converges_and_history_records_each_epoch(backend):
    layered.utils.set_random_seed(1)
    x, y = linear_data(256)
    model = linear_model()
    model.compile(optimizer=layered.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    history = model.fit(x, y, batch_size=16, epochs=20, verbose=0, validation_split=0.25)
    assert set(history.history) == {"loss", "mae", "val_loss", "val_mae"}
    assert len(history.history["loss"]) == 20 and history.epoch == list(range(20))
    assert history.history["loss"][-1] < 1e-3 < history.history["loss"][0]
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(kernel[:, 0], [1.0, -2.0, 0.5], atol=0.02)
    assert model.history is history


def test_evaluate_loss_is_the_weighted_mean_over_batches(backend):
    x, y = linear_data(50)
    model = linear_model(np.ones((3, 1), "float32"))
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    loss, mae = model.evaluate(x, y, batch_size=16, verbose=0)  # batches of 16, 16, 16, 2
    pred = x @ np.ones((3, 1), "float32")
    np.testing.assert_allclose(loss, np.mean((pred - y) ** 2), rtol=1e-5)
    np.testing.assert_allclose(mae, np.mean(np.abs(pred - y)), rtol=1e-5)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "mae"}


def test_sample_weight_and_class_weight_scale_the_loss(backend):
    x, y = linear_data(20)
    model = linear_model(np.ones((3, 1), "float32"))
    model.compile(optimizer="sgd", loss="mse")
    weights = np.linspace(0.0, 2.0, 20).astype("float32")
    pred = x @ np.ones((3, 1), "float32")
    expected = np.sum(weights * ((pred - y) ** 2)[:, 0]) / 20  # sum over batch size, as in Keras
    np.testing.assert_allclose(model.evaluate(x, y, sample_weight=weights, batch_size=20, verbose=0), expected,
                               rtol=1e-5)

    clf = layered.Sequential([layered.Input(shape=(3,)), layers.Dense(2, activation="softmax")])
    clf.compile(optimizer=layered.optimizers.SGD(0.0), loss="sparse_categorical_crossentropy")
    labels = (x[:, 0] > 0).astype("int64")
    probs = clf.predict(x, verbose=0)
    nll = -np.log(probs[np.arange(20), labels])
    history = clf.fit(x, labels, class_weight={0: 1.0, 1: 3.0}, batch_size=20, epochs=1, verbose=0)
    expected = np.sum(nll * np.where(labels == 1, 3.0, 1.0)) / 20
    np.testing.assert_allclose(history.history["loss"][0], expected, rtol=1e-5)


def test_multi_output_losses_weights_and_log_names(backend):
    inputs = layered.Input(shape=(3,), name="x")
    a = layers.Dense(1, name="reg", kernel_initializer="ones")(inputs)
    b = layers.Dense(2, name="cls", activation="softmax", kernel_initializer="zeros")(inputs)
    model = layered.Model(inputs, [a, b])
    model.compile(optimizer="sgd", loss={"reg": "mse", "cls": "sparse_categorical_crossentropy"},
                  loss_weights={"reg": 0.5, "cls": 2.0}, metrics={"cls": ["accuracy"]})
    x, y = linear_data(10)
    labels = np.arange(10) % 2
    logs = model.evaluate(x, {"reg": y, "cls": labels}, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "reg_loss", "cls_loss", "cls_accuracy"}
    mse = np.mean((x.sum(1, keepdims=True) - y) ** 2)
    np.testing.assert_allclose(logs["reg_loss"], mse, rtol=1e-5)
    np.testing.assert_allclose(logs["cls_loss"], np.log(2.0), rtol=1e-5)
    np.testing.assert_allclose(logs["loss"], 0.5 * mse + 2.0 * np.log(2.0), rtol=1e-5)
    history = model.fit(x, [y, labels], epochs=2, verbose=0)
    assert set(history.history) == {"loss", "reg_loss", "cls_loss", "cls_accuracy"}


def test_generators_iterables_and_steps_per_epoch(backend):
    x, y = linear_data(64)

    def batches():
        while True:
            for i in range(0, 64, 16):
                yield x[i:i + 16], y[i:i + 16]

    model = linear_model(np.zeros((3, 1), "float32"))
    model.compile(optimizer=layered.optimizers.SGD(0.05), loss="mse")
    history = model.fit(batches(), steps_per_epoch=4, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 3

    reiterable = [(x[i:i + 16], y[i:i + 16]) for i in range(0, 64, 16)]
    model.fit(iter(reiterable), epochs=1, verbose=0)
    result = model.evaluate(reiterable, verbose=0)
    np.testing.assert_allclose(result, model.evaluate(x, y, verbose=0), rtol=1e-5)
    np.testing.assert_allclose(model.predict((x[i:i + 16] for i in range(0, 64, 16)), verbose=0),
                               model.predict(x, verbose=0), rtol=1e-6)


def test_validation_data_initial_epoch_and_on_batch_methods(backend):
    x, y = linear_data(32)
    model = linear_model(np.zeros((3, 1), "float32"))
    model.compile(optimizer=layered.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    history = model.fit(x, y, epochs=5, initial_epoch=3, validation_data=(x, y), verbose=0)
    assert history.epoch == [3, 4] and "val_mae" in history.history
    loss, mae = model.train_on_batch(x, y)
    assert np.isfinite(loss) and np.isfinite(mae)
    logs = model.test_on_batch(x, y, return_dict=True)
    np.testing.assert_allclose(logs["loss"], np.mean((model.predict_on_batch(x) - y) ** 2), rtol=1e-5)


def test_same_seed_gives_bit_identical_training(backend):
    x, y = linear_data(64)

    def run():
        layered.utils.set_random_seed(7)
        model = layered.Sequential([layered.Input(shape=(3,)), layers.Dense(8, activation="relu"),
                                    layers.Dropout(0.3), layers.Dense(1)])
        model.compile(optimizer=layered.optimizers.SGD(0.05, momentum=0.9), loss="mse")
        model.fit(x, y, batch_size=8, epochs=3, verbose=0)
        return model.get_weights()

    for a, b in zip(run(), run()):
        np.testing.assert_array_equal(a, b)


def test_dropout_is_active_in_fit_only(backend):
    model = layered.Sequential([layered.Input(shape=(50,)), layers.Dropout(0.5)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((4, 50), "float32")
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)
    # The loss in training sees the dropped units: (dropped - 1)^2 averages about 0.5 * 1 + 0.5 * 1.
    loss = model.fit(x, x, epochs=1, verbose=0).history["loss"][0]
    assert 0.6 < loss < 1.4
    assert model.evaluate(x, x, verbose=0) == 0.0


def test_numpy_and_jax_train_to_the_same_weights():
    pytest.importorskip("jax")
    import os
    x, y = linear_data(64)
    results = []
    for name in ("numpy", "jax"):
        os.environ["LAYERED_BACKEND"] = name
        try:
            layered.utils.set_random_seed(3)
            model = layered.Sequential([layered.Input(shape=(3,)), layers.Dense(8, activation="tanh"),
                                        layers.Dense(1)])
            model.compile(optimizer=layered.optimizers.SGD(0.05, momentum=0.5), loss="mse")
            model.fit(x, y, batch_size=16, epochs=3, verbose=0)
            results.append(model.get_weights())
        finally:
            os.environ.pop("LAYERED_BACKEND")
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("steps_per_execution", [3, 4])
def test_steps_per_execution_matches_one_step_per_call(backend, steps_per_execution):
    x, y = linear_data(80)  # 10 batches of 8: blocks of 3 leave a partial block, blocks of 4 too

    def run(k):
        layered.utils.set_random_seed(11)
        model = layered.Sequential([layered.Input(shape=(3,)), layers.Dense(6, activation="tanh"),
                                    layers.Dropout(0.2), layers.Dense(1)])
        model.compile(optimizer="adam", loss="mse", metrics=["mae"], steps_per_execution=k)
        ends = []
        probe = layered.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: ends.append(batch))
        history = model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[probe])
        return model, history, ends

    one, history_one, _ = run(1)
    fused, history_fused, ends = run(steps_per_execution)
    k = steps_per_execution
    expected_ends = [min(i + k, 10) - 1 for i in range(0, 10, k)]
    assert ends == expected_ends * 2
    for a, b in zip(one.get_weights(), fused.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(history_one.history["loss"], history_fused.history["loss"], rtol=1e-5)
    np.testing.assert_allclose(one.evaluate(x, y, batch_size=8, verbose=0),
                               fused.evaluate(x, y, batch_size=8, verbose=0), rtol=1e-5)
    np.testing.assert_allclose(one.predict(x, batch_size=8, verbose=0), fused.predict(x, batch_size=8, verbose=0),
                               rtol=1e-5, atol=1e-6)
