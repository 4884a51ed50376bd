"""`model.summary()`: a table of layers with output shapes and parameter counts."""
import sys

import numpy as np

_BOX = {"top": "┏┳┓━", "head": "┃┃┃", "rule": "┡╇┩━", "row": "│││", "bottom": "└┴┘─"}
_ASCII = {"top": "+++-", "head": "|||", "rule": "+++=", "row": "|||", "bottom": "+++-"}


def _count(weights):
    return int(sum(np.prod(w.shape, dtype=np.int64) for w in weights))


def _size_text(weights):
    size = float(sum(np.prod(w.shape, dtype=np.int64) * np.dtype(w.dtype).itemsize for w in weights))
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024


def _rows(model):
    layers = list(model.layers)
    functional = getattr(model, "_functional", None)
    if functional is not None and type(model).__name__ != "Sequential":
        layers = list(functional.layers)
    for layer in layers:
        try:
            shape = str(layer.output_shape)
        except AttributeError:
            shape = "?"
        params = f"{_count(layer.weights):,}" if layer.built else "0 (unbuilt)"
        yield f"{layer.name} ({type(layer).__name__})", shape, params


def _can_draw_boxes(print_fn):
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "┏━┃".encode(encoding)
        return print_fn is None
    except (LookupError, UnicodeEncodeError):
        return False


def print_summary(model, line_length=None, print_fn=None):
    rows = list(_rows(model))
    header = ("Layer (type)", "Output Shape", "Param #")
    widths = [max(len(r[i]) for r in rows + [header]) + 2 for i in range(3)]
    if line_length:
        widths[0] = max(widths[0], line_length - widths[1] - widths[2] - 4)
    chars = _BOX if _can_draw_boxes(print_fn) else _ASCII
    out = print_fn or print

    def line(kind):
        left, mid, right, fill = chars[kind]
        return left + mid.join(fill * w for w in widths) + right

    def cells(kind, values):
        left, mid, right = chars[kind]
        text = [f" {values[0]:<{widths[0] - 2}} ", f" {values[1]:<{widths[1] - 2}} ",
                f" {values[2]:>{widths[2] - 2}} "]
        return left + mid.join(text) + right

    out(f'Model: "{model.name}"')
    out(line("top"))
    out(cells("head", header))
    out(line("rule"))
    for row in rows:
        out(cells("row", row))
    out(line("bottom"))
    weights = model.weights
    trainable = model.trainable_weights
    non_trainable = model.non_trainable_weights
    out(f" Total params: {_count(weights):,} ({_size_text(weights)})")
    out(f" Trainable params: {_count(trainable):,} ({_size_text(trainable)})")
    out(f" Non-trainable params: {_count(non_trainable):,} ({_size_text(non_trainable)})")
