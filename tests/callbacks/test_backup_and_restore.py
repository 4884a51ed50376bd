import json
import os
import signal
import subprocess
import sys
import threading

import numpy as np
import pytest

import layered
from layered.callbacks import BackupAndRestore, EarlyStopping, LambdaCallback
from layered.saving import read_npz

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# A fit with shuffling and dropout, so that resuming must restore the random state too.
# The child prints "epoch <i>" after each epoch, once the backup of that epoch is written;
# with BLOCK_AT=<epoch>, it hangs in the middle of that epoch, waiting to be killed.
CHILD = r"""
import os, sys, time
import numpy as np
import layered
from layered import layers

backup_dir, out, block_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
layered.utils.set_random_seed(7)
model = layered.Sequential([layered.Input((5,)), layers.Dense(16, activation="relu"), layers.Dropout(0.3),
                            layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
rng = np.random.default_rng(0)
x = rng.normal(size=(50, 5)).astype("float32")
y = (x @ rng.normal(size=(5, 1))).astype("float32")

def report(epoch, logs):
    print("epoch", epoch, flush=True)

def hang(batch, logs):
    if current[0] == block_at and batch == 1:
        time.sleep(600)

current = [0]
callbacks = [layered.callbacks.BackupAndRestore(backup_dir),
             layered.callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: current.__setitem__(0, e),
                                              on_epoch_end=report, on_train_batch_end=hang)]
model.fit(x, y, batch_size=8, epochs=8, shuffle=True, validation_split=0.2, verbose=0, callbacks=callbacks)
model.save_weights(out)
print("done", flush=True)
"""


