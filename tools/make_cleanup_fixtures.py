#!/usr/bin/env python3
"""Parity fixtures for mask clean-up, made with the official `remove_small_regions`.

Builds deterministic binary masks with holes and islands of many sizes and runs the official
`sam2.utils.amg.remove_small_regions` on each, for thresholds 0, 1, 50, 100 and 5000 in both
modes ("holes" and "islands"); segment_anything's copy must give the same pixels (checked
here). The masks cover: several sizes (down to 1x1 and one row or column), blobs of smoothed
noise (holes and islands of every size, holes touching the border), regions joined only
diagonally (8-connectivity joins them), empty and full masks, and masks whose islands are all
below the threshold so that the largest is kept, including ties between equal largest islands,
where OpenCV's label order decides: it numbers components by the first 2x2 block (in raster
order of blocks) that holds one of their pixels, not by their first pixel.

Output (Tests/Fixtures/cleanup/cases.json): a list of masks, each
  {"name", "width", "height", "mask": RUNS, "results": [{"mode", "area", "mask": RUNS}]}
where RUNS are run lengths over the row-major pixels, starting with a run of zeros (possibly 0).

Usage: /tmp/ref/bin/python tools/make_cleanup_fixtures.py [output_dir]
"""
import json
import os
import sys

import cv2
import numpy as np

import sam2.utils.amg as sam2_amg
import segment_anything.utils.amg as sam1_amg

SEED = 20261202
AREAS = [0, 1, 50, 100, 5000]
MODES = ["holes", "islands"]


def runs(mask):
    """Row-major run lengths, the first one counting zeros."""
    flat = mask.reshape(-1).astype(np.uint8)
    counts, value, length = [], 0, 0
    for pixel in flat:
        if pixel == value:
            length += 1
        else:
            counts.append(length)
            value, length = pixel, 1
    counts.append(length)
    return counts


def blobs(rng, height, width, sigma, level):
    """Smoothed noise above a level: regions, holes and islands of many sizes."""
    noise = cv2.GaussianBlur(rng.standard_normal((height, width)), (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    return noise > level


def constructed():
    masks = {}
    # A ring with holes of several sizes, one of them open to the border.
    ring = np.zeros((40, 56), bool)
    ring[4:36, 4:52] = True
    ring[8:10, 8:10] = False          # 4-pixel hole
    ring[12:19, 12:20] = False        # 56-pixel hole
    ring[20:31, 24:34] = False        # 110-pixel hole
    ring[15, 40] = False              # 1-pixel hole
    ring[0:20, 44:48] = False         # a notch that reaches the border: background, 64 pixels inside
    ring[30:40, 0:3] = True           # an island touching the border (30 pixels) ...
    ring[37:40, 53:56] = True         # ... and one in the corner (9 pixels)
    masks["ring_with_holes"] = ring
    # Regions joined only at corners: one component with 8-connectivity, several with 4.
    diagonal = np.zeros((24, 24), bool)
    for i in range(10):
        diagonal[i, i] = True
        diagonal[i, 23 - i] = True
    for i in range(6):
        diagonal[12 + i:14 + i, 2 * i:2 * i + 2] = True if i % 2 == 0 else False
    diagonal[14:16, 16:18] = True
    diagonal[16:18, 18:20] = True
    diagonal[18:20, 16:18] = True
    diagonal[20:22, 14:16] = True
    masks["diagonal_chains"] = diagonal
    # A background line of single pixels cut only diagonally: holes joined at corners.
    checker = np.ones((16, 20), bool)
    for i in range(8):
        checker[4 + i, 4 + i] = False
        checker[4 + i, 15 - i] = False
    checker[2, 2] = False
    checker[13, 17] = False
    masks["diagonal_holes"] = checker
    # Every island below the threshold, equal largest ones: OpenCV keeps the one whose first
    # 2x2 block comes first (here the one starting at row 1, column 0, not the one at row 0).
    tie = np.zeros((12, 16), bool)
    tie[1:4, 0] = True                # 3 pixels, block (0, 0) first
    tie[0, 3:6] = True                # 3 pixels, first in raster order
    tie[8, 8] = True                  # 1 pixel
    tie[10:11, 12:14] = True          # 2 pixels
    masks["tie_block_order"] = tie
    tie_raster = np.zeros((9, 11), bool)
    tie_raster[2:4, 6:8] = True       # 4 pixels, earlier block row
    tie_raster[4:6, 0:2] = True       # 4 pixels, later
    tie_raster[7, 9] = True
    masks["tie_rows"] = tie_raster
    # Equal islands in one block row, on odd columns: block columns decide.
    tie_odd = np.zeros((6, 13), bool)
    tie_odd[1, 5:7] = True
    tie_odd[0, 9:11] = True
    tie_odd[1, 1:3] = True
    tie_odd[4:6, 11] = True
    masks["tie_same_block_row"] = tie_odd
    masks["empty"] = np.zeros((7, 9), bool)
    masks["full"] = np.ones((9, 7), bool)
    masks["one_pixel_on"] = np.ones((1, 1), bool)
    masks["one_pixel_off"] = np.zeros((1, 1), bool)
    row = np.zeros((1, 23), bool)
    row[0, [0, 1, 2, 5, 9, 10, 11, 12, 20]] = True
    masks["one_row"] = row
    masks["one_column"] = row.reshape(23, 1).copy()
    return masks


def generated():
    rng = np.random.default_rng(SEED)
    masks = {}
    for height, width, sigma, level in [(17, 13, 1.0, 0.0), (30, 40, 1.5, 0.1), (48, 64, 2.0, -0.05),
                                        (72, 96, 2.5, 0.15), (97, 61, 1.2, 0.0), (64, 128, 3.0, -0.2)]:
        masks[f"blobs_{width}x{height}"] = blobs(rng, height, width, sigma, level)
    # Sparse dots: many small islands, all below most thresholds.
    masks["sparse_dots_50x40"] = rng.random((40, 50)) < 0.04
    # Dense speckle: many small holes.
    masks["dense_speckle_45x33"] = rng.random((33, 45)) < 0.9
    return masks


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "cleanup")
    os.makedirs(out, exist_ok=True)
    cases = []
    for name, mask in {**constructed(), **generated()}.items():
        height, width = mask.shape
        results = []
        for mode in MODES:
            for area in AREAS:
                cleaned, _ = sam2_amg.remove_small_regions(mask.copy(), area, mode)
                other, _ = sam1_amg.remove_small_regions(mask.copy(), area, mode)
                assert np.array_equal(cleaned, other), (name, mode, area)
                results.append({"mode": mode, "area": area, "mask": runs(cleaned)})
        cases.append({"name": name, "width": width, "height": height, "mask": runs(mask), "results": results})
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump(cases, f, separators=(",", ":"))
        f.write("\n")
    print(f"{len(cases)} masks, {len(cases) * len(MODES) * len(AREAS)} results -> {out}")


if __name__ == "__main__":
    main()
