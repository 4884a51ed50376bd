"""TFRecord framing: whole records, checksums that catch a flipped byte, safe partial files."""
import pytest
from tensorboard.backend.event_processing import event_file_loader
from tensorboard.compat.tensorflow_stub import errors, pywrap_tensorflow

from layered.summary.records import CorruptRecordError, RecordFile, frame, read_records

PAYLOADS = [b"first", b"", b"x" * 1000, bytes(range(256))]


def _write(path, payloads):
    f = RecordFile(str(path))
    for p in payloads:
        f.write(p)
    f.close()
    return str(path)


def _tensorboard_read(path):
    reader = pywrap_tensorflow.PyRecordReader_New(path)
    found = []
    while True:
        try:
            reader.GetNext()
        except errors.OutOfRangeError:
            return found
        found.append(reader.record())


def test_records_round_trip_with_our_reader_and_tensorboards(tmp_path):
    path = _write(tmp_path / "r", PAYLOADS)
    assert list(read_records(path)) == PAYLOADS
    assert _tensorboard_read(path) == PAYLOADS


def test_frame_adds_sixteen_bytes():
    assert len(frame(b"abc")) == 3 + 16


@pytest.mark.parametrize("offset", [0, 9, 14, 20])  # length, length crc, payload, payload crc
def test_a_flipped_byte_is_caught_by_both_readers(tmp_path, offset):
    path = _write(tmp_path / "r", [b"hello world"])
    data = bytearray(open(path, "rb").read())
    data[offset] ^= 0x40
    open(path, "wb").write(bytes(data))
    with pytest.raises(CorruptRecordError, match="checksum"):
        list(read_records(path))
    with pytest.raises(errors.DataLossError):
        _tensorboard_read(path)


def test_a_truncated_last_record_leaves_the_earlier_ones_readable(tmp_path):
    path = _write(tmp_path / "r", [b"one", b"two", b"three"])
    data = open(path, "rb").read()
    open(path, "wb").write(data[:-5])  # as if the process died in the middle of a write
    with pytest.raises(CorruptRecordError, match="ends inside"):
        list(read_records(path))
    assert list(read_records(path, allow_truncated_tail=True)) == [b"one", b"two"]
    loaded = list(event_file_loader.RawEventFileLoader(path).Load())
    assert loaded == [b"one", b"two"]


def test_records_reach_the_file_only_on_flush(tmp_path):
    f = RecordFile(str(tmp_path / "r"))
    f.write(b"queued")
    assert list(read_records(f.path)) == []
    f.flush()
    assert list(read_records(f.path)) == [b"queued"]
    f.write(b"more")
    f.close()
    assert list(read_records(f.path)) == [b"queued", b"more"]


def test_an_existing_file_is_never_overwritten(tmp_path):
    path = _write(tmp_path / "r", [b"keep"])
    with pytest.raises(FileExistsError):
        RecordFile(path)
    assert list(read_records(path)) == [b"keep"]
