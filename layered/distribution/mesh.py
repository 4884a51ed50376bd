"""Device meshes and tensor layouts: declarative descriptions a backend turns into shardings.

Nothing here touches a device. A `DeviceMesh` names the axes of a grid of devices; a
`TensorLayout` says, per tensor dimension, which mesh axis splits it (None: not split);
a `LayoutMap` finds the layout of a variable from its path by regular expression.
"""
import collections.abc
import math
import re

import numpy as np

import backends


def list_devices(device_type=None):
    """The devices the active backend can use, as strings like 'cpu:0' or 'gpu:1'.

    Args:
        device_type: 'cpu', 'gpu' or 'tpu'; default: the backend's default kind.
    Returns:
        a list of device strings, over every process of a multi-process run.
    Example:
        layered.distribution.list_devices()  # ['cpu:0', 'cpu:1', 'cpu:2', 'cpu:3']
    """
    return list(backends.get().list_devices(device_type))


class DeviceMesh:
    """A grid of devices with named axes (e.g. 'batch' for data, 'model' for weights).

    Args:
        shape: the grid's shape; its product is the number of devices.
        axis_names: one name per grid axis.
        devices: the devices to arrange (strings from `list_devices`); default: all of them.
    Example:
        mesh = DeviceMesh((2, 4), ("batch", "model"))
    """

    def __init__(self, shape, axis_names, devices=None):
        shape = tuple(int(s) for s in shape)
        axis_names = tuple(str(a) for a in axis_names)
        if len(shape) != len(axis_names):
            raise ValueError(f"a DeviceMesh needs one axis name per dimension: shape {shape}, "
                             f"axis_names {axis_names}")
        if len(set(axis_names)) != len(axis_names):
            raise ValueError(f"the mesh axis names must differ, got {axis_names}")
        if devices is None:
            devices = list_devices()
        flat = np.empty(len(devices), dtype=object)
        flat[:] = list(np.asarray(devices, dtype=object).reshape(-1))
        if flat.size != math.prod(shape):
            raise ValueError(f"a DeviceMesh of shape {shape} needs {math.prod(shape)} devices, got {flat.size}")
        self.shape, self.axis_names = shape, axis_names
        self.devices = flat.reshape(shape)

    def axis_size(self, name):
        """The number of devices along the axis `name`."""
        if name not in self.axis_names:
            raise ValueError(f"the mesh has no axis '{name}'; its axes are {self.axis_names}")
        return self.shape[self.axis_names.index(name)]

    def __repr__(self):
        return f"DeviceMesh(shape={self.shape}, axis_names={self.axis_names})"


class TensorLayout:
    """How one tensor lies on a mesh: per dimension, the mesh axis that splits it, or None.

    Example:
        TensorLayout((None, "model"))  # a kernel split by columns over the 'model' axis
    """

    def __init__(self, axes, device_mesh=None):
        self.axes = tuple(None if a is None else str(a) for a in axes)
        self.device_mesh = device_mesh

    def check(self, shape, what):
        """Raise a clear error unless this layout fits a tensor of `shape` on its mesh."""
        if len(self.axes) != len(shape):
            raise ValueError(f"the layout {self.axes} of {what} has {len(self.axes)} entries but the tensor has "
                             f"shape {tuple(shape)} ({len(shape)} dimensions)")
        for dim, axis in zip(shape, self.axes):
            if axis is None or self.device_mesh is None:
                continue
            size = self.device_mesh.axis_size(axis)
            if dim is not None and dim % size:
                raise ValueError(f"{what} has shape {tuple(shape)}: its dimension of {dim} cannot be split over "
                                 f"the {size} devices of mesh axis '{axis}' (layout {self.axes})")

    def __eq__(self, other):
        return isinstance(other, TensorLayout) and self.axes == other.axes and self.device_mesh is other.device_mesh

    def __hash__(self):
        return hash((self.axes, id(self.device_mesh)))

    def __repr__(self):
        return f"TensorLayout({self.axes})"


class LayoutMap(collections.abc.MutableMapping):
    """Variable paths (regular expressions) -> layouts, for `ModelParallel`.

    Looking a path up returns the layout of the key equal to it, else of the one key whose
    regular expression is found in it (`re.search`); no match gives None (the variable is
    replicated), several matches are an error that lists them.

    Example:
        layout_map = LayoutMap(mesh)
        layout_map["dense.*kernel"] = (None, "model")
        layout_map["dense_1/kernel"]  # TensorLayout((None, 'model'))
    """

    def __init__(self, device_mesh=None):
        self.device_mesh = device_mesh
        self._layouts = {}

    def __setitem__(self, key, layout):
        if key in self._layouts:
            raise ValueError(f"the layout map already has the key '{key}' ({self._layouts[key]})")
        if isinstance(layout, (tuple, list)):
            layout = TensorLayout(layout, self.device_mesh)
        elif not isinstance(layout, TensorLayout):
            raise TypeError(f"a layout is a tuple of mesh axis names (or None), or a TensorLayout; got {layout!r}")
        elif layout.device_mesh is None:
            layout = TensorLayout(layout.axes, self.device_mesh)
        self._layouts[key] = layout

    def __getitem__(self, path):
        if path in self._layouts:
            return self._layouts[path]
        matches = [key for key in self._layouts if re.search(key, path)]
        if len(matches) > 1:
            raise ValueError(f"the path '{path}' matches several keys of the layout map: {matches}; make the "
                             "keys specific enough that each variable matches at most one")
        return self._layouts[matches[0]] if matches else None

    def __delitem__(self, key):
        del self._layouts[key]

    def __iter__(self):
        return iter(self._layouts)

    def __len__(self):
        return len(self._layouts)
