"""The messages of an event file: Event, Summary, HistogramProto, TensorProto, Image.

Each function returns a message's serialized bytes, fields in ascending number order,
proto3 defaults left out (field numbers from tensorboard's `compat/proto/*.proto`).
Scalars use `simple_value`, which both of TensorBoard's loaders read; text uses the
tensor form with the "text" plugin, the only form TensorBoard has for it; images use the
tensor form of the "images" plugin (width, height, then one PNG per sample).
"""
import functools
import struct

import numpy as np

from layered.summary import proto
from layered.summary.png import encode_png

FILE_VERSION = "brain.Event:2"
_WALL_TIME_KEY = proto.key(1, proto.FIXED64)  # Event.wall_time
_SIMPLE_VALUE_KEY = proto.key(2, proto.FIXED32)  # Summary.Value.simple_value

# tensorboard/compat/proto/types.proto
DATA_TYPES = {"float32": 1, "float64": 2, "int32": 3, "uint8": 4, "int16": 5, "int8": 6, "string": 7,
              "complex64": 8, "int64": 9, "bool": 10, "bfloat16": 14, "uint16": 17, "complex128": 18,
              "float16": 19, "uint32": 22, "uint64": 23}
DT_STRING = DATA_TYPES["string"]

# SummaryMetadata.DataClass
DATA_CLASS_SCALAR, DATA_CLASS_TENSOR, DATA_CLASS_BLOB_SEQUENCE = 1, 2, 3


def data_type(dtype):
    """The TensorFlow DataType number of a dtype name ('float32' -> 1); 0 when it has none."""
    name = dtype if isinstance(dtype, str) and dtype in DATA_TYPES else np.dtype(dtype).name
    return DATA_TYPES.get(name, 0)


# ---------------------------------------------------------------- Event and Summary

def event(wall_time, step=0, file_version=None, graph_def=None, summary=None):
    """An Event; set at most one of `file_version`, `graph_def` (bytes), `summary` (bytes)."""
    out = proto.double(1, wall_time)
    if step:
        out += proto.uint(2, step)
    if file_version is not None:
        out += proto.string(3, file_version)
    if graph_def is not None:
        out += proto.length_delimited(4, graph_def)
    if summary is not None:
        out += proto.message(5, summary)
    return out


def summary(*values):
    """A Summary holding the given serialized Summary.Value messages."""
    return b"".join(proto.message(1, v) for v in values)


def summary_metadata(plugin_name, content=b"", data_class=0):
    plugin_data = proto.string(1, plugin_name) + (proto.length_delimited(2, content) if content else b"")
    return proto.message(1, plugin_data) + (proto.uint(4, data_class) if data_class else b"")


def _value(tag, field, body, metadata=None):
    out = proto.string(1, tag) + body
    if metadata is not None:
        out += proto.message(9, metadata)
    return out


def scalar_value(tag, value):
    """Summary.Value{tag, simple_value}: a float32; NaN and infinities are kept as they are."""
    return _value(tag, 2, proto.float32(2, float(value)))


@functools.lru_cache(maxsize=4096)
def _tag_field(tag):
    return proto.string(1, tag)


def scalar_event(wall_time, step, tag, value):
    """`event(wall_time, step, summary=summary(scalar_value(tag, value)))`, the same bytes
    built in fewer steps: per-batch logging writes one of these per metric and batch."""
    value_bytes = _tag_field(tag) + _SIMPLE_VALUE_KEY + struct.pack("<f", value)
    summary_bytes = b"\x0a" + proto.varint(len(value_bytes)) + value_bytes
    step_bytes = b"\x10" + proto.varint(step) if step else b""
    return (_WALL_TIME_KEY + struct.pack("<d", wall_time) + step_bytes + b"\x2a" + proto.varint(len(summary_bytes))
            + summary_bytes)


def histogram_value(tag, histogram):
    """Summary.Value{tag, histo} from serialized HistogramProto bytes."""
    return _value(tag, 5, proto.message(5, histogram))


def tensor_value(tag, tensor, metadata=None):
    """Summary.Value{tag, tensor, metadata} from serialized TensorProto and SummaryMetadata bytes."""
    return _value(tag, 8, proto.message(8, tensor), metadata)


# ---------------------------------------------------------------- tensors

def tensor_shape(dims=None, unknown_rank=False):
    """TensorShapeProto; None dims (unknown sizes) become -1."""
    if unknown_rank:
        return proto.uint(3, 1)
    return b"".join(proto.message(2, proto.uint(1, -1 if d is None else d) if d != 0 else b"") for d in dims)


