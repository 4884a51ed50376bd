"""What the server runs: a predictor with a signature, made from a model or an exported file.

A predictor has `inputs` and `outputs` (lists of `TensorSpec`, batch dimension first and
`None` where a dimension is free) and is called with one NumPy array per input, in input
order, returning one NumPy array per output, in output order. Three kinds:

- `ModelPredictor`: a layered model in memory, or loaded from a `.layered` file;
- `OnnxPredictor`: an `.onnx` file run by onnxruntime (needed only for this kind);
- `StableHLOPredictor`: an artifact loaded with `layered.export.load_stablehlo`.
"""
import os
from dataclasses import dataclass

import numpy as np

from layered import tree


@dataclass(frozen=True)
class TensorSpec:
    """One input or output: its name, shape (None where free, batch first) and NumPy dtype name."""
    name: str
    shape: tuple | None  # None: the rank is not known either
    dtype: str


def _unique(names):
    """`names` with repeats made distinct (`dense`, `dense_1`), so responses can key by them."""
    seen, result = {}, []
    for name in names:
        count = seen.get(name, 0)
        seen[name] = count + 1
        result.append(name if count == 0 else f"{name}_{count}")
    return result


class ModelPredictor:
    """A functional or Sequential layered model, called with `predict_on_batch`.

    Example:
        predictor = ModelPredictor(layered.models.load_model("digits.layered", compile=False))
        [probabilities] = predictor([images])
    """
    kind = "layered"

    def __init__(self, model):
        functional = getattr(model, "_functional", None)
        if functional is None:
            raise ValueError(f"model '{model.name}' is subclassed and has no fixed input signature; serve a "
                             "functional or Sequential model, or an exported .onnx / StableHLO file")
        self.model = model
        self._input_structure = functional.inputs
        input_names = (tree.flatten({key: key for key in functional.inputs}) if isinstance(functional.inputs, dict)
                       else model.input_names)
        output_names = (tree.flatten({key: key for key in functional.outputs}) if isinstance(functional.outputs, dict)
                        else model.output_names)
        self.inputs = [TensorSpec(name, tuple(t.shape), str(np.dtype(t.dtype)))
                       for name, t in zip(_unique(input_names), functional.input_tensors)]
        self.outputs = [TensorSpec(name, tuple(t.shape), str(np.dtype(t.dtype)))
                        for name, t in zip(_unique(output_names), functional.output_tensors)]

    def __call__(self, arrays):
        outputs = self.model.predict_on_batch(tree.pack_like(self._input_structure, list(arrays)))
        return [np.asarray(o) for o in tree.flatten(outputs)]


# ONNX tensor element types as onnxruntime names them, and their NumPy dtypes.
_ONNX_DTYPES = {"tensor(float)": "float32", "tensor(double)": "float64", "tensor(float16)": "float16",
                "tensor(int8)": "int8", "tensor(int16)": "int16", "tensor(int32)": "int32",
                "tensor(int64)": "int64", "tensor(uint8)": "uint8", "tensor(uint16)": "uint16",
                "tensor(uint32)": "uint32", "tensor(uint64)": "uint64", "tensor(bool)": "bool"}


def _onnx_spec(arg):
    if arg.type not in _ONNX_DTYPES:
        raise ValueError(f"ONNX {arg.name!r} has type {arg.type}; serving supports {sorted(_ONNX_DTYPES)}")
    shape = None if arg.shape is None else tuple(d if isinstance(d, int) and d >= 0 else None for d in arg.shape)
    return TensorSpec(arg.name, shape, _ONNX_DTYPES[arg.type])


class OnnxPredictor:
    """An `.onnx` file run by onnxruntime on the CPU.

    A graph exported with a fixed batch size B is run in chunks of B rows (the last one
    padded), so clients may still send any number of rows.
    """
    kind = "onnx"

    def __init__(self, path):
        try:
            import onnxruntime
        except ImportError:
            raise ImportError(f"serving '{path}' needs onnxruntime, which is not installed: "
                              "pip install onnxruntime") from None
        self.session = onnxruntime.InferenceSession(os.fspath(path), providers=["CPUExecutionProvider"])
        self.inputs = [_onnx_spec(arg) for arg in self.session.get_inputs()]
        self.outputs = [_onnx_spec(arg) for arg in self.session.get_outputs()]
        fixed = {s.shape[0] for s in self.inputs if s.shape}
        self.fixed_batch = fixed.pop() if len(fixed) == 1 and None not in fixed else None

    def _run(self, arrays):
        feeds = {spec.name: array for spec, array in zip(self.inputs, arrays)}
        return self.session.run([s.name for s in self.outputs], feeds)

    def __call__(self, arrays):
        if self.fixed_batch is None:
            return [np.asarray(o) for o in self._run(arrays)]
        rows, size = len(arrays[0]), self.fixed_batch
        pieces = []
        for start in range(0, rows, size):
            chunk = [pad_rows(a[start:start + size], size) for a in arrays]
            pieces.append(self._run(chunk))
        return [np.concatenate(parts)[:rows] for parts in zip(*pieces)]


