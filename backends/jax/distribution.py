"""Sharding on the JAX backend: layered.distribution's meshes and layouts as jax.sharding.

A `FunctionLayout` from the front end becomes one `NamedSharding` per input: batch data
split along the mesh's batch axis, variables as their layouts say. The whole step is
jitted with those input shardings and with every updated variable's output pinned to its
input's sharding, so parameters keep their layout across steps and XLA's partitioner
inserts the collectives (the gradient all-reduce of data parallelism, the gathers of a
split kernel). Nothing here reads the front end's modules; it reads the declarative
objects it is given (`device_mesh.shape`, `.axis_names`, `.devices`; `layout.axes`).
"""
import math
import re
import weakref

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

_meshes = weakref.WeakKeyDictionary()  # DeviceMesh -> jax Mesh
_shardings = {}  # (id of the jax Mesh, axes) -> NamedSharding


def device_name(device):
    return f"{device.platform}:{device.id}"


def list_devices(device_type=None):
    devices = jax.devices(device_type.lower()) if device_type else jax.devices()
    return [device_name(d) for d in devices]


def initialize(coordinator_address=None, num_processes=None, process_id=None):
    """jax.distributed.initialize; returns the number of processes."""
    if num_processes is not None and int(num_processes) == 1 and coordinator_address is None:
        return 1
    jax.distributed.initialize(coordinator_address=coordinator_address, num_processes=num_processes,
                               process_id=process_id)
    return jax.process_count()


def mesh(device_mesh):
    """The jax Mesh of a layered DeviceMesh (made once per mesh)."""
    found = _meshes.get(device_mesh)
    if found is None:
        by_name = {device_name(d): d for d in jax.devices()}
        devices = np.empty(device_mesh.devices.size, dtype=object)
        for k, d in enumerate(device_mesh.devices.reshape(-1)):
            if isinstance(d, str):
                if d not in by_name:
                    raise ValueError(f"the device mesh names the device '{d}', which JAX does not have; "
                                     f"its devices are {sorted(by_name)}")
                d = by_name[d]
            devices[k] = d
        found = _meshes[device_mesh] = Mesh(devices.reshape(device_mesh.shape), device_mesh.axis_names)
    return found


def sharding(layout, leading=0):
    """The NamedSharding of a TensorLayout; `leading` unsplit axes go in front (the step axis
    of a `steps_per_execution` block)."""
    jax_mesh = mesh(layout.device_mesh)
    axes = (None,) * leading + tuple(layout.axes)
    key = (id(jax_mesh), axes)
    found = _shardings.get(key)
    if found is None:
        found = _shardings[key] = NamedSharding(jax_mesh, PartitionSpec(*axes))
    return found


def _batch_axis(layout):
    return next((a for a in layout.axes if a is not None), None)


def check_divisible(shape, dim, layout):
    """A clear error for a batch that the mesh's batch axis cannot split evenly."""
    axis = _batch_axis(layout)
    if axis is None or dim >= len(shape):
        return
    degree = layout.device_mesh.axis_size(axis)
    if shape[dim] % degree:
        raise ValueError(f"a global batch of {shape[dim]} samples is not divisible by the data-parallel degree "
                         f"{degree} (the size of mesh axis '{axis}'): every device takes an equal part of each "
                         f"batch, so use a batch size that is a multiple of {degree}")


def to_global(value, target, layout, dim):
    """Host data of this process as (its part of) a global array with sharding `target`.

    In one process the host array is the whole batch; in several, each process holds its
    own rows and the global batch is the processes' rows side by side.
    """
    if isinstance(value, jax.Array) and (value.sharding == target or not value.is_fully_addressable):
        return value
    if jax.process_count() == 1:
        check_divisible(np.shape(value), dim, layout)
        return value  # the jitted call moves it, split as `target` says
    local = np.asarray(value)
    global_shape = list(local.shape)
    if dim < len(global_shape):
        global_shape[dim] *= jax.process_count()
    check_divisible(global_shape, dim, layout)
    return jax.make_array_from_process_local_data(target, local, tuple(global_shape))