@pytest.fixture
def children():
    """Starts child fits; any still running at the end of the test is killed."""
    started = []

    def start(script, backup_dir, out, block_at=-1):
        env = dict(os.environ, LAYERED_BACKEND="numpy", OPENBLAS_NUM_THREADS="1",
                   PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
        child = subprocess.Popen([sys.executable, str(script), str(backup_dir), str(out), str(block_at)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
        started.append(child)
        return child

    yield start
    for child in started:
        if child.poll() is None:
            child.kill()
        child.communicate()


def _epochs_printed(output):
    return [int(line.split()[1]) for line in output.splitlines() if line.startswith("epoch ")]


def _read_until_epoch(child, last):
    """The epochs the child reports, read until it reports `last` (or its output ends)."""
    seen = []
    watchdog = threading.Timer(120, child.kill)  # a child that never gets there must not hang the tests
    watchdog.start()
    try:
        for line in child.stdout:
            if line.startswith("epoch "):
                seen.append(int(line.split()[1]))
                if seen[-1] >= last:
                    break
    finally:
        watchdog.cancel()
    return seen


def test_a_killed_fit_resumes_and_ends_bit_identical(tmp_path, children):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    reference = children(script, tmp_path / "reference_backup", tmp_path / "reference.weights.npz")

    # Killed with SIGKILL wherever it is once three epochs are done: in epoch 4 or 5 (the child
    # hangs in the middle of epoch 5, so it cannot finish and delete its backup first).
    backup_dir = tmp_path / "backup"
    killed = children(script, backup_dir, tmp_path / "resumed.weights.npz", block_at=5)
    assert _read_until_epoch(killed, last=3) == [0, 1, 2, 3]
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    assert killed.returncode == -signal.SIGKILL
    backed_up = json.loads(str(read_npz(backup_dir / "backup.npz")["metadata"]))["epoch"]
    assert backed_up in (4, 5)

    resumed = children(script, backup_dir, tmp_path / "resumed.weights.npz")
    output, errors = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, errors
    assert _epochs_printed(output) == list(range(backed_up, 8))  # resumed after the last backup
    assert not backup_dir.exists()  # deleted once the fit completed

    output, errors = reference.communicate(timeout=120)
    assert reference.returncode == 0, errors
    assert _epochs_printed(output) == list(range(8))
    expected = read_npz(tmp_path / "reference.weights.npz")
    got = read_npz(tmp_path / "resumed.weights.npz")
    assert list(got) == list(expected)
    for key in expected:
        assert got[key].tobytes() == expected[key].tobytes(), key


# ---------------------------------------------------------------- in one process

X = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
Y = X @ np.array([[1.0], [-1.0], [2.0]], "float32")


def dropout_model():
    layered.utils.set_random_seed(3)
    model = layered.Sequential([layered.Input((3,)), layered.layers.Dense(8, activation="relu"),
                                layered.layers.Dropout(0.25), layered.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


class Crash(Exception):
    """Stands for anything that ends a fit early: an error, Ctrl-C."""


def crash_at(epoch_to_crash):
    def crash(epoch, logs):
        if epoch == epoch_to_crash:
            raise Crash(f"crashed after epoch {epoch}")
    return LambdaCallback(on_epoch_end=crash)


def fit(model, callbacks, epochs=5):
    return model.fit(X, Y, batch_size=8, epochs=epochs, verbose=0, callbacks=callbacks)


def test_an_interrupted_fit_resumes_identically_in_process(tmp_path):
    reference = dropout_model()
    fit(reference, [])
    backup = BackupAndRestore(tmp_path / "backup")
    with pytest.raises(Crash):
        fit(dropout_model(), [backup, crash_at(2)])  # epochs 0-2 backed up, then the "crash"
    assert (tmp_path / "backup" / "backup.npz").exists()  # a fit that raises keeps its backup

    model = dropout_model()
    history = fit(model, [backup])
    assert backup.restored_epoch == 3 and history.epoch == [3, 4]
    assert same(model.get_weights(), reference.get_weights())
    assert int(model.optimizer.iterations.numpy()) == int(reference.optimizer.iterations.numpy())
    assert not (tmp_path / "backup").exists()
    assert "_resume_epoch" not in vars(model)
    assert fit(model, [], epochs=1).epoch == [0]  # a later fit starts from its own initial_epoch


def same(a, b):
    return all(x.tobytes() == y.tobytes() for x, y in zip(a, b)) and len(a) == len(b)


def test_delete_checkpoint_false_keeps_the_backup_and_a_rerun_has_nothing_left_to_do(tmp_path):
    backup = BackupAndRestore(tmp_path, delete_checkpoint=False)
    model = dropout_model()
    fit(model, [backup], epochs=2)
    assert (tmp_path / "backup.npz").exists()
    weights = model.get_weights()
    history = fit(model, [backup], epochs=2)
    assert backup.restored_epoch == 2 and history.epoch == []
    assert same(model.get_weights(), weights)


def test_leftovers_of_a_killed_write_are_cleaned_up(tmp_path):
    backup_dir = tmp_path / "backup"
    backup_dir.mkdir()
    leftover = backup_dir / ".backup.npz.0123abcd.tmp"
    leftover.write_bytes(b"half a zip")
    fit(dropout_model(), [BackupAndRestore(backup_dir, delete_checkpoint=False)], epochs=1)
    assert os.listdir(backup_dir) == ["backup.npz"]
    leftover.write_bytes(b"half a zip")
    fit(dropout_model(), [BackupAndRestore(backup_dir)], epochs=2)
    assert not backup_dir.exists()


def test_batch_backups_resume_at_the_start_of_their_epoch(tmp_path):
    backup = BackupAndRestore(tmp_path, save_freq=3)  # 5 batches per epoch: backups inside epochs
    with pytest.raises(Crash):
        fit(dropout_model(), [backup, crash_at(1)])
    assert backup.restored_epoch is None
    history = fit(dropout_model(), [backup])
    assert backup.restored_epoch == 1 and history.epoch == [1, 2, 3, 4]


def test_a_backup_that_does_not_fit_the_model_changes_nothing(tmp_path):
    with pytest.raises(Crash):
        fit(dropout_model(), [BackupAndRestore(tmp_path), crash_at(0)])
    layered.utils.set_random_seed(0)
    other = layered.Sequential([layered.Input((3,)), layered.layers.Dense(4), layered.layers.Dense(1)])
    other.compile(optimizer="adam", loss="mse")
    before = other.get_weights()
    with pytest.raises(ValueError, match=r"layer '.*', weight 'kernel'.*\(3, 4\).*\(3, 8\)"):
        fit(other, [BackupAndRestore(tmp_path)])
    assert same(other.get_weights(), before)
    assert int(other.optimizer.iterations.numpy()) == 0


def test_a_foreign_file_is_not_taken_for_a_backup(tmp_path):
    np.savez(tmp_path / "backup.npz", metadata=np.array("{}"))
    with pytest.raises(ValueError, match="not a layered backup"):
        fit(dropout_model(), [BackupAndRestore(tmp_path)])


def test_an_unwritable_backup_dir_fails_before_training(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder")
    model = dropout_model()
    with pytest.raises(OSError, match="BackupAndRestore cannot write to the folder"):
        fit(model, [BackupAndRestore(blocker / "backup")])
    assert int(model.optimizer.iterations.numpy()) == 0


def test_arguments_are_checked():
    with pytest.raises(ValueError, match="save_freq"):
        BackupAndRestore("somewhere", save_freq="batch")
    with pytest.raises(ValueError, match="backup_dir"):
        BackupAndRestore("")


def test_other_callbacks_see_the_resumed_epochs(tmp_path):
    with pytest.raises(Crash):
        fit(dropout_model(), [BackupAndRestore(tmp_path), crash_at(1)])
    stop = EarlyStopping(monitor="loss", patience=10)
    history = fit(dropout_model(), [BackupAndRestore(tmp_path), stop])
    assert history.epoch == [2, 3, 4] and len(history.history["loss"]) == 3
