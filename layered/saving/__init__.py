"""Saving: model weights and optimizer state as `.npz` archives, written atomically.

Files are read with `allow_pickle=False`, always: a saved file can never run code. A
`Lambda` layer's function is saved by name; loading one that must be imported is refused
unless safe mode is off (`load_model(path, safe_mode=False)` or `safe_mode_scope(False)`).
Keras 3's registry names are here too: `register_keras_serializable`, `custom_object_scope`,
`get_registered_name`/`get_registered_object`, `serialize_keras_object`/`deserialize_keras_object`.
"""
from layered.saving.atomic import atomic_write as atomic_write
from layered.saving.keras_objects import deserialize_keras_object as deserialize_keras_object
from layered.saving.keras_objects import serialize_keras_object as serialize_keras_object
from layered.saving.serialization import custom_object_scope as custom_object_scope
from layered.saving.serialization import CustomObjectScope as CustomObjectScope
from layered.saving.serialization import get_custom_objects as get_custom_objects
from layered.saving.serialization import get_registered_name as get_registered_name
from layered.saving.serialization import get_registered_object as get_registered_object
from layered.saving.serialization import in_safe_mode as in_safe_mode
from layered.saving.serialization import register_keras_serializable as register_keras_serializable
from layered.saving.serialization import register_serializable as register_serializable
from layered.saving.serialization import safe_mode_scope as safe_mode_scope
from layered.saving.weights import assign_optimizer_arrays as assign_optimizer_arrays
from layered.saving.weights import assign_weight_arrays as assign_weight_arrays
from layered.saving.weights import load_optimizer_state as load_optimizer_state
from layered.saving.weights import load_weights as load_weights
from layered.saving.weights import optimizer_arrays as optimizer_arrays
from layered.saving.weights import read_npz as read_npz
from layered.saving.weights import save_optimizer_state as save_optimizer_state
from layered.saving.weights import save_weights as save_weights
from layered.saving.weights import weight_arrays as weight_arrays
from layered.saving.weights import WEIGHTS_SUFFIX as WEIGHTS_SUFFIX
from layered.saving.weights import write_npz as write_npz


def save_model(model, filepath, overwrite=True, **kwargs):
    """Write `model` to a `.layered` file (as `model.save(filepath)`).

    Example:
        layered.saving.save_model(model, "m.layered")
    """
    from layered.saving.model_file import save_model as save
    return save(model, filepath, overwrite=overwrite)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Rebuild a model saved with `model.save` or `save_model` (see `layered.saving.model_file`).

    Example:
        model = layered.saving.load_model("m.layered")
    """
    from layered.saving.model_file import load_model as load
    return load(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)
