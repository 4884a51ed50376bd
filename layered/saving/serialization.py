"""Layers and models as plain JSON data (`{"class_name": ..., "config": ...}`), and back.

A class is found by name among layered's own layers and models, the classes registered
with `register_serializable`, and the `custom_objects` a caller passes; an unknown name
is refused (nothing is ever unpickled from a file, and nothing is imported by a name a file
gives unless safe mode is off: see `layered.saving.functions`). A functional model's
config lists its layers and, in order, each layer call with its arguments, where every
tensor is a reference `[layer name, call index, output index]`.
"""
import contextlib

from layered import tree
from layered.graph.core import Tensor

_REGISTERED = {}  # registered name ("package>name") -> class or function; get_custom_objects() returns it
_REGISTERED_NAMES = {}  # class or function -> its registered name
_SAFE_MODE = [True]
_CUSTOM_OBJECTS = [{}]  # the custom_objects of the load in progress, for Lambda functions


@contextlib.contextmanager
def safe_mode_scope(safe_mode=True):
    """While loading: with safe_mode (the default) a config that names code to import and run
    (a Lambda's module-level function) is refused; `safe_mode_scope(False)` allows it.

    `load_model(path, safe_mode=False)` uses this scope; wrap `model_from_json` or
    `from_config` in it yourself.

    Example:
        with layered.saving.safe_mode_scope(False):
            model = layered.models.model_from_json(trusted_json)
    """
    previous = _SAFE_MODE[0]
    _SAFE_MODE[0] = bool(safe_mode)
    try:
        yield
    finally:
        _SAFE_MODE[0] = previous


def in_safe_mode():
    """Whether loading refuses configs that name code to run (True unless in `safe_mode_scope(False)`)."""
    return _SAFE_MODE[0]


@contextlib.contextmanager
def custom_objects_scope(custom_objects=None):
    """While loading: `custom_objects` are also seen by `from_config` calls deep in the config."""
    _CUSTOM_OBJECTS.append({**_CUSTOM_OBJECTS[-1], **(custom_objects or {})})
    try:
        yield
    finally:
        _CUSTOM_OBJECTS.pop()


def current_custom_objects():
    return _CUSTOM_OBJECTS[-1]


def register_serializable(package="Custom", name=None):
    """Decorator: make a custom class (layer, model, loss, metric, initializer...) or function
    loadable by name. It is registered as `"package>name"` (name defaults to `__name__`).

    Example:
        @layered.saving.register_keras_serializable(package="MyLayers")
        class Scale(layered.layers.Layer): ...
    """
    def register(obj):
        key = f"{package}>{name or obj.__name__}"
        if isinstance(obj, type) and not hasattr(obj, "get_config"):
            raise ValueError(f"cannot register {obj.__name__}: the class has no get_config() method")
        _REGISTERED[key] = obj
        _REGISTERED_NAMES[obj] = key
        obj._registered_name = key
        return obj
    return register


register_keras_serializable = register_serializable


def registered_name(cls):
    return _REGISTERED_NAMES.get(cls) or cls.__name__


