"""`image_dataset_from_directory` and `text_dataset_from_directory` without tf.data: the
files are indexed as Keras indexes them, and the result is a `PyDataset` of NumPy batches
that `fit`, `evaluate` and `predict` accept (with `class_names` and `file_paths`)."""
import math
import os

import numpy as np

from layered.utils.py_dataset import PyDataset

IMAGE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")


def _valid_files(directory, follow_links, formats):
    walk = sorted(os.walk(directory, followlinks=follow_links), key=lambda entry: entry[0])
    for root, _, files in walk:
        for name in sorted(files):
            if name.lower().endswith(formats):
                yield os.path.join(root, name)


def index_directory(directory, labels, formats, class_names=None, shuffle=True, seed=None, follow_links=False,
                    verbose=True):
    """(file paths, labels or None, class names): one class per subdirectory (sorted, or in
    the order of `class_names`) when `labels="inferred"`; shuffled with `seed` if asked."""
    if labels == "inferred":
        subdirs = sorted(d for d in os.listdir(directory) if os.path.isdir(os.path.join(directory, d)))
        if class_names is not None:
            if not set(class_names) <= set(subdirs):
                raise ValueError(f"class_names {list(class_names)} must be subdirectories of {directory!r}; "
                                 f"found {subdirs}")
            subdirs = list(class_names)
    else:
        if class_names is not None:
            raise ValueError("class_names can only be given with labels='inferred'")
        subdirs = [""]
    paths, found_labels = [], []
    for index, subdir in enumerate(subdirs):
        for path in _valid_files(os.path.join(directory, subdir), follow_links, formats):
            paths.append(path)
            found_labels.append(index)
    if labels == "inferred":
        labels, names = np.asarray(found_labels, dtype="int32"), list(subdirs)
    elif labels is None:
        names = None
    else:
        if len(labels) != len(paths):
            raise ValueError(f"got {len(labels)} labels for the {len(paths)} files found in {directory!r}")
        names = [str(label) for label in sorted(set(labels))]
        labels = np.asarray(labels)
    if verbose:
        found = f"Found {len(paths)} files" + ("." if labels is None else f" belonging to {len(names)} classes.")
        print(found)
    if shuffle:
        seed = np.random.randint(1e6) if seed is None else seed
        np.random.RandomState(seed).shuffle(paths)
        if labels is not None:
            np.random.RandomState(seed).shuffle(labels)
    return paths, labels, names


def _split(paths, labels, validation_split, subset, verbose):
    """The training (first) or validation (last) part, as Keras splits."""
    if not validation_split:
        return paths, labels
    count = int(validation_split * len(paths))
    if subset == "training":
        if verbose:
            print(f"Using {len(paths) - count} files for training.")
        return paths[:len(paths) - count], None if labels is None else labels[:len(paths) - count]
    if subset == "validation":
        if verbose:
            print(f"Using {count} files for validation.")
        return paths[len(paths) - count:], None if labels is None else labels[len(paths) - count:]
    raise ValueError(f'subset must be "training", "validation" or "both", got {subset!r}')


def _check_split(validation_split, subset, shuffle, seed):
    if subset not in (None, "training", "validation", "both"):
        raise ValueError(f'subset must be "training", "validation" or "both", got {subset!r}')
    if validation_split and subset is None:
        raise ValueError("validation_split needs subset='training', 'validation' or 'both'")
    if subset is not None and not validation_split:
        raise ValueError("subset needs a validation_split")
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"validation_split must be in (0, 1), got {validation_split}")
    if validation_split and shuffle and seed is None:
        raise ValueError("with validation_split and shuffle, pass a seed so the two subsets do not overlap")


def _encode_labels(labels, label_mode, num_classes):
    if label_mode == "int":
        return labels.astype("int32")
    if label_mode == "categorical":
        return np.eye(num_classes, dtype="float32")[labels]
    if label_mode == "binary":
        return labels.astype("float32").reshape(-1, 1)
    raise ValueError(f'label_mode must be "int", "categorical", "binary" or None, got {label_mode!r}')


