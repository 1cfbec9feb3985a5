#!/usr/bin/env python3
"""Parity fixtures for an object's embedding (Predictor.objectEmbedding).

The reference has no such function; samterm defines it from the reference's parts, and this
script computes it from the official predictors' own image embedding
(SAM2ImagePredictor._features["image_embed"], SamPredictor.get_image_embedding()):
the mask taken into the model's input frame as the official code takes a mask there
(SAM2VideoPredictor.add_new_mask: resized to the square input with F.interpolate(bilinear,
align_corners=False, antialias=True), thresholded at 0.5; SAM 1: the same in its
ResizeLongestSide frame, padded bottom and right), resized the same way to the embedding's
grid, then with NumPy: the embedding averaged over the cells with those weights, divided by
its length.

Output (Tests/Fixtures/object_embedding/):
  cases.json               each case: name, model (sam1 / sam2), image (image_<name>.npy of
                           that model's fixtures)
  mask_<case>.npy          uint8 [H, W], 0 / 1
  embedding_<case>.npy     float32 [C]

Usage: /tmp/ref/bin/python tools/make_object_embedding_fixtures.py [output_dir]
"""
import json
import os
import sys

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from segment_anything import SamPredictor
from segment_anything.utils.transforms import ResizeLongestSide
from sam2.build_sam import build_sam2
from sam2.sam2_image_predictor import SAM2ImagePredictor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_sam1_fixtures import build_tiny_sam  # noqa: E402
from make_sam2_fixtures import CONFIG, TINY_OVERRIDES  # noqa: E402

SEED = 20261203
IMAGE_SIZE = 1024
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures")
# name, model, fixture image, mask: "blob" (smoothed noise) at the image's size or another size,
# "speck" (a few pixels: weights below 0.5 everywhere), "all"
CASES = [
    ("sam2_blob", "sam2", "wide", "blob", None),
    ("sam2_other_size", "sam2", "tall", "blob", (37, 23)),
    ("sam2_speck", "sam2", "wide", "speck", None),
    ("sam2_all", "sam2", "tall", "all", None),
    ("sam1_blob", "sam1", "wide", "blob", None),
    ("sam1_strip", "sam1", "strip", "blob", None),
    ("sam1_speck", "sam1", "tall", "speck", None),
]


def resize(x, size):
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=True)


def frame_mask(mask, model, image_width, image_height):
    binary = torch.from_numpy(mask)[None, None].float()
    if model == "sam2":
        return (resize(binary, (IMAGE_SIZE, IMAGE_SIZE)) >= 0.5).float()
    height, width = ResizeLongestSide.get_preprocess_shape(image_height, image_width, IMAGE_SIZE)
    framed = (resize(binary, (height, width)) >= 0.5).float()
    return F.pad(framed, (0, IMAGE_SIZE - width, 0, IMAGE_SIZE - height), value=0.0)


def object_embedding(image_embed, frame):
    channels, height, width = image_embed.shape[1:]
    weights = resize(frame, (height, width))[0, 0].numpy().astype(np.float64).reshape(-1)
    features = image_embed[0].detach().numpy().astype(np.float64).reshape(channels, -1)
    pooled = features @ weights / weights.sum()
    return (pooled / np.linalg.norm(pooled)).astype(np.float32)


def make_mask(kind, width, height, rng):
    if kind == "all":
        return np.ones((height, width), np.uint8)
    if kind == "speck":
        mask = np.zeros((height, width), np.uint8)
        mask[height // 3:height // 3 + 2, width // 2:width // 2 + 3] = 1
        return mask
    noise = cv2.GaussianBlur(rng.standard_normal((height, width)), (0, 0), max(1.0, min(width, height) / 8),
                             borderType=cv2.BORDER_REFLECT)
    return (noise > 0.05).astype(np.uint8)


def predictors():
    sam2_model = build_sam2(CONFIG, os.path.join(FIXTURES, "sam2", "tiny_sam2.1.pt"), device="cpu",
                            hydra_overrides_extra=TINY_OVERRIDES)
    sam1_model = build_tiny_sam()
    with open(os.path.join(FIXTURES, "sam1", "tiny_sam1.pth"), "rb") as f:
        sam1_model.load_state_dict(torch.load(f))
    sam1_model.eval()
    return {"sam2": SAM2ImagePredictor(sam2_model), "sam1": SamPredictor(sam1_model)}


def image_embedding(predictor, model):
    # The same tensor get_image_embedding() returns (SAM 2: with no_mem_embed added).
    return predictor._features["image_embed"] if model == "sam2" else predictor.get_image_embedding()


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(FIXTURES, "object_embedding")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(SEED)
    models = predictors()
    cases = []
    for name, model, image_name, kind, size in CASES:
        image = np.load(os.path.join(FIXTURES, model, f"image_{image_name}.npy"))
        image_height, image_width = image.shape[:2]
        width, height = size or (image_width, image_height)
        mask = make_mask(kind, width, height, rng)
        assert mask.sum() > 0, name
        predictor = models[model]
        with torch.inference_mode():
            predictor.set_image(image)
            embed = image_embedding(predictor, model)
        embedding = object_embedding(embed, frame_mask(mask, model, image_width, image_height))
        np.save(os.path.join(out, f"mask_{name}.npy"), mask)
        np.save(os.path.join(out, f"embedding_{name}.npy"), embedding)
        cases.append({"name": name, "model": model, "image": image_name})
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1)
        f.write("\n")
    print(f"{len(cases)} cases -> {out}")


if __name__ == "__main__":
    main()
