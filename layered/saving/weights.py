"""Model weights and optimizer state as NumPy `.npz` archives (never pickle).

Weights file (`*.weights.npz`): one array per entry of `model.weights`, keyed
`"<index>:<variable path>"`, e.g. `"00000:dense/kernel"`, `"00001:dense/bias"` (zero-padded,
so the archive lists them in order). Loading pairs the file's entries with the model's
weights by position, layer by layer (a layer is the run of consecutive paths with one
prefix), so a model rebuilt with other layer names loads; the names only make errors
readable. Every count and shape is checked before anything is assigned, so a failed load
leaves the model as it was.

Optimizer state: `"iterations"`, `"learning_rate"` (unless a schedule drives it; one in
the file is ignored then), `"own:<k>"` for optimizer-wide variables (Nadam's momentum
product) and `"slot:<i>:<slot name>"` for each slot, where `<i>` is the position of the
slot's variable in the list of variables given (a model's `trainable_weights`). These are
the keys of the `optimizer.npz` member of a `.layered` model file too. Slots are
created by the first train step; loading into an optimizer that has not run yet first
calls `optimizer.build(variables)`, which creates exactly the slots that step would.

Every write goes through `atomic_write`: an interrupted save never damages the old file.
"""
import os
import warnings
import zipfile

import numpy as np

from layered.saving.atomic import atomic_write

WEIGHTS_SUFFIX = ".weights.npz"


# ---------------------------------------------------------------- files

def write_npz(filepath, arrays, overwrite=True):
    """Write `arrays` ({key: array}) to `filepath` as an uncompressed `.npz`, atomically."""
    arrays = {key: np.asarray(value) for key, value in arrays.items()}
    for key, value in arrays.items():
        if key in ("file", "allow_pickle"):  # np.savez's own parameter names
            raise ValueError(f"'{key}' cannot name an entry of an .npz archive")
        if value.dtype.hasobject:
            raise TypeError(f"entry '{key}' is an object array; only numbers, booleans and text are saved")
    with atomic_write(filepath, overwrite=overwrite) as file:
        np.savez(file, **arrays)


