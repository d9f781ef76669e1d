"""Smoke test: starts the server in-process on loopback (an ephemeral port, so it also runs
beside a serving container) and talks to it over real HTTP: the status of every model, predictions
for the first ten digits of scikit-learn's digits set (the digits 0 to 9, in order, shipped in
the image with scikit-learn) in both request formats, accuracy over the whole set, class
probabilities, metadata and the API's errors.
Prints "selftest: ok" when everything answers as expected."""
import json
import os
import sys
import threading
import urllib.error
import urllib.request

from sklearn.datasets import load_digits

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import server  # noqa: E402

server.Handler.log_message = lambda *args: None  # keep the output to the checks
httpd = server.make_server(os.environ.get("MODEL_BASE_PATH", "/models"), host="127.0.0.1", port=0)
threading.Thread(target=httpd.serve_forever, daemon=True).start()
BASE = f"http://127.0.0.1:{httpd.server_address[1]}/v1/models"


def call(path, body=None):
    """(status, JSON answer) of a GET, or of a POST when body is given (bytes are sent as is)."""
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    request = urllib.request.Request(BASE + path, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


digits = load_digits()
rows, labels = digits.data[:10].tolist(), digits.target[:10].tolist()
assert labels == list(range(10)), labels  # the set starts with one of each digit
ok = True


def check(what, good, detail=""):
    global ok
    ok &= bool(good)
    print(f"{what}: {'ok' if good else 'WRONG'}{f' ({detail})' if detail and not good else ''}")


names = sorted(httpd.RequestHandlerClass.models)
check("models found", names == ["logistic-regression", "random-forest"], names)
for name in names:
    code, body = call(f"/{name}")
    check(f"{name} status", code == 200 and body["model_version_status"][0]["state"] == "AVAILABLE", body)
    code, body = call(f"/{name}:predict", {"instances": rows})
    check(f"{name} predicts the digits 0-9", code == 200 and body["predictions"] == labels, body)
    code, body = call(f"/{name}:predict", {"instances": digits.data.tolist()})
    accuracy = code == 200 and sum(p == t for p, t in zip(body["predictions"], digits.target.tolist())) / len(digits.target)
    check(f"{name} accuracy {accuracy:.4f} on all {len(digits.target)} digits (>= 0.95)", accuracy >= 0.95, body)
    code, body = call(f"/{name}/versions/1:predict", {"inputs": rows[:3]})
    check(f"{name} columnar inputs, version 1", code == 200 and body["predictions"] == labels[:3], body)
    code, body = call(f"/{name}:predict", {"instances": rows[:2], "signature_name": "predict_proba"})
    good = code == 200 and all(abs(sum(p) - 1) < 1e-6 and p.index(max(p)) == label for p, label in zip(body["predictions"], labels))
    check(f"{name} probabilities", good and len(body["predictions"]) == 2, body)
    code, body = call(f"/{name}/metadata")
    check(f"{name} metadata", code == 200 and body["metadata"]["classes"] == list(range(10)) and body["metadata"]["n_features"] == 64, body)

for what, path, body, want in [
    ("unknown model", "/no-such-model", None, 404),
    ("unknown model predict", "/no-such-model:predict", {"instances": rows}, 404),
    ("unknown version", f"/{names[0]}/versions/7", None, 404),
    ("bad JSON", f"/{names[0]}:predict", b"{not json", 400),
    ("wrong shape", f"/{names[0]}:predict", {"instances": [[1.0, 2.0]]}, 400),
    ("no instances", f"/{names[0]}:predict", {"rows": rows}, 400),
]:
    code, answer = call(path, body)
    check(f"{what} -> {want}", code == want and isinstance(answer.get("error"), str), f"{code} {answer}")

httpd.shutdown()
print("selftest: ok" if ok else "selftest: FAILED")
sys.exit(0 if ok else 1)
