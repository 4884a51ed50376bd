"""Distributions: where the batch and each variable go on a device mesh.

A distribution is declarative. While one is active (`set_distribution`, or inside
`with dist.scope():`), every compiled function tells its backend, per input, whether it
is batch data (split along the mesh's batch axis) or a variable (laid out as the
distribution says) and the backend shards the one compiled step accordingly; the
gradient all-reduce of data parallelism is then the compiler's to insert.
"""
import contextlib

import backends
from layered.distribution.mesh import DeviceMesh, LayoutMap, TensorLayout, list_devices

_active = [None]
_process_count = [1]


class Distribution:
    """The base: a device mesh and the name of its batch axis.

    Subclasses say where variables go (`get_variable_layout`); data always splits its first
    dimension over the batch axis (`get_data_layout`).
    """

    def __init__(self, device_mesh, batch_dim_name=None, auto_shard_dataset=True):
        if not isinstance(device_mesh, DeviceMesh):
            raise TypeError(f"a distribution needs a DeviceMesh, got {device_mesh!r}")
        self.device_mesh = device_mesh
        self.batch_dim_name = batch_dim_name or device_mesh.axis_names[0]
        device_mesh.axis_size(self.batch_dim_name)  # a clear error for an unknown axis
        # Accepted for Keras compatibility. layered never splits the data between processes
        # itself: each process passes its own part to fit (see `initialize`).
        self.auto_shard_dataset = auto_shard_dataset

    @property
    def data_parallel_degree(self):
        """How many parts a global batch is split into: the size of the batch axis."""
        return self.device_mesh.axis_size(self.batch_dim_name)

    def get_data_layout(self, data_shape):
        """The layout of a batch array: its first dimension split over the batch axis."""
        return TensorLayout((self.batch_dim_name,) + (None,) * (len(data_shape) - 1), self.device_mesh)

    def get_variable_layout(self, variable):
        """The layout of `variable` (default: replicated on every device)."""
        return TensorLayout((None,) * len(variable.shape), self.device_mesh)

    def check_batch_size(self, size, what=None):
        """Raise a clear error unless a global batch of `size` samples splits evenly."""
        degree = self.data_parallel_degree
        if size % degree:
            where = f"{what}: " if what else ""
            raise ValueError(f"{where}a global batch of {size} samples is not divisible by the data-parallel degree "
                             f"{degree} (the size of mesh axis '{self.batch_dim_name}'); {type(self).__name__} "
                             f"gives every device an equal part of each batch, so use a batch size that is a "
                             f"multiple of {degree}")

    def check_data(self, data):
        """Check the batch sizes an array adapter will produce, before any step runs."""
        processes = _process_count[0]
        per_process = f" per process, {processes} processes" if processes > 1 else ""
        full = min(data.batch_size, data.num_samples)
        self.check_batch_size(full * processes, f"batch_size={full}{per_process}")
        last = min(data.batch_sizes())
        self.check_batch_size(last * processes, f"the last batch of each epoch ({data.num_samples} samples in "
                                                f"batches of {data.batch_size}) has {last} samples{per_process}")

    @contextlib.contextmanager
    def scope(self):
        """Make this distribution the active one inside a `with` block.

        Example:
            with DataParallel().scope():
                model.fit(x, y, batch_size=64)
        """
        previous = _active[0]
        _active[0] = self
        try:
            yield self
        finally:
            _active[0] = previous

    def function_layout(self, placeholders, variables):
        """What a backend needs to shard a compiled function (see `FunctionLayout`)."""
        inputs = []
        for p in placeholders:
            if p.shape and p.shape[0] is None:
                inputs.append(InputLayout("data", p.name, self.get_data_layout(p.shape)))
            else:
                inputs.append(InputLayout("replicated", p.name, TensorLayout((None,) * len(p.shape),
                                                                             self.device_mesh)))
        for v in variables:
            path = variable_path(v)
            layout = self.get_variable_layout(v)
            layout.check(v.shape, f"variable '{path}'")
            inputs.append(InputLayout("variable", path, layout))
        return FunctionLayout(self, inputs)

    def __repr__(self):
        return f"{type(self).__name__}(device_mesh={self.device_mesh!r}, batch_dim_name='{self.batch_dim_name}')"


class DataParallel(Distribution):
    """Data parallelism: each device gets an equal slice of every batch; variables and
    optimizer slots are replicated, and gradients are summed across devices.

    Args:
        device_mesh: a one-axis mesh (its axis is the batch axis); or
        devices: the devices to use (default: all of `list_devices()`).
    Example:
        layered.distribution.set_distribution(layered.distribution.DataParallel())
    """

    def __init__(self, device_mesh=None, devices=None, auto_shard_dataset=True):
        if device_mesh is None:
            devices = list_devices() if devices is None else list(devices)
            device_mesh = DeviceMesh((len(devices),), ("batch",), devices)
        if len(device_mesh.shape) != 1:
            raise ValueError(f"DataParallel takes a one-axis mesh, got {device_mesh!r}; use ModelParallel to "
                             "split variables over a second axis")
        super().__init__(device_mesh, device_mesh.axis_names[0], auto_shard_dataset)


