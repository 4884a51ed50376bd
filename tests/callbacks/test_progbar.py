import re
import time

import pytest

from layered.callbacks import CallbackList, ProgbarLogger
from layered.callbacks import progbar as progbar_module
from tests.callbacks.fakes import FakeModel, LazyLogs, run_fit

EPOCH_LOGS = [
    {"loss": 0.123456, "accuracy": 0.95314, "val_loss": 0.2, "val_accuracy": 0.91},
    {"loss": 0.0001234, "accuracy": 0.97, "val_loss": 0.15, "val_accuracy": 0.93},
]


def lines(text):
    return [line for line in text.split("\n") if line]


@pytest.mark.parametrize("verbose", [2, 1, "auto"])
def test_one_line_per_epoch_without_a_terminal(verbose, capsys):
    # capsys' stdout is not a tty, so verbose=1 falls back to the line form too.
    run_fit([], EPOCH_LOGS, steps=4, verbose=verbose)
    out = capsys.readouterr().out
    assert "\r" not in out
    first, second = lines(out)
    assert re.fullmatch(r"Epoch 1/2 - 4 steps - \d+\.\d\ds - \d+(\.\d\d)?(us|ms|s)/step - loss: 0\.1235 - accuracy: 0\.9531"
                        r" - val_loss: 0\.2000 - val_accuracy: 0\.9100", first)
    assert second.startswith("Epoch 2/2 - 4 steps - ")
    assert second.endswith("loss: 1.2340e-04 - accuracy: 0.9700 - val_loss: 0.1500 - val_accuracy: 0.9300")


def test_verbose_0_prints_nothing(capsys):
    run_fit([], EPOCH_LOGS, verbose=0)
    assert capsys.readouterr().out == ""


def test_unknown_step_count_reports_the_steps_seen(capsys):
    run_fit([], EPOCH_LOGS[:1], steps=5, verbose=2, params_steps=None)
    assert lines(capsys.readouterr().out)[0].startswith("Epoch 1/1 - 5 steps - ")


def test_live_bar_shows_the_metrics(capsys):
    progbar = ProgbarLogger(interactive=True, refresh_interval=0)
    run_fit([progbar], EPOCH_LOGS, steps=4, verbose=1, batch_logs={"loss": 0.5, "accuracy": 0.25},
            val_batch_logs={"loss": 7.777})
    out = capsys.readouterr().out
    assert "\r" in out  # a live tqdm bar
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert "4/4" in out and "loss=0.1235, accuracy=0.9531" in out  # the closing line
    assert "val_loss: 0.2000 - val_accuracy: 0.9100" in out
    assert "7.777" not in out  # the validation pass inside fit draws nothing


def test_live_bar_refreshes_the_running_metrics(capsys):
    callbacks = CallbackList([ProgbarLogger(interactive=True, refresh_interval=0.05)], model=FakeModel(),
                             verbose=1, epochs=1, steps=3)
    callbacks.on_train_begin()
    callbacks.on_epoch_begin(0)
    for batch in range(2):
        time.sleep(0.11)  # past tqdm's own 0.1 s redraw interval
        callbacks.on_train_batch_end(batch, {"loss": 0.5 + batch, "accuracy": 0.25})
    out = capsys.readouterr().out
    assert "2/3" in out and "loss=1.5000, accuracy=0.2500" in out
    callbacks.on_epoch_end(0, {"loss": 1.0})
    callbacks.on_train_end()


def test_live_bar_with_unknown_steps_closes_at_the_count_seen(capsys):
    progbar = ProgbarLogger(interactive=True)
    run_fit([progbar], EPOCH_LOGS[:1], steps=6, verbose=1, params_steps=None)
    assert "6/6" in capsys.readouterr().out


def test_interactive_detection(monkeypatch):
    progbar = ProgbarLogger()
    progbar.set_params({"verbose": 1, "epochs": 1, "steps": 2})
    assert not progbar._live()  # capsys / pytest's capture is not a tty
    monkeypatch.setattr(progbar_module, "_is_terminal", lambda stream: True)
    assert progbar._live()
    progbar.set_params({"verbose": 2, "epochs": 1, "steps": 2})
    assert not progbar._live()


