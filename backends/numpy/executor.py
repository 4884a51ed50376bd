"""Plans and runs a graph with NumPy kernels.

For each input shape signature the graph is turned, once, into a flat list of steps
(closures over slot indices and preallocated buffers), so a call does no graph walking
and no table lookups. Buffers are assigned by liveness: an intermediate's buffer is
reused after its last reader, an elementwise kernel may write over an input that dies
with it, and a donated input's buffer receives the output that replaces it.
"""
import numpy as np

from layered.graph.core import Aval
from layered.graph.primitives import SHAPE_ATTR_PRIMITIVES
from backends.numpy.kernels import ALLOCATES, IN_PLACE, KERNELS, VIEWS

_NEVER = 1 << 60  # "read until the end of the call"


class Executable:
    """A compiled graph; calling it with arrays returns the output arrays.

    `donate` maps input positions to the output positions that replace them: the input's
    buffer may be overwritten by that output.
    """

    def __init__(self, graph, donate=None):
        self.graph = graph
        self.donate = dict(donate or {})
        self._plans = {}

    def __call__(self, *arrays):
        # Values made by another backend (a model built under JAX, then run here) come over once.
        arrays = [a if type(a) is np.ndarray else np.array(a) for a in arrays]  # writable copies
        key = tuple((a.shape, a.dtype) for a in arrays)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = _Plan(self.graph, arrays, self.donate)
        return plan.run(arrays)

    @property
    def plan_count(self):
        return len(self._plans)


def _check_inputs(graph, arrays):
    if len(arrays) != len(graph.inputs):
        raise TypeError(f"the graph takes {len(graph.inputs)} inputs, got {len(arrays)}")
    for t, a in zip(graph.inputs, arrays):
        if str(a.dtype) != t.dtype:
            raise TypeError(f"input '{t.name}' expects dtype {t.dtype}, got {a.dtype}")
        if len(a.shape) != len(t.shape) or any(d is not None and d != s for d, s in zip(t.shape, a.shape)):
            raise ValueError(f"input '{t.name}' expects shape {t.shape}, got {a.shape}")


class _Plan:
    def __init__(self, graph, arrays, donate):
        _check_inputs(graph, arrays)
        slot, avals = {}, []

        def new_slot(t, aval):
            slot[t.id] = len(avals)
            avals.append(aval)

        for t, a in zip(graph.inputs, arrays):
            new_slot(t, Aval(a.shape, a.dtype))
        constants = graph.constants()
        for c in constants:
            new_slot(c, Aval(c.value.shape, c.value.dtype))
        nodes = graph.nodes
        for node in nodes:
            in_avals = [avals[slot[x.id]] for x in node.inputs]
            result = node.primitive.shape_rule(*in_avals, **node.attrs)
            for t, (shape, dtype) in zip(node.outputs, result if node.primitive.multiple_results else [result]):
                new_slot(t, Aval(shape, dtype))

        # Liveness: a view keeps its root buffer alive; outputs live to the end.
        root = list(range(len(avals)))
        last_use = [-1] * len(avals)
        for i, node in enumerate(nodes):
            for x in node.inputs:
                last_use[root[slot[x.id]]] = i
            if node.primitive.name in VIEWS:
                root[slot[node.outputs[0].id]] = root[slot[node.inputs[0].id]]
        output_slots = [slot[t.id] for t in graph.outputs]
        for s in output_slots:
            last_use[root[s]] = _NEVER

        n_inputs = len(graph.inputs)
        donor_of = {output_slots[o]: i for i, o in donate.items()}
        self.env = [None] * len(avals)
        for c in constants:
            self.env[slot[c.id]] = c.value
        static = {slot[c.id] for c in constants}  # slots whose value is known before any call
        self.steps, self.step_nodes = [], []  # step_nodes: for profiling and error messages
        pool = []  # [buffer, slot of its current holder]
        for i, node in enumerate(nodes):
            name = node.primitive.name
            out = slot[node.outputs[0].id]
            ins = [slot[x.id] for x in node.inputs]
            if node.primitive.multiple_results:  # (scan) allocates its results; run on every call
                self.steps.append(_make_multi_step(KERNELS[name], ins, [slot[t.id] for t in node.outputs],
                                                   node.attrs))
                self.step_nodes.append(node)
                continue
            attrs = dict(node.attrs)
            if name in SHAPE_ATTR_PRIMITIVES:
                attrs["shape"] = avals[out].shape
            # Shapes are concrete now: a node reading only constants (a zeros_like, the
            # count of a mean) is computed once here instead of on every call.
            data = ins[:1] if name in ("reshape", "broadcast_to") else ins
            if name not in ALLOCATES and all(s in static for s in data):
                self.env[out] = np.asarray(KERNELS[name](*[self.env[s] for s in ins], **attrs))
                static.add(out)
                continue
            if name not in VIEWS and name not in ALLOCATES:
                mode, buf = self._assign(i, name, out, ins, avals, root, last_use, pool, donor_of, n_inputs)
                self.steps.append(_make_step(KERNELS[name], ins, out, attrs, mode, buf))
            else:
                self.steps.append(_make_step(KERNELS[name], ins, out, attrs, "none", None))
            self.step_nodes.append(node)

        self.n_inputs = n_inputs
        self.output_slots = output_slots
        # An output that is an input, a constant, a view of one, or listed twice is copied.
        seen = set()
        self.copy_outputs = []
        for s in output_slots:
            self.copy_outputs.append(root[s] < n_inputs or root[s] in static or s in seen)
            seen.add(s)

    @staticmethod
    def _assign(i, name, out, ins, avals, root, last_use, pool, donor_of, n_inputs):
        """Choose where node `i` writes: ('pool', buffer), ('donated', input slot) or ('fresh', None)."""
        aval = avals[out]

        def reusable(holder):
            if last_use[holder] < i:
                return True
            # Dying exactly here: only an elementwise kernel reading the buffer directly.
            return (last_use[holder] == i and name in IN_PLACE
                    and all(s == holder for s in ins if root[s] == holder))

        if out in donor_of:
            donor = donor_of[out]
            same = avals[donor].shape == aval.shape and avals[donor].dtype == aval.dtype
            return ("donated", donor) if same and reusable(donor) else ("fresh", None)
        if last_use[root[out]] == _NEVER:
            return "fresh", None
        for entry in pool:
            buf, holder = entry
            if buf.shape == aval.shape and buf.dtype == aval.dtype and reusable(holder):
                entry[1] = out
                return "pool", buf
        buf = np.empty(aval.shape, aval.dtype)
        pool.append([buf, out])
        return "pool", buf

    def run(self, arrays):
        env = self.env.copy()
        env[:self.n_inputs] = arrays
        for step in self.steps:
            step(env)
        return [np.array(env[s]) if copy else np.asarray(env[s])
                for s, copy in zip(self.output_slots, self.copy_outputs)]


