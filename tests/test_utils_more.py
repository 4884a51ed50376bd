"""layered.utils beyond seeding: Keras 3's sequence, dataset, progress-bar and tensor helpers.
Expected values are what Keras 3.15 gives for the same calls."""
import numpy as np
import pytest

import layered
from layered import utils


@pytest.mark.parametrize("kwargs, expected", [
    ({}, [[1, 2, 3], [0, 4, 5], [0, 0, 6], [0, 0, 0]]),
    ({"maxlen": 2}, [[2, 3], [4, 5], [0, 6], [0, 0]]),
    ({"padding": "post"}, [[1, 2, 3], [4, 5, 0], [6, 0, 0], [0, 0, 0]]),
    ({"truncating": "post", "maxlen": 2}, [[1, 2], [4, 5], [0, 6], [0, 0]]),
    ({"value": -1, "padding": "post", "maxlen": 4}, [[1, 2, 3, -1], [4, 5, -1, -1], [6, -1, -1, -1],
                                                     [-1, -1, -1, -1]]),
])
def test_pad_sequences(kwargs, expected):
    out = utils.pad_sequences([[1, 2, 3], [4, 5], [6], []], **kwargs)
    assert out.dtype == np.int32 and out.tolist() == expected


def test_pad_sequences_dtypes_shapes_and_errors():
    out = utils.pad_sequences([[1.5, 2], [3]], dtype="float32", value=0.5)
    assert out.dtype == np.float32 and out.tolist() == [[1.5, 2.0], [0.5, 3.0]]
    assert utils.pad_sequences([[[1, 2], [3, 4]], [[5, 6]]]).tolist() == [[[1, 2], [3, 4]], [[0, 0], [5, 6]]]
    with pytest.raises(ValueError, match='padding must be "pre" or "post"'):
        utils.pad_sequences([[1]], padding="middle")


def test_normalize():
    x = np.array([[3.0, 4.0], [1.0, 0.0], [0.0, 0.0]])
    np.testing.assert_allclose(utils.normalize(x), [[0.6, 0.8], [1.0, 0.0], [0.0, 0.0]])
    np.testing.assert_allclose(utils.normalize(x, order=1), [[3 / 7, 4 / 7], [1.0, 0.0], [0.0, 0.0]])
    np.testing.assert_allclose(utils.normalize(x, axis=0), x / np.sqrt([10.0, 16.0]))


def test_pack_and_unpack():
    assert utils.pack_x_y_sample_weight(1) == 1
    assert utils.pack_x_y_sample_weight(1, 2) == (1, 2)
    assert utils.pack_x_y_sample_weight(1, 2, 3) == (1, 2, 3)
    assert utils.pack_x_y_sample_weight((1, 2)) == ((1, 2),)
    assert utils.unpack_x_y_sample_weight((1,)) == (1, None, None)
    assert utils.unpack_x_y_sample_weight((1, 2)) == (1, 2, None)
    assert utils.unpack_x_y_sample_weight(1) == (1, None, None)
    assert utils.unpack_x_y_sample_weight([1, 2]) == (1, 2, None)
    with pytest.raises(ValueError, match="a tuple of 4"):
        utils.unpack_x_y_sample_weight((1, 2, 3, 4))


def test_standardize_dtype():
    got = [utils.standardize_dtype(d) for d in ["int", np.float32, "float64", np.dtype("int8"), "bool", float, int,
                                                bool, None, "float16", "uint8"]]
    assert got == ["int32", "float32", "float64", "int8", "bool", "float32", "int32", "bool", "float32", "float16",
                   "uint8"]
    with pytest.raises(ValueError, match="invalid dtype"):
        utils.standardize_dtype("float")