class ModelParallel(Distribution):
    """Variables laid out as a `LayoutMap` says (unmatched ones replicated); batches split
    over the mesh's batch axis. Optimizer slots follow the layout of their variable.

    Args:
        layout_map: a `LayoutMap`; its device mesh is the distribution's.
        batch_dim_name: the mesh axis that splits batches (default: the mesh's first axis).
        device_mesh: accepted for the older Keras signature; it must be the layout map's.
    Example:
        mesh = DeviceMesh((2, 2), ("batch", "model"))
        layout_map = LayoutMap(mesh)
        layout_map["dense.*kernel"] = (None, "model")
        ModelParallel(layout_map=layout_map, batch_dim_name="batch")
    """

    def __init__(self, *, layout_map=None, batch_dim_name=None, auto_shard_dataset=True, **kwargs):
        device_mesh = kwargs.pop("device_mesh", None)
        if kwargs:
            raise TypeError(f"ModelParallel got unexpected arguments {sorted(kwargs)}")
        if not isinstance(layout_map, LayoutMap):
            raise TypeError(f"ModelParallel needs a LayoutMap as layout_map, got {layout_map!r}")
        device_mesh = device_mesh or layout_map.device_mesh
        if device_mesh is None:
            raise ValueError("ModelParallel needs a device mesh: create the LayoutMap with one")
        if layout_map.device_mesh is not None and layout_map.device_mesh is not device_mesh:
            raise ValueError("the device_mesh given to ModelParallel differs from its layout map's mesh")
        super().__init__(device_mesh, batch_dim_name, auto_shard_dataset)
        self.layout_map = layout_map

    def get_variable_layout(self, variable):
        reference = getattr(variable, "reference_variable", None)
        if reference is not None:  # an optimizer slot lies like the variable it tracks
            return self.get_variable_layout(reference)
        layout = self.layout_map[variable_path(variable)]
        if layout is None:
            return super().get_variable_layout(variable)
        return layout if layout.device_mesh is not None else TensorLayout(layout.axes, self.device_mesh)


def variable_path(variable):
    """A variable's path ('dense/kernel') where its layer gave it one, else its name."""
    return getattr(variable, "path", None) or variable.name


class InputLayout:
    """One input of a compiled function: its role ('data', 'variable' or 'replicated'), its
    path or name, and its `TensorLayout`."""

    __slots__ = ("role", "path", "layout")

    def __init__(self, role, path, layout):
        self.role, self.path, self.layout = role, path, layout

    def __repr__(self):
        return f"InputLayout({self.role!r}, {self.path!r}, {self.layout.axes})"


class FunctionLayout:
    """What a backend is told when it compiles under a distribution: the distribution (and
    its mesh) and one `InputLayout` per graph input, in the graph's input order."""

    def __init__(self, distribution, inputs):
        self.distribution = distribution
        self.device_mesh = distribution.device_mesh
        self.inputs = list(inputs)


def set_distribution(value):
    """Make `value` (a Distribution, or None for none) the active distribution.

    Example:
        layered.distribution.set_distribution(layered.distribution.DataParallel())
    """
    if value is not None and not isinstance(value, Distribution):
        raise TypeError(f"set_distribution takes a Distribution or None, got {value!r}")
    _active[0] = value


def distribution():
    """The active distribution, or None."""
    return _active[0]


def initialize(coordinator_address=None, num_processes=None, process_id=None, *, job_addresses=None):
    """Join a multi-process run (one process per host, or several on one host).

    Call it first in every process, with the same coordinator address and process count.
    Afterwards `list_devices()` lists the devices of every process, a `DataParallel`
    spans them, and each process passes its own part of the data to `fit` (every
    process must run the same number of steps); a global batch is the processes' batches
    side by side, in process order.

    Args:
        coordinator_address: 'host:port' of process 0 (a comma-separated list of job
            addresses is accepted too, the first being the coordinator); None lets the
            backend find the cluster's settings itself.
        num_processes: the number of processes.
        process_id: this process's index, 0 to num_processes - 1.
    Example:
        layered.distribution.initialize("10.0.0.1:1234", num_processes=2, process_id=0)
    """
    address = coordinator_address or job_addresses
    if address and "," in address:
        address = address.split(",")[0]
    _process_count[0] = int(backends.get().initialize(address, num_processes, process_id))
