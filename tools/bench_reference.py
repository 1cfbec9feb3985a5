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

--video N times SAM2VideoPredictor's forward propagation over N frames of the image sliding
sideways (8 pixels a frame), for one object and for three (boxes on frame 0), as
`samterm bench --video N` does; keys video_fps_1, video_fps_3 (frames after the prompted one, per
second), init_state_ms (loading the JPEG frames) and peak_rss_mb. Without --checkpoint the random
model is saved with --save-checkpoint PATH, so that samterm is timed on the same file:
    /tmp/ref/bin/python tools/bench_reference.py --video 12 --save-checkpoint /tmp/hiera_t_random.pt
    .build/release/samterm bench --video 12 --checkpoint /tmp/hiera_t_random.pt
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


VIDEO_BOXES = [[384, 256, 640, 512], [100, 100, 300, 300], [700, 400, 950, 700]]


def random_sam2_checkpoint(model_name, path):
    """A SAM 2 model of the official code with every parameter perturbed (timing does not depend
    on the values; parity needs them all to matter), saved in the official format at `path`."""
    from sam2.build_sam import build_sam2
    model = build_sam2(SAM2_CONFIGS[model_name], ckpt_path=None, device="cpu")
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(0.02 * torch.randn(parameter.shape, generator=generator))
    torch.save({"model": model.state_dict()}, path)
    return path


def sliding_frames(image_path, width, height, count, folder):
    """`count` JPEG frames (0.jpg, 1.jpg, ...) of the image at width x height sliding sideways 8
    pixels a frame, as `samterm bench --video` makes them."""
    import os
    image = np.array(Image.open(image_path).convert("RGB").resize((width, height), Image.BILINEAR))
    for i in range(count):
        Image.fromarray(np.roll(image, -((8 * i) % width), axis=1)).save(os.path.join(folder, f"{i}.jpg"), quality=95)
    return folder


def time_video(args):
    import os
    import tempfile
    from sam2.build_sam import build_sam2_video_predictor
    checkpoint = args.checkpoint
    if checkpoint is None:
        checkpoint = random_sam2_checkpoint(
            args.model, args.save_checkpoint or os.path.join(tempfile.mkdtemp(), args.model + ".pt"))
    predictor = build_sam2_video_predictor(SAM2_CONFIGS[args.model], checkpoint, device="cpu")
    frames = sliding_frames(args.image, args.width, args.height, args.video,
                            tempfile.mkdtemp(prefix="samterm-bench-video-"))
    result = {"model": args.model, "implementation": "reference (torch %s)" % torch.__version__,
              "threads": torch.get_num_threads(), "frames": args.video, "checkpoint": checkpoint}
    with torch.inference_mode():
        for objects in (1, 3):
            started = time.perf_counter()
            state = predictor.init_state(frames)
            result["init_state_ms"] = round((time.perf_counter() - started) * 1000, 1)
            for obj in range(objects):
                predictor.add_new_points_or_box(state, frame_idx=0, obj_id=obj + 1, box=VIDEO_BOXES[obj])
            first = None
            for _ in predictor.propagate_in_video(state, start_frame_idx=0):
                if first is None:
                    first = time.perf_counter()
            ended = time.perf_counter()
            result[f"video_fps_{objects}"] = round((args.video - 1) / (ended - first), 3)
            del state
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(result, indent=2))


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
    parser.add_argument("--video", type=int, help="time video propagation over this many frames instead")
    parser.add_argument("--save-checkpoint", help="with --video and no --checkpoint: where the random model goes")
    args = parser.parse_args()
    if args.video:
        time_video(args)
        return

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
