"""CRC-32C (Castagnoli), the checksum of TFRecord framing, and its "masked" form.

The pure-Python version is table-driven (one table lookup per byte); long inputs go
through NumPy in chunks. When the optional `crc32c` package is importable its C
implementation is used instead; it is never a dependency. This is not zlib's `crc32`,
which uses the IEEE polynomial.
"""
_POLYNOMIAL = 0x82F63B78  # 0x1EDC6F41 bit-reversed, for least-significant-bit-first tables
_MASK_DELTA = 0xA282EAD8


def _make_table():
    table = []
    for i in range(256):
        x = i
        for _ in range(8):
            x = (x >> 1) ^ _POLYNOMIAL if x & 1 else x >> 1
        table.append(x)
    return tuple(table)


_TABLE = _make_table()


def crc32c_python(data):
    """CRC-32C of `data` (bytes-like) in pure Python.

    Example:
        crc32c_python(b"123456789") == 0xE3069283
    """
    table = _TABLE
    crc = 0xFFFFFFFF
    for byte in bytes(data):
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


# ---------------------------------------------------------------- long inputs, with NumPy
#
# A CRC register is affine in its input: the register after a chunk is (the register before,
# carried through as many zero bytes) XOR (the chunk's CRC from a zero register). So a long
# input is cut into equal chunks whose zero-start CRCs NumPy computes side by side, one byte
# column at a time, and the chunks are then chained in order with a table for "carry a
# register through one chunk of zeros". Graph events and kernel images are tens to hundreds
# of kilobytes; this makes them about ten times cheaper than the byte loop.
_NUMPY_FROM = 4096  # below this the byte loop is as fast
_shift_tables = {}


def _chunk_size(length):
    # Fewer, longer chunks cost NumPy steps; more, shorter ones cost Python steps to chain.
    return 64 if length < 65536 else 256


def _shift_table(chunk):
    """4 x 256 table: the register after `chunk` zero bytes, for each byte of the register."""
    if chunk not in _shift_tables:
        import numpy as np
        table = np.array(_TABLE, dtype=np.uint32)
        state = (np.arange(256, dtype=np.uint32)[None, :] << (8 * np.arange(4, dtype=np.uint32))[:, None]).ravel()
        for _ in range(chunk):
            state = table[state & 0xFF] ^ (state >> 8)
        _shift_tables[chunk] = state.reshape(4, 256).tolist()
    return _shift_tables[chunk]


def _crc32c_numpy(data):
    import numpy as np
    chunk = _chunk_size(len(data))
    whole = len(data) - len(data) % chunk
    chunks = np.frombuffer(data, dtype=np.uint8, count=whole).reshape(-1, chunk)
    table = np.array(_TABLE, dtype=np.uint32)
    partial = np.zeros(len(chunks), dtype=np.uint32)
    for column in chunks.T:
        partial = table[(partial ^ column) & 0xFF] ^ (partial >> 8)
    s0, s1, s2, s3 = _shift_table(chunk)
    crc = 0xFFFFFFFF
    for part in partial.tolist():
        crc = s0[crc & 0xFF] ^ s1[(crc >> 8) & 0xFF] ^ s2[(crc >> 16) & 0xFF] ^ s3[crc >> 24] ^ part
    for byte in data[whole:]:
        crc = _TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


try:  # the optional C implementation, about a thousand times faster
    from crc32c import crc32c as _fast_crc32c
except ImportError:  # pragma: no cover - depends on the environment
    _fast_crc32c = None


def crc32c(data):
    """CRC-32C of `data`, with the `crc32c` package when it is installed.

    Example:
        crc32c(b"123456789") == 0xE3069283
    """
    data = bytes(data)
    if _fast_crc32c is not None:
        return _fast_crc32c(data)
    if len(data) >= _NUMPY_FROM:
        return _crc32c_numpy(data)
    return crc32c_python(data)


def mask(crc):
    """The masked CRC stored in TFRecords: rotate right by 15 bits, add a constant (mod 2**32)."""
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + _MASK_DELTA) & 0xFFFFFFFF


def unmask(masked):
    """The CRC that `mask` turned into `masked`."""
    rotated = (masked - _MASK_DELTA) & 0xFFFFFFFF
    return ((rotated >> 17) | (rotated << 15)) & 0xFFFFFFFF


def masked_crc32c(data):
    """`mask(crc32c(data))`: the checksum written after a TFRecord's length and payload."""
    return mask(crc32c(data))