def test_lazy_logs_are_read_rarely(capsys):
    LazyLogs.loads = 0
    run_fit([ProgbarLogger(interactive=True)], [{"loss": 0.5}], steps=1000, verbose=1,
            batch_logs=lambda: LazyLogs(loss=0.5, accuracy=0.25))
    assert LazyLogs.loads <= 10  # a tight loop takes well under a second: a handful of reads
    assert "1000/1000" in capsys.readouterr().out


def test_lazy_logs_are_read_by_time_not_by_batch(monkeypatch, capsys):
    class Clock:  # the callback looks at the clock once per batch: 10 ms per batch, simulated
        now = 0.0

        def monotonic(self):
            Clock.now += 0.01
            return Clock.now

    monkeypatch.setattr(progbar_module, "time", Clock())
    LazyLogs.loads = 0
    run_fit([ProgbarLogger(interactive=True, refresh_interval=0.1)], [{"loss": 0.5}], steps=1000,
            verbose=1, batch_logs=lambda: LazyLogs(loss=0.5))
    assert 80 <= LazyLogs.loads <= 110  # about one read per 0.1 s of the 10 s simulated


def test_evaluate_alone_prints_a_line(capsys):
    callbacks = CallbackList([], add_progbar=True, model=FakeModel(), verbose=1, epochs=1, steps=3)
    callbacks.on_test_begin()
    for batch in range(3):
        callbacks.on_test_batch_end(batch, {"loss": 0.5})
    callbacks.on_test_end({"loss": 0.5, "accuracy": 0.75})
    (line,) = lines(capsys.readouterr().out)
    assert re.fullmatch(r"3 steps - \d+\.\d\ds - \d+us/step - loss: 0\.5000 - accuracy: 0\.7500", line)


def test_evaluate_alone_draws_a_bar(capsys):
    callbacks = CallbackList([ProgbarLogger(interactive=True)], model=FakeModel(), verbose=1, epochs=1, steps=3)
    callbacks.on_test_begin()
    for batch in range(3):
        callbacks.on_test_batch_end(batch, {"loss": 0.5})
    callbacks.on_test_end({"loss": 0.5, "accuracy": 0.75})
    out = capsys.readouterr().out
    assert "3/3" in out and "loss=0.5000, accuracy=0.7500" in out and "Epoch" not in out


def test_evaluate_after_fit_is_shown_again(capsys):
    progbar = ProgbarLogger()
    run_fit([progbar], EPOCH_LOGS[:1], verbose=2)
    capsys.readouterr()
    progbar.on_test_begin()
    progbar.on_test_batch_end(0, {"loss": 0.5})
    progbar.on_test_end({"loss": 0.5})
    assert "loss: 0.5000" in capsys.readouterr().out


def test_predict_shows_progress_only(capsys):
    callbacks = CallbackList([], add_progbar=True, model=FakeModel(), verbose=2, epochs=1, steps=2)
    callbacks.on_predict_begin()
    for batch in range(2):
        callbacks.on_predict_batch_end(batch, {"outputs": [1, 2]})
    callbacks.on_predict_end()
    (line,) = lines(capsys.readouterr().out)
    assert re.fullmatch(r"2 steps - \d+\.\d\ds - \d+us/step", line)


def test_messages_from_other_callbacks_keep_their_own_line(capsys):
    progbar = ProgbarLogger(interactive=True)
    callbacks = CallbackList([progbar], model=FakeModel(), verbose=1, epochs=1, steps=3)
    callbacks.on_train_begin()
    callbacks.on_epoch_begin(0)
    callbacks.on_train_batch_end(0, {"loss": 0.5})
    progbar_module.print_msg("hello")
    callbacks.on_epoch_end(0, {"loss": 0.5})
    callbacks.on_train_end()
    assert "\nhello\n" in capsys.readouterr().out.replace("\r", "\n")


@pytest.mark.parametrize("value, text", [
    (0.123456, "0.1235"), (12.0, "12.0000"), (0.0, "0.0000"), (1.5e-5, "1.5000e-05"),
    (-0.5, "-0.5000"), (float("nan"), "nan"), ("n/a", "n/a"),
])
def test_format_value(value, text):
    assert progbar_module.format_value(value) == text
