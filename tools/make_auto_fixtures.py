#!/usr/bin/env python3
"""Parity fixtures for the automatic mask generator, made with the official `sam2` package.

Runs the official SAM2AutomaticMaskGenerator with the tiny SAM 2.1 fixture model
(Tests/Fixtures/sam2/tiny_sam2.1.pt, made by make_sam2_fixtures.py) on a small picture, for a
few settings. The model's weights are random: its logits stay within about +-1 and its masks
barely follow the prompt point, so the cases use a mask threshold and stability offset that
make masks differ, and lower score thresholds; together they exercise the IoU and stability
filters, box NMS, m2m refinement, one crop layer (crop-edge filter, NMS across crops) and
min_mask_region_area.

min_mask_region_area: the generator hands it to SAM2ImagePredictor, whose hole filling needs
the CUDA extension sam2._C (without it the reference warns and skips the step). Here the
extension's connected components (8-connectivity: labels, and each pixel's component area) are
computed with scipy.ndimage instead, so the fixture shows what the official code does with it.

Output (Tests/Fixtures/auto/):
  image.npy    the picture, RGB uint8 H x W x 3 (samples/astronaut.jpg resized)
  cases.json   every case: its generator arguments and the masks the reference returned, each
               with uncompressed COCO RLE counts and the generator's record fields

Usage: /tmp/ref/bin/python tools/make_auto_fixtures.py [output_dir]
"""
import json
import os
import sys

import numpy as np
import torch
from PIL import Image
from scipy import ndimage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_sam2_fixtures as sam2_fixtures  # noqa: E402  (the tiny model's config)

import sam2.utils.misc  # noqa: E402
from sam2.automatic_mask_generator import SAM2AutomaticMaskGenerator  # noqa: E402
from sam2.build_sam import build_sam2  # noqa: E402

SEED = 20241120
IMAGE_SIZE = (128, 96)  # width, height

# Each case: name and SAM2AutomaticMaskGenerator arguments.
CASES = [
    # IoU and stability filters, box NMS within the image.
    ("grid_multimask", dict(points_per_side=16, pred_iou_thresh=0.3, stability_score_thresh=0.01,
                            stability_score_offset=0.05, mask_threshold=0.45)),
    # One crop layer (four crops, half the grid each): crop-edge filter, NMS across crops.
    ("crop_layer", dict(points_per_side=8, pred_iou_thresh=0.3, stability_score_thresh=0.01,
                        stability_score_offset=0.05, mask_threshold=0.4, crop_n_layers=1,
                        crop_overlap_ratio=0.5, crop_n_points_downscale_factor=2)),
    # The same with the predictor's hole and sprinkle removal. It works at the predictor's own
    # threshold 0, where this model's logits are noisy: filled one-pixel holes merge the masks
    # and NMS keeps a single one.
    ("crop_layer_min_region_area", dict(points_per_side=8, pred_iou_thresh=0.3, stability_score_thresh=0.01,
                                        stability_score_offset=0.05, mask_threshold=0.4, crop_n_layers=1,
                                        crop_overlap_ratio=0.5, crop_n_points_downscale_factor=2,
                                        min_mask_region_area=8)),
    # Every candidate refined once with itself as the mask input; batches not a multiple of 3.
    # The refined (single-mask) outputs are alike, so NMS keeps one.
    ("m2m", dict(points_per_side=12, points_per_batch=20, pred_iou_thresh=0.3, stability_score_thresh=0.01,
                 stability_score_offset=0.05, mask_threshold=0.45, box_nms_thresh=0.9, use_m2m=True)),
]


def connected_components_8(mask):
    """sam2._C.get_connected_componnets on the CPU: for masks [N, 1, H, W], each foreground
    pixel's component label (> 0) and the component's area; 0 and 0 for the background."""
    array = mask.to(torch.uint8).numpy()
    labels = np.zeros(array.shape, dtype=np.int32)
    areas = np.zeros(array.shape, dtype=np.int32)
    for index in range(array.shape[0]):
        label, _ = ndimage.label(array[index, 0], structure=np.ones((3, 3), dtype=int))
        sizes = np.bincount(label.ravel())
        sizes[0] = 0
        labels[index, 0] = label
        areas[index, 0] = sizes[label]
    return torch.from_numpy(labels), torch.from_numpy(areas)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "Tests", "Fixtures", "auto")
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    sam2.utils.misc.get_connected_components = connected_components_8

    model_path = os.path.join(root, "Tests", "Fixtures", "sam2", "tiny_sam2.1.pt")
    model = build_sam2(sam2_fixtures.CONFIG, model_path, device="cpu",
                       hydra_overrides_extra=sam2_fixtures.TINY_OVERRIDES)
    photo = Image.open(os.path.join(root, "Resources", "samples", "astronaut.jpg")).convert("RGB")
    image = np.ascontiguousarray(np.asarray(photo.resize(IMAGE_SIZE, Image.BILINEAR)))
    np.save(os.path.join(out_dir, "image.npy"), image)

    cases = []
    for name, arguments in CASES:
        generator = SAM2AutomaticMaskGenerator(model, output_mode="uncompressed_rle", **arguments)
        records = generator.generate(image)
        masks = [{
            "counts": [int(c) for c in record["segmentation"]["counts"]],
            "area": int(record["area"]),
            "bbox": [float(v) for v in record["bbox"]],
            "predicted_iou": float(record["predicted_iou"]),
            "stability_score": float(record["stability_score"]),
            "point_coords": [float(v) for v in record["point_coords"][0]],
            "crop_box": [int(v) for v in record["crop_box"]],
        } for record in records]
        print(f"{name}: {len(masks)} masks")
        cases.append({"name": name, "arguments": arguments, "masks": masks})

    manifest = {"image": "image.npy", "width": IMAGE_SIZE[0], "height": IMAGE_SIZE[1], "cases": cases}
    with open(os.path.join(out_dir, "cases.json"), "w") as file:
        json.dump(manifest, file, separators=(",", ":"))
        file.write("\n")
    total = sum(os.path.getsize(os.path.join(out_dir, f)) for f in os.listdir(out_dir))
    print(f"fixtures {total} bytes in {out_dir}")


if __name__ == "__main__":
    main()