class DirectoryDataset(PyDataset):
    """Batches of files read on demand: `load(path)` gives one sample."""

    def __init__(self, paths, labels, class_names, load, batch_size, shuffle, seed):
        super().__init__()
        self.file_paths, self.labels, self.class_names = list(paths), labels, class_names
        self._load, self.batch_size, self._shuffle = load, batch_size, shuffle
        self._rng = np.random.default_rng(seed)
        self._order = np.arange(len(self.file_paths))

    def __len__(self):
        return len(self.file_paths) if self.batch_size is None else math.ceil(len(self.file_paths) / self.batch_size)

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} out of range for {len(self)} batches")
        size = self.batch_size or 1
        rows = self._order[index * size:(index + 1) * size]
        samples = np.stack([self._load(self.file_paths[r]) for r in rows])
        if self.batch_size is None:
            samples = samples[0]
        if self.labels is None:
            return samples
        labels = self.labels[rows]
        return samples, labels[0] if self.batch_size is None else labels

    def on_epoch_end(self):
        if self._shuffle:
            self._order = self._rng.permutation(len(self.file_paths))


def _datasets(directory, labels, label_mode, class_names, formats, load, batch_size, shuffle, seed,
              validation_split, subset, follow_links, verbose):
    if labels not in ("inferred", None) and not isinstance(labels, (list, tuple, np.ndarray)):
        raise ValueError(f'labels must be "inferred", None, or a list of labels; got {labels!r}')
    _check_split(validation_split, subset, shuffle, seed)
    if seed is None and shuffle:
        seed = np.random.randint(1e6)
    paths, found, names = index_directory(directory, labels, formats,
                                          class_names=class_names, shuffle=shuffle, seed=seed,
                                          follow_links=follow_links, verbose=verbose)
    if not paths:
        raise ValueError(f"no files with extensions {formats} found in {directory!r}")
    if labels is not None and label_mode is not None:
        if label_mode == "binary" and len(names) != 2:
            raise ValueError(f'label_mode="binary" needs exactly 2 classes, found {len(names)}: {names}')
        found = _encode_labels(np.asarray(found), label_mode, len(names))
    else:
        found = None

    def make(part):
        part_paths, part_labels = _split(paths, found, validation_split, part, verbose)
        return DirectoryDataset(part_paths, part_labels, names, load, batch_size, shuffle, seed)
    if subset == "both":
        return make("training"), make("validation")
    return make(subset)


def image_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None,
                                 color_mode="rgb", batch_size=32, image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear", follow_links=False,
                                 crop_to_aspect_ratio=False, pad_to_aspect_ratio=False, data_format=None,
                                 verbose=True):
    """Batches of (images, labels) from a folder with one subfolder per class. Needs Pillow.

    Images are float32 (batch, height, width, channels) resized to `image_size`; labels
    follow `label_mode` ("int", "categorical", "binary" or None). With `validation_split`,
    `subset="training"`, `"validation"` or `"both"` picks the part (pass a `seed`). The
    result is a `PyDataset` with `class_names` and `file_paths`.

    Example:
        train, val = layered.utils.image_dataset_from_directory(
            "photos/", image_size=(64, 64), validation_split=0.2, subset="both", seed=1)
        model.fit(train, validation_data=val, epochs=3)
    """
    from layered.utils.data_utils import img_to_array, load_img
    if pad_to_aspect_ratio:
        raise NotImplementedError("pad_to_aspect_ratio is not supported; use crop_to_aspect_ratio")
    channels_first = (data_format or "channels_last") == "channels_first"

    def load(path):
        image = load_img(path, color_mode=color_mode, target_size=tuple(image_size), interpolation=interpolation,
                         keep_aspect_ratio=crop_to_aspect_ratio)
        return img_to_array(image, data_format="channels_first" if channels_first else "channels_last")
    return _datasets(directory, labels, label_mode, class_names, IMAGE_FORMATS, load, batch_size, shuffle, seed,
                     validation_split, subset, follow_links, verbose)


def text_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, batch_size=32,
                                max_length=None, shuffle=True, seed=None, validation_split=None, subset=None,
                                follow_links=False, verbose=True):
    """Batches of (texts, labels) from `.txt` files in a folder with one subfolder per class.

    Texts are NumPy string arrays (cut to `max_length` characters if given); labels follow
    `label_mode` as in `image_dataset_from_directory`.

    Example:
        train = layered.utils.text_dataset_from_directory("reviews/train", batch_size=64, seed=1)
    """
    def load(path):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        return np.asarray(text if max_length is None else text[:max_length])
    return _datasets(directory, labels, label_mode, class_names, (".txt",), load, batch_size, shuffle, seed,
                     validation_split, subset, follow_links, verbose)
