"""PNG encoding with the standard library's zlib: 8-bit grey, grey+alpha, RGB or RGBA."""
import struct
import zlib

import numpy as np

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOR_TYPES = {1: 0, 2: 4, 3: 2, 4: 6}  # channels -> PNG colour type


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(image, level=6):
    """PNG bytes of a uint8 image of shape (H, W) or (H, W, C) with C in 1..4.

    Example:
        png = encode_png(np.zeros((8, 8), np.uint8))   # a black 8x8 square
    """
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise TypeError(f"encode_png takes uint8 pixels, got {image.dtype}")
    if image.ndim == 2:
        image = image[:, :, None]
    if image.ndim != 3 or image.shape[2] not in _COLOR_TYPES:
        raise ValueError(f"encode_png takes (H, W) or (H, W, C) with C in 1..4, got shape {image.shape}")
    height, width, channels = image.shape
    if height == 0 or width == 0:
        raise ValueError(f"a PNG needs at least one pixel, got shape {image.shape}")
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOR_TYPES[channels], 0, 0, 0)
    # Every row starts with its filter type; 0 means the row's bytes as they are.
    rows = np.concatenate([np.zeros((height, 1), np.uint8), image.reshape(height, width * channels)], axis=1)
    return (_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows.tobytes(), level))
            + _chunk(b"IEND", b""))
