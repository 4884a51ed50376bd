"""A closed graph: named inputs (placeholders and variables), outputs, nodes in order."""
from layered.graph.core import Constant, Placeholder, Variable


def toposort(outputs):
    """The nodes that `outputs` depend on, each after its inputs (iterative DFS)."""
    order, seen = [], set()
    for root in outputs:
        stack = [(root.node, False)] if root.node is not None else []
        while stack:
            node, expanded = stack.pop()
            if node.id in seen:
                continue
            if expanded:
                seen.add(node.id)
                order.append(node)
                continue
            stack.append((node, True))
            for x in reversed(node.inputs):
                if x.node is not None and x.node.id not in seen:
                    stack.append((x.node, False))
    return order


def leaves(outputs, nodes=None):
    """Every leaf tensor (placeholder, variable, constant) that `outputs` read, in order."""
    nodes = toposort(outputs) if nodes is None else nodes
    found, seen = [], set()
    for t in [x for n in nodes for x in n.inputs] + list(outputs):
        if t.node is None and t.id not in seen:
            seen.add(t.id)
            found.append(t)
    return found


class Graph:
    """A pure function from `inputs` to `outputs`; what backends compile.

    Every placeholder and variable the outputs read must be among the inputs; constants
    travel inside the graph.
    """

    def __init__(self, inputs, outputs):
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.nodes = toposort(self.outputs)
        input_ids = {t.id for t in self.inputs}
        for leaf in leaves(self.outputs, self.nodes):
            if isinstance(leaf, (Placeholder, Variable)) and leaf.id not in input_ids:
                raise ValueError(f"the graph reads {leaf!r}, which is not among its inputs")
            if not isinstance(leaf, (Placeholder, Variable, Constant)):
                raise ValueError(f"the graph reads {leaf!r}, which is neither an input nor a constant")

    def constants(self):
        return [t for t in leaves(self.outputs, self.nodes) if isinstance(t, Constant)]

    def __repr__(self):
        return f"<Graph {len(self.inputs)} inputs, {len(self.nodes)} nodes, {len(self.outputs)} outputs>"
