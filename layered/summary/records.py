"""TFRecord framing, an append-only record file, and a checking reader.

A record on disk is:

    u64le length | u32le masked_crc32c(length bytes) | payload | u32le masked_crc32c(payload)

There is no header or footer. `RecordFile` queues framed records in memory and appends
them to the file in one `write` per flush, whole records only, so a reader always sees
the file as a sequence of whole records plus, at worst, a truncated last one (which
TensorBoard treats as "still being written"). Earlier records are never rewritten.
"""
import functools
import os
import struct

from layered.summary.crc32c import masked_crc32c

_HEADER = struct.Struct("<QI")
_FOOTER = struct.Struct("<I")


class CorruptRecordError(ValueError):
    """A record whose checksum does not match its bytes, or a file cut inside a record."""


@functools.lru_cache(maxsize=4096)
def _header(length):
    """The 12 bytes before a payload of `length` bytes (the same lengths come back often)."""
    length_bytes = struct.pack("<Q", length)
    return length_bytes + struct.pack("<I", masked_crc32c(length_bytes))


def frame(payload):
    """One TFRecord holding `payload` (bytes)."""
    return _header(len(payload)) + payload + _FOOTER.pack(masked_crc32c(payload))


def read_records(path, allow_truncated_tail=False):
    """Yield the payload of every record in the file at `path`, checking both checksums.

    Raises `CorruptRecordError` naming the record's offset when a checksum does not match,
    or when the file ends inside a record (unless `allow_truncated_tail`: a file that is
    still being written may end that way).

    Example:
        events = list(read_records("logs/train/events.out.tfevents.1700000000.host.42.0"))
    """
    with open(path, "rb") as f:
        data = f.read()
    offset = 0
    while offset < len(data):
        if len(data) - offset < _HEADER.size:
            if allow_truncated_tail:
                return
            raise CorruptRecordError(f"{path}: the file ends inside the header of the record at byte {offset}")
        length, length_crc = _HEADER.unpack_from(data, offset)
        if masked_crc32c(data[offset:offset + 8]) != length_crc:
            raise CorruptRecordError(f"{path}: the length of the record at byte {offset} fails its checksum")
        start, end = offset + _HEADER.size, offset + _HEADER.size + length
        if end + _FOOTER.size > len(data):
            if allow_truncated_tail:
                return
            raise CorruptRecordError(f"{path}: the file ends inside the record at byte {offset}")
        payload = data[start:end]
        (payload_crc,) = _FOOTER.unpack_from(data, end)
        if masked_crc32c(payload) != payload_crc:
            raise CorruptRecordError(f"{path}: the payload of the record at byte {offset} fails its checksum")
        yield payload
        offset = end + _FOOTER.size


class RecordFile:
    """An append-only file of TFRecords, written in whole records.

    `write` frames a payload and queues it; `flush` appends every queued record with a
    single unbuffered write. The file is created (exclusively) when the object is made, so
    an unwritable directory fails at once.
    """

    def __init__(self, path):
        self.path = path
        self._file = open(path, "xb", buffering=0)
        self._queue = []

    def write(self, payload):
        self._queue.append(frame(payload))

    def __len__(self):
        return len(self._queue)

    def flush(self):
        if not self._queue:
            return
        data = b"".join(self._queue)
        self._queue = []
        view = memoryview(data)
        while view:  # a raw write may be short; loop until every byte is down
            written = self._file.write(view)
            view = view[written:]

    def close(self):
        try:
            self.flush()
        finally:
            self._file.close()

    def sync(self):
        """Flush, then ask the OS to put the bytes on disk."""
        self.flush()
        os.fsync(self._file.fileno())
