"""Layer base, Model (functional and subclassed), Sequential, summary."""
from layered.models.cloning import clone_model as clone_model
from layered.models.layer import Layer as Layer
from layered.models.model import Model as Model
from layered.models.sequential import Sequential as Sequential


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Rebuild a model saved with `model.save` (see `layered.saving.model_file`)."""
    from layered.saving.model_file import load_model as load
    return load(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def save_model(model, filepath, overwrite=True, **kwargs):
    """Write `model` to a `.layered` file (as `model.save(filepath)`)."""
    from layered.saving.model_file import save_model as save
    return save(model, filepath, overwrite=overwrite)


def model_from_json(json_string, custom_objects=None):
    """A new model (freshly initialised weights) from `model.to_json()`."""
    import json
    from layered.saving.serialization import deserialize_layer
    return deserialize_layer(json.loads(json_string), custom_objects)
