"""The declarative front end of layered.distribution, and the NumPy backend's refusal."""
import numpy as np
import pytest

import layered
from layered import distribution, layers
from layered.distribution import DataParallel, DeviceMesh, LayoutMap, ModelParallel, TensorLayout

TWO = ["cpu:0", "cpu:1"]


@pytest.fixture(autouse=True)
def no_distribution_left():
    yield
    distribution.set_distribution(None)


def dense_model():
    layered.utils.set_random_seed(0)
    m = layered.Sequential([layered.Input((3,)), layers.Dense(4), layers.Dense(2)])
    m.compile(optimizer="adam", loss="mse")
    return m


def test_device_mesh_checks_its_shape():
    mesh = DeviceMesh((1, 2), ("batch", "model"), TWO)
    assert mesh.devices.shape == (1, 2) and mesh.axis_size("model") == 2
    with pytest.raises(ValueError, match="needs 4 devices, got 2"):
        DeviceMesh((2, 2), ("batch", "model"), TWO)
    with pytest.raises(ValueError, match="one axis name per dimension"):
        DeviceMesh((2,), ("batch", "model"), TWO)
    with pytest.raises(ValueError, match="no axis 'data'"):
        mesh.axis_size("data")


def test_layout_map_finds_layouts_by_regular_expression():
    mesh = DeviceMesh((2,), ("model",), TWO)
    layout_map = LayoutMap(mesh)
    layout_map["dense.*kernel"] = (None, "model")
    layout_map["dense.*bias"] = TensorLayout(("model",))
    layout_map["dense_9/kernel"] = ("model", None)
    assert layout_map["dense_1/kernel"].axes == (None, "model")
    assert layout_map["dense_1/kernel"].device_mesh is mesh
    assert layout_map["dense_1/bias"].device_mesh is mesh  # given one without a mesh: the map's
    assert layout_map["dense_9/kernel"].axes == ("model", None)  # an exact key wins over patterns
    assert layout_map["conv2d/kernel"] is None
    layout_map["kernel"] = (None, None)
    with pytest.raises(ValueError, match="matches several keys"):
        layout_map["dense_1/kernel"]
    assert len(layout_map) == 4 and "kernel" in list(layout_map)


def test_model_parallel_layouts_and_slots_follow_their_variable():
    mesh = DeviceMesh((1, 2), ("batch", "model"), TWO)
    layout_map = LayoutMap(mesh)
    layout_map["dense.*kernel"] = (None, "model")
    dist = ModelParallel(layout_map=layout_map, batch_dim_name="batch")
    m = dense_model()
    kernel, bias = m.layers[0].kernel, m.layers[0].bias
    assert dist.get_variable_layout(kernel).axes == (None, "model")
    assert dist.get_variable_layout(bias).axes == (None,)  # unmatched: replicated
    m.optimizer.build(m.trainable_weights)
    momentum = m.optimizer.slot(kernel, "momentum")
    assert dist.get_variable_layout(momentum).axes == (None, "model")
    assert dist.get_data_layout((32, 3)).axes == ("batch", None) and dist.data_parallel_degree == 1


def test_a_layout_that_does_not_fit_its_variable_is_a_clear_error():
    mesh = DeviceMesh((2,), ("model",), TWO)
    layout_map = LayoutMap(mesh)
    layout_map["dense.*kernel"] = ("model",)
    m = dense_model()
    dist = ModelParallel(layout_map=layout_map)
    with pytest.raises(ValueError, match=r"layout \('model',\) of variable '.*kernel' has 1 entries"):
        dist.function_layout([], [m.layers[0].kernel])
    layout_map = LayoutMap(mesh)
    layout_map["dense.*kernel"] = ("model", None)  # the first kernel is (3, 4): 3 rows over 2 devices
    with pytest.raises(ValueError, match="dimension of 3 cannot be split over the 2 devices of mesh axis 'model'"):
        ModelParallel(layout_map=layout_map).function_layout([], [m.layers[0].kernel])


def test_function_layout_roles():
    dist = DataParallel(devices=TWO)
    x = layered.placeholder((None, 3), name="x")
    seed = layered.placeholder((2,), "uint32", name="seed")
    w = layered.Variable(np.ones((3, 1)), name="w")
    layout = dist.function_layout([x, seed], [w])
    assert [(i.role, i.path, i.layout.axes) for i in layout.inputs] == [
        ("data", "x", ("batch", None)), ("replicated", "seed", (None,)), ("variable", "w", (None, None))]


def test_set_distribution_and_scope():
    first, second = DataParallel(devices=TWO), DataParallel(devices=TWO[:1])
    assert distribution.distribution() is None
    distribution.set_distribution(first)
    with second.scope():
        assert distribution.distribution() is second
    assert distribution.distribution() is first
    with pytest.raises(TypeError, match="takes a Distribution or None"):
        distribution.set_distribution("data_parallel")
    with pytest.raises(TypeError, match="needs a LayoutMap"):
        ModelParallel(layout_map={"dense.*kernel": (None, "model")})
    with pytest.raises(ValueError, match="one-axis mesh"):
        DataParallel(device_mesh=DeviceMesh((1, 2), ("batch", "model"), TWO))


def test_numpy_backend_refuses_a_distribution(monkeypatch):
    monkeypatch.setenv("LAYERED_BACKEND", "numpy")
    assert distribution.list_devices() == ["cpu:0"]
    m = dense_model()
    x, y = np.ones((8, 3), "float32"), np.ones((8, 2), "float32")
    with DataParallel().scope():
        with pytest.raises(RuntimeError, match="numpy backend cannot run a distribution .DataParallel over 1 dev"):
            m.fit(x, y, epochs=1, verbose=0)
    m.fit(x, y, epochs=1, verbose=0)  # without one, the same model trains
    with pytest.raises(RuntimeError, match="runs in one process"):
        distribution.initialize("127.0.0.1:1234", num_processes=2, process_id=0)
