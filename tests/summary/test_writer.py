"""`create_file_writer`, read back with the real tensorboard package."""
import io
import math
import os
import re

import numpy as np
import pytest
from PIL import Image
from tensorboard.backend.event_processing import event_accumulator, plugin_event_accumulator
from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader
from tensorboard.compat.proto import event_pb2
from tensorboard.util import tensor_util

import layered
from layered import summary


def _scalars(logdir):
    acc = event_accumulator.EventAccumulator(str(logdir), size_guidance={event_accumulator.SCALARS: 0,
                                                                          event_accumulator.HISTOGRAMS: 0})
    acc.Reload()
    return acc


def _plugins(logdir):
    everything = plugin_event_accumulator.STORE_EVERYTHING_SIZE_GUIDANCE
    acc = plugin_event_accumulator.EventAccumulator(str(logdir), size_guidance=everything)
    acc.Reload()
    return acc


def test_file_name_and_first_event(tmp_path):
    with summary.create_file_writer(tmp_path, filename_suffix=".v2") as writer:
        pass
    (name,) = os.listdir(tmp_path)
    assert re.fullmatch(r"events\.out\.tfevents\.\d{10}\.[^.]+(\.[^.]+)*\.\d+\.\d+\.v2", name)
    assert writer.path == os.path.join(str(tmp_path), name)
    (first,) = [event_pb2.Event.FromString(r) for r in RawEventFileLoader(writer.path).Load()]
    assert first.file_version == "brain.Event:2" and first.wall_time > 0


def test_scalars_round_trip_as_float32(tmp_path):
    values = [0.1, 2.5, -3.0, 1e-8, 0.0]
    with summary.create_file_writer(tmp_path) as writer:
        for step, v in enumerate(values):
            writer.scalar("loss", v, step=step)
        writer.scalar("from_numpy", np.float64(0.75), step=np.int64(7))
    acc = _scalars(tmp_path)
    events = acc.Scalars("loss")
    assert [e.step for e in events] == [0, 1, 2, 3, 4]
    assert [e.value for e in events] == [float(np.float32(v)) for v in values]
    assert [(e.step, e.value) for e in acc.Scalars("from_numpy")] == [(7, 0.75)]


def test_nan_and_infinite_scalars_are_written_as_they_are(tmp_path):
    with summary.create_file_writer(tmp_path) as writer:
        writer.scalar("x", float("nan"), step=0)
        writer.scalar("x", float("inf"), step=1)
    values = [e.value for e in _scalars(tmp_path).Scalars("x")]
    assert math.isnan(values[0]) and values[1] == math.inf


def test_histogram_counts_and_range(tmp_path):
    values = np.random.default_rng(0).normal(size=(40, 25))
    with summary.create_file_writer(tmp_path) as writer:
        writer.histogram("weights", values, step=3, buckets=12)
    (event,) = _scalars(tmp_path).Histograms("weights")
    histo = event.histogram_value
    assert event.step == 3
    assert histo.num == values.size and sum(histo.bucket) == values.size
    assert histo.min == values.min() and histo.max == values.max()
    assert len(histo.bucket) == 12 and histo.bucket_limit[-1] == values.max()
    assert histo.sum == pytest.approx(values.sum()) and histo.sum_squares == pytest.approx((values ** 2).sum())
    assert list(np.diff(histo.bucket_limit) > 0) == [True] * 11


def test_text(tmp_path):
    with summary.create_file_writer(tmp_path) as writer:
        writer.text("notes", "**bold** and ünïcode", step=1)
        writer.text("notes", "second", step=2)
        writer.text("table", [["a", "b"], ["c", "d"]], step=0)
    acc = _plugins(tmp_path)
    assert set(acc.PluginTagToContent("text")) == {"notes", "table"}
    texts = [tensor_util.make_ndarray(e.tensor_proto).item().decode() for e in acc.Tensors("notes")]
    assert texts == ["**bold** and ünïcode", "second"]
    assert tensor_util.make_ndarray(acc.Tensors("table")[0].tensor_proto).shape == (2, 2)


@pytest.mark.parametrize("shape, channels, count", [((6, 9), 1, 1), ((6, 9, 3), 3, 1), ((5, 6, 9, 4), 4, 3),
                                                    ((2, 6, 9, 1), 1, 2)])
