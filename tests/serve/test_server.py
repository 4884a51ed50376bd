"""The HTTP server on both backends: concurrent requests are batched and answered like
`model.predict`; every kind of bad request is refused with a JSON error, and serving goes on."""
import socket
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import layered
from layered import layers
from tests.serve.helpers import TIMEOUT, predict, request, serving


def _classifier():
    layered.utils.set_random_seed(3)
    return layered.Sequential([layered.Input(shape=(6,)), layers.Dense(8, activation="relu"),
                               layers.Dense(3, activation="softmax")], name="clf")


def _two_in_two_out():
    layered.utils.set_random_seed(4)
    features = layered.Input(shape=(3,), name="features")
    tokens = layered.Input(shape=(4,), name="tokens", dtype="int32")
    hidden = layers.Concatenate()([features, layers.Flatten()(layers.Embedding(10, 2)(tokens))])
    score = layers.Dense(2, name="score")(hidden)
    prob = layers.Dense(1, activation="sigmoid", name="prob")(hidden)
    return layered.Model([features, tokens], [score, prob], name="two")


def test_concurrent_requests_are_batched_and_match_predict(backend, tmp_path):
    path = tmp_path / "clf.layered"
    _classifier().save(path)
    model = layered.models.load_model(path)
    rng = np.random.default_rng(0)
    batches = [rng.normal(size=(1 + i % 3, 6)).astype("float32") for i in range(32)]
    expected = [model.predict(x, verbose=0) for x in batches]
    with serving(path, batch_timeout_ms=30) as server:
        assert server.name == "clf"
        with ThreadPoolExecutor(32) as pool:
            futures = [pool.submit(predict, server, {"instances": x.tolist()} if i % 2 else {"inputs": x.tolist()})
                       for i, x in enumerate(batches)]
            answers = [f.result(timeout=TIMEOUT) for f in futures]
        for i, ((status, body), want) in enumerate(zip(answers, expected)):
            assert status == 200, body
            got = np.array(body["predictions"] if i % 2 else body["outputs"])
            np.testing.assert_allclose(got, want, atol=1e-5)
        assert server.batcher.request_count == 32
        assert server.batcher.batch_count < 32  # some requests shared a batch


def test_multi_input_multi_output_rows_and_columns(backend):
    model = _two_in_two_out()
    features = np.arange(6, dtype="float32").reshape(2, 3) / 6
    tokens = np.array([[1, 2, 3, 4], [9, 0, 0, 5]], dtype="int32")
    score, prob = model.predict([features, tokens], verbose=0)
    with serving(model) as server:
        status, body = predict(server, {"instances": [{"features": f, "tokens": t}
                                                      for f, t in zip(features.tolist(), tokens.tolist())]})
        assert status == 200, body
        assert [sorted(row) for row in body["predictions"]] == [["prob", "score"]] * 2
        np.testing.assert_allclose([row["score"] for row in body["predictions"]], score, atol=1e-5)
        np.testing.assert_allclose([row["prob"] for row in body["predictions"]], prob, atol=1e-5)

        status, body = predict(server, {"inputs": {"features": features.tolist(), "tokens": tokens.tolist()}})
        assert status == 200, body
        np.testing.assert_allclose(body["outputs"]["score"], score, atol=1e-5)
        np.testing.assert_allclose(body["outputs"]["prob"], prob, atol=1e-5)

        status, body = predict(server, {"inputs": {"features": features.tolist(), "tokens": [[1.5, 2, 3, 4]] * 2}})
        assert status == 400 and "expects integers" in body["error"]
        status, body = predict(server, {"inputs": {"features": features.tolist()}})
        assert status == 400 and "missing ['tokens']" in body["error"]
        status, body = predict(server, {"inputs": {"features": features.tolist(), "tokens": tokens[:1].tolist()}})
        assert status == 400 and "different batch sizes" in body["error"]


