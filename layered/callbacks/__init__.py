"""Callbacks for `fit`, `evaluate` and `predict` (Keras 3 names and hooks)."""
from layered.callbacks.backup_and_restore import BackupAndRestore as BackupAndRestore
from layered.callbacks.callback import Callback as Callback
from layered.callbacks.callback_list import CallbackList as CallbackList
from layered.callbacks.csv_logger import CSVLogger as CSVLogger
from layered.callbacks.early_stopping import EarlyStopping as EarlyStopping
from layered.callbacks.history import History as History
from layered.callbacks.lambda_callback import LambdaCallback as LambdaCallback
from layered.callbacks.learning_rate_scheduler import LearningRateScheduler as LearningRateScheduler
from layered.callbacks.model_checkpoint import ModelCheckpoint as ModelCheckpoint
from layered.callbacks.progbar import ProgbarLogger as ProgbarLogger
from layered.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau as ReduceLROnPlateau
from layered.callbacks.tensorboard import TensorBoard as TensorBoard
from layered.callbacks.terminate_on_nan import TerminateOnNaN as TerminateOnNaN
