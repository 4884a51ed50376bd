"""Serve a model over HTTP with TensorFlow Serving's REST API, batching concurrent requests.

From the command line:

    python -m layered.serve digits.layered --port 8501
    curl -d '{"instances": [[0.0, ...]]}' http://127.0.0.1:8501/v1/models/digits:predict

From Python (tests, embedding in an application):

    server = layered.serve.make_server("digits.layered", port=0).start()
    print(server.model_url)      # http://127.0.0.1:<port>/v1/models/digits
    server.stop()

A saved `.layered` model, an `.onnx` file (run with onnxruntime) or a StableHLO artifact
(loaded with `layered.export.load_stablehlo`) can be served. Only the standard library
serves HTTP.
"""
from layered.serve.batching import Batcher as Batcher
from layered.serve.predictors import TensorSpec as TensorSpec
from layered.serve.predictors import load_predictor as load_predictor
from layered.serve.rest import RequestError as RequestError
from layered.serve.server import ModelServer as ModelServer
from layered.serve.server import make_server as make_server
