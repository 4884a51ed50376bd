"""Python functions inside saved configs (a `Lambda`'s function): by reference, never by code.

Keras 3 stores a lambda's bytecode and unpickles it when loading, which can run anything.
layered never does: a config holds the function's *name*, either

- `"<package>>Name"` for a function decorated with `register_serializable` (found in the
  registry; loading it is safe, the code is already in the loading program), or
- `"module:qualname"` (e.g. `"mypkg.layers:double"`), which loading imports only outside
  safe mode (`load_model(path, safe_mode=False)`): importing a module named by a file, then
  calling what it names, runs code the file chose.

A `lambda` or a function defined inside another function has no importable name
(`"__main__:<lambda>"`, `"mod:f.<locals>.g"`); its reference is kept for error messages
only, and loading needs the function itself in `custom_objects` under its name.
"""
import importlib
import warnings

from layered.saving import serialization


def function_reference(function):
    """The name a config stores for `function`: its registered name or "module:qualname"."""
    registered = getattr(function, "_registered_name", None)
    if registered and serialization._REGISTERED.get(registered) is function:
        return registered
    module = getattr(function, "__module__", None) or "__main__"
    qualname = getattr(function, "__qualname__", None) or getattr(function, "__name__", None) or repr(function)
    return f"{module}:{qualname}"


def importable(reference):
    """Whether a "module:qualname" reference can be found again by importing (no lambdas, no locals)."""
    module, colon, qualname = reference.partition(":")
    return bool(colon and module and qualname) and "<" not in qualname


def warn_if_unloadable(function, layer_name, what="function"):
    """Warn, when saving, that `function` can only come back through custom_objects."""
    reference = function_reference(function)
    if reference in serialization._REGISTERED or importable(reference):
        return
    warnings.warn(f"Lambda layer '{layer_name}': its {what} {reference!r} is a lambda or a local function, which "
                  "layered saves by name only (never as code); loading the model will need it in "
                  f"custom_objects={{{_short_name(reference)!r}: ...}}. Define it at module level (or register it "
                  "with layered.saving.register_serializable()) to make the file self-sufficient.", stacklevel=4)


def resolve_function(reference, layer_name, what="function", custom_objects=None, safe_mode=None):
    """The function a config names, found in custom_objects, the registry or (outside safe mode) by import.

    Raises:
        ValueError: the reference names a lambda or a local function that custom_objects does
            not supply; or it would be imported while in safe mode; or the import fails.
    """
    custom_objects = dict(serialization.current_custom_objects(), **(custom_objects or {}))
    for key in (reference, reference.partition(":")[2], _short_name(reference)):
        if key and key in custom_objects:
            return custom_objects[key]
    if reference in serialization._REGISTERED:
        return serialization._REGISTERED[reference]
    where = f"Lambda layer '{layer_name}'"
    if not importable(reference):
        raise ValueError(
            f"{where}: a saved Lambda keeps only the name of its {what} ({reference!r}), not its code, and a lambda "
            "or local function cannot be found again by name. Pass it when loading, e.g. "
            f"load_model(path, custom_objects={{{_short_name(reference)!r}: fn}}), or define it at module level "
            "or register it with layered.saving.register_serializable() before saving")
    if (serialization.in_safe_mode() if safe_mode is None else safe_mode):
        raise ValueError(
            f"{where}: loading would import and call {reference!r}, a {what} named by the saved file; this is "
            "refused in safe mode, since a file could name any code. If you trust the file, pass "
            "safe_mode=False: layered.models.load_model(path, safe_mode=False), or wrap model_from_json / "
            "from_config in `with layered.saving.safe_mode_scope(False):`. Or pass the function in "
            f"custom_objects={{{_short_name(reference)!r}: fn}}, or register it with "
            "layered.saving.register_serializable()")
    module_name, _, qualname = reference.partition(":")
    try:
        found = importlib.import_module(module_name)
        for part in qualname.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError) as error:
        raise ValueError(f"{where}: cannot find its {what} {reference!r} ({error})") from None
    if not callable(found):
        raise ValueError(f"{where}: {reference!r} is not callable")
    return found


def _short_name(reference):
    """The last part of a reference: "double" for "mypkg.layers:Ops.double" or "Custom>double"."""
    return reference.partition(":")[2].rpartition(".")[2] if ":" in reference else reference.rpartition(">")[2]
