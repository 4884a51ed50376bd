import os

import numpy as np
import pytest

import layered
from layered.callbacks import LambdaCallback, ModelCheckpoint
from tests.callbacks.fakes import FakeModel, LazyLogs, run_fit

X = np.random.default_rng(0).normal(size=(32, 3)).astype("float32")
Y = X @ np.array([[1.0], [-1.0], [2.0]], "float32")


def small_model():
    layered.utils.set_random_seed(0)
    model = layered.Sequential([layered.Input((3,)), layered.layers.Dense(4), layered.layers.Dense(1)])
    model.compile(optimizer=layered.optimizers.SGD(0.01), loss="mse", metrics=["mae"])
    return model


def scripted(key, values):
    """Replaces the epoch log `key` by the next scripted value (put it before the checkpoint)."""
    return LambdaCallback(on_epoch_end=lambda epoch, logs: logs.update({key: values[epoch]}))


def fit(model, callbacks, epochs, **kwargs):
    return model.fit(X, Y, batch_size=8, epochs=epochs, verbose=0, callbacks=callbacks, **kwargs)


def test_save_best_only_writes_only_improvements(tmp_path, capsys):
    saved = []
    checkpoint = ModelCheckpoint(str(tmp_path / "w-{epoch:02d}.weights.npz"), save_best_only=True,
                                 save_weights_only=True, verbose=1)
    record = LambdaCallback(on_epoch_end=lambda epoch, logs: saved.append(sorted(os.listdir(tmp_path))))
    fit(small_model(), [scripted("val_loss", [1.0, 0.5, 0.7, 0.4, 0.9]), checkpoint, record], epochs=5)
    assert sorted(os.listdir(tmp_path)) == ["w-01.weights.npz", "w-02.weights.npz", "w-04.weights.npz"]
    assert len(saved[2]) == 2  # nothing was written at the worse epoch
    assert checkpoint.best == 0.4
    out = capsys.readouterr().out
    assert "Epoch 2: val_loss improved from 1.00000 to 0.50000, saving to" in out
    assert "Epoch 3: val_loss did not improve from 0.50000" in out


def test_a_fixed_name_holds_the_best_weights_which_load_back_equal(tmp_path):
    path = tmp_path / "best.weights.npz"
    model = small_model()
    best = {}
    keep = LambdaCallback(on_epoch_end=lambda epoch, logs: best.setdefault(logs["val_loss"], model.get_weights()))
    checkpoint = ModelCheckpoint(path, save_best_only=True, save_weights_only=True)
    fit(model, [scripted("val_loss", [3.0, 1.0, 2.0, 4.0]), keep, checkpoint], epochs=4)
    fresh = small_model()
    fresh.load_weights(path)
    assert all(np.array_equal(a, b) for a, b in zip(fresh.get_weights(), best[1.0]))


def test_every_epoch_and_names_from_the_logs(tmp_path):
    model = small_model()
    checkpoint = ModelCheckpoint(str(tmp_path / "{epoch:02d}-{loss:.3f}-{val_mae:.2f}.weights.npz"),
                                 save_weights_only=True)
    history = fit(model, [checkpoint], epochs=3, validation_split=0.25)
    expected = [f"{e + 1:02d}-{history.history['loss'][e]:.3f}-{history.history['val_mae'][e]:.2f}.weights.npz"
                for e in range(3)]
    assert sorted(os.listdir(tmp_path)) == expected
    last = small_model()
    last.load_weights(tmp_path / expected[-1])
    assert all(np.array_equal(a, b) for a, b in zip(last.get_weights(), model.get_weights()))


def test_mode_max_and_the_initial_threshold(tmp_path):
    checkpoint = ModelCheckpoint(str(tmp_path / "{epoch}.weights.npz"), monitor="val_accuracy",
                                 save_best_only=True, save_weights_only=True, initial_value_threshold=0.6)
    fit(small_model(), [scripted("val_accuracy", [0.5, 0.7, 0.65, 0.8]), checkpoint], epochs=4)
    assert checkpoint.direction == "max"
    assert sorted(os.listdir(tmp_path)) == ["2.weights.npz", "4.weights.npz"]


