"""`TerminateOnNaN`: stop training at the first batch whose loss is NaN or infinite."""
import math

from layered.callbacks.callback import Callback
from layered.callbacks.progbar import print_msg


class TerminateOnNaN(Callback):
    """Stops `fit` when a training batch's loss is not finite.

    It reads the loss after every batch (one device read per batch). When `fit` sees
    this callback it also skips non-finite updates, so the weights stay the last
    finite ones.

    Args:
        raise_error: raise a `RuntimeError` at once instead of stopping gracefully
            (which still runs every callback's `on_train_end`).

    Example:
        model.fit(x, y, epochs=10, callbacks=[TerminateOnNaN()])
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error

    def on_train_batch_end(self, batch, logs=None):
        if not logs or "loss" not in logs:
            return
        loss = float(logs["loss"])
        if math.isfinite(loss):
            return
        if self.raise_error:
            raise RuntimeError(f"Batch {batch}: invalid loss {loss}, terminating training")
        print_msg(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True
