"""Keras 3's console-logging switch and model plotting entry points.

The logging switch is a flag that `layered.utils.Progbar` reads (it prints nothing while
logging is disabled); `fit`'s own progress follows its `verbose` argument. Plotting needs
pydot and graphviz, which layered does not use: `plot_model` says so and draws nothing
(as Keras does without them).
"""
import sys

_INTERACTIVE = [True]


def enable_interactive_logging():
    """Let `Progbar` print to stdout (the default)."""
    _INTERACTIVE[0] = True


def disable_interactive_logging():
    """Stop `Progbar` from printing to stdout."""
    _INTERACTIVE[0] = False


def is_interactive_logging_enabled():
    """Whether `Progbar` prints to stdout."""
    return _INTERACTIVE[0]


def model_to_dot(model, *args, **kwargs):
    """Not available: layered has no pydot. Use `model.summary()`, or the TensorBoard graph."""
    raise ImportError("model_to_dot needs pydot and graphviz, which layered does not use; use model.summary() "
                      "or the TensorBoard callback's graph (write_graph=True) to see the model")


def plot_model(model, to_file="model.png", *args, **kwargs):
    """Draws nothing: layered has no pydot/graphviz. Prints why (as Keras does without them)
    and returns None, so a script that calls it goes on.

    Example:
        layered.utils.plot_model(model)  # prints the reason; see model.summary() instead
    """
    sys.stdout.write(f"plot_model: nothing written to '{to_file}': drawing needs pydot and graphviz, which "
                     "layered does not use; see model.summary() or the TensorBoard graph instead\n")
