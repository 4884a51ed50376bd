"""`BackupAndRestore`: resume a `fit` that was interrupted, from its last backup."""
import contextlib
import json
import numbers
import os

import numpy as np

from layered import random
from layered.callbacks.callback import Callback
from layered.saving.atomic import check_writable, leftover_temporaries
from layered.saving.weights import (assign_optimizer_arrays, assign_weight_arrays, optimizer_arrays, read_npz,
                                    weight_arrays, write_npz)

BACKUP_NAME = "backup.npz"
_FORMAT = "layered.backup/1"


class BackupAndRestore(Callback):
    """Backs up the training state during `fit`; a rerun of the same `fit` resumes from it.

    A backup holds the weights, the optimizer state (iterations, learning rate, slots),
    the epoch to resume at, the global random generator (shuffling) and the step seeds
    (dropout masks), in one file `backup_dir/backup.npz` written atomically: a process
    killed at any moment leaves the previous backup whole. With `save_freq="epoch"`, a
    resumed run ends with exactly the weights an uninterrupted one would have had (same
    backend and machine).

    At the start of `fit`, an existing backup is loaded and training continues at the
    epoch after the last one backed up (`fit` then skips the epochs before it). When
    `fit` ends normally (early stopping included), the backup is deleted, unless
    `delete_checkpoint=False`. A `fit` that raises keeps it.

    Args:
        backup_dir: the folder for the backup (created if needed); use one per training job.
        save_freq: `"epoch"`, or an integer: back up every that many batches instead. A
            batch backup resumes at the start of its epoch with the weights from the
            middle of it, as Keras does, so that resumed run is not bit-identical.
        delete_checkpoint: delete the backup when `fit` finishes.

    The state of other callbacks (EarlyStopping's patience, ReduceLROnPlateau's wait) is
    not backed up.

    Example:
        model.fit(x, y, epochs=100, callbacks=[BackupAndRestore("/tmp/run-1/backup")])
    """

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("BackupAndRestore needs a backup_dir")
        is_count = isinstance(save_freq, numbers.Integral) and not isinstance(save_freq, bool)
        if save_freq != "epoch" and not (is_count and save_freq > 0):
            raise ValueError(f"save_freq must be 'epoch' or a positive number of batches, got {save_freq!r}")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.delete_checkpoint = delete_checkpoint
        self.backup_path = os.path.join(self.backup_dir, BACKUP_NAME)
        self.restored_epoch = None  # the epoch the latest fit resumed at, None when it started fresh
        self._epoch = 0
        self._last_batch = -1
        self._batches_since_save = 0

    def on_train_begin(self, logs=None):
        check_writable(self.backup_dir, "BackupAndRestore")
        self.restored_epoch = None
        self._batches_since_save = 0
        self._remove_leftovers()
        if os.path.exists(self.backup_path):
            self._restore()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._last_batch = -1

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_since_save += batch - self._last_batch  # batch indices jump with steps_per_execution
        self._last_batch = batch
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(resume_epoch=self._epoch)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(resume_epoch=epoch + 1)

    def on_train_end(self, logs=None):
        if not self.delete_checkpoint:
            return
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.backup_path)
        self._remove_leftovers()
        with contextlib.suppress(OSError):
            os.rmdir(self.backup_dir)  # only if nothing else is in it

    def _remove_leftovers(self):
        """Temporary files of backups whose writing was cut short by a kill."""
        for path in leftover_temporaries(self.backup_path):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)

    # ------------------------------------------------------------ the backup file

    def _save(self, resume_epoch):
        model = self.model
        steps = model._steps
        metadata = {"format": _FORMAT, "epoch": resume_epoch,
                    "random_state": random.global_generator().bit_generator.state,
                    "step_seed": [int(steps._base_seed), int(steps._counter)]}
        arrays = {f"weights/{key}": value for key, value in weight_arrays(model).items()}
        arrays.update({f"optimizer/{key}": value
                       for key, value in optimizer_arrays(model.optimizer, model.trainable_weights).items()})
        arrays["metadata"] = np.array(json.dumps(metadata))
        write_npz(self.backup_path, arrays)

    def _restore(self):
        model = self.model
        source = f"the backup '{self.backup_path}'"
        arrays = read_npz(self.backup_path)
        metadata = _metadata(arrays.pop("metadata", None), source)
        weights = {key.removeprefix("weights/"): value for key, value in arrays.items() if key.startswith("weights/")}
        state = {key.removeprefix("optimizer/"): value for key, value in arrays.items()
                 if key.startswith("optimizer/")}
        before = model.get_weights()
        assign_weight_arrays(model, weights, source=source)
        try:
            assign_optimizer_arrays(model.optimizer, model.trainable_weights, state, source=source)
            random.global_generator().bit_generator.state = metadata["random_state"]
        except Exception:
            model.set_weights(before)  # all or nothing
            raise
        model._steps._base_seed, model._steps._counter = (int(v) for v in metadata["step_seed"])
        self.restored_epoch = int(metadata["epoch"])
        # fit reads this right after on_train_begin and starts at that epoch.
        model._resume_epoch = self.restored_epoch


def _metadata(array, source):
    try:
        metadata = json.loads(str(array)) if array is not None and array.dtype.kind == "U" else None
    except json.JSONDecodeError:
        metadata = None
    if not isinstance(metadata, dict) or metadata.get("format") != _FORMAT:
        raise ValueError(f"{source} is not a layered backup (or was written by another version); delete it to "
                         "start training afresh")
    return metadata
