"""The scan kernel: the body graph planned once per shape signature and run once per step.

The body is compiled with the same executor as any graph (one `Executable` per body,
kept as long as the body lives; it plans once per input signature), and the stacked
outputs are preallocated on the first step, so a step costs the body's kernels and one
copy per stacked output.
"""
import weakref

import numpy as np

_executables = weakref.WeakKeyDictionary()  # body Graph -> Executable


def _executable(body):
    from backends.numpy.executor import Executable  # the executor imports the kernel table

    executable = _executables.get(body)
    if executable is None:
        executable = _executables[body] = Executable(body)
    return executable


def scan(*arrays, body, n_carry, n_seq, length, reverse, saved):
    carries = list(arrays[:n_carry])
    sequences = [np.asarray(s) for s in arrays[n_carry:n_carry + n_seq]]
    invariants = list(arrays[n_carry + n_seq:])
    steps = len(sequences[0]) if sequences else length
    if steps == 0:
        return _empty(arrays, body, n_carry, n_seq, length, reverse, saved)
    executable = _executable(body)
    stacked = saved_stacks = None
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        if saved_stacks is None:
            saved_stacks = [np.empty((steps,) + np.shape(carries[i]), np.asarray(carries[i]).dtype) for i in saved]
        for buffer, i in zip(saved_stacks, saved):
            buffer[t] = carries[i]
        outputs = executable(*carries, *[s[t] for s in sequences], *invariants)
        carries = outputs[:n_carry]
        if stacked is None:
            stacked = [np.empty((steps,) + y.shape, y.dtype) for y in outputs[n_carry:]]
        for buffer, y in zip(stacked, outputs[n_carry:]):
            buffer[t] = y
    return list(carries) + stacked + saved_stacks


def _empty(arrays, body, n_carry, n_seq, length, reverse, saved):
    """Zero steps: the carries come back unchanged and the stacks are empty."""
    from layered.graph.core import Aval
    from layered.graph.scan import scan_rule

    avals = [Aval(np.shape(a), np.asarray(a).dtype) for a in arrays]
    result = scan_rule(*avals, body=body, n_carry=n_carry, n_seq=n_seq, length=length, reverse=reverse,
                       saved=saved)
    carries = [np.array(c) for c in arrays[:n_carry]]
    return carries + [np.empty(shape, dtype) for shape, dtype in result[n_carry:]]


KERNELS = {"scan": scan}
