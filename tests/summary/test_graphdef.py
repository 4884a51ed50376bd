"""Graph export: GraphDefs that TensorBoard parses, with one scope per layer."""
import numpy as np
import pytest
from tensorboard.backend.event_processing import event_accumulator
from tensorboard.compat.proto import graph_pb2

import layered
from layered import layers, ops, summary
from layered.graph.graph import Graph
from layered.summary.graphdef import graph_def, op_name


def _parse(data):
    graph = graph_pb2.GraphDef.FromString(data)
    graph.DiscardUnknownFields()
    assert graph.SerializeToString(deterministic=True) == data  # canonical encoding, no stray fields
    return graph


def _check_wellformed(graph):
    names = [n.name for n in graph.node]
    assert len(set(names)) == len(names), "node names must be unique"
    for node in graph.node:
        for source in node.input:
            assert source.lstrip("^").split(":")[0] in names, f"{node.name} reads a missing node {source}"
    scopes = {name[:i] for name in names for i, c in enumerate(name) if c == "/"}
    assert not scopes & set(names), "a node named like a scope would show as 'A/(A)'"


def _mlp():
    """A compiled Sequential model and its scopes: model/dense, model/dropout, model/dense_1
    (layer names are unique per process, so they are read from the model)."""
    layered.utils.set_random_seed(0)
    model = layered.Sequential([layered.Input(shape=(4,)), layers.Dense(8, activation="relu"),
                                layers.Dropout(0.2), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model, [f"{model.name}/{layer.name}" for layer in model.layers]


@pytest.mark.parametrize("primitive, op", [("matmul", "MatMul"), ("add", "Add"), ("reduce_sum", "ReduceSum"),
                                           ("broadcast_to", "BroadcastTo"), ("random_uniform", "RandomUniform")])
def test_op_names(primitive, op):
    assert op_name(primitive) == op


def test_low_level_graph_has_one_node_per_node_and_leaf():
    x = layered.placeholder((None, 3), name="x")
    w = layered.Variable(np.ones((3, 2), np.float32), name="w")
    y = ops.relu(x @ w + 1.5)
    graph = Graph([x, w], [y])
    parsed = _parse(graph_def(graph))
    _check_wellformed(parsed)
    assert len(parsed.node) == len(graph.inputs) + len(graph.constants()) + len(graph.nodes)
    by_name = {n.name: n for n in parsed.node}
    assert by_name["x"].op == "Placeholder" and by_name["w"].op == "VarHandleOp"
    assert [d.size for d in by_name["x"].attr["_output_shapes"].list.shape[0].dim] == [-1, 3]
    assert by_name["x"].attr["dtype"].type == 1  # DT_FLOAT
    matmul = next(n for n in parsed.node if n.op == "MatMul")
    assert list(matmul.input) == ["x", "w"] and matmul.attr["T"].type == 1
    const = next(n for n in parsed.node if n.op == "Const")
    assert const.attr["value"].tensor.tensor_content == np.float32(1.5).tobytes()


def test_model_inference_graph_is_scoped_by_layer():
    model, (dense, _, dense_1) = _mlp()
    parsed = _parse(graph_def(model))
    _check_wellformed(parsed)
    names = {n.name: n for n in parsed.node}
    for scope in (dense, dense_1):
        assert names[f"{scope}/kernel"].op == "VarHandleOp"
        assert names[f"{scope}/bias"].op == "VarHandleOp"
        assert names[f"{scope}/MatMul"].op == "MatMul"
    assert not any(n.op == "RandomUniform" for n in parsed.node)  # inference: no dropout
    placeholder = next(n for n in parsed.node if n.op == "Placeholder")
    assert [d.size for d in placeholder.attr["shape"].shape.dim] == [-1, 4]


def test_train_graph_shows_gradients_and_optimizer_scopes(backend):
    model, (dense, dropout, dense_1) = _mlp()
    x = np.random.default_rng(0).random((16, 4), dtype=np.float32)
    model.fit(x, np.arange(16) % 3, batch_size=8, epochs=1, verbose=0)
    graph = model._steps.train_graph()
    parsed = _parse(graph_def(graph))
    _check_wellformed(parsed)
    assert len(parsed.node) == len(graph.inputs) + len(graph.constants()) + len(graph.nodes)
    tops = {n.name.split("/")[0] for n in parsed.node}
    assert {model.name, "gradients", "optimizer"} <= tops
    assert any(n.name.startswith(f"gradients/{dense_1}/") for n in parsed.node)
    assert any(n.op == "RandomUniform" and n.name.startswith(f"{dropout}/") for n in parsed.node)

    function = model._steps.last_train_step.function  # the same graph plus its variable updates
    with_updates = _parse(graph_def(function))
    _check_wellformed(with_updates)
    assigns = [n for n in with_updates.node if n.op == "AssignVariableOp"]
    assert len(assigns) == len(function.updates)
    assert any(list(a.input)[0] == f"{dense}/kernel" and a.name.startswith("optimizer/") for a in assigns)


def test_a_node_named_like_a_scope_is_renamed():
    a = layered.Variable(1.0, name="a")
    with layered.name_scope("a"):
        y = a * 2.0
    parsed = _parse(graph_def(Graph([a], [y])))
    _check_wellformed(parsed)
    assert {n.name for n in parsed.node} >= {"a_1", "a/Mul"}


def test_writer_graph_is_read_back_by_tensorboard(tmp_path):
    model, (dense, _, _) = _mlp()
    with summary.create_file_writer(tmp_path) as writer:
        writer.graph(model)
    acc = event_accumulator.EventAccumulator(str(tmp_path))
    acc.Reload()
    assert acc.Tags()["graph"]
    assert any(n.name == f"{dense}/MatMul" for n in acc.Graph().node)


def test_unknown_sources_are_rejected():
    with pytest.raises(TypeError, match="cannot export"):
        graph_def(42)
