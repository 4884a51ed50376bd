"""The Keras `TensorBoard` callback, its logs read back with the real tensorboard package."""
import os
import warnings

import numpy as np
import pytest
from tensorboard.backend.event_processing import event_accumulator, plugin_event_accumulator
from tensorboard.util import tensor_util

import layered
from layered import layers
from layered.callbacks import LambdaCallback, TensorBoard


def _model(dropout=0.0):
    layered.utils.set_random_seed(1)
    model = layered.Sequential([layered.Input(shape=(6,)), layers.Dense(5, activation="relu"),
                                layers.Dropout(dropout), layers.Dense(3, activation="softmax")])
    model.compile(optimizer=layered.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def _data(n=64):
    rng = np.random.default_rng(0)
    return rng.random((n, 6), dtype=np.float32), rng.integers(0, 3, size=n)


def _run(logdir, run):
    acc = event_accumulator.EventAccumulator(os.path.join(str(logdir), run), size_guidance={
        event_accumulator.SCALARS: 0, event_accumulator.HISTOGRAMS: 0})
    acc.Reload()
    return acc


def _values(acc, tag):
    return [(e.step, e.value) for e in acc.Scalars(tag)]


def test_epoch_scalars_equal_the_history(tmp_path, backend):
    model = _model(dropout=0.2)
    x, y = _data()
    history = model.fit(x, y, batch_size=16, epochs=3, validation_split=0.25, verbose=0,
                        callbacks=[TensorBoard(log_dir=tmp_path)])
    assert sorted(os.listdir(tmp_path)) == ["train", "validation"]
    train, validation = _run(tmp_path, "train"), _run(tmp_path, "validation")
    for name in ("loss", "accuracy"):
        expected = [(epoch, float(np.float32(v))) for epoch, v in enumerate(history.history[name])]
        assert _values(train, f"epoch_{name}") == expected
        expected = [(epoch, float(np.float32(v))) for epoch, v in enumerate(history.history[f"val_{name}"])]
        assert _values(validation, f"epoch_{name}") == expected  # no val_ prefix, as in Keras
    assert _values(train, "epoch_learning_rate") == [(e, float(np.float32(0.01))) for e in range(3)]
    assert not any(tag.startswith("epoch_val_") for tag in train.Tags()["scalars"])
    assert [step for step, _ in _values(validation, "evaluation_loss_vs_iterations")] == [3, 6, 9]
    assert not train.Tags()["histograms"]  # histogram_freq=0


def test_graph_is_the_training_step_with_layer_scopes(tmp_path, backend):
    model = _model(dropout=0.2)
    x, y = _data()
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[TensorBoard(log_dir=tmp_path)])
    train = _run(tmp_path, "train")
    graph = train.Graph()
    names = {n.name for n in graph.node}
    dense, _, dense_1 = [f"{model.name}/{layer.name}" for layer in model.layers]
    step_function = model._steps.last_train_step.function
    expected = (len(step_function.graph.inputs) + len(step_function.graph.constants())
                + len(step_function.graph.nodes) + len(step_function.updates))
    assert len(graph.node) == expected
    assert {f"{dense}/MatMul", f"{dense}/kernel", f"{dense_1}/kernel"} <= names
    assert any(name.startswith(f"gradients/{dense}/") for name in names)
    assert any(name.startswith("optimizer/") for name in names)


def test_weight_histograms_and_images_every_histogram_freq_epochs(tmp_path):
    model = _model()
    x, y = _data()
    model.fit(x, y, batch_size=32, epochs=4, verbose=0,
              callbacks=[TensorBoard(log_dir=tmp_path, histogram_freq=2, write_images=True)])
    train = _run(tmp_path, "train")
    paths = [w.path for w in model.weights]  # "dense_3/kernel", ...: layer names are unique per process
    assert set(train.Tags()["histograms"]) == set(paths) and len(paths) == 4
    kernels = train.Histograms(paths[0])
    assert [e.step for e in kernels] == [0, 2]
    final = model.weights[0].numpy()
    assert kernels[-1].histogram_value.num == final.size
    assert kernels[-1].histogram_value.max <= final.max() + 1.0  # same weight, two epochs earlier
    plugins = plugin_event_accumulator.EventAccumulator(os.path.join(str(tmp_path), "train"))
    plugins.Reload()
    assert set(plugins.PluginTagToContent("images")) == {f"{paths[0]}/image", f"{paths[2]}/image"}  # kernels
    width, height, _ = tensor_util.make_ndarray(plugins.Tensors(f"{paths[0]}/image")[0].tensor_proto)
    assert (int(height), int(width)) == (6, 5)  # inputs x units


def test_batch_logs_are_read_only_every_update_freq_batches(tmp_path, backend):
    model = _model()
    x, y = _data(128)
    reads = []
    original = model.get_metrics_result

    def counting():
        reads.append(1)
        return original()

    model.get_metrics_result = counting  # what the fit loop's lazy batch logs call when read
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[TensorBoard(log_dir=tmp_path, update_freq=3)])
    train = _run(tmp_path, "train")
    assert [step for step, _ in _values(train, "batch_loss")] == [3, 6, 9, 12, 15]
    assert len(reads) == 5 + 2  # five logged batches, two epoch ends


def test_update_freq_batch_logs_every_batch(tmp_path):
    model = _model()
    x, y = _data()
    model.fit(x, y, batch_size=16, epochs=2, verbose=0,
              callbacks=[TensorBoard(log_dir=tmp_path, update_freq="batch", write_steps_per_second=True)])
    train = _run(tmp_path, "train")
    assert [step for step, _ in _values(train, "batch_loss")] == list(range(1, 9))
    assert [step for step, _ in _values(train, "epoch_steps_per_second")] == [0, 1]
    assert all(v > 0 for _, v in _values(train, "batch_steps_per_second"))


def test_unwritable_log_dir_fails_before_any_training_step(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    model = _model()
    x, y = _data()
    before = [w.copy() for w in model.get_weights()]
    batches = []
    record = LambdaCallback(on_train_batch_begin=lambda batch, logs: batches.append(batch))
    with pytest.raises(OSError, match="cannot write TensorBoard event files"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[TensorBoard(log_dir=blocker / "logs"), record])
    assert batches == []
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_second_fit_writes_new_files_and_continues_batch_steps(tmp_path):
    model = _model()
    x, y = _data()
    callback = TensorBoard(log_dir=tmp_path, update_freq=2)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[callback])
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[callback])
    assert len(os.listdir(tmp_path / "train")) == 2
    assert [step for step, _ in _values(_run(tmp_path, "train"), "batch_loss")] == [2, 4, 6, 8]


def test_invalid_arguments():
    with pytest.raises(ValueError, match="update_freq"):
        TensorBoard(update_freq="sometimes")
    with pytest.raises(ValueError, match="update_freq"):
        TensorBoard(update_freq=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        TensorBoard(profile_batch=2, embeddings_freq=1)
    assert len(caught) == 2 and "not supported" in str(caught[0].message)


def test_the_tour_example_runs_and_logs(tmp_path):
    import importlib
    import sys
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.path.insert(0, os.path.join(root, "examples"))
    try:
        tour = importlib.import_module("03_tensorboard_tour")
    finally:
        sys.path.pop(0)
    accuracy = tour.main(epochs=2, logdir=str(tmp_path), verbose=0)
    assert 0.0 <= accuracy <= 1.0
    assert sorted(os.listdir(tmp_path)) == ["notes", "train", "validation"]
    train = _run(tmp_path, "train")
    assert len(train.Scalars("epoch_loss")) == 2 and train.Tags()["graph"]
