"""The backend registry: a name -> backend lookup.

`get()` resolves LAYERED_BACKEND (default 'numpy'). Built-in backends live in this
package; third-party ones register a module (exposing `backend`) under the entry-point
group `layered.backends`.
"""
import difflib
import importlib
import os
from importlib.metadata import entry_points

BUILTIN = {"numpy": "backends.numpy", "jax": "backends.jax"}
# The extra of the layered distribution that installs a backend's dependencies.
EXTRAS = {"jax": "jax"}
DEFAULT = "numpy"

_loaded = {}


class BackendError(RuntimeError):
    """An unknown backend, or one whose dependencies are not installed."""


def _entry_points():
    return {ep.name: ep for ep in entry_points(group="layered.backends")}


def available():
    """Names of every backend layered knows: built in and registered by entry point."""
    return sorted(set(BUILTIN) | set(_entry_points()))


def _load(name):
    if name in BUILTIN:
        module_name = BUILTIN[name]
        try:
            module = importlib.import_module(module_name)
        except ImportError as err:
            if err.name and err.name.split(".")[0] != "backends":
                extra = EXTRAS.get(name, name)
                raise BackendError(
                    f"backend '{name}' needs the package '{err.name}', which is not installed; "
                    f"install it with: pip install 'layered[{extra}]'") from err
            raise
        return module.backend
    entry = _entry_points()[name]
    loaded = entry.load()
    return getattr(loaded, "backend", loaded)


def get(name=None):
    """The backend called `name`, or the one LAYERED_BACKEND names (default 'numpy')."""
    name = name or os.environ.get("LAYERED_BACKEND") or DEFAULT
    if name not in _loaded:
        names = available()
        if name not in names:
            close = difflib.get_close_matches(name, names, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise BackendError(f"unknown backend '{name}'. Available backends: {', '.join(names)}.{hint}")
        _loaded[name] = _load(name)
    return _loaded[name]
