"""`python -m layered.serve MODEL --port 8501`: serve a model until interrupted (Ctrl-C or SIGTERM)."""
import argparse
import signal
import sys

from layered.serve.predictors import FORMATS
from layered.serve.server import MAX_BODY_BYTES, make_server


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m layered.serve",
        description="Serve a saved .layered model, an .onnx file or a StableHLO artifact over HTTP\n"
                    "with TensorFlow Serving's REST API, combining concurrent requests into batches:\n"
                    "  GET  /v1/models/NAME            status\n"
                    "  GET  /v1/models/NAME/metadata   signature (input/output names, shapes, dtypes)\n"
                    "  POST /v1/models/NAME:predict    {\"instances\": [...]} or {\"inputs\": ...}",
        epilog="example: python -m layered.serve digits.layered --port 8501, then\n"
               "  curl -d '{\"instances\": [...]}' http://127.0.0.1:8501/v1/models/digits:predict",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="a .layered file, an .onnx file, or a StableHLO artifact")
    parser.add_argument("--port", type=int, default=8501, help="port to listen on; 0 picks a free one (default 8501)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1; 0.0.0.0 exposes the model to the network)")
    parser.add_argument("--name", help="model name in the URLs (default: the file name without its suffix)")
    parser.add_argument("--format", default="auto", choices=("auto",) + FORMATS,
                        help="how to load MODEL (default: by its suffix; anything not .layered/.onnx is StableHLO)")
    parser.add_argument("--max-batch-size", type=int, default=64, help="most rows in one batch (default 64)")
    parser.add_argument("--batch-timeout-ms", type=float, default=5.0,
                        help="how long a request waits for others to join its batch (default 5 ms)")
    parser.add_argument("--max-body-bytes", type=int, default=MAX_BODY_BYTES,
                        help=f"larger request bodies are refused with 413 (default {MAX_BODY_BYTES})")
    parser.add_argument("--request-timeout", type=float, default=30.0,
                        help="seconds a request may stall or wait for its prediction (default 30)")
    parser.add_argument("--no-pad-batches", dest="pad_batches", action="store_false",
                        help="run batches at their own size instead of padding to powers of two")
    parser.add_argument("--quiet", action="store_true", help="no access log on stderr")
    return parser


def main(argv=None):
    args = _parser().parse_args(argv)
    if args.max_batch_size < 1:
        _parser().error("--max-batch-size must be at least 1")
    try:
        server = make_server(args.model, host=args.host, port=args.port, name=args.name, format=args.format,
                             max_batch_size=args.max_batch_size, batch_timeout_ms=args.batch_timeout_ms,
                             max_body_bytes=args.max_body_bytes, request_timeout=args.request_timeout,
                             pad_batches=args.pad_batches, log_requests=not args.quiet)
    except (OSError, ValueError, ImportError) as err:
        print(f"layered.serve: cannot serve '{args.model}': {err}", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # SystemExit unwinds serve_forever cleanly
    print(f"Serving '{server.name}' ({server.predictor.kind}) at {server.model_url}", flush=True)
    print(f"  predict: curl -d '{{\"instances\": [...]}}' {server.model_url}:predict", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