def tensor_proto(array):
    """A TensorProto holding `array`: numbers as raw little-endian `tensor_content`, strings
    (str or bytes, any shape) as `string_val`."""
    array = np.asarray(array)
    if array.dtype.kind in "USO":
        strings = [s if isinstance(s, bytes) else str(s).encode("utf-8") for s in array.reshape(-1).tolist()]
        body = proto.uint(1, DT_STRING) + proto.message(2, tensor_shape(array.shape))
        return body + b"".join(proto.length_delimited(8, s) for s in strings)
    code = data_type(array.dtype)
    if code == 0:
        raise TypeError(f"no TensorFlow data type for dtype {array.dtype}")
    content = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()
    body = proto.uint(1, code) + proto.message(2, tensor_shape(array.shape))
    return body + (proto.length_delimited(4, content) if content else b"")


# ---------------------------------------------------------------- histograms

def _double_unless_zero(field, value):
    # A plain proto3 field equal to +0.0 is left out, as the official serializer does.
    return b"" if value == 0.0 and not np.signbit(value) else proto.double(field, value)


def histogram_proto(values, buckets=30):
    """HistogramProto of the finite entries of `values` in `buckets` equal-width buckets.

    Bucket i counts the values in (bucket_limit[i-1], bucket_limit[i]]; `min` and `max` are
    the true extremes, which TensorBoard uses as the outer edges.
    """
    # This runs on every weight at every logged epoch: one copy (float32 for float32 weights,
    # three times faster than float64), worked on in place (fresh large temporaries cost page
    # faults), and bucket indices by arithmetic rather than a search.
    values = np.asarray(values)
    dtype = np.float32 if values.dtype.kind == "f" and values.dtype.itemsize <= 4 else np.float64
    work = np.array(values, dtype=dtype).reshape(-1)
    if not np.isfinite(work).all():
        work = work[np.isfinite(work)]
    if work.size == 0:
        return b""  # num = 0: an empty histogram
    low, high = float(work.min()), float(work.max())
    stats = (low, high, float(work.size), float(work.sum()), float(np.dot(work, work)))  # pairwise sums
    n = max(1, int(buckets))
    if high > low:
        limits = np.linspace(low, high, n + 1)[1:]
        # Right-closed buckets, as TensorBoard reads them: v goes to the i with
        # limits[i-1] < v <= limits[i] (the first bucket also holds `low`).
        work -= dtype(low)
        work *= dtype(n / (high - low))
        np.ceil(work, out=work)  # 1..n, but 0 for `low` itself and n + 1 when rounding overshoots
        counts = np.bincount(work.astype(np.intp), minlength=n + 2)
        counts[1] += counts[0]
        counts[n] += counts[n + 1:].sum()
        counts = counts[1:n + 1]
    else:
        limits = np.linspace(low - 0.5, high + 0.5, n + 1)[1:]
        counts = np.zeros(n, dtype=np.int64)
        counts[(n - 1) // 2 if n > 1 else 0] = work.size
    return (b"".join(_double_unless_zero(field, v) for field, v in enumerate(stats, start=1))
            + proto.packed_doubles(6, limits.tolist()) + proto.packed_doubles(7, counts.astype(np.float64)))


# ---------------------------------------------------------------- images

def image_batch(array):
    """`array` as uint8 images of shape (N, H, W, C), C in 1..4: uint8 values are kept, floats
    are read as [0, 1] (clipped) and scaled to 0..255."""
    array = np.asarray(array)
    if array.ndim == 2:
        array = array[None, :, :, None]
    elif array.ndim == 3:
        array = array[None]
    if array.ndim != 4 or not 1 <= array.shape[-1] <= 4:
        raise ValueError(f"an image must be HxW, HxWxC or NxHxWxC with C in 1..4; got shape {array.shape}")
    if array.dtype != np.uint8:
        if array.dtype.kind not in "fiub":
            raise TypeError(f"images must be uint8 or floats in [0, 1]; got dtype {array.dtype}")
        scaled = np.nan_to_num(np.asarray(array, dtype=np.float64), nan=0.0)
        array = np.rint(np.clip(scaled, 0.0, 1.0) * 255.0).astype(np.uint8)
    return array


def image_tensor(images, max_outputs=3):
    """The "images" plugin's tensor: [b"<width>", b"<height>", png, png, ...] (at most
    `max_outputs` images of a uint8 (N, H, W, C) batch)."""
    height, width = images.shape[1:3]
    pngs = [encode_png(image) for image in images[:max_outputs]]
    return tensor_proto(np.array([str(width).encode(), str(height).encode()] + pngs, dtype=object))
