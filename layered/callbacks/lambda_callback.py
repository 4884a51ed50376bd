"""`LambdaCallback`: a callback built from plain functions."""
from layered.callbacks.callback import Callback

_HOOKS = (
    "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
    "on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end",
    "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
    "on_predict_begin", "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end",
)


class LambdaCallback(Callback):
    """A callback whose hooks are the functions given; the others do nothing.

    Each function takes the hook's arguments: `(logs)` for begin/end of train, test and
    predict, `(epoch, logs)` for epochs, `(batch, logs)` for batches. Hooks other than
    the six named arguments are given by name in `**kwargs` (e.g. `on_test_end=`).

    Example:
        log_loss = LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, logs["loss"]))
        model.fit(x, y, epochs=3, callbacks=[log_loss])
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None, **kwargs):
        super().__init__()
        unknown = sorted(set(kwargs) - set(_HOOKS))
        if unknown:
            raise TypeError(f"LambdaCallback got unknown hooks {unknown}; valid hooks: {', '.join(_HOOKS)}")
        hooks = dict(kwargs, on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin, on_train_batch_end=on_train_batch_end)
        for name, function in hooks.items():
            if function is not None:
                setattr(self, name, function)  # an instance attribute shadows the no-op method
