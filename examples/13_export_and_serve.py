"""Export a trained model and serve it over HTTP with TensorFlow Serving's REST API.

Train a small CNN on the 8x8 digits and save it (`digits_cnn.layered`); export it to ONNX
(with the `onnx` package installed) and, on the JAX backend, to StableHLO. Then serve each
artifact in turn from this process (`layered.serve.make_server` on a free port) and ask it,
as any HTTP client would, for the classes of the whole test set: every artifact answers
what `model.predict` does, with a test accuracy of about 0.98. The last lines print the
command that serves the model from a shell and a `curl` line that queries it.
Run: python examples/13_export_and_serve.py   (LAYERED_BACKEND=jax adds the StableHLO export)
"""
import importlib.util
import json
import os
import urllib.request

import numpy as np

import layered
from layered import layers
from layered.datasets import digits
from layered.serve import make_server
from _common import epochs, log_dir


def train(x_train, y_train, verbose):
    model = layered.Sequential([
        layered.Input(shape=(8, 8, 1)),
        layers.Conv2D(16, 3, padding="same", activation="relu"),  # 8x8x16
        layers.Conv2D(32, 3, padding="same", activation="relu"),  # 8x8x32
        layers.MaxPooling2D(2),                                   # 4x4x32
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ], name="digits_cnn")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=32, epochs=epochs(30, 3), verbose=verbose)
    return model


def export_all(model, folder):
    """The saved model and whichever exports this installation can write, by format name."""
    paths = {"layered": os.path.join(folder, "digits_cnn.layered")}
    model.save(paths["layered"])
    if importlib.util.find_spec("onnx") and importlib.util.find_spec("onnxruntime"):
        paths["onnx"] = os.path.join(folder, "digits_cnn.onnx")
        model.export(paths["onnx"], format="onnx")
    else:
        print("skipping the ONNX export: pip install onnx onnxruntime")
    if layered.config.backend() == "jax":  # StableHLO is a JAX program
        paths["stablehlo"] = os.path.join(folder, "digits_cnn.stablehlo")
        model.export(paths["stablehlo"], format="stablehlo")
    return paths


def ask(url, images):
    """POST the images in TF Serving's row format; the predicted probabilities, one row per image."""
    body = json.dumps({"instances": images.tolist()}).encode()
    request = urllib.request.Request(url + ":predict", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return np.array(json.load(response)["predictions"])


def main(verbose=0):
    layered.utils.set_random_seed(13)
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train = x_train.reshape(-1, 8, 8, 1).astype("float32") / 16.0  # pixel values are 0..16
    x_test = x_test.reshape(-1, 8, 8, 1).astype("float32") / 16.0

    model = train(x_train, y_train, verbose)
    expected = model.predict(x_test, verbose=0)
    folder = log_dir("13_export_and_serve")
    os.makedirs(folder, exist_ok=True)
    paths = export_all(model, folder)

    accuracy = None
    for fmt, path in paths.items():
        server = make_server(path, port=0).start()  # port 0: any free port, read back from server.url
        try:
            probabilities = ask(server.model_url, x_test)
        finally:
            server.stop()
        served = float(np.mean(probabilities.argmax(-1) == y_test))
        agrees = np.allclose(probabilities, expected, atol=1e-5)
        print(f"served {fmt:9s} at {server.model_url}: test accuracy {served:.4f}, "
              f"same as model.predict: {agrees}")
        accuracy = served if accuracy is None else min(accuracy, served)

    request_file = os.path.join(folder, "request.json")
    with open(request_file, "w") as f:
        json.dump({"instances": x_test[:2].tolist()}, f)
    print(f"test accuracy {accuracy:.4f}")
    print("serve it from a shell, and query it from another:")
    print(f"  python -m layered.serve {paths['layered']} --port 8501")
    print(f"  curl -d @{request_file} http://127.0.0.1:8501/v1/models/digits_cnn:predict")
    return accuracy


if __name__ == "__main__":
    main(verbose="auto")
