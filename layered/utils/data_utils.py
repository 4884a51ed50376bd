"""Small Keras 3 utilities for data and tensors: batch packing, dtypes, inputs, images, files."""
import numpy as np


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """The batch tuple for `(x, y, sample_weight)`, leaving out the trailing Nones.

    Example:
        layered.utils.pack_x_y_sample_weight(x, y)  # (x, y)
    """
    if y is None:
        # A lone x that is itself a tuple or list is wrapped, so it is not read as (x, y).
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data):
    """`(x, y, sample_weight)` from a batch: a tuple/list of 1 to 3 parts, or x alone.

    Example:
        x, y, sample_weight = layered.utils.unpack_x_y_sample_weight(batch)
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError(f"a batch must be x, (x,), (x, y) or (x, y, sample_weight); got a tuple of {len(data)}: {data}")


def standardize_dtype(dtype):
    """The canonical name of a dtype ('float32', 'int32', ...); None gives floatx.

    Python's `float` and `int` map to 'float32' and 'int32', as in Keras.

    Example:
        layered.utils.standardize_dtype(np.float64)  # "float64"
    """
    from layered import config
    if dtype is None:
        return config.floatx()
    python_types = {float: "float32", int: "int32", bool: "bool", "int": "int32"}
    if dtype in python_types:
        return python_types[dtype]
    if dtype == "float":
        raise ValueError(f"invalid dtype: {dtype}")
    name = getattr(dtype, "name", None) if not isinstance(dtype, str) else dtype
    try:
        return np.dtype(name or dtype).name
    except TypeError:
        raise ValueError(f"invalid dtype: {dtype}") from None


def is_keras_tensor(x):
    """Whether `x` is a symbolic tensor of a functional model (made by `Input` or a layer call).

    Example:
        layered.utils.is_keras_tensor(layered.Input((3,)))  # True
    """
    from layered.graph.core import Tensor
    return isinstance(x, Tensor) and getattr(x, "_history", None) is not None


def get_source_inputs(tensor):
    """The `Input` tensors that `tensor` was computed from, in the order they are found.

    Example:
        layered.utils.get_source_inputs(model.output)  # [the model's Input tensors]
    """
    found, seen = [], set()

    def visit(t):
        history = getattr(t, "_history", None)
        if history is None:
            return
        record = history[0]
        if not record.args:  # an InputLayer's record
            if t.id not in seen:
                seen.add(t.id)
                found.append(t)
            return
        for parent in record.input_tensors():
            visit(parent)
    if not is_keras_tensor(tensor):
        raise ValueError(f"get_source_inputs needs a tensor from Input or a layer call, got {tensor!r}")
    visit(tensor)
    return found


def img_to_array(img, data_format=None, dtype=None):
    """A float array (height, width, channels) from a PIL image or an array-like.

    Example:
        array = layered.utils.img_to_array(PIL.Image.open("cat.png"))
    """
    from layered import config
    dtype = dtype or config.floatx()
    data_format = data_format or "channels_last"
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"unknown data_format {data_format!r}")
    array = np.asarray(img, dtype=dtype)
    if array.ndim == 2:
        array = array[:, :, None] if data_format == "channels_last" else array[None]
    elif array.ndim == 3 and data_format == "channels_first":
        array = array.transpose(2, 0, 1)
    elif array.ndim != 3:
        raise ValueError(f"an image array has rank 2 or 3, got shape {array.shape}")
    return array


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A PIL image from a (height, width, channels) array; `scale` maps its range to 0..255.
    Needs Pillow.

    Example:
        layered.utils.array_to_img(np.random.rand(8, 8, 3)).save("noise.png")
    """
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("array_to_img needs Pillow: pip install pillow") from None
    x = np.asarray(x, dtype="float32")
    if x.ndim != 3:
        raise ValueError(f"array_to_img needs a rank-3 array (height, width, channels), got shape {x.shape}")
    if (data_format or "channels_last") == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        top = np.max(x)
        if top != 0:
            x = x / top
        x = x * 255
    channels = x.shape[2]
    if channels not in (1, 3, 4):
        raise ValueError(f"an image has 1, 3 or 4 channels, got {channels}")
    pixels = x.astype("uint8")
    return Image.fromarray(pixels[:, :, 0] if channels == 1 else pixels)  # L, RGB or RGBA by shape


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None, cache_subdir="datasets",
             hash_algorithm="auto", extract=False, archive_format="auto", cache_dir=None, force_download=False):
    """Keras downloads files here; layered never downloads, so this raises a clear error.

    Small datasets ship inside the package: see `layered.datasets`.
    """
    raise RuntimeError(f"layered does not download files (get_file was asked for {origin or fname!r}); download it "
                       "yourself and open the local path, or use the datasets shipped in layered.datasets")


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest", keep_aspect_ratio=False):
    """A PIL image read from `path`, converted to `color_mode` ("grayscale", "rgb" or "rgba")
    and resized to `target_size` (height, width) if given. Needs Pillow.

    Example:
        array = layered.utils.img_to_array(layered.utils.load_img("cat.png", target_size=(64, 64)))
    """
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("load_img needs Pillow: pip install pillow") from None
    modes = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}
    if color_mode not in modes:
        raise ValueError(f'color_mode must be "grayscale", "rgb" or "rgba", got {color_mode!r}')
    image = Image.open(path)  # a path or a file object
    image.load()
    if image.mode != modes[color_mode]:
        image = image.convert(modes[color_mode])
    if target_size is not None:
        height, width = target_size
        resample = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC,
                    "lanczos": Image.LANCZOS, "box": Image.BOX, "hamming": Image.HAMMING}
        if interpolation not in resample:
            raise ValueError(f"interpolation must be one of {sorted(resample)}, got {interpolation!r}")
        if image.size != (width, height):
            box = None
            if keep_aspect_ratio:  # resize only the centred region with the target's aspect ratio
                crop_w = min(image.width, image.height * width // height)
                crop_h = min(image.height, image.width * height // width)
                left, top = (image.width - crop_w) // 2, (image.height - crop_h) // 2
                box = (left, top, left + crop_w, top + crop_h)
            image = image.resize((width, height), resample[interpolation], box=box)
    return image


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Write the image array `x` (height, width, channels) to `path`. Needs Pillow.

    Example:
        layered.utils.save_img("noise.png", np.random.rand(8, 8, 3))
    """
    image = array_to_img(x, data_format=data_format, scale=scale)
    jpeg = (file_format or "").lower() in ("jpg", "jpeg") or str(path).lower().endswith((".jpg", ".jpeg"))
    if jpeg and image.mode == "RGBA":
        image = image.convert("RGB")  # JPEG has no alpha channel
    image.save(path, format=file_format, **kwargs)