def get_registered_name(obj):
    """The name `obj` (a class or function) is saved under: `"package>name"` if registered,
    else its `__name__`.

    Example:
        layered.saving.get_registered_name(layered.layers.Dense)  # "Dense"
    """
    return _REGISTERED_NAMES.get(obj) or obj.__name__


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The class or function saved as `name`: from an active `custom_object_scope`, the
    registered objects, `custom_objects` or `module_objects`; None if none has it.

    Example:
        layered.saving.get_registered_object("MyLayers>Scale")
    """
    for table in (current_custom_objects(), _REGISTERED, custom_objects or {}, module_objects or {}):
        if name in table:
            return table[name]
    return None


def get_custom_objects():
    """The global dict of registered objects (`"package>name"` -> object). Entries added to it
    are found when loading, like registered ones.

    Example:
        layered.saving.get_custom_objects()["Scale"] = Scale
    """
    return _REGISTERED


class CustomObjectScope:
    """Within `with CustomObjectScope({"Name": obj, ...})`, loading (`load_model`,
    `from_config`, `deserialize_keras_object`) also finds these objects by name. Several
    dicts may be given; nested scopes add to the outer ones.

    Example:
        with layered.saving.custom_object_scope({"Scale": Scale}):
            model = layered.saving.load_model("m.layered")
    """

    def __init__(self, *custom_objects):
        self.custom_objects = {}
        for table in custom_objects:
            self.custom_objects.update(table or {})

    def __enter__(self):
        _CUSTOM_OBJECTS.append({**_CUSTOM_OBJECTS[-1], **self.custom_objects})
        return self

    def __exit__(self, *exc):
        _CUSTOM_OBJECTS.pop()
        return False


custom_object_scope = CustomObjectScope


def _builtin_classes():
    from layered import layers, models
    found = {name: obj for name, obj in vars(layers).items() if isinstance(obj, type)}
    found.update({"Sequential": models.Sequential, "Functional": models.Model, "Model": models.Model})
    return found


def resolve_class(class_name, custom_objects=None):
    """The class named `class_name`, from custom_objects, the registry or layered itself."""
    for table in (custom_objects or {}, current_custom_objects(), _REGISTERED, _builtin_classes()):
        if class_name in table:
            return table[class_name]
    short = class_name.split(">")[-1]
    for cls in _REGISTERED.values():
        if cls.__name__ == short:
            return cls
    raise ValueError(f"unknown class '{class_name}' in the saved config: pass it in custom_objects, or decorate "
                     "it with layered.saving.register_serializable()")


# ------------------------------------------------------------ layers

def serialize_layer(layer):
    from layered.layers.core import Lambda
    from layered.models.sequential import Sequential
    if isinstance(layer, Sequential):
        return {"class_name": "Sequential", "config": sequential_config(layer)}
    if getattr(layer, "_functional", None) is not None and type(layer).__name__ == "Model":
        return {"class_name": "Functional", "config": functional_config(layer)}
    if isinstance(layer, Lambda):
        layer.warn_if_unloadable()
    data = {"class_name": registered_name(type(layer)), "config": layer.get_config()}
    shape = getattr(layer, "_build_shape", None)
    if shape is not None:
        data["build_input_shape"] = shape
    return data


def deserialize_layer(data, custom_objects=None):
    with custom_objects_scope(custom_objects):
        return _deserialize_layer(data, custom_objects)


def _deserialize_layer(data, custom_objects):
    cls = resolve_class(data["class_name"], custom_objects)
    config = data.get("config", {})
    if data["class_name"] == "Sequential":
        return sequential_from_config(config, custom_objects)
    if data["class_name"] == "Functional":
        return functional_from_config(config, custom_objects)
    layer = cls.from_config(config)
    shape = data.get("build_input_shape")
    if shape is not None and not layer.built:
        layer.build(_as_shape(shape))
    return layer


def _as_shape(shape):
    if isinstance(shape, list) and shape and isinstance(shape[0], list):
        return [tuple(s) for s in shape]
    return tuple(shape)


# ------------------------------------------------------------ Sequential

def sequential_config(model):
    specs = []
    if model._input_layer is not None:
        specs.append({"class_name": "InputLayer", "config": model._input_layer.get_config()})
    specs += [serialize_layer(layer) for layer in model.layers]
    return {"name": model.name, "trainable": model.trainable, "layers": specs}


def sequential_from_config(config, custom_objects=None):
    from layered.models.sequential import Sequential
    model = Sequential(name=config.get("name"), trainable=config.get("trainable", True))
    for spec in config["layers"]:
        model.add(deserialize_layer(spec, custom_objects))
    return model


# ------------------------------------------------------------ functional

def functional_config(model):
    graph = model._functional
    names = [layer.name for layer in graph.layers]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ValueError(f"model '{model.name}' has several layers named {sorted(duplicates)}; "
                         "layer names must be unique to save it")
    call_index, counts = {}, {}
    for record in graph.records:
        call_index[id(record)] = counts.get(record.layer.name, 0)
        counts[record.layer.name] = call_index[id(record)] + 1

    def reference(value):
        if not isinstance(value, Tensor):
            return value
        record, index = value._history
        return {"__tensor__": [record.layer.name, call_index.get(id(record), 0), index]}

    calls = [{"layer": record.layer.name, "args": _jsonable(tree.map_structure(reference, list(record.args))),
              "kwargs": _jsonable(tree.map_structure(reference, record.kwargs))} for record in graph.records]
    return {"name": model.name, "trainable": model.trainable,
            "layers": [dict(serialize_layer(layer), name=layer.name) for layer in graph.layers],
            "calls": calls,
            "inputs": _jsonable(tree.map_structure(reference, graph.inputs)),
            "outputs": _jsonable(tree.map_structure(reference, graph.outputs))}


def _jsonable(value):
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def functional_from_config(config, custom_objects=None):
    from layered.layers.core import InputLayer
    from layered.models.model import Model
    layers = {spec["name"]: deserialize_layer(spec, custom_objects) for spec in config["layers"]}
    tensors = {}
    for name, layer in layers.items():
        if isinstance(layer, InputLayer):
            tensors[(name, 0, 0)] = layer.output_tensor

    def resolve(value):
        if isinstance(value, dict) and set(value) == {"__tensor__"}:
            key = tuple(value["__tensor__"])
            if key not in tensors:
                raise ValueError(f"the saved config refers to an unknown tensor {list(key)}")
            return tensors[key]
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(v) for v in value]
        return value

    counts = {}
    for call in config["calls"]:
        name = call["layer"]
        if name not in layers:
            raise ValueError(f"the saved config calls an unknown layer '{name}'")
        outputs = layers[name](*resolve(call["args"]), **resolve(call["kwargs"]))
        index = counts.get(name, 0)
        counts[name] = index + 1
        for k, t in enumerate(tree.flatten(outputs)):
            tensors[(name, index, k)] = t
    return Model(resolve(config["inputs"]), resolve(config["outputs"]), name=config.get("name"),
                 trainable=config.get("trainable", True))