def _make_step(fn, ins, out, attrs, mode, buf):
    """A closure running one kernel; specialised for the common one- and two-input cases."""
    if mode == "donated":
        donor = buf

        def step(env):
            env[out] = fn(*[env[i] for i in ins], out=env[donor], **attrs)
        return step
    if mode == "none":
        def step(env):
            env[out] = fn(*[env[i] for i in ins], **attrs)
        return step
    if not attrs and len(ins) == 2:
        a, b = ins

        def step(env):
            env[out] = fn(env[a], env[b], out=buf)
        return step
    if not attrs and len(ins) == 1:
        (a,) = ins

        def step(env):
            env[out] = fn(env[a], out=buf)
        return step

    def step(env):
        env[out] = fn(*[env[i] for i in ins], out=buf, **attrs)
    return step


def _make_multi_step(fn, ins, outs, attrs):
    """A closure running a kernel that returns a list of arrays, one per output slot."""
    def step(env):
        for o, value in zip(outs, fn(*[env[i] for i in ins], **attrs)):
            env[o] = value
    return step


class LoopExecutable:
    """Runs a step graph K times per call: the NumPy side of `steps_per_execution`.

    `per_step` inputs carry a leading axis of K (one slice per step); `carry` maps an input
    position to the output that feeds it on the next step. Carried outputs come back as
    their final values, the other outputs stacked along a new first axis.
    """

    def __init__(self, graph, per_step, carry):
        self.step = Executable(graph, carry)
        self.per_step, self.carry = tuple(per_step), dict(carry)

    def __call__(self, *arrays):
        current = list(arrays)
        steps = len(arrays[self.per_step[0]])
        carried = set(self.carry.values())
        collected = []
        for k in range(steps):
            for i in self.per_step:
                current[i] = arrays[i][k]
            outputs = self.step(*current)
            for i, j in self.carry.items():
                current[i] = outputs[j]
            collected.append([o if j in carried else np.array(o) for j, o in enumerate(outputs)])
        return [outputs[j] if j in carried else np.stack([c[j] for c in collected])
                for j in range(len(outputs))]
