"""`Callback`: the base class whose hooks fit, evaluate and predict call."""


class Callback:
    """Base class for objects that hook into `fit`, `evaluate` and `predict`.

    Subclass it and override the hooks you need; every hook is a no-op here. The loop
    sets `model` (the model being run) and `params` (`{"verbose", "epochs", "steps"}`)
    before the first hook.

    `logs` given to batch hooks may compute its values only when they are read (pulled
    from the device), so read batch logs only when you need them.

    Example:
        class PrintEpoch(Callback):
            def on_epoch_end(self, epoch, logs=None):
                print(epoch, logs["loss"])
    """

    def __init__(self):
        self.model = None
        self.params = None

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    # Training: whole run and epochs.
    def on_train_begin(self, logs=None):
        """Called once before the first epoch of `fit`."""

    def on_train_end(self, logs=None):
        """Called once after `fit`; `logs` are the last epoch's logs."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of epoch `epoch` (0-based)."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of an epoch; `logs` hold the epoch's metrics and `val_*` ones."""

    # Training batches. The `on_batch_*` names are kept as aliases, as in Keras.
    def on_train_batch_begin(self, batch, logs=None):
        """Called before training batch `batch` (0-based within the epoch)."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        """Called after a training batch; `logs` hold the running epoch metrics."""
        self.on_batch_end(batch, logs=logs)

    def on_batch_begin(self, batch, logs=None):
        """Alias hook called by the default `on_train_batch_begin`."""

    def on_batch_end(self, batch, logs=None):
        """Alias hook called by the default `on_train_batch_end`."""

    # Evaluation, also used for validation inside `fit`.
    def on_test_begin(self, logs=None):
        """Called before `evaluate` (or a validation pass in `fit`)."""

    def on_test_end(self, logs=None):
        """Called after `evaluate` (or a validation pass); `logs` hold the final metrics."""

    def on_test_batch_begin(self, batch, logs=None):
        """Called before evaluation batch `batch`."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after an evaluation batch; `logs` hold the running metrics."""

    # Prediction.
    def on_predict_begin(self, logs=None):
        """Called before `predict`."""

    def on_predict_end(self, logs=None):
        """Called after `predict`."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before prediction batch `batch`."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after a prediction batch; `logs` may hold the batch's outputs."""
