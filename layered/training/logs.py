"""Batch logs that read the metrics only when a callback looks at them.

The loss and metric sums live on the backend (device memory under JAX); pulling them to
the host every step would synchronise the device every step. A `LazyLogs` is a real dict
whose values are fetched the first time anyone reads one.
"""


class LazyLogs(dict):
    """A dict filled by `resolve()` on first read."""

    def __init__(self, resolve):
        super().__init__()
        self._resolve = resolve
        self._loaded = False

    def _load(self):
        if not self._loaded:
            self._loaded = True
            super().update(self._resolve())

    def _reading(name):
        method = getattr(dict, name)

        def read(self, *args, **kwargs):
            self._load()
            return method(self, *args, **kwargs)
        read.__name__ = name
        return read

    for _name in ("__getitem__", "__iter__", "__len__", "__contains__", "__repr__", "__eq__", "__or__",
                  "__setitem__", "__delitem__", "get", "keys", "values", "items", "copy", "pop", "popitem",
                  "setdefault", "update"):
        locals()[_name] = _reading(_name)
    del _name, _reading

    def __reduce__(self):
        self._load()
        return dict, (dict(self),)
