"""A small HTTP client for the serving tests: every call has a timeout, so nothing can hang."""
import contextlib
import http.client
import json
import urllib.parse

from layered.serve import make_server

TIMEOUT = 10


@contextlib.contextmanager
def serving(model_or_path, **kwargs):
    """A server on a free loopback port, serving in a thread, stopped on exit."""
    kwargs.setdefault("port", 0)
    server = make_server(model_or_path, **kwargs).start()
    try:
        yield server
    finally:
        server.stop()


def request(url, method="GET", body=None, headers=None):
    """(status, decoded JSON) for one request on a fresh connection; `body` may be an object or bytes."""
    parts = urllib.parse.urlsplit(url)
    if body is not None and not isinstance(body, bytes):
        body = json.dumps(body).encode()
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT)
    try:
        connection.request(method, parts.path, body=body, headers=headers or {})
        response = connection.getresponse()
        assert response.getheader("Content-Type") == "application/json"
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def predict(server, payload):
    return request(f"{server.model_url}:predict", "POST", payload)
