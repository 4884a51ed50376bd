"""Each graph pass on its own, then the pipeline."""
import numpy as np

import layered
from layered import ops
from layered.graph import Graph, build as b, passes
from layered.graph.core import Constant


def names(graph):
    return [n.primitive.name for n in graph.nodes]


def evaluate_numpy(graph):
    from backends.numpy import backend
    return backend.compile(graph)()


def test_dead_code_elimination_keeps_only_what_outputs_need():
    x = layered.placeholder((3,))
    used = ops.exp(x)
    ops.log(x) + 1.0  # built but never asked for
    graph = passes.eliminate_dead_code(Graph([x], [used]))
    assert names(graph) == ["exp"]


def test_common_subexpressions_are_merged():
    x = layered.placeholder((3,))
    a, c = ops.exp(x) * 2.0, ops.exp(x) * 2.0
    graph = passes.eliminate_common_subexpressions(Graph([x], [a + c]))
    assert sorted(names(graph)) == ["add", "exp", "mul"]
    np.testing.assert_allclose(evaluate_numpy_with(graph, np.ones(3, np.float32))[0], 4 * np.e, rtol=1e-6)


def evaluate_numpy_with(graph, *arrays):
    from backends.numpy import backend
    return backend.compile(graph)(*arrays)


def test_cse_keeps_different_attributes_apart():
    x = layered.placeholder((2, 3))
    graph = passes.eliminate_common_subexpressions(Graph([x], [ops.sum(x, 0), ops.sum(x, 1)]))
    assert names(graph) == ["reduce_sum", "reduce_sum"]


def test_constant_folding_replaces_constant_subgraphs():
    x = layered.placeholder((3,))
    c = ops.exp(layered.constant([0.0, 1.0, 2.0])) * 2.0
    graph = passes.fold_constants(Graph([x], [x + c]), evaluate_numpy)
    assert names(graph) == ["add"]
    folded = graph.nodes[0].inputs[1]
    assert isinstance(folded, Constant)
    np.testing.assert_allclose(folded.value, np.exp([0, 1, 2]) * 2, rtol=1e-6)


def test_constant_folding_skips_random_and_large_broadcasts():
    seed = layered.constant(np.uint32([1, 2]))
    r = b.random_uniform(seed, (3,))
    big = b.broadcast_to(layered.constant(0.0), (1000, 1000))
    graph = passes.fold_constants(Graph([], [r, big]), evaluate_numpy)
    assert names(graph) == ["random_uniform", "broadcast_to"]


def test_algebraic_noops_are_removed():
    x = layered.placeholder((2, 3))
    y = ((x * 1.0 + 0.0) - 0.0) / 1.0
    y = ops.reshape(b.transpose(ops.reshape(y, (3, 2)), (0, 1)), (2, 3))
    graph = passes.simplify(Graph([x], [ops.exp(y)]))
    assert names(graph) == ["exp"]
    graph = passes.optimize(Graph([x], [ops.exp(y)]), evaluate_numpy)
    assert names(graph) == ["exp"]
    assert graph.nodes[0].inputs[0] is x


def test_noop_removal_keeps_broadcasting_multiplies():
    x = layered.placeholder((3,))
    y = x * layered.constant(np.ones((2, 3), np.float32))  # broadcasts: not a no-op
    assert names(passes.simplify(Graph([x], [y]))) == ["mul"]


def test_optimize_preserves_results():
    rng = np.random.default_rng(0)
    x = layered.placeholder((4, 3))
    w = layered.constant(rng.normal(size=(3, 2)).astype(np.float32))
    y = ops.softmax(x @ (w * 1.0 + ops.exp(layered.constant(0.0)) - 1.0)) + ops.softmax(x @ w)
    graph = Graph([x], [y])
    xv = rng.normal(size=(4, 3)).astype(np.float32)
    before = evaluate_numpy_with(graph, xv)[0]
    after = evaluate_numpy_with(passes.optimize(graph, evaluate_numpy), xv)[0]
    np.testing.assert_allclose(after, before, rtol=1e-6)
    assert len(passes.optimize(graph, evaluate_numpy).nodes) < len(graph.nodes)