def test_image_dimensions_and_pixels(tmp_path, shape, channels, count):
    array = np.random.default_rng(1).random(shape)
    with summary.create_file_writer(tmp_path) as writer:
        writer.image("picture", array, step=4)
    acc = _plugins(tmp_path)
    assert "picture" in acc.PluginTagToContent("images")
    (event,) = acc.Tensors("picture")
    width, height, *pngs = tensor_util.make_ndarray(event.tensor_proto)
    assert (int(width), int(height), len(pngs)) == (9, 6, count)
    decoded = np.asarray(Image.open(io.BytesIO(pngs[0])))
    batch = {2: array[None, :, :, None], 3: array[None], 4: array}[array.ndim]
    assert batch.shape[-1] == channels
    expected = np.rint(batch[0] * 255).astype(np.uint8)
    np.testing.assert_array_equal(decoded.reshape(expected.shape), expected)


def test_uint8_images_are_kept_and_bad_shapes_rejected(tmp_path):
    pixels = np.arange(12, dtype=np.uint8).reshape(3, 4)
    with summary.create_file_writer(tmp_path) as writer:
        writer.image("u8", pixels, step=0)
        with pytest.raises(ValueError, match="HxW"):
            writer.image("bad", np.zeros((2, 3, 4, 5, 6)), step=0)
    width, height, png = tensor_util.make_ndarray(_plugins(tmp_path).Tensors("u8")[0].tensor_proto)
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(png))), pixels)


def test_writer_after_close_raises(tmp_path):
    writer = summary.create_file_writer(tmp_path)
    writer.close()
    writer.close()  # twice is fine
    assert writer.closed
    for call in (lambda: writer.scalar("a", 1.0, step=0), writer.flush, lambda: writer.text("t", "x", step=0)):
        with pytest.raises(RuntimeError, match="closed"):
            call()


def test_context_manager_closes_and_flushes(tmp_path):
    with summary.create_file_writer(tmp_path, max_queue=1000) as writer:
        writer.scalar("a", 1.0, step=0)
    assert writer.closed
    assert len(_scalars(tmp_path).Scalars("a")) == 1


def test_summaries_wait_in_memory_until_flush(tmp_path):
    writer = summary.create_file_writer(tmp_path, max_queue=1000)
    writer.scalar("a", 1.0, step=0)
    assert len(list(RawEventFileLoader(writer.path).Load())) == 1  # the file-version event only
    writer.flush()
    assert len(list(RawEventFileLoader(writer.path).Load())) == 2
    for step in range(3):
        writer.scalar("a", 2.0, step=step + 1)
    del writer  # a collected writer flushes what it held
    assert len(_scalars(tmp_path).Scalars("a")) == 4


def test_a_full_queue_is_flushed(tmp_path):
    writer = summary.create_file_writer(tmp_path, max_queue=3)
    for step in range(3):
        writer.scalar("a", 1.0, step=step)
    assert len(list(RawEventFileLoader(writer.path).Load())) == 4
    writer.close()


def test_default_writer_functions(tmp_path):
    assert summary.scalar("a", 1.0, step=0) is False  # no default writer: nothing written
    writer = summary.create_file_writer(tmp_path)
    with writer.as_default():
        assert summary.default_writer() is writer
        assert summary.scalar("a", 1.0, step=0) is True
        summary.histogram("h", [1.0, 2.0], step=0)
    assert summary.default_writer() is None
    writer.close()
    acc = _scalars(tmp_path)
    assert len(acc.Scalars("a")) == 1 and len(acc.Histograms("h")) == 1


def test_two_writers_in_one_directory_get_two_files(tmp_path):
    with summary.create_file_writer(tmp_path) as a, summary.create_file_writer(tmp_path) as b:
        a.scalar("x", 1.0, step=0)
        b.scalar("x", 2.0, step=1)
    assert len(os.listdir(tmp_path)) == 2
    assert sorted(e.value for e in _scalars(tmp_path).Scalars("x")) == [1.0, 2.0]


def test_unwritable_logdir_fails_at_once(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    with pytest.raises(OSError, match="cannot write TensorBoard event files"):
        summary.create_file_writer(blocker / "run")


def test_bad_steps_and_values_are_clear_errors(tmp_path):
    with summary.create_file_writer(tmp_path) as writer:
        with pytest.raises(ValueError, match="step"):
            writer.scalar("a", 1.0, step=None)
        with pytest.raises(TypeError, match="one number"):
            writer.scalar("a", [1.0, 2.0], step=0)


def test_summary_is_reachable_from_the_top_level_package():
    assert layered.summary.create_file_writer is summary.create_file_writer
