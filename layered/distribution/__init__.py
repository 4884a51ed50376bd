"""`layered.distribution`: data- and model-parallel training under the Keras 3 names.

Declarative, like the rest of the front end: a `DeviceMesh` names axes over devices, a
distribution says where batches and variables lie on it, and the backend (JAX) turns
that into shardings of the one compiled step. The NumPy backend runs in one process on
the host and refuses an active distribution.

Example:
    from layered import distribution
    distribution.set_distribution(distribution.DataParallel())  # every device of list_devices()
    model.fit(x, y, batch_size=256)  # 256 divisible by the number of devices
"""
from layered.distribution.distributions import (DataParallel as DataParallel, Distribution as Distribution,
                                                FunctionLayout as FunctionLayout, InputLayout as InputLayout,
                                                ModelParallel as ModelParallel, distribution as distribution,
                                                initialize as initialize, set_distribution as set_distribution)
from layered.distribution.mesh import (DeviceMesh as DeviceMesh, LayoutMap as LayoutMap,
                                       TensorLayout as TensorLayout, list_devices as list_devices)
