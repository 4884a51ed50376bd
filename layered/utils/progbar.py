"""`Progbar`: a console progress bar with running averages, by Keras 3's API."""
import sys
import time

import numpy as np


class Progbar:
    """A progress bar for custom loops.

    Args:
        target: the total number of steps (None if unknown).
        width: the bar's width in characters.
        verbose: 0 silent, 1 a live bar, 2 one line at the end.
        interval: the least number of seconds between redraws.
        stateful_metrics: names whose values are shown as given, not averaged over steps.
        unit_name: the unit in "ms/step".

    `update(current, values)` sets the step reached, `add(n, values)` advances by n; `values`
    is a list of `(name, value)` pairs, averaged over the steps (weighted by the steps
    between updates) unless the name is stateful.

    Example:
        bar = layered.utils.Progbar(target=100)
        for step in range(100):
            bar.update(step + 1, values=[("loss", 0.5)])
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None, unit_name="step",
                 stateless_metrics=None):
        self.target, self.width, self.verbose, self.interval = target, width, verbose, interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics or ())
        self._dynamic = (hasattr(sys.stdout, "isatty") and sys.stdout.isatty()) or "ipykernel" in sys.modules
        self._values = {}  # name -> [weighted sum, weight], or the value itself for stateful metrics
        self._names = []
        self._seen = 0
        self._start = self._last_update = time.time()
        self._last_width = 0

    def update(self, current, values=None, finalize=None):
        """Set the progress to `current` steps and record `values` ([(name, value), ...])."""
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for name, value in values or []:
            if name not in self._names:
                self._names.append(name)
            if name in self.stateful_metrics:
                self._values[name] = value
            else:
                steps = max(current - self._seen, 1)
                total, weight = self._values.get(name, [0.0, 0])
                self._values[name] = [total + float(np.mean(value)) * steps, weight + steps]
        self._seen = current
        now = time.time()
        from layered.utils.visualization import is_interactive_logging_enabled
        if self.verbose == 0 or not is_interactive_logging_enabled() or \
                (not finalize and now - self._last_update < self.interval):
            return
        self._last_update = now
        if self.verbose == 1:
            self._write(current, now, finalize)
        elif finalize:
            sys.stdout.write(f"{current}/{self.target} - {self._timing(current, now)}{self._metrics()}\n")
            sys.stdout.flush()

    def add(self, n, values=None):
        """Advance by `n` steps and record `values`."""
        self.update(self._seen + n, values)

    def _metrics(self):
        parts = []
        for name in self._names:
            value = self._values[name]
            if isinstance(value, list):
                value = value[0] / max(value[1], 1)
            parts.append(f" - {name}: {float(np.mean(value)):.4f}")
        return "".join(parts)

    def _timing(self, current, now):
        elapsed = now - self._start
        per_unit = elapsed / max(current, 1)
        if per_unit >= 1:
            return f"{elapsed:.0f}s {per_unit:.0f}s/{self.unit_name}"
        return f"{elapsed:.0f}s {per_unit * 1e3:.0f}ms/{self.unit_name}"

    def _write(self, current, now, finalize):
        if self.target is not None:
            digits = len(str(self.target))
            done = int(self.width * min(current / max(self.target, 1), 1.0))
            line = f"{current:>{digits}}/{self.target} " + "━" * done + " " * (self.width - done) + " "
        else:
            line = f"{current:7d}/Unknown "
        line += self._timing(current, now) + self._metrics()
        if self._dynamic:
            sys.stdout.write("\r" + line.ljust(self._last_width))
            self._last_width = len(line)
            if finalize:
                sys.stdout.write("\n")
        elif finalize:
            sys.stdout.write(line + "\n")
        sys.stdout.flush()