def read_npz(filepath):
    """All arrays of the `.npz` archive at `filepath`, loaded without unpickling.

    Raises `ValueError` for a file that is not an `.npz` archive, or that holds object
    arrays (which only pickle can restore, and unpickling can run arbitrary code).
    """
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"no such file: '{filepath}'")
    if not zipfile.is_zipfile(filepath):
        with open(filepath, "rb") as f:
            hdf5 = f.read(8) == b"\x89HDF\r\n\x1a\n"
        raise ValueError(f"'{filepath}' is not an .npz archive (a zip of NumPy arrays)" +
                         (": it is an HDF5 file, as Keras writes; layered does not read HDF5" if hdf5 else ""))
    try:
        with np.load(filepath, allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except ValueError as error:
        if "allow_pickle" in str(error):
            raise ValueError(f"'{filepath}' holds a pickled object array; layered never unpickles files "
                             "(unpickling can run arbitrary code), so it refuses to load it") from error
        raise ValueError(f"'{filepath}' could not be read as an .npz archive: {error}") from error
    except (zipfile.BadZipFile, EOFError, OSError) as error:
        raise ValueError(f"'{filepath}' is a damaged .npz archive: {error}") from error


# Keras scripts name weights files "*.weights.h5": accepted so they run unchanged, but what is
# written under that name is still layered's .npz archive (h5py is not a dependency).
KERAS_WEIGHTS_SUFFIX = ".weights.h5"
_warned_keras_suffix = False


def check_weights_suffix(filepath):
    """Raise `ValueError` unless `filepath` ends in `.weights.npz` (or Keras's `.weights.h5`)."""
    global _warned_keras_suffix
    filepath = os.fspath(filepath)
    if filepath.endswith(KERAS_WEIGHTS_SUFFIX):
        if not _warned_keras_suffix:
            _warned_keras_suffix = True
            warnings.warn(f"'{filepath}': layered writes and reads weights as a NumPy .npz archive, also under "
                          "a '.weights.h5' name (it is not an HDF5 file)", stacklevel=3)
        return
    if not filepath.endswith(WEIGHTS_SUFFIX):
        raise ValueError(
            f"a weights file name must end in '{WEIGHTS_SUFFIX}', got '{filepath}'. (Keras 3's "
            "'.weights.h5' names are accepted too, holding the same .npz archive, since h5py is not a dependency.)")


# ---------------------------------------------------------------- model weights

def weight_arrays(model):
    """Host copies of `model.weights`, keyed `"<index>:<path>"`, in `weights` order."""
    return {f"{index:05d}:{_path(variable)}": variable.numpy() for index, variable in enumerate(model.weights)}


def assign_weight_arrays(model, arrays, skip_mismatch=False, source="the arrays given"):
    """Check `arrays` (as `weight_arrays` makes them) against `model.weights`, then assign.

    Args:
        model: any layer or model.
        arrays: {"<index>:<path>": array}.
        skip_mismatch: leave out, with a warning, each layer whose weights do not match
            (count or shape) instead of raising.
        source: how errors name where the arrays come from (a file name).
    Raises:
        ValueError: on any mismatch (unless `skip_mismatch`), naming the layer, the weight
            and both shapes; nothing is assigned then.
    """
    saved = _layer_groups(_parse_weight_keys(arrays, source))
    current = _layer_groups([(_path(v), v) for v in model.weights])
    problems, pairs = [], []
    if len(saved) != len(current):
        problems.append(_count_problem(model, current, saved))
    for (layer, variables), (saved_layer, entries) in zip(current, saved):
        layer_problems = _layer_problems(layer, variables, saved_layer, entries)
        if layer_problems:
            problems += layer_problems
        else:
            pairs += [(variable, array) for (_, variable), (_, array) in zip(variables, entries)]
    if problems and not skip_mismatch:
        raise ValueError(f"cannot load the weights of {source} into model '{model.name}', nothing was loaded:\n  "
                         + "\n  ".join(problems))
    if problems:
        warnings.warn(f"skipped mismatched weights while loading {source} into model '{model.name}':\n  "
                      + "\n  ".join(problems), stacklevel=3)
    for variable, array in pairs:
        variable.assign(array)


def save_weights(model, filepath, overwrite=True):
    """Write `model.weights` to `filepath` (`*.weights.npz`), atomically.

    With `overwrite=False` an existing file raises `FileExistsError` (Keras would ask on the
    console; a library should not block on input).

    Example:
        save_weights(model, "run/best.weights.npz")
    """
    check_weights_suffix(filepath)
    write_npz(filepath, weight_arrays(model), overwrite=overwrite)


def load_weights(model, filepath, skip_mismatch=False):
    """Load a `*.weights.npz` file written by `save_weights` into `model`.

    Every count and shape is checked first; on a mismatch a `ValueError` names the layer,
    the weight and both shapes, and no weight changes (or, with `skip_mismatch`, the
    mismatched layers are left out with a warning).

    Example:
        load_weights(model, "run/best.weights.npz")
    """
    check_weights_suffix(filepath)
    assign_weight_arrays(model, read_npz(filepath), skip_mismatch=skip_mismatch, source=f"'{os.fspath(filepath)}'")


def _path(variable):
    return getattr(variable, "path", None) or variable.name


def _parse_weight_keys(arrays, source):
    """[(path, array)] in index order; checks that indices run 0..n-1."""
    entries = {}
    for key, array in arrays.items():
        index, colon, path = key.partition(":")
        if not (colon and index.isdigit()):
            raise ValueError(f"{source} is not a layered weights file: unexpected entry '{key}' "
                             "(entries are named '<index>:<layer>/<weight>')")
        if array.dtype.kind not in "biufc":
            raise ValueError(f"{source}: entry '{key}' has dtype {array.dtype}, not numbers")
        entries[int(index)] = (path, array)
    if sorted(entries) != list(range(len(entries))):
        raise ValueError(f"{source} is damaged: its weight indices are not 0..{len(entries) - 1}")
    return [entries[index] for index in range(len(entries))]


def _layer_groups(items):
    """[(layer, [(weight name, item), ...])] from (path, item) pairs: runs of one path prefix."""
    groups = []
    for path, item in items:
        layer, _, name = path.rpartition("/")
        if not groups or groups[-1][0] != layer:
            groups.append((layer, []))
        groups[-1][1].append((name, item))
    return groups


def _layer_problems(layer, variables, saved_layer, entries):
    renamed = f" (saved as layer '{saved_layer}')" if saved_layer != layer else ""
    if len(variables) != len(entries):
        names = ", ".join(name for name, _ in variables)
        saved_names = ", ".join(name for name, _ in entries)
        return [f"layer '{layer}' has {len(variables)} weights ({names}), the file has {len(entries)} for it "
                f"({saved_names}){renamed}"]
    return [f"layer '{layer}', weight '{name}': the model's shape is {variable.shape}, the file's is "
            f"{array.shape}{renamed}"
            for (name, variable), (_, array) in zip(variables, entries) if array.shape != variable.shape]


def _count_problem(model, current, saved):
    if not current:
        return (f"model '{model.name}' has no weights yet, the file has weights for {len(saved)} layers; build "
                "the model first (call it on data, or model.build(input_shape))")
    return (f"model '{model.name}' has weights in {len(current)} layers "
            f"({', '.join(layer for layer, _ in current)}), the file has {len(saved)} "
            f"({', '.join(layer for layer, _ in saved)})")


# ---------------------------------------------------------------- optimizer state

def optimizer_arrays(optimizer, variables):
    """Host copies of the optimizer's state, keyed as the module docstring says.

    Args:
        optimizer: a `layered.optimizers.Optimizer`.
        variables: the variables it trains (a model's `trainable_weights`); slots of
            variables not in this list are left out.
    """
    return {key: target.numpy() for key, target in _optimizer_targets(optimizer, variables).items()}


def assign_optimizer_arrays(optimizer, variables, arrays, source="the arrays given"):
    """Check `arrays` (as `optimizer_arrays` makes them) against the optimizer, then assign.

    An optimizer that has not run yet gets its slots first (`optimizer.build(variables)`),
    unless the state itself comes from an optimizer that never ran (iteration 0, no slots).
    Raises `ValueError` naming every missing, unexpected or misshapen entry; nothing is
    assigned then.
    """
    variables = list(variables)
    if _never_ran(arrays) and not optimizer.built:
        # Saved before its first step (compiled, never trained): the file has no slots, and
        # the slots the first step creates are exactly the fresh ones. Stay unbuilt, as it was.
        variables = []
    elif variables:
        optimizer.build(variables)  # idempotent: creates only slots that do not exist yet
    targets = {_optimizer_key_id(key): (key, target)
               for key, target in _optimizer_targets(optimizer, variables).items()}
    saved = {_optimizer_key_id(key, source): (key, array) for key, array in arrays.items()}
    if ("learning_rate",) not in targets:
        saved.pop(("learning_rate",), None)  # a schedule drives the rate: nothing to set
    def describe(k, key):
        if k[0] == "slot" and k[1] < len(variables):
            return f"'{key}' (slot '{k[2]}' of weight '{_path(variables[k[1]])}')"
        return f"'{key}'"

    problems = [f"the file has no entry for {describe(k, targets[k][0])}" for k in targets if k not in saved]
    problems += [f"optimizer '{optimizer.name}' ({type(optimizer).__name__}) has nothing matching the file's "
                 f"entry {describe(k, saved[k][0])}" for k in saved if k not in targets]
    problems += [f"{describe(k, key)}: the optimizer's shape is {target.shape}, the file's is {saved[k][1].shape}"
                 for k, (key, target) in targets.items() if k in saved and saved[k][1].shape != target.shape]
    if problems:
        raise ValueError(f"cannot load the optimizer state of {source}, nothing was loaded:\n  "
                         + "\n  ".join(problems))
    for k, (_, target) in targets.items():
        target.assign(saved[k][1])


def _never_ran(arrays):
    """A state saved by an optimizer that never stepped: iteration 0, no slots, no own variables."""
    return (int(np.asarray(arrays.get("iterations", 0))) == 0
            and not any(key.startswith(("slot:", "own:")) for key in arrays))


def save_optimizer_state(optimizer, filepath, variables, overwrite=True):
    """Write the optimizer's state to `filepath` (an `.npz`), atomically.

    Example:
        save_optimizer_state(model.optimizer, "opt.npz", model.trainable_weights)
    """
    write_npz(filepath, optimizer_arrays(optimizer, variables), overwrite=overwrite)


def load_optimizer_state(optimizer, filepath, variables):
    """Load a state written by `save_optimizer_state`; works before the first train step.

    Example:
        load_optimizer_state(model.optimizer, "opt.npz", model.trainable_weights)
    """
    assign_optimizer_arrays(optimizer, variables, read_npz(filepath), source=f"'{os.fspath(filepath)}'")


def _optimizer_targets(optimizer, variables):
    """{key: state variable} in a stable order: iterations, learning rate, optimizer-wide
    variables, then each variable's slots in `variables` order."""
    # The optimizer keeps its slots in private tables; this function is the one place that reads them.
    targets = {"iterations": optimizer.iterations}
    if optimizer._learning_rate is not None:
        targets["learning_rate"] = optimizer._learning_rate
    for k, variable in enumerate(optimizer._own_variables):
        targets[f"own:{k}"] = variable
    position = {variable.id: i for i, variable in enumerate(variables)}
    slots = sorted(((position[variable_id], order, name, slot)
                    for order, ((variable_id, name), slot) in enumerate(optimizer._slots.items())
                    if variable_id in position), key=lambda item: item[:2])
    for i, _, name, slot in slots:
        targets[f"slot:{i}:{name}"] = slot
    return targets


def _optimizer_key_id(key, source=None):
    """A key as (kind, position, slot name), so "slot:01:m" and "slot:1:m" match."""
    kind, _, rest = key.partition(":")
    if kind in ("iterations", "learning_rate") and not rest:
        return (kind,)
    position, _, name = rest.partition(":")
    if kind == "own" and position.isdigit() and not name:
        return (kind, int(position))
    if kind == "slot" and position.isdigit() and name:
        return (kind, int(position), name)
    raise ValueError(f"{source or 'the state'} is not a layered optimizer state: unexpected entry '{key}'")
