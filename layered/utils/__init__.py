"""Utilities by Keras 3 name: seeding, label encoding, sequences, progress bars, datasets,
and the serialization registry (re-exported from `layered.saving`)."""
import random as python_random

import numpy as np

from layered import random
from layered.saving.keras_objects import deserialize_keras_object as deserialize_keras_object
from layered.saving.keras_objects import serialize_keras_object as serialize_keras_object
from layered.saving.serialization import custom_object_scope as custom_object_scope
from layered.saving.serialization import CustomObjectScope as CustomObjectScope
from layered.saving.serialization import get_custom_objects as get_custom_objects
from layered.saving.serialization import get_registered_name as get_registered_name
from layered.saving.serialization import get_registered_object as get_registered_object
from layered.saving.serialization import register_keras_serializable as register_keras_serializable
from layered.utils.config import Config as Config
from layered.utils.data_utils import array_to_img as array_to_img
from layered.utils.directory_datasets import image_dataset_from_directory as image_dataset_from_directory
from layered.utils.directory_datasets import text_dataset_from_directory as text_dataset_from_directory
from layered.utils.data_utils import get_file as get_file
from layered.utils.data_utils import get_source_inputs as get_source_inputs
from layered.utils.data_utils import img_to_array as img_to_array
from layered.utils.data_utils import is_keras_tensor as is_keras_tensor
from layered.utils.data_utils import load_img as load_img
from layered.utils.data_utils import pack_x_y_sample_weight as pack_x_y_sample_weight
from layered.utils.data_utils import save_img as save_img
from layered.utils.data_utils import standardize_dtype as standardize_dtype
from layered.utils.data_utils import unpack_x_y_sample_weight as unpack_x_y_sample_weight
from layered.utils.progbar import Progbar as Progbar
from layered.utils.py_dataset import PyDataset as PyDataset
from layered.utils.py_dataset import Sequence as Sequence
from layered.utils.sequences import normalize as normalize
from layered.utils.sequences import pad_sequences as pad_sequences
from layered.utils.sequences import split_dataset as split_dataset
from layered.utils.sequences import timeseries_dataset_from_array as timeseries_dataset_from_array
from layered.utils.visualization import disable_interactive_logging as disable_interactive_logging
from layered.utils.visualization import enable_interactive_logging as enable_interactive_logging
from layered.utils.visualization import is_interactive_logging_enabled as is_interactive_logging_enabled
from layered.utils.visualization import model_to_dot as model_to_dot
from layered.utils.visualization import plot_model as plot_model


def set_random_seed(seed):
    """Seed every source of randomness layered uses (and Python's and NumPy's global ones).

    Initial weights, shuffling and dropout masks all follow from it: the same seed on the
    same backend and machine gives bit-identical training.

    Example:
        layered.utils.set_random_seed(1337)
    """
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"the seed must be a non-negative integer, got {seed!r}")
    random.set_seed(int(seed))
    python_random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)


def to_categorical(x, num_classes=None):
    """One-hot rows for integer class labels (a trailing axis of size 1 is dropped, as in Keras).

    Example:
        layered.utils.to_categorical([0, 2, 1], num_classes=3)
    """
    labels = np.asarray(x)
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels.reshape(labels.shape[:-1])
    if labels.size and (labels.min() < 0 or not np.all(labels == np.floor(labels))):
        raise ValueError("to_categorical needs non-negative integer labels")
    labels = labels.astype(np.int64)
    num_classes = int(labels.max()) + 1 if num_classes is None and labels.size else int(num_classes or 0)
    if labels.size and labels.max() >= num_classes:
        raise ValueError(f"label {int(labels.max())} is out of range for num_classes={num_classes}")
    return np.eye(num_classes, dtype="float32")[labels]


def clear_session(free_memory=True):
    """Start naming afresh, as Keras does: the next Dense is "dense" again, the next
    Sequential "sequential", and so on. Existing models keep their names and weights.

    Example:
        layered.utils.clear_session()
    """
    from layered.models import layer
    layer._names.clear()
