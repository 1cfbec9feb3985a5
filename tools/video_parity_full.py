#!/usr/bin/env python3
"""Full-size video parity, for developers (not in `make test`: minutes of CPU): the official
SAM2VideoPredictor and `samterm track` on the same random-weight hiera model (every parameter
perturbed, as tools/bench_reference.py makes it) and the same clip of 1024x768 frames (the image
sliding sideways), object 1 a click and object 2 a box on frame 0, forward propagation with one
object per pixel (non_overlap_masks, as samterm tracks). Prints, per frame and object, the IoU
of the masks, the pixels that differ and how many of those the reference itself holds within
0.01 of its decision (its logit near 0, or the two objects' logits near each other), and the
worst figures; the object scores are not in samterm's files and are compared by the fixture
tests instead.

    /tmp/ref/bin/python tools/video_parity_full.py --frames 12 [--samterm .build/release/samterm]
        [--model sam2.1_hiera_t] [--checkpoint PATH]   (made and kept at PATH when missing)
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_reference import SAM2_CONFIGS, random_sam2_checkpoint, sliding_frames  # noqa: E402

CLICK = [512.0, 384.0]
BOX = [100.0, 100.0, 300.0, 300.0]
NEAR = 0.01


def reference_masks(model, checkpoint, frames):
    """frame -> (masks [2, H, W] bool, near [2, H, W] bool: within NEAR of flipping)."""
    from sam2.build_sam import build_sam2_video_predictor
    predictor = build_sam2_video_predictor(SAM2_CONFIGS[model], checkpoint, device="cpu",
                                           hydra_overrides_extra=["++model.add_all_frames_to_correct_as_cond=true",
                                                                  "++model.non_overlap_masks=true"])
    kept = {}
    rule = predictor._apply_non_overlapping_constraints

    def remember(masks):
        kept["before"] = masks.clone()
        return rule(masks)

    predictor._apply_non_overlapping_constraints = remember
    out = {}
    with torch.inference_mode():
        state = predictor.init_state(frames)
        predictor.add_new_points_or_box(state, frame_idx=0, obj_id=1, points=[CLICK], labels=[1])
        predictor.add_new_points_or_box(state, frame_idx=0, obj_id=2, box=BOX)
        for frame, ids, logits in predictor.propagate_in_video(state, start_frame_idx=0):
            assert list(ids) == [1, 2]
            before = kept["before"][:, 0]
            near = before.abs() < NEAR
            top = before.topk(2, dim=0).values
            near |= ((top[0] - top[1]) < NEAR)[None] & (top[1] > -NEAR)[None]
            out[frame] = ((logits[:, 0] > 0).numpy(), near.numpy())
    return out


def samterm_masks(binary, model, checkpoint, frames, count):
    folder = tempfile.mkdtemp(prefix="samterm-video-parity-")
    prompts = os.path.join(folder, "prompts.json")
    with open(prompts, "w") as f:
        json.dump([{"frame": 0, "object": 1, "points": [CLICK], "labels": [1]},
                   {"frame": 0, "object": 2, "box": BOX}], f)
    out = os.path.join(folder, "out")
    started = time.perf_counter()
    subprocess.run([binary, "track", frames, "--prompts", prompts, "--out", out, "--format", "png",
                    "--checkpoint", checkpoint, "--model", model], check=True)
    print(f"samterm track: {time.perf_counter() - started:.1f} s")
    masks = {}
    for obj in (1, 2):
        names = sorted(os.listdir(os.path.join(out, str(obj))), key=lambda n: int(os.path.splitext(n)[0]))
        assert len(names) == count, f"object {obj}: {len(names)} frames written, expected {count}"
        for name in names:
            frame = int(os.path.splitext(name)[0])
            masks.setdefault(frame, []).append(np.array(Image.open(os.path.join(out, str(obj), name))) > 0)
    return {frame: np.stack(pair) for frame, pair in masks.items()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=12)
    parser.add_argument("--model", default="sam2.1_hiera_t")
    parser.add_argument("--checkpoint", default="/tmp/samterm-video-parity-hiera.pt")
    parser.add_argument("--samterm", default=".build/release/samterm")
    parser.add_argument("--image", default="Resources/samples/astronaut.jpg")
    args = parser.parse_args()
    if not os.path.exists(args.checkpoint):
        random_sam2_checkpoint(args.model, args.checkpoint)
    frames = sliding_frames(args.image, 1024, 768, args.frames, tempfile.mkdtemp(prefix="samterm-video-parity-frames-"))
    started = time.perf_counter()
    reference = reference_masks(args.model, args.checkpoint, frames)
    print(f"reference: {time.perf_counter() - started:.1f} s")
    ours = samterm_masks(args.samterm, args.model, args.checkpoint, frames, args.frames)
    worst_iou, worst_far, total_near = 1.0, 0, 0
    for frame in range(args.frames):
        masks, near = reference[frame]
        for obj in range(2):
            a, b = ours[frame][obj], masks[obj]
            union = int((a | b).sum())
            iou = 1.0 if union == 0 else int((a & b).sum()) / union
            differ = a != b
            far = int((differ & ~near[obj]).sum())
            worst_iou, worst_far = min(worst_iou, iou), max(worst_far, far)
            total_near += int(near[obj].sum())
            print(f"frame {frame:3d} object {obj + 1}: area {int(b.sum()):7d}  IoU {iou:.6f}  "
                  f"{int(differ.sum())} pixels differ, {far} of them decided")
    print(f"worst IoU {worst_iou:.6f}; at most {worst_far} decided pixels differ in a mask; "
          f"{total_near} pixels within {NEAR} of flipping in the reference")


if __name__ == "__main__":
    main()
