#!/usr/bin/env python3
"""Times Meta's official predictor the way `samterm bench` times ours, for docs/performance.md.

Run with the reference venv (make fixtures explains it), on the same machine and in the same session
as `samterm bench`:
    /tmp/ref/bin/python tools/bench_reference.py --model sam2.1_hiera_t --image Resources/samples/astronaut.jpg
    /tmp/ref/bin/python tools/bench_reference.py --model sam_vit_b --checkpoint checkpoints/sam_vit_b_01ec64.pth
Without --checkpoint the model has random weights (timing does not depend on the values).
Prints one JSON object with the keys of `samterm bench --json`.

--auto times the official automatic mask generator with its defaults instead (SAM 2:
SAM2AutomaticMaskGenerator; SAM 1: SamAutomaticMaskGenerator), as `samterm auto --size WxH --json`
times ours; its keys: auto_generate_ms (set_image included, as the generator does it) and auto_masks.
"""
import argparse
import json
import resource
import statistics
import time

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


def summary(samples_ms):
    ordered = sorted(samples_ms)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return {"median": round(statistics.median(ordered), 2), "p90": round(p90, 2)}


def load_predictor(model, checkpoint):
    if model.startswith("sam_vit_"):
        from segment_anything import SamPredictor, sam_model_registry
        sam = sam_model_registry[model[len("sam_"):]](checkpoint=checkpoint)
        return SamPredictor(sam.eval())
    from sam2.build_sam import build_sam2
    from sam2.sam2_image_predictor import SAM2ImagePredictor
    return SAM2ImagePredictor(build_sam2(SAM2_CONFIGS[model], ckpt_path=checkpoint, device="cpu"))


def time_automatic_masks(predictor, image, model, load_ms):
    if model.startswith("sam_vit_"):
        from segment_anything import SamAutomaticMaskGenerator
        generator = SamAutomaticMaskGenerator(predictor.model)
    else:
        from sam2.automatic_mask_generator import SAM2AutomaticMaskGenerator
        generator = SAM2AutomaticMaskGenerator(predictor.model)
    with torch.inference_mode():
        started = time.perf_counter()
        masks = generator.generate(image)
        generate_ms = (time.perf_counter() - started) * 1000
    return {
        "model": model,
        "implementation": "reference (torch %s)" % torch.__version__,
        "threads": torch.get_num_threads(),
        "load_ms": round(load_ms, 1),
        "auto_generate_ms": round(generate_ms, 1),
        "auto_masks": len(masks),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="sam2.1_hiera_t")
    parser.add_argument("--checkpoint")
    parser.add_argument("--image", default="Resources/samples/astronaut.jpg")
    parser.add_argument("--width", type=int, default=1024)
    parser.add_argument("--height", type=int, default=768)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--clicks", type=int, default=20)
    parser.add_argument("--auto", action="store_true", help="time the automatic mask generator instead")
    args = parser.parse_args()

    image = np.array(Image.open(args.image).convert("RGB").resize((args.width, args.height), Image.BILINEAR))
    started = time.perf_counter()
    predictor = load_predictor(args.model, args.checkpoint)
    load_ms = (time.perf_counter() - started) * 1000

    if args.auto:
        print(json.dumps(time_automatic_masks(predictor, image, args.model, load_ms), indent=2))
        return

    point = np.array([[args.width * 0.5, args.height * 0.4]], dtype=np.float32)
    label = np.array([1], dtype=np.int32)
    set_image, predict = [], []
    with torch.inference_mode():
        for _ in range(args.runs):
            started = time.perf_counter()
            predictor.set_image(image)
            set_image.append((time.perf_counter() - started) * 1000)
        for _ in range(args.clicks):
            started = time.perf_counter()
            predictor.predict(point_coords=point, point_labels=label, multimask_output=True)
            predict.append((time.perf_counter() - started) * 1000)

    print(json.dumps({
        "model": args.model,
        "implementation": "reference (torch %s)" % torch.__version__,
        "threads": torch.get_num_threads(),
        "load_ms": round(load_ms, 1),
        "set_image_ms": summary(set_image),
        "predict_ms": summary(predict),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }, indent=2))


if __name__ == "__main__":
    main()
