"""A small protocol-buffer encoder: just what event files need, no protobuf runtime.

A message is built as bytes by concatenating its fields, each `key + value` with
`key = varint(field_number << 3 | wire_type)`. Proto3 default values (0, 0.0, empty) are
left out by the callers, as the official serializer does, so our bytes match its
deterministic output. Wire types: 0 varint, 1 little-endian 64-bit, 2 length-delimited,
5 little-endian 32-bit.

Example:
    message = string(1, "a") + string(2, "Const")   # NodeDef{name: "a", op: "Const"}
"""
import functools
import struct

VARINT, FIXED64, LENGTH_DELIMITED, FIXED32 = 0, 1, 2, 5


_SMALL = [bytes((i,)) for i in range(128)]  # one-byte varints, by far the most common


def varint(value):
    """Base-128 varint; a negative int64 is written as its 64-bit two's complement (10 bytes)."""
    value = int(value)
    if 0 <= value < 128:
        return _SMALL[value]
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


@functools.lru_cache(maxsize=None)
def key(field, wire_type):
    return varint((field << 3) | wire_type)


def uint(field, value):
    """An int32/int64/uint/enum/bool field (wire type 0)."""
    return key(field, VARINT) + varint(value)


def double(field, value):
    return key(field, FIXED64) + struct.pack("<d", value)


def float32(field, value):
    return key(field, FIXED32) + struct.pack("<f", value)


def length_delimited(field, data):
    """A bytes, string or embedded-message field (wire type 2)."""
    return key(field, LENGTH_DELIMITED) + varint(len(data)) + (data if isinstance(data, bytes) else bytes(data))


def string(field, text):
    return length_delimited(field, text.encode("utf-8"))


message = length_delimited  # an embedded message is its serialized bytes, length-delimited


def packed_doubles(field, values):
    values = list(values)
    return length_delimited(field, struct.pack(f"<{len(values)}d", *values)) if values else b""


def packed_floats(field, values):
    values = list(values)
    return length_delimited(field, struct.pack(f"<{len(values)}f", *values)) if values else b""


def packed_varints(field, values):
    values = list(values)
    return length_delimited(field, b"".join(varint(v) for v in values)) if values else b""