def test_a_missing_monitor_warns_and_skips(tmp_path):
    checkpoint = ModelCheckpoint(str(tmp_path / "w.weights.npz"), save_best_only=True, save_weights_only=True)
    with pytest.warns(UserWarning, match="only when 'val_loss' is in the logs"):
        fit(small_model(), [checkpoint], epochs=1)
    assert not os.listdir(tmp_path)


def test_save_freq_counts_batches_and_reads_logs_only_when_saving(tmp_path):
    LazyLogs.loads = 0
    checkpoint = ModelCheckpoint(str(tmp_path / "e{epoch}-b{batch}.weights.npz"), save_weights_only=True,
                                 save_freq=2)
    model = FakeModel()
    model.save_weights = lambda path, overwrite: open(path, "wb").close()
    run_fit([checkpoint], [{"loss": 1.0}] * 2, model=model, steps=3, batch_logs=lambda: LazyLogs(loss=0.5))
    # 6 batches in two epochs of 3: saves after the 2nd, 4th and 6th batch.
    assert sorted(os.listdir(tmp_path)) == ["e1-b2.weights.npz", "e2-b1.weights.npz", "e2-b3.weights.npz"]
    assert LazyLogs.loads == 0  # the name needs no log

    checkpoint = ModelCheckpoint(str(tmp_path / "best.weights.npz"), monitor="loss", save_best_only=True,
                                 save_weights_only=True, save_freq=3)
    run_fit([checkpoint], [{"loss": 1.0}] * 2, model=model, steps=3, batch_logs=lambda: LazyLogs(loss=0.5))
    assert LazyLogs.loads == 2  # one read per save point, none in between


def test_save_freq_in_a_real_fit_with_steps_per_execution(tmp_path):
    model = small_model()
    model.compile(optimizer="sgd", loss="mse", steps_per_execution=2)
    checkpoint = ModelCheckpoint(str(tmp_path / "{epoch}-{batch}.weights.npz"), save_weights_only=True, save_freq=3)
    fit(model, [checkpoint], epochs=1)  # 4 batches, reported after batches 2 and 4
    assert sorted(os.listdir(tmp_path)) == ["1-4.weights.npz"]


def test_whole_models_are_saved_with_model_save(tmp_path):
    model = small_model()
    fit(model, [ModelCheckpoint(str(tmp_path / "model-{epoch}.layered"))], epochs=2)
    assert sorted(os.listdir(tmp_path)) == ["model-1.layered", "model-2.layered"]
    loaded = layered.models.load_model(tmp_path / "model-2.layered")
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


def test_without_model_save_whole_model_checkpoints_fail_at_train_begin(tmp_path):
    checkpoint = ModelCheckpoint(str(tmp_path / "model.layered"))
    with pytest.raises(NotImplementedError, match="save_weights_only=True"):
        run_fit([checkpoint], [{"val_loss": 1.0}])


def test_an_unwritable_folder_fails_before_any_step(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder")
    model = small_model()
    checkpoint = ModelCheckpoint(str(blocker / "ckpt" / "{epoch}.weights.npz"), save_weights_only=True)
    with pytest.raises(OSError, match=r"ModelCheckpoint cannot write to the folder '.*file/ckpt'"):
        fit(model, [checkpoint], epochs=1)
    assert int(model.optimizer.iterations.numpy()) == 0


def test_folders_in_the_name_are_created(tmp_path):
    fit(small_model(), [ModelCheckpoint(str(tmp_path / "run" / "{epoch}" / "w.weights.npz"),
                                        save_weights_only=True)], epochs=2)
    assert sorted(os.listdir(tmp_path / "run")) == ["1", "2"]


@pytest.mark.parametrize("kwargs, message", [
    ({"filepath": "w.h5", "save_weights_only": True}, r"\.weights\.npz"),
    ({"filepath": "model.h5"}, r"'\.layered' or '\.keras'"),
    ({"filepath": "w.weights.npz", "save_weights_only": True, "save_freq": 0}, "save_freq"),
    ({"filepath": "w.weights.npz", "save_weights_only": True, "save_freq": "batch"}, "save_freq"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ModelCheckpoint(**kwargs)


def test_an_unknown_name_field_is_a_clear_error(tmp_path):
    checkpoint = ModelCheckpoint(str(tmp_path / "{epoch}-{val_acc}.weights.npz"), save_weights_only=True)
    with pytest.raises(KeyError, match="nothing is called 'val_acc'.*loss"):
        fit(small_model(), [checkpoint], epochs=1)
