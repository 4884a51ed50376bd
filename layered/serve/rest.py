"""The TensorFlow-Serving REST bodies: predict requests in, predictions and metadata out.

A predict request is a JSON object with either

- `"instances"`: a list of rows (the row format). With one input, a row is that input's
  value for one example; with several, a row is an object keyed by input name. The
  response is `{"predictions": [...]}`, one entry per row (an object keyed by output name
  when the model has several outputs).
- `"inputs"`: whole columns (the columnar format), batch dimension first: the value of the
  one input, or an object keyed by input name. The response is `{"outputs": ...}`: the
  value of the one output, or an object keyed by output name.

Anything else is a `RequestError`, whose message says what was wrong and where.
"""
import json

import numpy as np

SIGNATURE = "serving_default"
_KEYS = ("instances", "inputs", "signature_name")


class RequestError(Exception):
    """A request the server refuses; `status` is the HTTP status to answer with."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


def parse_predict(body, inputs):
    """The columns of a predict request body (bytes), one array per spec in `inputs`.

    Returns `(arrays, row_format)`; every array has the spec's dtype and the same number of
    rows. Raises `RequestError` naming the problem.
    """
    try:
        request = json.loads(body)
    except RecursionError:
        raise RequestError("malformed JSON: nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as err:
        raise RequestError(f"malformed JSON: {err}") from None
    if not isinstance(request, dict):
        raise RequestError(f"the body must be a JSON object with 'instances' or 'inputs', got {_kind(request)}")
    unknown = sorted(set(request) - set(_KEYS))
    if unknown:
        raise RequestError(f"unknown keys {unknown} in the request; expected 'instances' or 'inputs' "
                           "(and optionally 'signature_name')")
    signature = request.get("signature_name", SIGNATURE)
    if signature != SIGNATURE:
        raise RequestError(f"unknown signature_name {signature!r}; this model has only '{SIGNATURE}'")
    if ("instances" in request) == ("inputs" in request):
        raise RequestError("the request needs exactly one of 'instances' (row format) or 'inputs' (columnar format)")
    if "instances" in request:
        columns = _columns_from_rows(request["instances"], inputs)
    else:
        columns = _columns_from_inputs(request["inputs"], inputs)
    arrays = [_to_array(value, spec) for value, spec in zip(columns, inputs)]
    rows = {len(a) for a in arrays}
    if len(rows) > 1:
        sizes = ", ".join(f"'{s.name}': {len(a)}" for s, a in zip(inputs, arrays))
        raise RequestError(f"the inputs have different batch sizes ({sizes})")
    if rows == {0}:
        raise RequestError("the request holds no examples (empty batch)")
    return arrays, "instances" in request


def _kind(value):
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            type(None): "null"}.get(type(value), "a number")


def _columns_from_rows(instances, inputs):
    if not isinstance(instances, list):
        raise RequestError(f"'instances' must be a list of examples, got {_kind(instances)}")
    if not instances:
        raise RequestError("'instances' is empty: send at least one example")
    names = [s.name for s in inputs]
    keyed = len(inputs) > 1 or all(isinstance(row, dict) for row in instances)
    if not keyed:
        return [instances]
    for i, row in enumerate(instances):
        if not isinstance(row, dict):
            raise RequestError(f"instance {i} must be an object keyed by input name ({', '.join(names)}), "
                               f"got {_kind(row)}")
        missing, unknown = [n for n in names if n not in row], sorted(set(row) - set(names))
        if missing or unknown:
            raise RequestError(f"instance {i}: " + "; ".join(
                part for part in (missing and f"missing inputs {missing}", unknown and f"unknown inputs {unknown}")
                if part) + f" (the inputs are {names})")
    return [[row[name] for row in instances] for name in names]


def _columns_from_inputs(value, inputs):
    names = [s.name for s in inputs]
    if len(inputs) == 1 and not (isinstance(value, dict) and set(value) == {names[0]}):
        if isinstance(value, dict):
            raise RequestError(f"'inputs' names {sorted(value)}, but the only input is '{names[0]}'")
        return [value]
    if not isinstance(value, dict):
        raise RequestError(f"the model has {len(inputs)} inputs ({', '.join(names)}): 'inputs' must be an object "
                           f"keyed by input name, got {_kind(value)}")
    missing, unknown = [n for n in names if n not in value], sorted(set(value) - set(names))
    if missing:
        raise RequestError(f"'inputs' is missing {missing} (the inputs are {names})")
    if unknown:
        raise RequestError(f"'inputs' names unknown inputs {unknown} (the inputs are {names})")
    return [value[name] for name in names]


def _to_array(value, spec):
    """`value` (nested lists of JSON numbers) as an array of `spec`'s dtype and shape, or a RequestError."""
    where = f"input '{spec.name}'"
    if not isinstance(value, list):
        raise RequestError(f"{where} must be a list with one entry per example, got {_kind(value)}")
    try:
        array = np.asarray(value)
    except ValueError:
        raise RequestError(f"{where} is ragged: its nested lists have different lengths") from None
    dtype = np.dtype(spec.dtype)
    if array.dtype.kind in "OUS":
        found = ("strings" if array.dtype.kind in "US" else
                 "non-numeric values (null, objects, mixed types or huge integers)")
        raise RequestError(f"{where} expects numbers ({dtype.name}), got {found}")
    if array.dtype.kind == "b" and dtype.kind != "b":
        raise RequestError(f"{where} expects numbers ({dtype.name}), got booleans")
    if dtype.kind in "iu":
        if array.dtype.kind == "f" and not np.all(np.isfinite(array) & (array == np.floor(array))):
            raise RequestError(f"{where} expects integers ({dtype.name}), got fractional or non-finite numbers")
        info = np.iinfo(dtype)
        if array.size and (array.min() < info.min or array.max() > info.max):
            raise RequestError(f"{where} holds values outside the range of {dtype.name}")
    _check_shape(array.shape, spec, where)
    return array.astype(dtype, copy=False)


