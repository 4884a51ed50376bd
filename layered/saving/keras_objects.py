"""Any object by Keras 3 name: `serialize_keras_object` / `deserialize_keras_object`, and the
`{"class_name", "config"}` entries of initializers, regularizers and constraints.

Classes are found in the `custom_objects` a caller passes, an active `custom_object_scope`,
the registered objects (`register_keras_serializable`) and layered's own modules; layers and
models go through `layered.saving.serialization`.
"""
from layered.saving.serialization import (_REGISTERED, _REGISTERED_NAMES, _builtin_classes, custom_objects_scope,
                                          deserialize_layer, get_registered_name, get_registered_object,
                                          safe_mode_scope, serialize_layer)


def _families():
    """{module name: {class name: class}} for layered's own serializable classes."""
    from layered import constraints, initializers, losses, metrics, optimizers, regularizers
    from layered.optimizers import schedules

    def classes(module):
        return {n: o for n, o in vars(module).items() if isinstance(o, type) and hasattr(o, "get_config")}
    return {"layered.layers": _builtin_classes(), "layered.initializers": classes(initializers),
            "layered.regularizers": classes(regularizers), "layered.constraints": classes(constraints),
            "layered.optimizers": classes(optimizers), "layered.optimizers.schedules": classes(schedules),
            "layered.losses": classes(losses), "layered.metrics": classes(metrics)}


def _module_of(obj):
    from layered import constraints, initializers, losses, metrics, optimizers, regularizers
    from layered.models.layer import Layer
    from layered.optimizers import schedules
    for base, module in ((Layer, "layered.layers"), (initializers.Initializer, "layered.initializers"),
                         (regularizers.Regularizer, "layered.regularizers"),
                         (constraints.Constraint, "layered.constraints"), (optimizers.Optimizer, "layered.optimizers"),
                         (schedules.LearningRateSchedule, "layered.optimizers.schedules"),
                         (losses.Loss, "layered.losses"), (metrics.Metric, "layered.metrics")):
        if isinstance(obj, base):
            return module
    return type(obj).__module__


def serialize_keras_object(obj):
    """JSON-ready data for `obj`: `{"module", "class_name", "config", "registered_name"}` for
    an object with `get_config` (a layer, model, initializer, optimizer, loss...), a reference
    for a function, and plain values (None, numbers, strings, lists) unchanged.

    Example:
        data = layered.saving.serialize_keras_object(layered.initializers.HeNormal(seed=1))
        layered.saving.deserialize_keras_object(data)
    """
    import numpy as np

    from layered.models.layer import Layer
    if obj is None or isinstance(obj, (str, bool, int, float)):
        return obj
    if isinstance(obj, (list, tuple)):
        return type(obj)(serialize_keras_object(v) for v in obj)
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    if isinstance(obj, (np.ndarray, np.generic)):
        return obj.tolist()
    if isinstance(obj, type) or not hasattr(obj, "get_config"):
        if callable(obj) and hasattr(obj, "__name__"):
            return {"module": "builtins", "class_name": "function", "config": get_registered_name(obj),
                    "registered_name": "function"}
        raise TypeError(f"cannot serialize {obj!r}: it has no get_config() and is not a function")
    registered = _REGISTERED_NAMES.get(type(obj))
    data = serialize_layer(obj) if isinstance(obj, Layer) else {"class_name": type(obj).__name__,
                                                               "config": obj.get_config()}
    data["class_name"] = type(obj).__name__ if registered else data["class_name"]
    return {"module": None if registered else _module_of(obj), **data, "registered_name": registered}


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """The object `serialize_keras_object` described: classes are found in `custom_objects`,
    an active `custom_object_scope`, the registered objects and layered's own modules; an
    unknown one raises a TypeError. Strings and plain values come back unchanged.

    Example:
        layer = layered.saving.deserialize_keras_object(
            {"class_name": "Dense", "config": {"units": 3}, "module": "layered.layers"})
    """
    if config is None or isinstance(config, (bool, int, float)):
        return config
    if isinstance(config, str):
        found = get_registered_object(config, custom_objects)
        return config if found is None else found
    if isinstance(config, (list, tuple)):
        return type(config)(deserialize_keras_object(v, custom_objects, safe_mode) for v in config)
    if not isinstance(config, dict) or "class_name" not in config:
        return config
    with safe_mode_scope(safe_mode), custom_objects_scope(custom_objects):
        return _deserialize_object(config, custom_objects)


def _deserialize_object(config, custom_objects):
    from layered.models.layer import Layer
    class_name, inner = config["class_name"], config.get("config", {})
    if class_name == "function":
        found = get_registered_object(inner, custom_objects)
        if found is not None:
            return found
        from layered import activations, losses
        for family in (activations, losses):  # layered's own functions, by name
            try:
                return family.get(inner)
            except ValueError:
                pass
        raise TypeError(f"could not find the function '{inner}': pass it in custom_objects, use a "
                        "custom_object_scope, or decorate it with @layered.saving.register_keras_serializable()")
    cls = get_registered_object(config.get("registered_name") or class_name, custom_objects)
    cls = cls or get_registered_object(class_name, custom_objects)
    if cls is None:
        families = _families()
        module = str(config.get("module") or "").replace("keras.", "layered.", 1)
        order = ([families[module]] if module in families else []) + list(families.values())
        cls = next((table[class_name] for table in order if class_name in table), None)
    if cls is None:
        raise TypeError(f"could not find the class '{class_name}' of {config}: pass it in custom_objects, "
                        "use a custom_object_scope, or decorate it with "
                        "@layered.saving.register_keras_serializable()")
    if isinstance(cls, type) and issubclass(cls, Layer):
        return deserialize_layer({**config, "class_name": class_name}, {**(custom_objects or {}), class_name: cls})
    if hasattr(cls, "from_config"):
        return cls.from_config(inner)
    return cls(**inner)


def deserialize_entry(config, table, kind, custom_objects=None):
    """`{"class_name": ..., "config": ...}` -> a new object: the class from `table` (a family's
    names), else a registered or scoped one; an unknown name lists the valid ones."""
    from layered.registry import lookup
    name = config.get("class_name")
    if name not in table:
        found = find_registered(config, custom_objects)
        if found is not None:
            table = {**table, name: found}
    return lookup(table, name, kind).from_config(config.get("config", {}))


def find_registered(config, custom_objects=None):
    """The registered (or scoped, or passed) object a `{"class_name", "registered_name"}` config
    names: by registered name, by class name, or by a registered class's own `__name__`."""
    for key in (config.get("registered_name"), config.get("class_name")):
        found = get_registered_object(key, custom_objects) if key else None
        if found is not None:
            return found
    short = str(config.get("class_name")).split(">")[-1]
    return next((obj for obj in _REGISTERED.values() if getattr(obj, "__name__", None) == short), None)


def serialize_entry(obj):
    """`{"class_name", "config"}` for an initializer, regularizer or constraint, plus its
    `"registered_name"` when it is a registered custom class."""
    data = {"class_name": type(obj).__name__, "config": obj.get_config()}
    registered = _REGISTERED_NAMES.get(type(obj))
    if registered:
        data["registered_name"] = registered
    return data
