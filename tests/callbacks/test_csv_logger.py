import csv

import numpy as np
import pytest

import layered
from layered.callbacks import CSVLogger, LambdaCallback
from tests.callbacks.fakes import run_fit

X = np.random.default_rng(0).normal(size=(32, 3)).astype("float32")
Y = X @ np.array([[1.0], [-1.0], [2.0]], "float32")


def small_model():
    layered.utils.set_random_seed(0)
    model = layered.Sequential([layered.Input((3,)), layered.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    return model


def rows(path, separator=","):
    with open(path, newline="") as file:
        return list(csv.reader(file, delimiter=separator))


def test_a_header_then_one_row_per_epoch(tmp_path):
    path = tmp_path / "log.csv"
    history = small_model().fit(X, Y, epochs=3, verbose=0, validation_split=0.25, callbacks=[CSVLogger(path)])
    table = rows(path)
    assert table[0] == ["epoch", "loss", "mae", "val_loss", "val_mae"]  # epoch, then sorted names
    assert [row[0] for row in table[1:]] == ["0", "1", "2"]
    for epoch, row in enumerate(table[1:]):
        assert float(row[1]) == history.history["loss"][epoch]  # written at full precision
        assert float(row[4]) == history.history["val_mae"][epoch]


def test_append_across_two_fits_writes_one_header(tmp_path):
    path = tmp_path / "log.csv"
    model = small_model()
    model.fit(X, Y, epochs=2, verbose=0, callbacks=[CSVLogger(path, append=True)])
    model.fit(X, Y, epochs=3, verbose=0, callbacks=[CSVLogger(path, append=True)])
    table = rows(path)
    assert table[0] == ["epoch", "loss", "mae"]
    assert [row[0] for row in table[1:]] == ["0", "1", "0", "1", "2"]
    assert all(len(row) == 3 for row in table)


def test_without_append_the_file_is_replaced(tmp_path):
    path = tmp_path / "log.csv"
    model = small_model()
    model.fit(X, Y, epochs=2, verbose=0, callbacks=[CSVLogger(path)])
    model.fit(X, Y, epochs=1, verbose=0, callbacks=[CSVLogger(path)])
    assert len(rows(path)) == 2


def test_each_row_is_on_disk_at_the_end_of_its_epoch(tmp_path):
    path = tmp_path / "log.csv"
    seen = []
    peek = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(len(rows(path))))
    small_model().fit(X, Y, epochs=3, verbose=0, callbacks=[CSVLogger(path), peek])
    assert seen == [2, 3, 4]


def test_separator_missing_values_and_array_logs(tmp_path):
    path = tmp_path / "log.tsv"
    logs = [{"loss": 0.5, "val_loss": 0.75, "per_class": np.array([0.25, 0.5])},
            {"loss": 0.25, "per_class": np.array([0.5, 1.0])}]
    run_fit([CSVLogger(path, separator="\t")], logs)
    assert rows(path, "\t") == [["epoch", "loss", "per_class", "val_loss"],
                                ["0", "0.5", "[0.25, 0.5]", "0.75"],
                                ["1", "0.25", "[0.5, 1.0]", "NA"]]


def test_logs_that_appear_later_are_left_out_with_a_warning(tmp_path):
    path = tmp_path / "log.csv"
    with pytest.warns(UserWarning, match=r"no column for the logs \['val_loss'\]"):
        run_fit([CSVLogger(path)], [{"loss": 1.0}, {"loss": 0.5, "val_loss": 0.25}])
    assert rows(path) == [["epoch", "loss"], ["0", "1.0"], ["1", "0.5"]]


def test_appending_follows_the_existing_columns(tmp_path):
    path = tmp_path / "log.csv"
    run_fit([CSVLogger(path)], [{"loss": 1.0, "mae": 2.0}])
    with pytest.warns(UserWarning, match="val_loss"):
        run_fit([CSVLogger(path, append=True)], [{"mae": 3.0, "loss": 0.5, "val_loss": 0.25}])
    assert rows(path) == [["epoch", "loss", "mae"], ["0", "1.0", "2.0"], ["0", "0.5", "3.0"]]
