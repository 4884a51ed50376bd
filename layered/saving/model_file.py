"""`model.save("m.layered")` and `load_model`: a zip of config.json, weights and optimizer state.

Members: `config.json` (architecture, compile arguments, layered version, writing backend),
`model.weights.npz` (one array per weight, in `model.weights` order) and `optimizer.npz`
(iterations, learning rate, and each slot keyed by its weight's position and slot name),
so `fit` continues exactly where it stopped. Loading accepts exactly these members, never
unpickles, checks every shape before assigning anything, and rebuilds on whichever backend
is active. Writing goes to a temporary file beside the target, renamed into place.
"""
import io
import json
import os
import zipfile

import numpy as np

from layered.saving import serialization, weights
from layered.saving.atomic import atomic_write, check_writable

MEMBERS = ("config.json", "model.weights.npz", "optimizer.npz")
_MAX_MEMBER_BYTES = 1 << 34  # a member claiming more than 16 GiB is refused before reading


def _npz_bytes(arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


# ".keras" is accepted so that Keras scripts' `model.save("m.keras")` runs unchanged; the
# file is layered's own format (a Keras .keras file has HDF5 weights and does not load here).
MODEL_SUFFIXES = (".layered", ".keras")


def save_model(model, filepath, overwrite=True):
    """Write `model` (architecture, weights, compile arguments, optimizer state) to `filepath`."""
    import backends
    import layered
    filepath = os.fspath(filepath)
    if not filepath.endswith(MODEL_SUFFIXES):
        raise ValueError(f"model files end in '.layered' or '.keras', got '{filepath}' "
                         "(use save_weights for weights alone)")
    check_writable(os.path.dirname(os.path.abspath(filepath)), "model.save")
    config = {"format": "layered.model", "layered_version": layered.__version__, "backend": backends.get().name,
              "model": serialization.serialize_layer(model),
              "compile": getattr(model, "_compile_config", None) if getattr(model, "compiled", False) else None}
    optimizer = getattr(model, "optimizer", None)
    members = {"config.json": json.dumps(config, indent=1).encode(),
               "model.weights.npz": _npz_bytes(weights.weight_arrays(model)),
               "optimizer.npz": _npz_bytes({} if optimizer is None else
                                           weights.optimizer_arrays(optimizer, model.trainable_weights))}
    with atomic_write(filepath, overwrite=overwrite) as file:
        with zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in members.items():
                archive.writestr(name, data)


def _read_members(filepath):
    try:
        with zipfile.ZipFile(filepath) as archive:
            infos = archive.infolist()
            names = [info.filename for info in infos]
            unexpected = [n for n in names if n not in MEMBERS]
            if unexpected or len(set(names)) != len(names):
                hint = (" (a Keras .keras file: its HDF5 weights are not read here; rebuild the model in layered and "
                        "copy the weights with set_weights)") if "model.weights.h5" in names else ""
                raise ValueError(f"'{filepath}' is not a layered model file: unexpected members "
                                 f"{unexpected or names}{hint}")
            for info in infos:
                if info.file_size > _MAX_MEMBER_BYTES:
                    raise ValueError(f"'{filepath}': member {info.filename} claims {info.file_size} bytes; refused")
            return {name: archive.read(name) for name in names}
    except zipfile.BadZipFile as err:
        raise ValueError(f"'{filepath}' is not a readable model file (corrupted or truncated zip: {err})") from None


def _load_npz(data, what):
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except ValueError as err:
        raise ValueError(f"{what} holds data that would need unpickling; refused ({err})") from None
    except Exception as err:  # a damaged member: zip inside zip, bad headers
        raise ValueError(f"{what} is damaged: {err}") from None


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Rebuild a model saved with `model.save`, on the active backend.

    Args:
        filepath: a `.layered` file.
        custom_objects: {name: class or function} for custom layers, losses, metrics and
            `Lambda` functions that are not registered.
        compile: compile the model with the saved compile arguments and optimizer state.
        safe_mode: refuse (the default) a `Lambda` whose function would have to be imported
            by the name the file gives; pass False only for files you trust.

    Example:
        model = layered.models.load_model("digits.layered")
    """
    filepath = os.fspath(filepath)
    members = _read_members(filepath)
    if "config.json" not in members:
        raise ValueError(f"'{filepath}' has no config.json")
    config = json.loads(members["config.json"])
    if config.get("format") != "layered.model":
        raise ValueError(f"'{filepath}' is not a layered model file")
    with serialization.safe_mode_scope(safe_mode):
        model = serialization.deserialize_layer(config["model"], custom_objects)
    weights.assign_weight_arrays(model, _load_npz(members.get("model.weights.npz", _npz_bytes({})),
                                                  "model.weights.npz"), source=f"'{filepath}'")
    if compile and config.get("compile"):
        model.compile(**compile_from_config(config["compile"], custom_objects))
        state = _load_npz(members.get("optimizer.npz", _npz_bytes({})), "optimizer.npz")
        if state:
            weights.assign_optimizer_arrays(model.optimizer, model.trainable_weights, state, source=f"'{filepath}'")
    return model


def compile_config(optimizer, loss, loss_weights, metrics, weighted_metrics, steps_per_execution):
    """The compile arguments as JSON data (names stay names; objects become class + config)."""
    from layered import optimizers

    def entry(value):
        if value is None or isinstance(value, (str, int, float, bool)):
            return value
        if isinstance(value, (list, tuple)):
            return [entry(v) for v in value]
        if isinstance(value, dict):
            return {k: entry(v) for k, v in value.items()}
        if hasattr(value, "get_config"):
            return {"class_name": serialization.registered_name(type(value)), "config": value.get_config()}
        name = getattr(value, "__name__", None)
        if name:
            return {"function": serialization.get_registered_name(value)}
        raise ValueError(f"cannot save the compile argument {value!r}")
    return {"optimizer": optimizers.serialize(optimizer), "loss": entry(loss), "loss_weights": entry(loss_weights),
            "metrics": entry(metrics), "weighted_metrics": entry(weighted_metrics),
            "steps_per_execution": steps_per_execution}


def compile_from_config(config, custom_objects=None):
    from layered import losses, metrics, optimizers

    def entry(value, kind):
        if isinstance(value, list):
            return [entry(v, kind) for v in value]
        if isinstance(value, dict) and "function" in value:
            name = value["function"]
            found = serialization.get_registered_object(name, custom_objects)
            if found is not None:  # passed, in a custom_object_scope, or registered
                return found
            table = losses.LOSS_FUNCTIONS if kind == "loss" else {}
            if name in table:
                return table[name]
            return name  # metrics and losses resolve their own names
        if isinstance(value, dict) and "class_name" in value:
            module = {"loss": losses, "metric": metrics}[kind]
            cls = (custom_objects or {}).get(value["class_name"]) or getattr(module, value["class_name"], None) or \
                serialization.resolve_class(value["class_name"], custom_objects)
            return cls.from_config(value["config"])
        if isinstance(value, dict):
            return {k: entry(v, kind) for k, v in value.items()}
        return value
    return {"optimizer": optimizers.deserialize(config["optimizer"]), "loss": entry(config["loss"], "loss"),
            "loss_weights": config.get("loss_weights"), "metrics": entry(config.get("metrics"), "metric"),
            "weighted_metrics": entry(config.get("weighted_metrics"), "metric"),
            "steps_per_execution": config.get("steps_per_execution", 1)}
