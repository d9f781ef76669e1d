"""Embeds the example photos that ship with OpenFace into the files upstream's trainer reads.

OpenFace's classifier is trained from two CSV files in a work directory (upstream makes them with
batch-represent): reps.csv, one 128-number embedding per row, and labels.csv, whose second column
is the person. This writes them for images/examples/NAME[-N].jpg, one person per NAME, using
upstream's own AlignDlib and OpenFaceNet so the numbers are what `classifier_new.py infer`
computes. Each photo is also embedded mirrored left to right, which gives every person at least
two samples (the SVM's probability calibration needs more than one per class). Photos with more
than one face (longoria-cooper.jpg) are left out: their label would be ambiguous.

Usage: python3 embed-examples.py OPENFACE_DIR WORK_DIR
"""
import csv
import os
import re
import sys

import cv2
import numpy as np
import torch

root, work = sys.argv[1], sys.argv[2]
sys.path.insert(0, root)
import openface  # noqa: E402  (found through root)

align = openface.AlignDlib(os.path.join(root, "models/dlib/shape_predictor_68_face_landmarks.dat"))
model = openface.OpenFaceNet()
model.load_state_dict(torch.load(os.path.join(root, "models/openface/nn4.small2.v1.pt"), map_location="cpu"))
model.eval()


def embed(rgb):
    """The 128-d embedding of the only face in rgb (as classifier_new.py's get_rep), or None."""
    faces = align.getAllFaceBoundingBoxes(rgb)
    if len(faces) != 1:
        return None
    face = align.align(96, rgb, faces[0], landmarkIndices=openface.AlignDlib.OUTER_EYES_AND_NOSE)
    x = torch.from_numpy(np.expand_dims(np.transpose((face / 255.0).astype(np.float32), (2, 0, 1)), 0))
    with torch.no_grad():
        return model(x).numpy().squeeze(0)


os.makedirs(work, exist_ok=True)
examples = os.path.join(root, "images/examples")
rows = []
for name in sorted(os.listdir(examples)):
    person = re.sub(r"(-\d+)?\.jpg$", "", name)
    rgb = cv2.cvtColor(cv2.imread(os.path.join(examples, name)), cv2.COLOR_BGR2RGB)
    reps = [embed(rgb), embed(np.ascontiguousarray(rgb[:, ::-1]))]
    if any(r is None for r in reps):
        print(f"{name}: not exactly one face, skipped")
        continue
    rows += [(person, r) for r in reps]
    print(f"{name}: {person}")

people = sorted({p for p, _ in rows})
if len(people) < 2:
    sys.exit(f"only {len(people)} people found in {examples}; a classifier needs two or more")
with open(os.path.join(work, "labels.csv"), "w", newline="") as f:
    csv.writer(f).writerows((people.index(p) + 1, p) for p, _ in rows)
with open(os.path.join(work, "reps.csv"), "w", newline="") as f:
    csv.writer(f).writerows([f"{v:.8f}" for v in r] for _, r in rows)
print(f"{len(rows)} embeddings of {len(people)} people: {', '.join(people)}")