def test_status_and_metadata(backend):
    with serving(_two_in_two_out(), name="two") as server:
        status, body = request(server.model_url)
        assert status == 200
        assert body["model_version_status"][0]["state"] == "AVAILABLE"
        assert request(f"{server.url}/v1/models/two/versions/1")[0] == 200
        status, body = request(f"{server.model_url}/metadata")
        assert status == 200 and body["model_spec"]["name"] == "two"
        signature = body["metadata"]["signature_def"]["signature_def"]["serving_default"]
        assert sorted(signature["inputs"]) == ["features", "tokens"]
        assert sorted(signature["outputs"]) == ["prob", "score"]
        tokens = signature["inputs"]["tokens"]
        assert tokens["dtype"] == "DT_INT32"
        assert [d["size"] for d in tokens["tensor_shape"]["dim"]] == ["-1", "4"]
        assert signature["outputs"]["prob"]["dtype"] == "DT_FLOAT"


GOOD = {"instances": [[0.1] * 6]}
BAD_PREDICTS = [  # (body, status, words the error must contain)
    (b"{not json", 400, "malformed JSON"),
    (b"\xff\xfe", 400, "malformed JSON"),
    (b"[1, 2]", 400, "must be a JSON object"),
    ({}, 400, "exactly one of 'instances'"),
    ({"instances": [[0.1] * 6], "inputs": [[0.1] * 6]}, 400, "exactly one of"),
    ({"instance": [[0.1] * 6]}, 400, "unknown keys ['instance']"),
    ({"instances": []}, 400, "empty"),
    ({"instances": [[0.1] * 5]}, 400, "wrong shape"),
    ({"inputs": [0.1] * 6}, 400, "wrong shape"),
    ({"instances": [["a"] * 6]}, 400, "expects numbers (float32), got strings"),
    ({"instances": [[None] * 6]}, 400, "non-numeric"),
    ({"instances": [[True] * 6]}, 400, "got booleans"),
    ({"instances": [[0.1] * 6, [0.1] * 5]}, 400, "ragged"),
    ({"instances": 3}, 400, "must be a list"),
    ({"instances": [{"x": [0.1] * 6}]}, 400, "unknown inputs ['x']"),
    ({"inputs": {"x": [[0.1] * 6]}}, 400, "the only input is"),
    ({"instances": [[0.1] * 6], "signature_name": "other"}, 400, "signature_name"),
]


@pytest.mark.parametrize("body, status, words", BAD_PREDICTS, ids=[str(i) for i in range(len(BAD_PREDICTS))])
def test_bad_predict_bodies_get_json_errors(body, status, words):
    with serving(_classifier()) as server:
        got_status, answer = predict(server, body)
        assert got_status == status and words in answer["error"], answer
        assert predict(server, GOOD)[0] == 200


def test_bad_paths_names_methods_and_sizes(backend):
    with serving(_classifier(), max_body_bytes=2000) as server:
        url = server.url
        cases = [(f"{url}/v1/models/nope:predict", "POST", GOOD, 404, "model 'nope' not found"),
                 (f"{url}/v1/models/nope", "GET", None, 404, "not found"),
                 (f"{url}/v1/models/clf/versions/7:predict", "POST", GOOD, 404, "no version '7'"),
                 (f"{url}/v2/whatever", "GET", None, 404, "unknown path"),
                 (f"{server.model_url}:classify", "POST", GOOD, 400, "':classify' is not supported"),
                 (f"{server.model_url}:predict", "GET", None, 405, "needs POST"),
                 (f"{server.model_url}:predict", "PUT", GOOD, 501, "Unsupported method"),
                 (f"{server.model_url}:predict", "POST", {"instances": [[0.1] * 6] * 200}, 413, "at most 2000")]
        for target, method, body, status, words in cases:
            got_status, answer = request(target, method, body)
            assert got_status == status and words in answer["error"], (target, answer)
            assert predict(server, GOOD)[0] == 200


