"""A TensorFlow-Serving-compatible REST server (the API on port 8501) for scikit-learn models.

Models live where TF Serving looks for them: MODEL_BASE_PATH/<name>/<version>/model.joblib
(MODEL_BASE_PATH defaults to /models). Every model found there is served, at its highest version
as TF Serving does by default; MODEL_NAME, when set, serves that one model alone.

  GET  /v1/models/<name>[/versions/<v>]            status: {"model_version_status": [...]}
  GET  /v1/models/<name>[/versions/<v>]/metadata   classes, feature count, signatures
  POST /v1/models/<name>[/versions/<v>]:predict    {"instances": [[64 floats], ...]} (row format)
                                                   or {"inputs": [[...], ...]} (columnar; for one
                                                   input tensor it is the same list of rows)
        -> {"predictions": [label, ...]}
        With "signature_name": "predict_proba" the predictions are instead one list of class
        probabilities per instance, in the order of the metadata's "classes".

Errors answer {"error": "..."}: 404 for an unknown model, version or path, 400 for a body that
is not JSON or not a list of rows of the model's feature count.
"""
import json
import os
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import joblib
import numpy as np

PORT = 8501
ROUTE = re.compile(r"^/v1/models/([^/:]+)(?:/versions/(\d+))?(/metadata|:predict)?$")
SIGNATURES = ("serving_default", "predict_proba")


class ApiError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def load_models(base, only=None):
    """{name: (version, model)}, loading the highest numeric version of each model under base."""
    models = {}
    for name in sorted(os.listdir(base)):
        if only and name != only:
            continue
        versions = [int(v) for v in os.listdir(os.path.join(base, name)) if v.isdigit()]
        if versions:
            version = max(versions)
            models[name] = (str(version), joblib.load(os.path.join(base, name, str(version), "model.joblib")))
    return models


def find(models, name, version):
    if name not in models:
        raise ApiError(404, f"Servable not found for request: Latest({name})" if version is None else f"Servable not found for request: Specific({name}, {version})")
    loaded_version, model = models[name]
    if version is not None and version != loaded_version:
        raise ApiError(404, f"Servable not found for request: Specific({name}, {version})")
    return loaded_version, model


def status(version):
    return {"model_version_status": [{"version": version, "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}]}


def metadata(name, version, model):
    return {
        "model_spec": {"name": name, "signature_name": "", "version": version},
        "metadata": {
            "classes": model.classes_.tolist(),
            "n_features": int(model.n_features_in_),
            "estimator": type(model[-1] if hasattr(model, "steps") else model).__name__,
            "signatures": list(SIGNATURES),
        },
    }


def predict(model, request):
    if not isinstance(request, dict):
        raise ApiError(400, "request body must be a JSON object")
    rows = request.get("instances", request.get("inputs"))
    if rows is None:
        raise ApiError(400, 'missing "instances" or "inputs"')
    signature = request.get("signature_name", "serving_default")
    if signature not in SIGNATURES:
        raise ApiError(400, f"unknown signature_name {signature!r}; expected one of {', '.join(SIGNATURES)}")
    try:
        x = np.asarray(rows, dtype=np.float64)
    except (TypeError, ValueError):
        raise ApiError(400, "instances must be lists of numbers, all of the same length") from None
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] != model.n_features_in_:
        raise ApiError(400, f"expected a non-empty list of rows of {model.n_features_in_} numbers, got shape {list(x.shape)}")
    if not np.isfinite(x).all():
        raise ApiError(400, "instances must be finite numbers")
    if signature == "predict_proba":
        return {"predictions": model.predict_proba(x).tolist()}
    return {"predictions": model.predict(x).tolist()}


class Handler(BaseHTTPRequestHandler):
    models = {}  # set by make_server; HTTP/1.0: one request per connection, no body to drain

    def answer(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def route(self, method):
        match = ROUTE.match(self.path.split("?", 1)[0])
        if not match:
            raise ApiError(404, f"Malformed request: {method} {self.path}")
        name, version, action = match.groups()
        if (method == "POST") != (action == ":predict"):
            raise ApiError(405, f"{method} is not supported on {self.path}")
        loaded_version, model = find(self.models, name, version)
        if action == ":predict":
            try:
                request = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            except ValueError as e:  # also covers JSONDecodeError and UnicodeDecodeError
                raise ApiError(400, f"request body is not JSON: {e}") from None
            return predict(model, request)
        if action == "/metadata":
            return metadata(name, loaded_version, model)
        return status(loaded_version)

    def handle_method(self, method):
        try:
            self.answer(200, self.route(method))
        except ApiError as e:
            self.answer(e.status, {"error": str(e)})
        except Exception as e:  # a bug or a model failure: still answer in the API's shape
            self.answer(500, {"error": f"{type(e).__name__}: {e}"})
            raise

    def do_GET(self):
        self.handle_method("GET")

    def do_POST(self):
        self.handle_method("POST")


def make_server(base, only=None, host="", port=PORT):
    """Loads the models first, so that the port only answers once every model is AVAILABLE."""
    models = load_models(base, only)
    if not models:
        raise SystemExit(f"no models under {base}" + (f" named {only}" if only else ""))
    handler = type("ModelHandler", (Handler,), {"models": models})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


if __name__ == "__main__":
    server = make_server(os.environ.get("MODEL_BASE_PATH", "/models"), os.environ.get("MODEL_NAME") or None)
    print(f"serving {', '.join(f'{n} (version {v})' for n, (v, _) in server.RequestHandlerClass.models.items())} on port {PORT}", file=sys.stderr)
    server.serve_forever()
