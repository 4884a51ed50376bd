"""CRC-32C and its masked form against the published test vectors."""
import struct

import pytest

from layered.summary import crc32c as crc

VECTORS = [
    (b"", 0x00000000),
    (b"123456789", 0xE3069283),
    (bytes(32), 0x8A9136AA),  # RFC 3720 B.4: 32 bytes of zeros
    (b"\xff" * 32, 0x62A8AB43),  # RFC 3720 B.4: 32 bytes of ones
    (bytes(range(32)), 0x46DD794E),  # RFC 3720 B.4: incrementing bytes
]


@pytest.mark.parametrize("data, expected", VECTORS)
def test_pure_python_crc32c_matches_known_vectors(data, expected):
    assert crc.crc32c_python(data) == expected


@pytest.mark.parametrize("data, expected", VECTORS)
def test_crc32c_with_or_without_the_fast_package(data, expected):
    assert crc.crc32c(data) == expected


def test_masked_crc_vectors_from_tensorboard():
    assert crc.masked_crc32c(b"\x1a\x11CRC test, one two") == 0x5794D08A
    length_bytes = struct.pack("<Q", 24)
    assert crc.masked_crc32c(length_bytes) == 0x224B7FA3


@pytest.mark.parametrize("value", [0, 1, 0xE3069283, 0xFFFFFFFF, 0x80000000])
def test_unmask_inverts_mask(value):
    assert crc.unmask(crc.mask(value)) == value


@pytest.mark.parametrize("length", [4095, 4096, 4097, 23_000, 65_535, 65_536, 65_536 + 13, 200_003])
def test_long_inputs_through_numpy_agree_with_the_byte_loop(length):
    data = bytes((i * 7919 + (i >> 8)) & 0xFF for i in range(length))
    assert crc._crc32c_numpy(data) == crc.crc32c_python(data)