def test_keras_tensors_and_source_inputs():
    a, b = layered.Input((3,)), layered.Input((3,))
    out = layered.layers.Dense(2)(layered.layers.Add()([a, b]))
    assert utils.is_keras_tensor(a) and utils.is_keras_tensor(out)
    assert not utils.is_keras_tensor(np.ones(2)) and not utils.is_keras_tensor(layered.constant(1.0))
    assert utils.get_source_inputs(out) == [a, b]


def test_split_dataset():
    left, right = utils.split_dataset(np.arange(10), left_size=0.8)
    assert left.tolist() == list(range(8)) and right.tolist() == [8, 9]
    (lx, ly), (rx, ry) = utils.split_dataset((np.arange(10), np.arange(10) * 2), right_size=3)
    assert lx.tolist() == list(range(7)) and ry.tolist() == [14, 16, 18]
    left, right = utils.split_dataset({"a": np.arange(6)}, shuffle=True, seed=1)
    assert sorted(left["a"].tolist() + right["a"].tolist()) == list(range(6)) and len(left["a"]) == 3
    with pytest.raises(ValueError, match="leave a side empty|at most 1"):
        utils.split_dataset(np.arange(10), left_size=0.7, right_size=0.6)


def test_timeseries_dataset_from_array():
    batches = utils.timeseries_dataset_from_array(np.arange(10), np.arange(10), sequence_length=3, batch_size=4)
    assert len(batches) == 2
    (x0, y0), (x1, y1) = list(batches)
    assert x0.tolist() == [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]] and y0.tolist() == [0, 1, 2, 3]
    assert x1.tolist() == [[4, 5, 6], [5, 6, 7], [6, 7, 8], [7, 8, 9]] and y1.tolist() == [4, 5, 6, 7]
    strided = utils.timeseries_dataset_from_array(np.arange(10), None, sequence_length=3, sequence_stride=2,
                                                  sampling_rate=2, batch_size=2)
    assert [b.tolist() for b in strided] == [[[0, 2, 4], [2, 4, 6]], [[4, 6, 8]]]
    with pytest.raises(ValueError, match="sequence_stride=20 must be smaller"):
        utils.timeseries_dataset_from_array(np.arange(10), None, 3, sequence_stride=20)


class Batches(utils.PyDataset):
    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size, self.epochs_ended = x, y, batch_size, 0

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, index):
        part = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return self.x[part], self.y[part]

    def on_epoch_end(self):
        self.epochs_ended += 1


