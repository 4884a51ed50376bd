"""The HTTP server: TensorFlow Serving's REST endpoints over the standard library's http.server.

    GET  /v1/models/<name>                  status: one version, AVAILABLE
    GET  /v1/models/<name>/metadata         the signature: input/output names, shapes, dtypes
    POST /v1/models/<name>:predict          {"instances": ...} or {"inputs": ...}

(`/versions/1` may follow the name.) Every answer is JSON; a refused request gets a 4xx and
`{"error": "..."}` saying why, and the server goes on serving. Each connection has its own
thread; predictions go through one `Batcher`, which combines concurrent requests.
"""
import concurrent.futures
import json
import os
import re
import socket
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

import layered
from layered.serve import rest
from layered.serve.batching import Batcher
from layered.serve.predictors import load_predictor

MAX_BODY_BYTES = 16 << 20
VERSION = "1"  # a served model has one version
_ROUTE = re.compile(r"^/v1/models/(?P<name>[^/:]+)(?:/versions/(?P<version>[^/:]+))?"
                    r"(?:(?P<metadata>/metadata)|:(?P<verb>[A-Za-z]+))?/?$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_ENDPOINTS = "GET /v1/models/{0}, GET /v1/models/{0}/metadata, POST /v1/models/{0}:predict"


class ModelServer(ThreadingHTTPServer):
    """Serves one predictor under `name`. `url` is the address it is bound to.

    `serve_forever()` serves until `shutdown()` (from another thread); `start()` does it in a
    background thread and `stop()` ends it and releases the port. `batcher.batch_count`
    counts the predictor batches run so far.

    Example:
        server = make_server("digits.layered", port=0).start()
        print(server.url)
        server.stop()
    """
    daemon_threads = True
    request_queue_size = 128  # the listen backlog: bursts of concurrent clients are the point

    def __init__(self, predictor, name, host="127.0.0.1", port=8501, max_batch_size=64, batch_timeout_ms=5.0,
                 max_body_bytes=MAX_BODY_BYTES, request_timeout=30.0, pad_batches=True, log_requests=False):
        if not _NAME.match(name):
            raise ValueError(f"model name {name!r} must be letters, digits, '.', '_' or '-' (used in the URL)")
        self.predictor, self.name = predictor, name
        self.max_body_bytes, self.request_timeout, self.log_requests = max_body_bytes, request_timeout, log_requests
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, port), _Handler)
        self.batcher = Batcher(predictor, max_batch_size=max_batch_size, timeout_ms=batch_timeout_ms, pad=pad_batches)
        self._thread = None

    @property
    def url(self):
        """`http://host:port` as bound (the real port when 0 was asked for)."""
        host, port = self.server_address[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    @property
    def model_url(self):
        return f"{self.url}/v1/models/{self.name}"

    def start(self):
        """Serve in a background (daemon) thread; returns self."""
        if self._thread is None:
            self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                                            name="layered-serve-http", daemon=True)  # stop() answers fast
            self._thread.start()
        return self

    def stop(self, timeout=10.0):
        """Stop serving (if `start` was used), close the socket and stop the batcher."""
        if self._thread is not None:
            self.shutdown()
            self._thread.join(timeout)
            self._thread = None
        self.server_close()

    def server_close(self):
        super().server_close()
        self.batcher.stop()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every answer carries its Content-Length
    default_request_version = "HTTP/1.0"  # so that even a garbled request line gets a status line and JSON
    server_version = f"layered-serve/{layered.__version__}"

    def setup(self):
        self.timeout = self.server.request_timeout  # a client that stalls cannot hold a thread forever
        super().setup()

    def log_message(self, format, *args):
        if self.server.log_requests:
            super().log_message(format, *args)

    # ------------------------------------------------------------ answers

    def _send_json(self, status, payload, close=False):
        body = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            if close:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            if close:
                self._drain_and_close()
        except (BrokenPipeError, ConnectionResetError):  # the client left; nothing to tell it
            self.close_connection = True

    def _drain_and_close(self):
        """End our side and read what the client still sends (an unread body), briefly: closing
        a socket with unread data resets the connection, and the client could lose the answer."""
        try:
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(1.0)
            deadline = time.monotonic() + 2.0
            while time.monotonic() < deadline and self.connection.recv(1 << 16):
                pass
        except OSError:
            pass

    def _error(self, status, message, close=False):
        self._send_json(status, {"error": message}, close=close)

    def send_error(self, code, message=None, explain=None):
        """http.server's own refusals (bad request line, unsupported method) as JSON too."""
        self._error(code, message or explain or HTTPStatus(code).phrase, close=True)

    # ------------------------------------------------------------ routing

    def _model_route(self):
        """The matched route, or None after answering 404 for an unknown path, model or version."""
        server = self.server
        path = self.path.split("?", 1)[0]
        match = _ROUTE.match(path)
        if match is None:
            self._error(404, f"unknown path '{path}'; this server answers {_ENDPOINTS.format(server.name)}")
            return None
        if match["name"] != server.name:
            self._error(404, f"model '{match['name']}' not found; this server serves '{server.name}'")
            return None
        if match["version"] not in (None, VERSION):
            self._error(404, f"model '{server.name}' has no version '{match['version']}' (it serves version "
                        f"{VERSION})")
            return None
        return match

    def do_GET(self):
        match = self._model_route()
        if match is None:
            return
        if match["verb"]:
            self._error(405, f"':{match['verb']}' needs POST", close=False)
        elif match["metadata"]:
            predictor = self.server.predictor
            self._send_json(200, rest.model_metadata(self.server.name, predictor.inputs, predictor.outputs))
        else:
            self._send_json(200, rest.model_status(VERSION))

    def do_POST(self):
        body = self._read_body()  # first, so that every answer below leaves the connection usable
        if body is None:
            return
        match = self._model_route()
        if match is None:
            return
        if match["verb"] != "predict":
            what = f"':{match['verb']}'" if match["verb"] else "a POST without a method"
            self._error(400 if match["verb"] else 405,
                        f"{what} is not supported; send POST /v1/models/{self.server.name}:predict")
            return
        self._predict(body)

    def handle_expect_100(self):
        """A client that asks first (curl does, for bodies over 1 KiB) learns of a too-large
        body before sending it."""
        length = self.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > self.server.max_body_bytes:
            self._too_large(int(length))
            return False
        return super().handle_expect_100()

    def _too_large(self, length):
        self._error(413, f"the request body is {length} bytes; this server accepts at most "
                    f"{self.server.max_body_bytes} (--max-body-bytes)", close=True)

    def _read_body(self):
        if self.headers.get("Transfer-Encoding"):
            self._error(411, "chunked request bodies are not supported; send a Content-Length", close=True)
            return None
        length = self.headers.get("Content-Length")
        if length is None:
            self._error(411, "the request needs a Content-Length header", close=True)
            return None
        try:
            length = int(length)
            if length < 0:
                raise ValueError
        except ValueError:
            self._error(400, f"bad Content-Length {length!r}", close=True)
            return None
        if length > self.server.max_body_bytes:
            self._too_large(length)
            return None
        try:
            body = self.rfile.read(length)
        except (TimeoutError, OSError):
            body = b""
        if len(body) < length:  # the client stopped sending: nobody to answer
            self.close_connection = True
            return None
        return body

    def _predict(self, body):
        server = self.server
        try:
            arrays, row_format = rest.parse_predict(body, server.predictor.inputs)
        except rest.RequestError as err:
            self._error(err.status, str(err))
            return
        try:
            future = server.batcher.submit(arrays)
        except RuntimeError:  # stopped, while a kept-alive connection still asks
            self._error(503, "the server is shutting down", close=True)
            return
        try:
            outputs = future.result(timeout=server.request_timeout)
        except concurrent.futures.TimeoutError:
            self._error(503, f"no prediction within {server.request_timeout} s; the server is overloaded")
            return
        except Exception as err:
            self._error(500, f"prediction failed: {type(err).__name__}: {err}")
            return
        self._send_json(200, rest.format_predict(outputs, server.predictor.outputs, row_format))


