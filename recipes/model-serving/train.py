"""Trains the served models at image build time on scikit-learn's bundled digits set (8x8
images, 64 features with values 0..16; no download) and saves each as
BASE/<name>/1/model.joblib, the MODEL_BASE_PATH/<name>/<version>/ layout of TF Serving.
Exits non-zero, failing the build, when a model's test-set accuracy is below MIN_ACCURACY.

usage: train.py BASE [N_TREES]"""
import os
import sys
import time

import joblib
from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

MIN_ACCURACY = 0.9


def models(n_trees):
    return {
        # Clipper's model: L1-penalised multinomial logistic regression fitted with saga, C=50.
        # MinMaxScaler maps the pixel values 0..16 to 0..1, where saga converges: about 240 of
        # the allowed 300 iterations at tol=1e-3 (2 s natively, 30 s on arm64 and 60 s on arm/v7
        # under QEMU). With StandardScaler it had not converged after 300 and misread training
        # digits. The scaler travels in the pipeline, so clients send raw pixel values.
        "logistic-regression": make_pipeline(
            MinMaxScaler(),
            LogisticRegression(solver="saga", penalty="l1", multi_class="multinomial", C=50, max_iter=300, tol=1e-3, random_state=0),
        ),
        "random-forest": RandomForestClassifier(n_estimators=n_trees, random_state=0, n_jobs=-1),
    }


def main(base, n_trees=100):
    x, y = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, stratify=y, random_state=0)
    failed = []
    for name, model in models(n_trees).items():
        started = time.monotonic()
        model.fit(x_train, y_train)
        accuracy = model.score(x_test, y_test)
        if hasattr(model, "n_jobs"):
            model.n_jobs = 1  # the server runs requests in threads; no worker pool per request
        path = os.path.join(base, name, "1", "model.joblib")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        joblib.dump(model, path)
        print(f"{name}: test accuracy {accuracy:.4f} on {len(y_test)} digits, trained in {time.monotonic() - started:.1f} s, {os.path.getsize(path) / 1e6:.1f} MB")
        if accuracy < MIN_ACCURACY:
            failed.append(name)
    if failed:
        print(f"accuracy below {MIN_ACCURACY}: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], *map(int, sys.argv[2:3])))
