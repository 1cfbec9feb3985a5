#!/usr/bin/env python3
"""Full-size parity: the official predictor and `samterm segment` on real photographs.

The committed fixtures use tiny models; this script checks a full-size architecture (random weights,
every parameter perturbed, since the official weights cannot be downloaded here) on the bundled
photos with the fixture prompt cases, and prints the table docs/parity.md quotes.

    /tmp/ref/bin/python tools/parity_full_size.py --model sam2.1_hiera_t --samterm .build/release/samterm
    /tmp/ref/bin/python tools/parity_full_size.py --model sam_vit_b --samterm .build/release/samterm
    /tmp/ref/bin/python tools/parity_full_size.py --model sam2.1_hiera_t --samterm-arg=--kernels=generic

--samterm-arg passes an option on to every `samterm segment` (the generic path, a precision).

Pass --checkpoint to use an existing official-format file instead of a random one.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from PIL import Image

SAM2_CONFIGS = {
    "sam2.1_hiera_t": "configs/sam2.1/sam2.1_hiera_t.yaml",
    "sam2.1_hiera_s": "configs/sam2.1/sam2.1_hiera_s.yaml",
    "sam2.1_hiera_b+": "configs/sam2.1/sam2.1_hiera_b+.yaml",
    "sam2.1_hiera_l": "configs/sam2.1/sam2.1_hiera_l.yaml",
    "sam2_hiera_t": "configs/sam2/sam2_hiera_t.yaml",
}
PHOTOS = ["Resources/samples/astronaut.jpg", "Resources/samples/coffee.jpg", "Resources/samples/chelsea.png"]


def build(model_name, checkpoint):
    """The official model and predictor, and the path of a checkpoint in the official format."""
    sam1 = model_name.startswith("sam_vit_")
    if sam1:
        from segment_anything import SamPredictor, sam_model_registry
        model = sam_model_registry[model_name[len("sam_"):]](checkpoint=checkpoint)
    else:
        from sam2.build_sam import build_sam2
        model = build_sam2(SAM2_CONFIGS[model_name], ckpt_path=checkpoint, device="cpu")
    if checkpoint is None:
        generator = torch.Generator().manual_seed(0)
        with torch.no_grad():
            for parameter in model.parameters():
                parameter.add_(0.02 * torch.randn(parameter.shape, generator=generator))
        checkpoint = os.path.join(tempfile.mkdtemp(prefix="samterm-parity-"), model_name + (".pth" if sam1 else ".pt"))
        state = model.state_dict()
        torch.save(state if sam1 else {"model": state}, checkpoint)
    model.eval()
    if sam1:
        return SamPredictor(model), checkpoint
    from sam2.sam2_image_predictor import SAM2ImagePredictor
    return SAM2ImagePredictor(model), checkpoint


def cases(width, height):
    """The prompt cases of the fixtures, placed relative to the image size."""
    def at(fx, fy):
        return [round(width * fx, 1), round(height * fy, 1)]
    box = at(0.25, 0.2) + at(0.7, 0.85)
    return {
        "single_point": dict(points=[at(0.5, 0.45)], labels=[1], multimask=True),
        "points_pos_neg": dict(points=[at(0.5, 0.45), at(0.3, 0.6), at(0.8, 0.2)], labels=[1, 1, 0], multimask=True),
        "box": dict(box=box, multimask=True),
        "box_and_points": dict(box=box, points=[at(0.45, 0.5), at(0.65, 0.3)], labels=[1, 0], multimask=True),
        "single_mask": dict(points=[at(0.4, 0.5)], labels=[1], multimask=False),
        "border_point": dict(points=[at(0.01, 0.99)], labels=[1], multimask=True),
    }


def run_samterm(samterm, image, checkpoint, case, out, extra):
    command = [samterm, "segment", image, "--checkpoint", checkpoint, "--out", out, "--json"] + extra
    for point, label in zip(case.get("points", []), case.get("labels", [])):
        command += ["--point", "%s,%s,%d" % (point[0], point[1], label)]
    if "box" in case:
        command += ["--box", ",".join(str(v) for v in case["box"])]
    if not case["multimask"]:
        command.append("--single")
    result = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    masks = [np.array(Image.open(os.path.join(out, "mask-%d.png" % c["index"]))) > 0 for c in result["candidates"]]
    return np.array([c["score"] for c in result["candidates"]]), np.load(os.path.join(out, "logits.npy")), masks


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="sam2.1_hiera_t")
    parser.add_argument("--checkpoint")
    parser.add_argument("--samterm", default=".build/release/samterm")
    parser.add_argument("--samterm-arg", action="append", default=[], help="an option for samterm segment")
    args = parser.parse_args()

    predictor, checkpoint = build(args.model, args.checkpoint)
    print("| photo | case | max abs logit diff | max score diff | min mask IoU |")
    print("|---|---|---|---|---|")
    worst = (0.0, 0.0, 1.0)
    for photo in PHOTOS:
        image = np.array(Image.open(photo).convert("RGB"))
        height, width = image.shape[:2]
        with torch.inference_mode():
            predictor.set_image(image)
        for name, case in cases(width, height).items():
            kwargs = dict(multimask_output=case["multimask"], return_logits=True)
            if "points" in case:
                kwargs.update(point_coords=np.array(case["points"], np.float32), point_labels=np.array(case["labels"]))
            if "box" in case:
                kwargs["box"] = np.array(case["box"], np.float32)
            with torch.inference_mode():
                logits_full, scores, low_res = predictor.predict(**kwargs)
            with tempfile.TemporaryDirectory() as out:
                our_scores, our_low_res, our_masks = run_samterm(args.samterm, photo, checkpoint, case, out, args.samterm_arg)
            logit_diff = float(np.abs(our_low_res - low_res).max())
            score_diff = float(np.abs(our_scores - scores).max())
            ious = []
            for ours, theirs in zip(our_masks, logits_full > 0):
                union = np.logical_or(ours, theirs).sum()
                ious.append(1.0 if union == 0 else np.logical_and(ours, theirs).sum() / union)
            iou = float(min(ious))
            worst = (max(worst[0], logit_diff), max(worst[1], score_diff), min(worst[2], iou))
            print("| %s | %s | %.2e | %.2e | %.5f |" % (os.path.basename(photo), name, logit_diff, score_diff, iou))
            sys.stdout.flush()
    print("\nworst: logit diff %.2e, score diff %.2e, mask IoU %.5f" % worst)


if __name__ == "__main__":
    main()