def _raw(server, data):
    """The status line and body of a hand-written request (headers as the test writes them)."""
    host, port = server.server_address[:2]
    with socket.create_connection((host, port), timeout=TIMEOUT) as connection:
        connection.sendall(data)
        reply = b""
        while chunk := connection.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0].decode(), body


def test_missing_length_chunked_and_garbage_requests():
    with serving(_classifier()) as server:
        path = f"/v1/models/{server.name}:predict".encode()
        line, body = _raw(server, b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert " 411 " in line and b"Content-Length" in body
        line, body = _raw(server, b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                  b"2\r\n{}\r\n0\r\n\r\n")
        assert " 411 " in line and b"chunked" in body
        line, body = _raw(server, b"POST " + path + b" HTTP/1.1\r\nContent-Length: x\r\n\r\n")
        assert " 400 " in line and b"Content-Length" in body
        line, body = _raw(server, b"NONSENSE\r\n\r\n")
        assert " 400 " in line and b'"error"' in body
        assert predict(server, GOOD)[0] == 200


def test_keep_alive_connection_serves_several_requests():
    import http.client
    import json
    with serving(_classifier()) as server:
        connection = http.client.HTTPConnection(*server.server_address[:2], timeout=TIMEOUT)
        try:
            for _ in range(3):
                connection.request("POST", f"/v1/models/{server.name}:predict", body=json.dumps(GOOD))
                response = connection.getresponse()
                assert response.status == 200 and len(json.loads(response.read())["predictions"]) == 1
        finally:
            connection.close()


def test_binds_loopback_by_default_and_refuses_bad_names():
    from layered.serve import make_server
    with serving(_classifier()) as server:
        assert server.url.startswith("http://127.0.0.1:")
    with pytest.raises(ValueError, match="model name"):
        make_server(_classifier(), port=0, name="a/b")


def test_subclassed_model_is_refused_with_advice():
    class Net(layered.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, inputs, training=None):
            return self.dense(inputs)
    from layered.serve import make_server
    with pytest.raises(ValueError, match="subclassed"):
        make_server(Net(), port=0)


def test_variable_length_requests_are_answered_in_batches_of_their_own_length(backend):
    layered.utils.set_random_seed(8)
    model = layered.Sequential([layered.Input(shape=(None, 2)), layers.Dense(4, activation="tanh"),
                                layers.GlobalAveragePooling1D(), layers.Dense(1)], name="seq")
    rng = np.random.default_rng(9)
    batches = [rng.normal(size=(1, 2 + i % 3, 2)).astype("float32") for i in range(12)]
    expected = [model.predict(x, verbose=0) for x in batches]
    with serving(model, batch_timeout_ms=30) as server:
        with ThreadPoolExecutor(12) as pool:
            answers = list(pool.map(lambda x: predict(server, {"instances": x.tolist()}), batches, timeout=TIMEOUT))
    for (status, body), want in zip(answers, expected):
        assert status == 200, body
        np.testing.assert_allclose(body["predictions"], want, atol=1e-5)


def test_a_custom_predictor_can_be_served():
    from layered.serve import TensorSpec

    class Doubler:
        name = "doubler"
        inputs = [TensorSpec("x", (None, 2), "float32")]
        outputs = [TensorSpec("y", (None, 2), "float32")]

        def __call__(self, arrays):
            return [arrays[0] * 2]
    with serving(Doubler()) as server:
        assert server.name == "doubler"
        assert predict(server, {"inputs": [[1, 2]]}) == (200, {"outputs": [[2.0, 4.0]]})


def test_a_too_large_body_is_refused_before_it_is_sent_when_the_client_asks_first():
    with serving(_classifier(), max_body_bytes=100) as server:
        line, body = _raw(server, f"POST /v1/models/{server.name}:predict HTTP/1.1\r\nHost: x\r\n"
                                  "Content-Length: 5000\r\nExpect: 100-continue\r\n\r\n".encode())
        assert " 413 " in line and b"at most 100" in body
        assert predict(server, GOOD)[0] == 200
