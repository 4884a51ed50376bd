"""Callbacks for `fit`, `evaluate` and `predict` (Keras 3 names and hooks)."""
from layered.callbacks.callback import Callback as Callback
from layered.callbacks.callback_list import CallbackList as CallbackList
from layered.callbacks.early_stopping import EarlyStopping as EarlyStopping
from layered.callbacks.history import History as History
from layered.callbacks.lambda_callback import LambdaCallback as LambdaCallback
from layered.callbacks.progbar import ProgbarLogger as ProgbarLogger
from layered.callbacks.terminate_on_nan import TerminateOnNaN as TerminateOnNaN
