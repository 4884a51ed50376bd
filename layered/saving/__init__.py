"""Saving: model weights and optimizer state as `.npz` archives, written atomically.

Files are read with `allow_pickle=False`, always: a saved file can never run code. A
`Lambda` layer's function is saved by name; loading one that must be imported is refused
unless safe mode is off (`load_model(path, safe_mode=False)` or `safe_mode_scope(False)`).
"""
from layered.saving.atomic import atomic_write as atomic_write
from layered.saving.serialization import in_safe_mode as in_safe_mode
from layered.saving.serialization import register_serializable as register_serializable
from layered.saving.serialization import safe_mode_scope as safe_mode_scope
from layered.saving.weights import WEIGHTS_SUFFIX as WEIGHTS_SUFFIX
from layered.saving.weights import assign_optimizer_arrays as assign_optimizer_arrays
from layered.saving.weights import assign_weight_arrays as assign_weight_arrays
from layered.saving.weights import load_optimizer_state as load_optimizer_state
from layered.saving.weights import load_weights as load_weights
from layered.saving.weights import optimizer_arrays as optimizer_arrays
from layered.saving.weights import read_npz as read_npz
from layered.saving.weights import save_optimizer_state as save_optimizer_state
from layered.saving.weights import save_weights as save_weights
from layered.saving.weights import weight_arrays as weight_arrays
from layered.saving.weights import write_npz as write_npz
