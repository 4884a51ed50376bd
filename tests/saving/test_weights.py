"""Weights files (`*.weights.npz`) and optimizer state: round trips, checks, refusals, atomicity."""
import os
import warnings

import numpy as np
import pytest

import layered
from layered import layers, saving

X = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
Y = X @ np.array([[1.0], [-2.0], [0.5], [3.0]], "float32")


def mlp(hidden=8, extra=False, optimizer="adam"):
    stack = [layered.Input((4,)), layers.Dense(hidden, activation="relu")]
    stack += [layers.Dense(hidden)] if extra else []
    model = layered.Sequential(stack + [layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse")
    return model


def same(a, b):
    return len(a) == len(b) and all(x.shape == y.shape and np.array_equal(x, y) for x, y in zip(a, b))


# ---------------------------------------------------------------- weights files

def test_round_trip(backend, tmp_path):
    model = mlp()
    model.fit(X, Y, epochs=2, batch_size=8, verbose=0)  # the values now live on the backend
    path = tmp_path / "model.weights.npz"
    model.save_weights(path)
    other = mlp()  # other layer names (dense_3, ...): loading goes by position
    other.load_weights(path)
    assert same(other.get_weights(), model.get_weights())
    np.testing.assert_array_equal(other.predict(X, verbose=0), model.predict(X, verbose=0))
    with np.load(path, allow_pickle=False) as archive:
        assert [k.split(":")[0] for k in archive.files] == ["00000", "00001", "00002", "00003"]
        assert archive.files[0].endswith("/kernel") and archive.files[1].endswith("/bias")


def test_mismatched_shapes_name_layer_weight_and_shapes_and_assign_nothing(tmp_path):
    path = tmp_path / "model.weights.npz"
    mlp(hidden=8).save_weights(path)
    model = mlp(hidden=6)
    before = model.get_weights()
    with pytest.raises(ValueError) as error:
        model.load_weights(path)
    message = str(error.value)
    first = model.layers[0].name
    assert f"layer '{first}', weight 'kernel'" in message
    assert "(4, 6)" in message and "(4, 8)" in message
    assert "nothing was loaded" in message
    assert same(model.get_weights(), before)


def test_a_different_layer_count_is_refused(tmp_path):
    path = tmp_path / "model.weights.npz"
    mlp().save_weights(path)
    model = mlp(extra=True)
    before = model.get_weights()
    with pytest.raises(ValueError, match="weights in 3 layers.*the file has 2"):
        model.load_weights(path)
    assert same(model.get_weights(), before)


def test_skip_mismatch_loads_the_layers_that_match(tmp_path):
    path = tmp_path / "model.weights.npz"
    source = mlp(hidden=8)
    source.save_weights(path)
    model = mlp(hidden=6)
    last_before = model.layers[1].get_weights()
    with pytest.warns(UserWarning, match="skipped mismatched weights"):
        model.load_weights(path, skip_mismatch=True)
    # The first layer's kernel differs ((4, 8) vs (4, 6)): the whole layer is skipped; the
    # second's kernel differs too; nothing in them changed.
    assert same(model.layers[1].get_weights(), last_before)


def test_an_unbuilt_model_says_to_build_it(tmp_path):
    path = tmp_path / "model.weights.npz"
    mlp().save_weights(path)

    class Net(layered.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)

        def call(self, x):
            return self.dense(x)

    with pytest.raises(ValueError, match="has no weights yet.*build"):
        Net().load_weights(path)


class _Exploit:
    """Unpickling this object would call `_unpickled`."""

    def __reduce__(self):
        return (_unpickled, ())


UNPICKLED = []


def _unpickled():
    UNPICKLED.append(True)
    return 0


def test_a_pickled_object_array_is_refused(tmp_path):
    model = mlp()
    path = tmp_path / "evil.weights.npz"
    arrays = saving.weight_arrays(model)
    arrays["00000:" + model.weights[0].path] = np.array([_Exploit()], dtype=object)
    np.savez(path, **arrays)  # NumPy pickles object arrays
    before = model.get_weights()
    with pytest.raises(ValueError, match="pickled"):
        model.load_weights(path)
    assert not UNPICKLED
    assert same(model.get_weights(), before)
    with pytest.raises(TypeError, match="object array"):
        saving.write_npz(tmp_path / "x.npz", {"a": np.array([None], dtype=object)})


@pytest.mark.parametrize("name", ["model.h5", "model.npz", "model.keras"])
def test_a_wrong_suffix_is_refused(tmp_path, name):
    model = mlp()
    with pytest.raises(ValueError, match=r"must end in '\.weights\.npz'.*\.weights\.h5.*h5py"):
        model.save_weights(tmp_path / name)
    with pytest.raises(ValueError, match=r"\.weights\.npz"):
        model.load_weights(tmp_path / name)
    assert not os.listdir(tmp_path)


def test_other_files_are_refused_clearly(tmp_path):
    model = mlp()
    text = tmp_path / "notes.weights.npz"
    text.write_text("not an archive")
    with pytest.raises(ValueError, match="not an .npz archive"):
        model.load_weights(text)
    foreign = tmp_path / "foreign.weights.npz"
    np.savez(foreign, kernel=np.zeros((4, 8)))
    with pytest.raises(ValueError, match="not a layered weights file: unexpected entry 'kernel'"):
        model.load_weights(foreign)
    with pytest.raises(FileNotFoundError):
        model.load_weights(tmp_path / "missing.weights.npz")


def test_a_failed_write_leaves_the_old_file_intact(tmp_path, monkeypatch):
    model = mlp()
    path = tmp_path / "model.weights.npz"
    model.save_weights(path)
    old_bytes = path.read_bytes()
    model.fit(X, Y, epochs=1, verbose=0)  # new values, which the failed save would have written
    real_savez = np.savez

    def savez_then_crash(file, **arrays):
        real_savez(file, **arrays)
        file.truncate(file.tell() // 2)  # half an archive is on disk when the "crash" comes
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", savez_then_crash)
    with pytest.raises(OSError, match="disk full"):
        model.save_weights(path)
    assert path.read_bytes() == old_bytes
    assert os.listdir(tmp_path) == ["model.weights.npz"]  # no temporary file left behind
    monkeypatch.setattr(np, "savez", real_savez)
    fresh = mlp()
    fresh.load_weights(path)  # still a whole, loadable file


def test_the_temporary_file_of_a_killed_write_can_be_found(tmp_path, monkeypatch):
    path = tmp_path / "model.weights.npz"

    def crash(file, **arrays):
        file.write(b"PK")
        raise OSError("killed")

    with monkeypatch.context() as patch:
        patch.setattr(np, "savez", crash)
        patch.setattr(os, "remove", lambda path: None)  # a killed process cleans nothing up
        with pytest.raises(OSError, match="killed"):
            mlp().save_weights(path)
    leftovers = saving.atomic.leftover_temporaries(path)
    assert [os.path.basename(p) for p in leftovers] == os.listdir(tmp_path)
    assert len(leftovers) == 1 and not path.exists()


def test_overwrite_false_refuses_an_existing_file(tmp_path):
    model = mlp()
    path = tmp_path / "model.weights.npz"
    model.save_weights(path, overwrite=False)
    with pytest.raises(FileExistsError):
        model.save_weights(path, overwrite=False)


def test_written_files_have_ordinary_permissions(tmp_path):
    path = tmp_path / "model.weights.npz"
    mlp().save_weights(path)
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask


# ---------------------------------------------------------------- optimizer state

def test_optimizer_state_round_trip_into_an_optimizer_that_has_not_run(tmp_path):
    trained = mlp()
    trained.fit(X, Y, epochs=2, batch_size=8, verbose=0, shuffle=False)
    path = tmp_path / "optimizer.npz"
    saving.save_optimizer_state(trained.optimizer, path, trained.trainable_weights)
    keys = list(np.load(path).files)
    assert keys[:2] == ["iterations", "learning_rate"]
    assert keys[2:4] == ["slot:0:momentum", "slot:0:velocity"]

    fresh = mlp()  # no step has run: its optimizer has no slots yet
    assert len(fresh.optimizer.variables) == 2
    fresh.set_weights(trained.get_weights())
    saving.load_optimizer_state(fresh.optimizer, path, fresh.trainable_weights)
    assert int(fresh.optimizer.iterations.numpy()) == 8
    assert same([v.numpy() for v in fresh.optimizer.variables], [v.numpy() for v in trained.optimizer.variables])

    # The state is complete: both continue identically.
    trained.fit(X, Y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    fresh.fit(X, Y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    assert same(fresh.get_weights(), trained.get_weights())


def test_optimizer_state_of_another_kind_is_refused_and_nothing_changes():
    adam = mlp(optimizer="adam")
    adam.fit(X, Y, epochs=1, verbose=0)
    sgd = mlp(optimizer=layered.optimizers.SGD(0.1, momentum=0.9))
    sgd.fit(X, Y, epochs=1, verbose=0)
    before = [v.numpy() for v in sgd.optimizer.variables]
    with pytest.raises(ValueError) as error:
        saving.assign_optimizer_arrays(sgd.optimizer, sgd.trainable_weights,
                                       saving.optimizer_arrays(adam.optimizer, adam.trainable_weights))
    assert "velocity" in str(error.value) and "nothing was loaded" in str(error.value)
    assert same([v.numpy() for v in sgd.optimizer.variables], before)


def test_optimizer_state_shape_mismatch_is_refused():
    small, large = mlp(hidden=4), mlp(hidden=8)
    small.fit(X, Y, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"the optimizer's shape is \(4, 8\), the file's is \(4, 4\)"):
        saving.assign_optimizer_arrays(large.optimizer, large.trainable_weights,
                                       saving.optimizer_arrays(small.optimizer, small.trainable_weights))


def test_nadam_optimizer_wide_variables_are_saved():
    model = mlp(optimizer="nadam")
    model.fit(X, Y, epochs=1, verbose=0)
    arrays = saving.optimizer_arrays(model.optimizer, model.trainable_weights)
    assert "own:0" in arrays
    fresh = mlp(optimizer="nadam")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        saving.assign_optimizer_arrays(fresh.optimizer, fresh.trainable_weights, arrays)
    assert same([v.numpy() for v in fresh.optimizer.variables], [v.numpy() for v in model.optimizer.variables])


def test_the_optimizer_member_of_a_model_file_loads_with_the_same_keys(tmp_path):
    import io
    import zipfile

    model = mlp()
    model.fit(X, Y, epochs=1, verbose=0)
    model.save(tmp_path / "model.layered")
    with zipfile.ZipFile(tmp_path / "model.layered") as archive:
        member = archive.read("optimizer.npz")
    with np.load(io.BytesIO(member), allow_pickle=False) as state:
        arrays = {key: state[key] for key in state.files}
    fresh = mlp()
    saving.assign_optimizer_arrays(fresh.optimizer, fresh.trainable_weights, arrays)
    assert same([v.numpy() for v in fresh.optimizer.variables], [v.numpy() for v in model.optimizer.variables])


def test_a_keras_weights_name_holds_the_same_archive(tmp_path, monkeypatch):
    # Keras scripts write "*.weights.h5": accepted, with a warning that the content is .npz.
    monkeypatch.setattr(saving.weights, "_warned_keras_suffix", False)
    model = mlp()
    with pytest.warns(UserWarning, match="not an HDF5 file"):
        model.save_weights(tmp_path / "model.weights.h5")
    other = mlp()
    other.load_weights(tmp_path / "model.weights.h5")
    assert same(other.get_weights(), model.get_weights())


def test_an_hdf5_file_is_named_as_such(tmp_path):
    path = tmp_path / "from_keras.weights.h5"
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 64)
    with pytest.raises(ValueError, match="it is an HDF5 file"):
        mlp().load_weights(path)
