"""PNG encoding, decoded back with Pillow (a tensorboard dependency)."""
import io

import numpy as np
import pytest
from PIL import Image

from layered.summary.png import encode_png


@pytest.mark.parametrize("shape, mode", [((5, 7), "L"), ((5, 7, 1), "L"), ((5, 7, 2), "LA"), ((5, 7, 3), "RGB"),
                                         ((5, 7, 4), "RGBA")])
def test_png_decodes_to_the_same_pixels(shape, mode):
    pixels = np.random.default_rng(0).integers(0, 256, size=shape, dtype=np.uint8)
    image = Image.open(io.BytesIO(encode_png(pixels)))
    assert image.mode == mode and image.size == (shape[1], shape[0])
    np.testing.assert_array_equal(np.asarray(image).reshape(shape), pixels)


def test_png_rejects_what_it_cannot_encode():
    with pytest.raises(TypeError, match="uint8"):
        encode_png(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="shape"):
        encode_png(np.zeros((2, 2, 5), np.uint8))
