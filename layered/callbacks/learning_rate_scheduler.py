"""`LearningRateScheduler`: set the learning rate at the start of each epoch."""
import inspect
import numbers

from layered.callbacks.callback import Callback
from layered.callbacks.progbar import print_msg


class LearningRateScheduler(Callback):
    """Sets `model.optimizer.learning_rate = schedule(epoch, lr)` before each epoch.

    The learning rate is an input of the compiled step, so changing it never recompiles.
    The rate used in each epoch is added to the epoch logs as `learning_rate` (Keras 3's
    name; Keras 2 said `lr`), so `History` and `CSVLogger` record it.

    Args:
        schedule: a function `(epoch, lr) -> new lr` (epoch 0-based, lr the current rate
            as a float); a function of `epoch` alone is accepted too.
        verbose: 1 prints the new rate at each epoch.

    Example:
        def halve_after_ten(epoch, lr):
            return lr if epoch < 10 else lr * 0.5
        model.fit(x, y, epochs=20, callbacks=[LearningRateScheduler(halve_after_ten)])
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler needs a function (epoch, lr) -> lr, got {schedule!r}")
        self.schedule = schedule
        self.verbose = verbose
        self._takes_lr = _accepts_two_arguments(schedule)

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        lr = float(optimizer.learning_rate)
        new_lr = self.schedule(epoch, lr) if self._takes_lr else self.schedule(epoch)
        if not isinstance(new_lr, numbers.Real) or isinstance(new_lr, bool):
            raise ValueError(f"the schedule of LearningRateScheduler must return a number, got {new_lr!r} "
                             f"at epoch {epoch}")
        optimizer.learning_rate = float(new_lr)
        if self.verbose > 0:
            print_msg(f"Epoch {epoch + 1}: LearningRateScheduler setting the learning rate to {float(new_lr)}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)


def _accepts_two_arguments(function):
    try:
        inspect.signature(function).bind(0, 0.0)
    except TypeError:
        return False
    except ValueError:  # no signature to inspect (some builtins): assume the Keras form
        return True
    return True
