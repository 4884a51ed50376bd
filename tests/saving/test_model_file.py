"""model.save / load_model: round trips on both backends, and every refusal."""
import io
import json
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

import layered
from layered import layers

X = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
Y = (X.sum(1) > 0).astype("int64")


def trained(compile=True):
    layered.utils.set_random_seed(0)
    a, b = layered.Input((4,), name="a"), layered.Input((4,), name="b")
    shared = layers.Dense(6, activation="relu", name="shared")
    merged = layers.Concatenate(name="cat")([shared(a), shared(b)])
    out = layers.Dense(2, activation="softmax", name="out")(layers.Dropout(0.1)(merged))
    model = layered.Model([a, b], out, name="pair")
    if compile:
        model.compile(optimizer=layered.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        model.fit([X, X * 2], Y, epochs=2, verbose=0)
    return model


def test_round_trip_continues_training_bit_identically(tmp_path, backend):
    model = trained()
    path = tmp_path / "pair.layered"
    model.save(path)
    loaded = layered.models.load_model(path)
    assert [l.name for l in loaded.layers] == [l.name for l in model.layers]
    np.testing.assert_array_equal(loaded.predict([X, X * 2], verbose=0), model.predict([X, X * 2], verbose=0))
    assert int(loaded.optimizer.iterations) == int(model.optimizer.iterations)
    layered.utils.set_random_seed(1)
    model.fit([X, X * 2], Y, epochs=1, shuffle=False, verbose=0)
    layered.utils.set_random_seed(1)
    loaded.fit([X, X * 2], Y, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_saved_on_one_backend_loads_on_the_other(tmp_path, monkeypatch):
    pytest.importorskip("jax")
    monkeypatch.setenv("LAYERED_BACKEND", "numpy")
    model = trained()
    model.save(tmp_path / "m.layered")
    monkeypatch.setenv("LAYERED_BACKEND", "jax")
    loaded = layered.models.load_model(tmp_path / "m.layered")
    np.testing.assert_allclose(loaded.predict([X, X], verbose=0), model.predict([X, X], verbose=0), rtol=1e-5)


def test_json_architecture_and_uncompiled_models(tmp_path):
    model = trained(compile=False)
    clone = layered.models.model_from_json(model.to_json())
    assert [w.shape for w in clone.weights] == [w.shape for w in model.weights]
    model.save(tmp_path / "raw.layered")
    assert not layered.models.load_model(tmp_path / "raw.layered").compiled


def rewrite(path, change):
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    change(members)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def test_refusals(tmp_path):
    model = trained()
    good = tmp_path / "good.layered"
    model.save(good)

    def broken(name, change):
        path = tmp_path / name
        path.write_bytes(good.read_bytes())
        rewrite(path, change)
        return path

    def pickled(members):
        buffer = io.BytesIO()
        np.savez(buffer, **{"00000:shared/kernel": np.array([object()], dtype=object)})
        members["model.weights.npz"] = buffer.getvalue()
    with pytest.raises(ValueError, match="unpickling"):
        layered.models.load_model(broken("pickle.layered", pickled))
    with pytest.raises(ValueError, match="unexpected members"):
        layered.models.load_model(broken("escape.layered", lambda m: m.update({"../evil.py": b"x"})))

    def unknown_class(members):
        config = json.loads(members["config.json"])
        config["model"]["config"]["layers"][2]["class_name"] = "Evil"
        members["config.json"] = json.dumps(config).encode()
    with pytest.raises(ValueError, match="unknown class 'Evil'"):
        layered.models.load_model(broken("class.layered", unknown_class))

    def wrong_shape(members):
        with np.load(io.BytesIO(members["model.weights.npz"])) as arrays:
            values = {k: arrays[k] for k in arrays.files}
        first = sorted(values)[0]
        values[first] = np.zeros((3, 3), "float32")
        buffer = io.BytesIO()
        np.savez(buffer, **values)
        members["model.weights.npz"] = buffer.getvalue()
    with pytest.raises(ValueError, match=r"layer 'shared', weight 'kernel'.* \(4, 6\).* \(3, 3\)"):
        layered.models.load_model(broken("shape.layered", wrong_shape))

    truncated = tmp_path / "truncated.layered"
    truncated.write_bytes(good.read_bytes()[:200])
    with pytest.raises(ValueError, match="corrupted or truncated"):
        layered.models.load_model(truncated)
    with pytest.raises(ValueError, match="end in '.layered' or '.keras'"):
        model.save(tmp_path / "model.h5")
    (tmp_path / "a_file").write_text("not a folder")
    with pytest.raises(OSError, match="cannot write to the folder"):
        model.save(tmp_path / "a_file" / "m.layered")


def test_a_save_killed_midway_leaves_the_previous_file_loadable(tmp_path):
    path = tmp_path / "m.layered"
    trained().save(path)
    before = path.read_bytes()
    script = textwrap.dedent(f"""
        import os, signal, zipfile, layered
        from layered import layers

        def write_then_die(archive, name, data, *args, **kwargs):
            archive.fp.write(b"x" * 100000)  # part of the new file is on disk...
            archive.fp.flush()
            os.kill(os.getpid(), signal.SIGKILL)  # ...when the process is killed

        zipfile.ZipFile.writestr = write_then_die
        layered.Sequential([layered.Input((8,)), layers.Dense(8)]).save({str(path)!r})
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert result.returncode != 0
    assert path.read_bytes() == before
    layered.models.load_model(path)  # (the killed writer's temporary file stays behind, named .tmp-*)


def test_a_keras_file_name_saves_and_loads(backend, tmp_path):
    # Keras scripts save to "name.keras": the same layered archive is written under that name.
    model = layered.Sequential([layered.Input((3,)), layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    model.save(tmp_path / "model.keras")
    loaded = layered.models.load_model(tmp_path / "model.keras")
    x = np.ones((2, 3), "float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


@layered.saving.register_keras_serializable(package="ModelFileTest")
def scaled_mse(y_true, y_pred):
    return layered.ops.mean(layered.ops.square(y_true - y_pred)) * 2.0


def test_a_registered_loss_function_comes_back_with_the_model(backend, tmp_path):
    model = layered.Sequential([layered.Input((3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss=scaled_mse)
    model.save(tmp_path / "m.layered")
    loaded = layered.models.load_model(tmp_path / "m.layered")  # found through the registry
    assert loaded.loss is scaled_mse
    with layered.saving.custom_object_scope({"ModelFileTest>scaled_mse": scaled_mse}):
        assert layered.models.load_model(tmp_path / "m.layered").loss is scaled_mse


def test_a_keras_written_file_is_refused_saying_what_it_is(tmp_path):
    path = tmp_path / "from_keras.keras"
    with zipfile.ZipFile(path, "w") as archive:  # the members Keras 3 writes
        archive.writestr("metadata.json", "{}")
        archive.writestr("config.json", "{}")
        archive.writestr("model.weights.h5", b"\x89HDF\r\n")
    with pytest.raises(ValueError, match="a Keras .keras file"):
        layered.models.load_model(path)
