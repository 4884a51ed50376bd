"""`Config`: a dict with attribute access that can be frozen, as Keras 3's `utils.Config`."""
import json


class Config:
    """Settings read as attributes or keys; `freeze()` makes every change an error.

    Example:
        config = layered.utils.Config(learning_rate=0.1, epochs=5)
        config.batch_size = 32
        config.freeze()
        config.epochs  # 5
    """

    def __init__(self, **kwargs):
        object.__setattr__(self, "_config", kwargs)
        object.__setattr__(self, "_frozen", False)

    @property
    def frozen(self):
        """Whether changes are refused."""
        return self._frozen

    def freeze(self):
        object.__setattr__(self, "_frozen", True)

    def unfreeze(self):
        object.__setattr__(self, "_frozen", False)

    def _refuse_if_frozen(self):
        if self._frozen:
            raise ValueError("cannot change a frozen Config; call unfreeze() first")

    def as_dict(self):
        return dict(self._config)

    def to_json(self):
        return json.dumps(self._config)

    def keys(self):
        return self._config.keys()

    def values(self):
        return self._config.values()

    def items(self):
        return self._config.items()

    def get(self, key, default=None):
        return self._config.get(key, default)

    def pop(self, *args):
        self._refuse_if_frozen()
        return self._config.pop(*args)

    def update(self, *args, **kwargs):
        self._refuse_if_frozen()
        self._config.update(*args, **kwargs)

    def __setattr__(self, name, value):
        self._refuse_if_frozen()
        self._config[name] = value

    def __getattr__(self, name):
        config = object.__getattribute__(self, "_config")
        if name in config:
            return config[name]
        raise AttributeError(f"Config has no '{name}'; it has {sorted(config)}")

    def __setitem__(self, key, value):
        self._refuse_if_frozen()
        self._config[key] = value

    def __getitem__(self, key):
        return self._config[key]

    def __delitem__(self, key):
        self._refuse_if_frozen()
        del self._config[key]

    def __contains__(self, key):
        return key in self._config

    def __iter__(self):
        return iter(self._config)

    def __len__(self):
        return len(self._config)

    def __repr__(self):
        return f"<Config {self._config}>"
