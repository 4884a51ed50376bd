"""The hand-written protobuf encoding, byte for byte against the reference records and
against the official protobuf runtime (which tensorboard ships)."""
import struct

import numpy as np
import pytest
from tensorboard.compat.proto import event_pb2, summary_pb2

from layered.summary import events, proto
from layered.summary.records import frame


@pytest.mark.parametrize("value, expected", [(0, "00"), (1, "01"), (127, "7f"), (128, "8001"), (300, "ac02"),
                                             (-1, "ffffffffffffffffff01")])
def test_varint(value, expected):
    assert proto.varint(value).hex() == expected


def test_file_version_record_matches_tensorboards_test_vector():
    wall_time = struct.unpack("<d", bytes.fromhex("00008038 99d6d741".replace(" ", "")))[0]
    record = frame(events.event(wall_time, file_version="brain.Event:2"))
    expected = ("18000000 00000000 a37f4b22"
                "09000080 3899d6d7 41"
                "1a0d6272 61696e2e 4576656e 743a32"
                "124b36ab")
    assert record.hex() == expected.replace(" ", "")


def test_tensor_scalar_record_matches_tensorboards_test_vector():
    # tf.summary.scalar("accuracy", 0.99, step=77) as TF2 writes it, built from our pieces.
    wall_time = struct.unpack("<d", bytes.fromhex("c405b73d99d6d741"))[0]
    value = events.tensor_value("accuracy", events.tensor_proto(np.float32(0.99)),
                                events.summary_metadata("scalars"))
    record = frame(events.event(wall_time, step=77, summary=events.summary(value)))
    expected = ("32000000 00000000 241956ec"
                "09c405b7 3d99d6d7 41 104d 2a25 0a23"
                "0a086163 63757261 6379"
                "420a 0801 1200 2204a470 7d3f"
                "4a0b0a09 0a077363 616c6172 73"
                "a55b6433")
    assert record.hex() == expected.replace(" ", "")


def _strict_parse(message_class, data):
    """Parse and require the official deterministic serialization to give the same bytes
    (a field with a wrong number or wire type would survive only as an unknown field)."""
    message = message_class.FromString(data)
    message.DiscardUnknownFields()
    assert message.SerializeToString(deterministic=True) == data
    return message


def test_summaries_are_canonical_protobuf():
    rng = np.random.default_rng(0)
    values = [events.scalar_value("loss", 0.25), events.scalar_value("nan", float("nan")),
              events.histogram_value("h", events.histogram_proto(rng.normal(size=500), buckets=7)),
              events.tensor_value("t", events.tensor_proto(np.array("hi")),
                                  events.summary_metadata("text", data_class=2)),
              events.tensor_value("img", events.image_tensor(events.image_batch(rng.random((2, 4, 5, 3)))),
                                  events.summary_metadata("images", data_class=3))]
    for value in values:
        _strict_parse(summary_pb2.Summary.Value, value)
    event = _strict_parse(event_pb2.Event, events.event(1.5, step=3, summary=events.summary(*values)))
    assert [v.tag for v in event.summary.value] == ["loss", "nan", "h", "t", "img"]
    assert event.summary.value[0].simple_value == 0.25
    assert np.isnan(event.summary.value[1].simple_value)


def test_histogram_proto_fields():
    values = np.array([0.0, 1.0, 1.0, 2.0, 4.0])
    histo = _strict_parse(summary_pb2.HistogramProto, events.histogram_proto(values, buckets=4))
    assert (histo.min, histo.max, histo.num, histo.sum, histo.sum_squares) == (0.0, 4.0, 5.0, 8.0, 22.0)
    assert list(histo.bucket_limit) == [1.0, 2.0, 3.0, 4.0]
    assert list(histo.bucket) == [3.0, 1.0, 0.0, 1.0]  # right-closed: [0, 1], (1, 2], (2, 3], (3, 4]


def test_histogram_of_constant_and_of_non_finite_values():
    histo = summary_pb2.HistogramProto.FromString(events.histogram_proto(np.full(10, 3.0)))
    assert (histo.min, histo.max, histo.num, sum(histo.bucket)) == (3.0, 3.0, 10.0, 10.0)
    histo = summary_pb2.HistogramProto.FromString(events.histogram_proto([np.nan, np.inf, 1.0, 2.0]))
    assert (histo.num, histo.min, histo.max) == (2.0, 1.0, 2.0)
    assert summary_pb2.HistogramProto.FromString(events.histogram_proto([np.nan])).num == 0


def test_data_types_match_tensorflow_enum():
    from tensorboard.compat.proto import types_pb2
    for name, code in events.DATA_TYPES.items():
        special = {"float32": "DT_FLOAT", "float64": "DT_DOUBLE", "float16": "DT_HALF"}
        enum_name = special.get(name, f"DT_{name.upper()}")
        assert types_pb2.DataType.Value(enum_name) == code, name


@pytest.mark.parametrize("wall_time, step, tag, value", [
    (1.5, 0, "loss", 0.25), (1700000000.123, 77, "batch_loss", -3.0), (2.0, 2**40, "ünï/tag", float("nan")),
    (3.0, 5, "x" * 200, 0.0)])
def test_the_scalar_fast_path_writes_the_same_bytes(wall_time, step, tag, value):
    generic = events.event(wall_time, step=step, summary=events.summary(events.scalar_value(tag, value)))
    assert events.scalar_event(wall_time, step, tag, value) == generic
    _strict_parse(event_pb2.Event, generic)


def test_histogram_of_float32_values():
    values = np.random.default_rng(3).normal(size=(300, 7)).astype(np.float32)
    histo = _strict_parse(summary_pb2.HistogramProto, events.histogram_proto(values, buckets=9))
    assert (histo.min, histo.max) == (float(values.min()), float(values.max()))
    assert histo.num == sum(histo.bucket) == values.size
    assert histo.sum == pytest.approx(values.astype(np.float64).sum(), rel=1e-6)
    assert histo.sum_squares == pytest.approx((values.astype(np.float64) ** 2).sum(), rel=1e-5)