def transfer(value, layout, leading=0):
    """Start moving a batch array to the devices (asynchronously), split as `layout` says."""
    target = sharding(layout, leading)
    value = to_global(value, target, layout, leading)
    return value if isinstance(value, jax.Array) else jax.device_put(value, target)


def place(value, layout):
    """A variable's value on the devices its layout names (unchanged if already there)."""
    target = sharding(layout)
    if isinstance(value, jax.Array):
        if value.sharding == target:
            return value
        if jax.process_count() > 1 and value.is_fully_addressable:
            value = np.asarray(value)  # a value made by a single-device step: every process has it whole
    return jax.device_put(value, target)


def local_numpy(array):
    """This process's rows of an array spread over several processes (e.g. predictions)."""
    if array.is_fully_replicated:
        return np.asarray(array.addressable_shards[0].data)
    pieces = {}
    for shard in array.addressable_shards:
        start = (shard.index[0].start or 0) if shard.index else 0
        pieces.setdefault(start, shard.data)
    return np.concatenate([np.asarray(pieces[k]) for k in sorted(pieces)], axis=0)


class ShardedExecutable:
    """A step jitted with input and output shardings from a FunctionLayout.

    `paired` maps an input position to the output that replaces it (donated variables, or
    the carried values of a scan); that output keeps the input's sharding. `per_step`
    inputs carry a leading step axis (steps_per_execution) in front of their layout.
    """

    def __init__(self, run, layout, paired, n_outputs, per_step=(), donate=()):
        stepped = set(per_step)
        self.layout = layout
        self.in_shardings = [sharding(inp.layout, 1 if i in stepped else 0) for i, inp in enumerate(layout.inputs)]
        self.data = [(i, 1 if i in stepped else 0) for i, inp in enumerate(layout.inputs) if inp.role == "data"]
        out_shardings = [None] * n_outputs  # None: the partitioner chooses (e.g. predictions stay split)
        for i, j in dict(paired).items():
            out_shardings[j] = self.in_shardings[i]
        self.jitted = jax.jit(run, in_shardings=self.in_shardings, out_shardings=out_shardings,
                              donate_argnums=tuple(sorted(donate)))

    def _global(self, arrays):
        arrays = list(arrays)
        for i, dim in self.data:
            arrays[i] = to_global(arrays[i], self.in_shardings[i], self.layout.inputs[i].layout, dim)
        return arrays

    def __call__(self, *arrays):
        return self.jitted(*self._global(arrays))

    def lower(self, *arrays):
        """The jitted step lowered for `arrays` (to inspect the compiled HLO and its collectives)."""
        return self.jitted.lower(*self._global(arrays))


_COLLECTIVES = ("all-reduce", "all-gather", "reduce-scatter", "collective-permute", "all-to-all")
_BYTES = {"pred": 1, "s8": 1, "u8": 1, "f16": 2, "bf16": 2, "s16": 2, "u16": 2, "f32": 4, "s32": 4, "u32": 4,
          "f64": 8, "s64": 8, "u64": 8}


def collectives(hlo_text):
    """The collective operations of a compiled (optimized) HLO module, as
    [(op, [(dtype, shape), ...], bytes)]: what the partitioner inserted, and how much each moves."""
    found = []
    pattern = re.compile(r"=\s*(.+?)\s+(" + "|".join(_COLLECTIVES) + r")(?:-start)?\(")
    for line in hlo_text.splitlines():
        match = pattern.search(line)
        if match is None:
            continue
        parts = [(dtype, tuple(int(d) for d in dims.split(",") if d))
                 for dtype, dims in re.findall(r"([a-z]+\d*)\[([\d,]*)\]", match.group(1))]
        size = sum(_BYTES.get(dtype, 4) * math.prod(shape) for dtype, shape in parts)
        found.append((match.group(2), parts, size))
    return found
