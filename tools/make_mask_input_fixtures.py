#!/usr/bin/env python3
"""Parity fixtures for a binary mask turned into a prompt's mask input (Predictor.maskInput).

SAM 2, as the official code feeds a mask back (SAM2VideoPredictor.add_new_mask, then
SAM2Base._use_mask_as_output): the mask resized to the model's square input with
F.interpolate(bilinear, align_corners=False, antialias=True) and thresholded at 0.5, then
logits of +-10 (x * 20 - 10) resized the same way to the low-resolution side.
SAM 1 has no such path; samterm uses the same steps in SAM 1's own frame: the mask resized to
the ResizeLongestSide size of its image, thresholded, padded bottom and right with 0 to the
square input, then the same logits and resize.

The masks are non-square and not the input's shape: smoothed noise above a level, at the size
of a fixture image (the frame of SAM 1 depends on it) or at another size.

Output (Tests/Fixtures/mask_input/):
  cases.json            each case: name, model (sam1 / sam2), the image whose frame it uses
                        (image_<name>.npy of that model's fixtures), the sample kept
  mask_<case>.npy       uint8 [H, W], 0 / 1
  logits_<case>.npy     float32 [n, n]: the 256 x 256 logits at rows/cols start::step

Usage: /tmp/ref/bin/python tools/make_mask_input_fixtures.py [output_dir]
"""
import json
import os
import sys

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from segment_anything.utils.transforms import ResizeLongestSide

SEED = 20261203
IMAGE_SIZE = 1024
LOW_RES = 256
SAMPLE = {"start": 1, "step": 3}
# name, model, fixture image (its width, height), mask width, height
CASES = [
    ("sam2_wide", "sam2", "wide", (64, 48), (64, 48)),
    ("sam2_other_size", "sam2", "tall", (40, 56), (37, 23)),
    ("sam1_wide", "sam1", "wide", (64, 48), (64, 48)),
    ("sam1_strip", "sam1", "strip", (1100, 12), (1100, 12)),
]


def resize(x, size):
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=True)


def sam2_mask_input(mask):
    binary = (resize(torch.from_numpy(mask)[None, None].float(), (IMAGE_SIZE, IMAGE_SIZE)) >= 0.5).float()
    return resize(binary * 20.0 - 10.0, (LOW_RES, LOW_RES))[0, 0]


def sam1_mask_input(mask, image_width, image_height):
    height, width = ResizeLongestSide.get_preprocess_shape(image_height, image_width, IMAGE_SIZE)
    binary = (resize(torch.from_numpy(mask)[None, None].float(), (height, width)) >= 0.5).float()
    framed = F.pad(binary, (0, IMAGE_SIZE - width, 0, IMAGE_SIZE - height), value=0.0)
    return resize(framed * 20.0 - 10.0, (LOW_RES, LOW_RES))[0, 0]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "mask_input")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(SEED)
    cases = []
    for name, model, image, (image_width, image_height), (width, height) in CASES:
        noise = cv2.GaussianBlur(rng.standard_normal((height, width)), (0, 0), max(1.0, min(width, height) / 8),
                                 borderType=cv2.BORDER_REFLECT)
        mask = (noise > 0.05).astype(np.uint8)
        assert 0 < mask.sum() < mask.size, name
        if model == "sam2":
            logits = sam2_mask_input(mask)
        else:
            logits = sam1_mask_input(mask, image_width, image_height)
        sample = logits[SAMPLE["start"]::SAMPLE["step"], SAMPLE["start"]::SAMPLE["step"]].numpy().astype(np.float32)
        np.save(os.path.join(out, f"mask_{name}.npy"), mask)
        np.save(os.path.join(out, f"logits_{name}.npy"), sample)
        cases.append({"name": name, "model": model, "image": image, "sample": SAMPLE})
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1)
        f.write("\n")
    print(f"{len(cases)} cases -> {out}")


if __name__ == "__main__":
    main()