class StableHLOPredictor:
    """An artifact loaded with `layered.export.load_stablehlo(path)`.

    The loaded callable takes one array per input and returns an array (one output) or a
    list. Its signature comes from the `meta` it carries (`meta["inputs"]` and
    `meta["outputs"]`: name, dtype, shape); without one the server knows one input of
    unknown shape, and learns the outputs from the first call.
    """
    kind = "stablehlo"

    def __init__(self, path):
        try:
            from layered.export import load_stablehlo
        except ImportError as err:
            raise ImportError(f"serving '{path}' needs layered.export.load_stablehlo, which is not available "
                              f"({err})") from None
        self.function = load_stablehlo(os.fspath(path))
        meta = getattr(self.function, "meta", None) or {}
        self.inputs = _specs(meta.get("inputs")) or [TensorSpec("input", None, "float32")]
        self.outputs = _specs(meta.get("outputs"))

    def __call__(self, arrays):
        result = self.function(*arrays)
        outputs = [np.asarray(o) for o in (result if isinstance(result, (list, tuple)) else [result])]
        if len(outputs) != len(self.outputs):  # first call of an artifact that carries no signature
            self.outputs = [TensorSpec("output" if len(outputs) == 1 else f"output_{i}", (None,) + o.shape[1:],
                                       str(o.dtype)) for i, o in enumerate(outputs)]
        return outputs


def _specs(entries):
    """TensorSpecs from [{"name", "dtype", "shape"}, ...] (a shape entry may be None or negative: free)."""
    return [TensorSpec(str(e["name"]), None if e.get("shape") is None else
                       tuple(None if d is None or d < 0 else int(d) for d in e["shape"]),
                       str(np.dtype(e.get("dtype", "float32")))) for e in entries or []]


def pad_rows(array, rows):
    """`array` grown to `rows` rows by repeating its last row (a valid input for any model)."""
    missing = rows - len(array)
    if missing <= 0:
        return array
    return np.concatenate([array, np.repeat(array[-1:], missing, axis=0)])


FORMATS = ("layered", "onnx", "stablehlo")


def load_predictor(model_or_path, format="auto"):
    """A predictor for a model object, a `.layered` file, an `.onnx` file or a StableHLO artifact
    (an object that already is a predictor, with `inputs`, `outputs` and `__call__`, is returned as is).

    `format="auto"` goes by the file name: `.layered` and `.onnx` by their suffix, anything
    else is handed to `layered.export.load_stablehlo`.

    Example:
        predictor = load_predictor("digits.onnx")
    """
    if hasattr(model_or_path, "predict_on_batch"):
        return ModelPredictor(model_or_path)
    if not isinstance(model_or_path, (str, os.PathLike)):
        if callable(model_or_path) and hasattr(model_or_path, "inputs") and hasattr(model_or_path, "outputs"):
            return model_or_path  # already a predictor (a custom one, for embedding)
        raise TypeError(f"expected a model, a path or a predictor, got {type(model_or_path).__name__}")
    path = os.fspath(model_or_path)
    if format == "auto":
        format = {".layered": "layered", ".onnx": "onnx"}.get(os.path.splitext(path)[1].lower(), "stablehlo")
    if format not in FORMATS:
        raise ValueError(f"unknown model format {format!r}; the formats are {', '.join(FORMATS)} (or 'auto')")
    if not os.path.exists(path):
        raise FileNotFoundError(f"no model at '{path}'")
    if format == "layered":
        from layered.saving.model_file import load_model
        return ModelPredictor(load_model(path, compile=False))
    return OnnxPredictor(path) if format == "onnx" else StableHLOPredictor(path)