def _default_name(model_or_path):
    if not isinstance(model_or_path, (str, os.PathLike)):  # a model, or a predictor
        return getattr(model_or_path, "name", None) or "model"
    base = os.path.basename(os.path.normpath(os.fspath(model_or_path)))
    return os.path.splitext(base)[0] or "model"


def _warm_up(predictor):
    """One example of zeros through the predictor, so the first request does not pay for
    compiling (and a model that cannot run fails now); skipped when a shape is not known."""
    shapes = [s.shape for s in predictor.inputs]
    if any(shape is None or None in shape[1:] for shape in shapes):
        return
    predictor([np.zeros((1,) + shape[1:], spec.dtype) for shape, spec in zip(shapes, predictor.inputs)])


def make_server(model_or_path, host="127.0.0.1", port=8501, name=None, *, format="auto", max_batch_size=64,
                batch_timeout_ms=5.0, max_body_bytes=MAX_BODY_BYTES, request_timeout=30.0, pad_batches=True,
                warmup=True, log_requests=False):
    """A `ModelServer` for a model object, a `.layered` file, an `.onnx` file or a StableHLO artifact.

    Args:
        model_or_path: a functional/Sequential model, or a path (see `load_predictor`).
        host, port: where to listen; port 0 picks a free port (read it from `server.url`).
        name: the model's name in the URLs (default: the file name without suffix, or model.name).
        format: "auto" (by suffix), "layered", "onnx" or "stablehlo".
        max_batch_size: most rows in one combined batch.
        batch_timeout_ms: how long a request may wait for others to join its batch.
        max_body_bytes: larger request bodies get 413.
        request_timeout: seconds a client may stall and a request may wait for its prediction.
        pad_batches: pad batches to power-of-two sizes (few compiled shapes).
        warmup: run one example at start-up.
        log_requests: write an access log line per request to stderr.

    Example:
        server = make_server("digits.layered", port=0).start()
        ...                                   # POST server.model_url + ":predict"
        server.stop()
    """
    predictor = load_predictor(model_or_path, format)
    if warmup:
        _warm_up(predictor)
    return ModelServer(predictor, name or _default_name(model_or_path), host=host, port=port,
                       max_batch_size=max_batch_size, batch_timeout_ms=batch_timeout_ms,
                       max_body_bytes=max_body_bytes, request_timeout=request_timeout, pad_batches=pad_batches,
                       log_requests=log_requests)
