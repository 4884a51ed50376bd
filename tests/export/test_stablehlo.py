"""StableHLO export (JAX backend): the loaded callable reproduces `predict` at any batch size."""
import os
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

pytest.importorskip("jax")

import layered  # noqa: E402
from layered import export, layers  # noqa: E402
from layered.export import load_stablehlo  # noqa: E402
from tests.export import models  # noqa: E402

TOL = dict(rtol=1e-5, atol=1e-5)


@pytest.fixture
def jax_backend(monkeypatch):
    monkeypatch.setenv("LAYERED_BACKEND", "jax")


@pytest.mark.parametrize("name", sorted(models.MODELS))
def test_loaded_callable_matches_predict(name, jax_backend, tmp_path):
    model, inputs = models.build(name)
    path = tmp_path / f"{name}.stablehlo"
    model.export(path, format="stablehlo", verbose=False)
    loaded = load_stablehlo(path)
    if model.inputs is not None:
        assert loaded.input_names == model.input_names and loaded.output_names == model.output_names
    for n in (3, models.BATCH):  # one export serves every batch size
        expected = model.predict(models.feed(inputs, n), verbose=0)
        got = loaded(*[x[:n] for x in inputs])
        assert isinstance(got, list) == isinstance(expected, list)  # an array for one output, a list otherwise
        for e, g in zip(models.as_list(expected), models.as_list(got)):
            assert g.dtype == e.dtype
            np.testing.assert_allclose(g, e, **TOL)


def test_loads_in_a_fresh_process_without_backends(jax_backend, tmp_path):
    model, inputs = models.build("two_in_two_out")
    path = tmp_path / "model.stablehlo"
    model.export(path, format="stablehlo", verbose=False)
    x = [a[:5] for a in inputs]
    np.savez(tmp_path / "data.npz", *x, *model.predict(x, verbose=0))
    code = textwrap.dedent(f"""
        import sys
        import numpy as np
        from layered.export import load_stablehlo
        data = np.load({str(tmp_path / 'data.npz')!r})
        predict = load_stablehlo({str(path)!r})
        probs, value = predict(data["arr_0"], data["arr_1"])
        np.testing.assert_allclose(probs, data["arr_2"], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(value, data["arr_3"], rtol=1e-5, atol=1e-5)
        by_name = predict(dict(zip(predict.input_names, [data["arr_0"], data["arr_1"]])))
        np.testing.assert_allclose(by_name[0], probs)
        loaded = sorted(m for m in sys.modules if m.startswith(("backends.", "onnx")))
        assert not loaded, loaded
    """)
    env = {k: v for k, v in os.environ.items() if k != "LAYERED_BACKEND"}
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=root)


def test_file_is_one_archive_with_weights_beside_the_module(jax_backend, tmp_path):
    model, _ = models.build("subclassed")
    model.export(tmp_path / "m.stablehlo", format="stablehlo", verbose=False)
    with zipfile.ZipFile(tmp_path / "m.stablehlo") as archive:
        assert sorted(archive.namelist()) == ["meta.json", "module.jaxexport", "weights.npz"]
    assert [p.name for p in tmp_path.iterdir()] == ["m.stablehlo"]  # no temporary file left behind


def test_stablehlo_on_numpy_backend_says_to_use_jax(monkeypatch, tmp_path):
    monkeypatch.setenv("LAYERED_BACKEND", "numpy")
    model, _ = models.build("subclassed")
    with pytest.raises(ValueError, match="LAYERED_BACKEND=jax"):
        model.export(tmp_path / "m.stablehlo", format="stablehlo")
    assert not (tmp_path / "m.stablehlo").exists()


def test_random_op_at_inference_is_refused(jax_backend, tmp_path):
    class AlwaysNoisy(layers.Layer):
        def call(self, inputs):
            seed, salt = layered.random.next_seed("noise")
            return inputs + layered.graph.build.random_uniform(seed, inputs.shape, inputs.dtype, salt=salt,
                                                               like=inputs)

    with layered.random.seed_stream():
        model = layered.Sequential([layered.Input(shape=(3,)), AlwaysNoisy(name="noisy_layer")])
    with pytest.raises(export.UnsupportedPrimitiveError, match="primitive 'random_uniform' of layer 'noisy_layer'"):
        model.export(tmp_path / "m.stablehlo", format="stablehlo", verbose=False)


def test_load_rejects_other_files(tmp_path):
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("meta.json", '{"format": "something-else"}')
    with pytest.raises(ValueError, match="not a layered StableHLO export"):
        load_stablehlo(path)