def test_py_dataset_trains_a_model(backend):
    x = np.random.default_rng(0).normal(size=(20, 3)).astype("float32")
    data = Batches(x, x.sum(axis=1, keepdims=True), 8, workers=2, use_multiprocessing=False, max_queue_size=4)
    assert (data.workers, data.use_multiprocessing, data.max_queue_size, data.num_batches) == (2, False, 4, 3)
    assert utils.Sequence is utils.PyDataset
    model = layered.Sequential([layered.Input((3,)), layered.layers.Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(data, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 3 and data.epochs_ended == 3
    assert model.predict(data, verbose=0).shape == (20, 1)
    series = utils.timeseries_dataset_from_array(x, x[:, 0], sequence_length=2, batch_size=8)
    model_2 = layered.Sequential([layered.Input((2, 3)), layered.layers.Flatten(), layered.layers.Dense(1)])
    model_2.compile("sgd", "mse")
    model_2.fit(series, epochs=1, verbose=0)


def test_py_dataset_base_needs_len_and_getitem():
    with pytest.raises(NotImplementedError, match="must implement __len__"):
        len(utils.PyDataset())


def test_progbar(capsys):
    bar = utils.Progbar(5, stateful_metrics=["acc"])
    for step in range(5):
        bar.update(step + 1, [("loss", 1.0 / (step + 1)), ("acc", step)])
    out = capsys.readouterr().out
    assert "5/5" in out and "loss: 0.4567" in out and "acc: 4.0000" in out and "ms/step" in out
    quiet = utils.Progbar(None, verbose=2, unit_name="sample")
    quiet.add(3, [("loss", 2.0)])
    quiet.update(6, finalize=True)
    out = capsys.readouterr().out
    assert out.startswith("6/None") and "loss: 2.0000" in out and "ms/sample" in out
    silent = utils.Progbar(3, verbose=0)
    silent.update(3)
    assert capsys.readouterr().out == ""


def test_images_round_trip():
    pytest.importorskip("PIL")  # Pillow is optional for layered
    pixels = (np.arange(2 * 3 * 3).reshape(2, 3, 3) * 10).astype("float32")
    image = utils.array_to_img(pixels, scale=False)
    assert image.size == (3, 2)
    np.testing.assert_array_equal(utils.img_to_array(image), pixels)
    assert utils.img_to_array(np.ones((4, 5)), data_format="channels_first").shape == (1, 4, 5)


def test_get_file_refuses_to_download():
    with pytest.raises(RuntimeError, match="does not download"):
        utils.get_file("data.zip", origin="https://example.com/data.zip")


def test_load_and_save_img_match_keras(tmp_path):
    pytest.importorskip("PIL")  # Pillow is optional for layered
    path = str(tmp_path / "x.png")
    pixels = (np.arange(5 * 7 * 3).reshape(5, 7, 3) * 3 % 255).astype("float32")
    utils.save_img(path, pixels, scale=False)
    np.testing.assert_array_equal(utils.img_to_array(utils.load_img(path)), pixels)
    gray = utils.img_to_array(utils.load_img(path, color_mode="grayscale", target_size=(2, 3)))
    assert gray.ravel().tolist() == [74.0, 92.0, 110.0, 200.0, 218.0, 236.0]  # Keras 3.15 with Pillow
    square = utils.load_img(path, target_size=(3, 3), keep_aspect_ratio=True, interpolation="bilinear")
    assert utils.img_to_array(square).ravel()[:9].tolist() == [38.0, 41.0, 44.0, 54.0, 57.0, 60.0, 70.0, 73.0, 76.0]
    assert utils.img_to_array(utils.load_img(path, color_mode="rgba")).shape == (5, 7, 4)
    with pytest.raises(ValueError, match="color_mode must be"):
        utils.load_img(path, color_mode="cmyk")


def test_config_freezes():
    config = utils.Config(learning_rate=0.1)
    config.epochs = 5
    config["batch_size"] = 32
    assert (config.learning_rate, config["epochs"], len(config), "batch_size" in config) == (0.1, 5, 3, True)
    assert config.as_dict() == {"learning_rate": 0.1, "epochs": 5, "batch_size": 32}
    config.freeze()
    assert config.frozen
    with pytest.raises(ValueError, match="frozen"):
        config.epochs = 6
    with pytest.raises(AttributeError, match="has no 'missing'"):
        config.missing
    config.unfreeze()
    config.update(epochs=7)
    assert config.to_json() == '{"learning_rate": 0.1, "epochs": 7, "batch_size": 32}'


def test_logging_switch_and_plot_model(capsys):
    utils.disable_interactive_logging()
    try:
        assert not utils.is_interactive_logging_enabled()
        utils.Progbar(2).update(2)
        assert capsys.readouterr().out == ""
    finally:
        utils.enable_interactive_logging()
    assert utils.is_interactive_logging_enabled()
    assert utils.plot_model(layered.Sequential(), to_file="m.png") is None
    assert "needs pydot and graphviz" in capsys.readouterr().out
    with pytest.raises(ImportError, match="pydot"):
        utils.model_to_dot(layered.Sequential())


def _write_images(root):
    from PIL import Image
    rng = np.random.default_rng(0)
    for name, count in (("cats", 5), ("dogs", 4)):
        (root / name).mkdir()
        for i in range(count):
            Image.fromarray((rng.random((10, 12, 3)) * 255).astype("uint8")).save(root / name / f"{name}{i}.png")
    (root / "cats" / "sub").mkdir()
    Image.fromarray(np.zeros((4, 4, 3), "uint8")).save(root / "cats" / "sub" / "deep.jpg")
    (root / "dogs" / "notes.txt").write_text("not an image")


def test_image_dataset_from_directory_indexes_like_keras(tmp_path, capsys):
    pytest.importorskip("PIL")  # Pillow is optional for layered
    _write_images(tmp_path)
    data = utils.image_dataset_from_directory(str(tmp_path), image_size=(6, 6), batch_size=4, shuffle=False)
    assert "Found 10 files belonging to 2 classes." in capsys.readouterr().out
    assert data.class_names == ["cats", "dogs"] and len(data) == 3
    relative = [p[len(str(tmp_path)) + 1:] for p in data.file_paths]
    assert relative[:6] == ["cats/cats0.png", "cats/cats1.png", "cats/cats2.png", "cats/cats3.png",
                            "cats/cats4.png", "cats/sub/deep.jpg"]
    images, labels = data[0]
    assert images.shape == (4, 6, 6, 3) and images.dtype == np.float32 and labels.tolist() == [0, 0, 0, 0]
    assert data[2][1].tolist() == [1, 1]
    # Keras 3.15's order for seed 3 (np.random.RandomState shuffles of paths and labels).
    shuffled = utils.image_dataset_from_directory(str(tmp_path), seed=3, verbose=False)
    assert [p[len(str(tmp_path)) + 1:] for p in shuffled.file_paths][:4] == [
        "cats/sub/deep.jpg", "cats/cats4.png", "cats/cats1.png", "cats/cats2.png"]
    gray = utils.image_dataset_from_directory(str(tmp_path), label_mode="categorical", color_mode="grayscale",
                                              image_size=(5, 5), shuffle=False, verbose=False)
    assert gray[0][0].shape == (10, 5, 5, 1) and gray[0][1][-1].tolist() == [0.0, 1.0]


def test_image_dataset_splits_and_trains(backend, tmp_path):
    pytest.importorskip("PIL")  # Pillow is optional for layered
    _write_images(tmp_path)
    train, val = utils.image_dataset_from_directory(str(tmp_path), image_size=(6, 6), batch_size=4,
                                                    validation_split=0.2, subset="both", seed=1, verbose=False)
    assert (len(train.file_paths), len(val.file_paths)) == (8, 2)
    assert not set(train.file_paths) & set(val.file_paths)
    model = layered.Sequential([layered.Input((6, 6, 3)), layered.layers.Rescaling(1 / 255),
                                layered.layers.Flatten(), layered.layers.Dense(2)])
    model.compile("adam", layered.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(train, validation_data=val, epochs=2, verbose=0)
    assert len(history.history["val_loss"]) == 2
    with pytest.raises(ValueError, match="pass a seed"):
        utils.image_dataset_from_directory(str(tmp_path), validation_split=0.2, subset="training", verbose=False)
    with pytest.raises(ValueError, match="needs subset"):
        utils.image_dataset_from_directory(str(tmp_path), validation_split=0.2, seed=1, verbose=False)


def test_text_dataset_from_directory(tmp_path):
    for label, texts in (("neg", ["bad film", "awful"]), ("pos", ["great film", "loved it", "fine"])):
        (tmp_path / label).mkdir()
        for i, text in enumerate(texts):
            (tmp_path / label / f"{i}.txt").write_text(text)
    data = utils.text_dataset_from_directory(str(tmp_path), batch_size=8, shuffle=False, max_length=5,
                                             verbose=False)
    texts, labels = data[0]
    assert texts.tolist() == ["bad f", "awful", "great", "loved", "fine"] and labels.tolist() == [0, 0, 1, 1, 1]
    assert data.class_names == ["neg", "pos"]
    unlabeled = utils.text_dataset_from_directory(str(tmp_path), labels=None, shuffle=False, verbose=False)
    assert unlabeled[0].shape == (5,)