def _check_shape(shape, spec, where):
    if spec.shape is None:
        if not shape:
            raise RequestError(f"{where} needs a batch dimension, got a single number")
        return
    expected = tuple(-1 if d is None else d for d in spec.shape)
    matches = len(shape) == len(expected) and all(e in (-1, s) for e, s in zip(expected[1:], shape[1:]))
    if not matches:
        raise RequestError(f"{where} has the wrong shape: each example must have shape {list(expected[1:])}, "
                           f"got {list(shape[1:]) if shape else 'a single number'} (whole batch {list(shape)}, "
                           f"expected {list(expected)})")


def format_predict(outputs, specs, row_format):
    """The response object for `outputs` (one array per spec in `specs`)."""
    if not row_format:
        if len(outputs) == 1:
            return {"outputs": outputs[0].tolist()}
        return {"outputs": {spec.name: array.tolist() for spec, array in zip(specs, outputs)}}
    if len(outputs) == 1:
        return {"predictions": outputs[0].tolist()}
    columns = [array.tolist() for array in outputs]
    return {"predictions": [{spec.name: column[i] for spec, column in zip(specs, columns)}
                            for i in range(len(columns[0]))]}


# TensorFlow's names for the dtypes, as its metadata reports them.
_TF_DTYPES = {"float16": "DT_HALF", "float32": "DT_FLOAT", "float64": "DT_DOUBLE", "bfloat16": "DT_BFLOAT16",
              "int8": "DT_INT8", "int16": "DT_INT16", "int32": "DT_INT32", "int64": "DT_INT64",
              "uint8": "DT_UINT8", "uint16": "DT_UINT16", "uint32": "DT_UINT32", "uint64": "DT_UINT64",
              "bool": "DT_BOOL"}


def _tensor_info(spec):
    shape = ({"unknown_rank": True} if spec.shape is None else
             {"dim": [{"size": str(-1 if d is None else d), "name": ""} for d in spec.shape], "unknown_rank": False})
    return {"dtype": _TF_DTYPES.get(spec.dtype, "DT_INVALID"), "tensor_shape": shape, "name": spec.name}


def model_status(version="1"):
    """`GET /v1/models/<name>`: one version, available."""
    return {"model_version_status": [{"version": version, "state": "AVAILABLE",
                                      "status": {"error_code": "OK", "error_message": ""}}]}


def model_metadata(name, inputs, outputs, version="1"):
    """`GET /v1/models/<name>/metadata`: the serving signature, as TensorFlow Serving lays it out."""
    signature = {"inputs": {s.name: _tensor_info(s) for s in inputs},
                 "outputs": {s.name: _tensor_info(s) for s in outputs},
                 "method_name": "tensorflow/serving/predict"}
    return {"model_spec": {"name": name, "signature_name": "", "version": version},
            "metadata": {"signature_def": {"signature_def": {SIGNATURE: signature}}}}
