"""Export a model's inference graph for serving without layered.

Two formats:
    "onnx"       an ONNX model (opset 18) for onnxruntime and other ONNX runtimes;
                 needs the `onnx` package (pip install 'layered[onnx]').
    "stablehlo"  serialized StableHLO from `jax.export`, weights in the same file; needs the
                 JAX backend to write and only jax to load (`load_stablehlo`).

Both write the graph `model.predict` runs (training=False) with a dynamic batch size.
Neither format's package is imported until an export or a load runs.
"""
import os

from layered.export.graph import InferenceGraph as InferenceGraph, inference_graph as inference_graph
from layered.export.graph import UnsupportedPrimitiveError as UnsupportedPrimitiveError
from layered.export.stablehlo import StableHLOModel as StableHLOModel, load_stablehlo as load_stablehlo


def _onnx(model, filepath, exported, **kwargs):
    from layered.export.onnx import export_onnx
    export_onnx(exported, filepath, name=model.name, **kwargs)


def _stablehlo(model, filepath, exported, **kwargs):
    from layered.export.stablehlo import export_stablehlo
    export_stablehlo(exported, filepath, **kwargs)


FORMATS = {"onnx": _onnx, "stablehlo": _stablehlo}


def _check_stablehlo_backend():
    import backends  # the registry only; resolving the active backend's name imports nothing new

    name = backends.get().name
    if name != "jax":
        raise ValueError(f"format='stablehlo' serializes a JAX program, and the active backend is '{name}'; "
                         "set LAYERED_BACKEND=jax (and install 'layered[jax]') before exporting")


def export_model(model, filepath, format="onnx", verbose=True, input_signature=None, **kwargs):
    """Write `model`'s inference graph to `filepath` in `format`.

    Args:
        model: a built Sequential, functional or subclassed model.
        filepath: the file to write (atomically: a failed export leaves no partial file).
        format: "onnx" or "stablehlo".
        verbose: print where the artifact went.
        input_signature: one entry per model input (a `layered.Input(...)`, a sample array or
            a batch-first shape tuple); needed for subclassed models never called on data,
            or called on non-float inputs.
        **kwargs: for "stablehlo", `platforms=("cpu", "cuda")` lowers for those platforms.
    Example:
        export_model(model, "digits.onnx")
        export_model(model, "digits.stablehlo", format="stablehlo")
    """
    if format not in FORMATS:
        raise ValueError(f"unknown export format {format!r}; valid formats: {', '.join(sorted(FORMATS))}")
    if format == "onnx":
        from layered.export.onnx import _import_onnx
        _import_onnx()  # fail before any tracing when onnx is missing
    else:
        _check_stablehlo_backend()
    exported = inference_graph(model, input_signature)
    FORMATS[format](model, os.fspath(filepath), exported, **kwargs)
    if verbose:
        print(f"Saved artifact at '{os.fspath(filepath)}' ({format}).")


__all__ = ["export_model", "load_stablehlo", "inference_graph", "InferenceGraph", "StableHLOModel",
           "UnsupportedPrimitiveError", "FORMATS"]
