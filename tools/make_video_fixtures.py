#!/usr/bin/env python3
"""Parity fixtures for video tracking, made with the official SAM2VideoPredictor.

Builds a tiny random-weight SAM 2.1 model the way make_sam2_fixtures.py does (every parameter
perturbed), with video modules that can run: a mask downsampler that reaches the backbone's
stride 16 (two 4x4 / 4 steps) and two memory attention layers. The image fixtures' model keeps
its smaller, unrunnable video modules. The clip is 10 frames of a crop moving across a photograph, saved as
JPEG for the reference's loader; what PIL decoded from them is kept as .npy, so that the engine
is compared on the same pixels.

One inference state, the steps a user takes (each one's outputs recorded):
  1. object 1: a foreground click on frame 0      (add_new_points_or_box)
  2. object 2: a box on frame 0                   (add_new_points_or_box)
  3. propagate forward from the first prompted frame
  4. object 1: a correction on frame 6, two clicks added to none (clear_old_points=False)
  5. propagate forward from frame 6
  6. object 3: a mask on frame 8 (a rectangle)    (add_new_mask, after tracking started)
  7. object 4: an empty mask on frame 8 (an object absent from its frame)
  8. propagate backward from frame 8

Backward propagation starts at frame 8, not 9: from the last frame, objects 1 and 2 would have
no object pointer to attend to (their conditioning frames lie behind, in the other direction),
and the reference then feeds bfloat16 memories alone into float32 layers, which fails on the
CPU ("mat1 and mat2 must have the same dtype"); on CUDA, autocast hides it.

The predictor is built as build_sam2_video_predictor builds it, with two options set:
add_all_frames_to_correct_as_cond=True (a corrected frame becomes a conditioning frame, as
samterm runs it: with the default False, propagation recomputes a corrected frame without its
clicks) and non_overlap_masks=True (the video-resolution outputs keep one object per pixel).
Without the CUDA extension sam2._C, fill_holes_in_mask_scores falls back to the masks as they
are: this script checks that it did (the CPU path samterm follows).

Output (Tests/Fixtures/video/):
  tiny_video_sam2.1.pt            the model, official checkpoint format
  frames/<i>.jpg, frame_<i>.npy   the clip (RGB uint8 H x W x 3, as PIL decoded the JPEGs)
  mask_object3.npy                uint8 [H, W], the mask prompt of step 6
  steps.json                      the steps, and per step the events in order
  <event>_lowres.npy              float32 [n, k, k]: pred_masks of each object the step ran
                                  (steps.json: "ran", in order), sampled at rows/cols start::step
  <event>_video.npy               uint8 [objects, H, W]: the masks returned at video size, bit 0
                                  inside, bit 1 "undecided": the pixel's video logit (before the
                                  overlap rule) lies within UNDECIDED of 0, or the two highest
                                  objects' logits (both above -UNDECIDED) lie within UNDECIDED of
                                  each other, so a logit
                                  difference inside the parity tolerance may flip it
  <event>_scores.npy              float32 [n]: object_score_logits of the objects the step ran

Usage: /tmp/ref/bin/python tools/make_video_fixtures.py [--version 2.0|2.1] [output_dir]
  2.1 (the default) writes Tests/Fixtures/video; 2.0 (the sam2/ configs: no no_obj_embed_spatial,
  object pointers without projected temporal encodings) writes Tests/Fixtures/video-sam2.0 with
  tiny_video_sam2.pt, the same clip and steps.
"""
import json
import os
import sys
import warnings

import numpy as np
import torch
from PIL import Image

import sam2  # noqa: F401  (initialises hydra's config module)
from hydra import compose
from hydra.utils import instantiate
from omegaconf import OmegaConf
from sam2.build_sam import build_sam2_video_predictor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_sam2_fixtures import CONFIG, TINY_OVERRIDES, check_perturbed, perturbed_state_dict  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures")
FRAMES = 10
WIDTH, HEIGHT = 80, 60
SAMPLE_START, SAMPLE_STEP = 1, 5
SEED = 20261204
UNDECIDED = 1e-3  # the low-res logits tolerance of the parity test
OBJECT_SCORE_GAIN, OBJECT_SCORE_BIAS = 40.0, -1.0
# SAM 2.0's draw of the random weights puts the scores about 10 lower: shifted back, so that
# objects are present (about +1) and the empty mask's object is not, as in the 2.1 fixture.
OBJECT_SCORE_BIAS_2_0 = 9.3
# The engine's test preset sam2.1_test_tiny says the same (its video sizes).
VIDEO_OVERRIDES = [o for o in TINY_OVERRIDES
                   if not o.startswith(("model.memory_attention.num_layers",
                                        "++model.memory_encoder.mask_downsampler.total_stride"))] + [
    "model.memory_attention.num_layers=2",
    "++model.memory_encoder.mask_downsampler.total_stride=16",
]


def make_clip(out_dir):
    import skimage  # only for the location of its sample photos

    photo = np.asarray(Image.open(os.path.join(os.path.dirname(skimage.__file__), "data",
                                               "astronaut.png")).convert("RGB"))
    frames_dir = os.path.join(out_dir, "frames")
    os.makedirs(frames_dir, exist_ok=True)
    frames = []
    for i in range(FRAMES):
        top, left = 140 + 2 * i, 150 + 4 * i  # the camera pans right and down
        crop = np.ascontiguousarray(photo[top:top + HEIGHT, left:left + WIDTH])
        path = os.path.join(frames_dir, f"{i}.jpg")
        Image.fromarray(crop).save(path, quality=92)
        decoded = np.array(Image.open(path).convert("RGB"))
        np.save(os.path.join(out_dir, f"frame_{i}.npy"), decoded)
        frames.append(decoded)
    return frames_dir


class Recorder:
    """Every _run_single_frame_inference call: frame, object index, its compact output."""

    def __init__(self, predictor):
        self.calls = []
        original = predictor._run_single_frame_inference

        def wrapped(*args, **kwargs):
            compact, masks = original(*args, **kwargs)
            state = kwargs["inference_state"]
            index = next(i for i, d in state["output_dict_per_obj"].items() if d is kwargs["output_dict"])
            compact["object_id"] = state["obj_idx_to_id"][index]
            self.calls.append(compact)
            return compact, masks

        predictor._run_single_frame_inference = wrapped

        self.before_overlap_rule = None
        rule = predictor._apply_non_overlapping_constraints

        def kept(masks):
            self.before_overlap_rule = masks.clone()
            return rule(masks)

        predictor._apply_non_overlapping_constraints = kept

    def take(self):
        calls, self.calls = self.calls, []
        return calls


def video_masks(video_logits, before_overlap_rule):
    """Bit 0: inside; bit 1: undecided within the logit tolerance (see the module text)."""
    masks = (video_logits[:, 0] > 0).numpy().astype(np.uint8)
    logits = before_overlap_rule[:, 0] if before_overlap_rule is not None else video_logits[:, 0]
    undecided = (logits.abs() < UNDECIDED).numpy()
    if logits.shape[0] > 1:
        top = logits.topk(2, dim=0).values
        undecided |= (((top[0] - top[1]) < UNDECIDED) & (top[1] > -UNDECIDED)).numpy()[None]
    return masks | (undecided.astype(np.uint8) << 1)


def main():
    args = sys.argv[1:]
    version = "2.1"
    if args[:1] == ["--version"]:
        version, args = args[1], args[2:]
    assert version in ("2.0", "2.1"), f"--version {version}: 2.0 or 2.1"
    config = CONFIG if version == "2.1" else CONFIG.replace("sam2.1/sam2.1_", "sam2/sam2_")
    model_name = "tiny_video_sam2.1.pt" if version == "2.1" else "tiny_video_sam2.pt"
    out_dir = args[0] if args else os.path.join(FIXTURES, "video" if version == "2.1" else "video-sam2.0")
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(SEED)
    generator = torch.Generator().manual_seed(SEED)
    cfg = compose(config_name=config, overrides=VIDEO_OVERRIDES)
    OmegaConf.resolve(cfg)
    state_dict = perturbed_state_dict(instantiate(cfg.model, _recursive_=True), generator)
    # The object score head's logits, like the mask heads', need a trained model's scale (about
    # +-1 rather than +-0.1); object 4's empty mask makes an object absent.
    state_dict["sam_mask_decoder.pred_obj_score_head.layers.2.weight"] *= OBJECT_SCORE_GAIN
    state_dict["sam_mask_decoder.pred_obj_score_head.layers.2.bias"] += (
        OBJECT_SCORE_BIAS if version == "2.1" else OBJECT_SCORE_BIAS_2_0)
    check_perturbed(state_dict)
    model_path = os.path.join(out_dir, model_name)
    torch.save({"model": state_dict}, model_path)
    predictor = build_sam2_video_predictor(
        config, model_path, device="cpu",
        hydra_overrides_extra=VIDEO_OVERRIDES + ["++model.add_all_frames_to_correct_as_cond=true",
                                                "++model.non_overlap_masks=true"])
    assert predictor.fill_hole_area == 8 and predictor.binarize_mask_from_pts_for_mem_enc
    recorder = Recorder(predictor)
    frames_dir = make_clip(out_dir)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        state = predictor.init_state(frames_dir)
        steps, events = [], []

        def record(step, frame, obj_ids, video_logits):
            calls = recorder.take()
            name = f"e{len(events):02d}"
            lowres = [c["pred_masks"][0, 0, SAMPLE_START::SAMPLE_STEP, SAMPLE_START::SAMPLE_STEP]
                      for c in calls]
            np.save(os.path.join(out_dir, f"{name}_lowres.npy"),
                    np.stack([t.float().numpy() for t in lowres]) if lowres
                    else np.zeros((0, 0, 0), np.float32))
            np.save(os.path.join(out_dir, f"{name}_video.npy"),
                    video_masks(video_logits, recorder.before_overlap_rule))
            scores = [float(c["object_score_logits"].flatten()[0]) for c in calls]
            np.save(os.path.join(out_dir, f"{name}_scores.npy"), np.array(scores, np.float32))
            events.append({"name": name, "step": step, "frame": int(frame),
                           "objects": [int(o) for o in obj_ids],
                           "ran": [int(c["object_id"]) for c in calls]})
            print(f"{name} step {step} frame {frame} objects {list(obj_ids)} ran {len(calls)} "
                  f"scores {np.round(scores, 3)} areas "
                  f"{[int((video_logits[i] > 0).sum()) for i in range(video_logits.shape[0])]}")

        def prompt(step, **kwargs):
            steps.append({"kind": "points_or_box", **kwargs})
            frame, ids, logits = predictor.add_new_points_or_box(state, **kwargs)
            record(len(steps) - 1, frame, ids, logits)

        def propagate(**kwargs):
            steps.append({"kind": "propagate", **kwargs})
            for frame, ids, logits in predictor.propagate_in_video(state, **kwargs):
                record(len(steps) - 1, frame, ids, logits)

        prompt(0, frame_idx=0, obj_id=1, points=[[30.0, 24.0]], labels=[1])
        prompt(1, frame_idx=0, obj_id=2, box=[44.0, 6.0, 76.0, 40.0])
        propagate()
        prompt(3, frame_idx=6, obj_id=1, points=[[24.0, 30.0], [50.0, 10.0]], labels=[1, 0],
               clear_old_points=False)
        propagate(start_frame_idx=6)
        mask = np.zeros((HEIGHT, WIDTH), np.uint8)
        mask[34:56, 8:30] = 1
        np.save(os.path.join(out_dir, "mask_object3.npy"), mask)
        steps.append({"kind": "mask", "frame_idx": 8, "obj_id": 3, "mask": "mask_object3.npy"})
        frame, ids, logits = predictor.add_new_mask(state, frame_idx=8, obj_id=3, mask=mask.astype(bool))
        record(len(steps) - 1, frame, ids, logits)
        steps.append({"kind": "mask", "frame_idx": 8, "obj_id": 4, "mask": "empty"})
        frame, ids, logits = predictor.add_new_mask(state, frame_idx=8, obj_id=4,
                                                    mask=np.zeros((HEIGHT, WIDTH), bool))
        record(len(steps) - 1, frame, ids, logits)
        propagate(start_frame_idx=8, reverse=True)

    fallbacks = [w for w in caught if "Skipping the post-processing" in str(w.message)]
    assert fallbacks, "expected the reference to skip hole filling without sam2._C"
    all_scores = np.concatenate([np.load(os.path.join(out_dir, f"{e['name']}_scores.npy"))
                                 for e in events])
    print(f"object scores: {int((all_scores > 0).sum())} positive, "
          f"{int((all_scores <= 0).sum())} not")
    with open(os.path.join(out_dir, "steps.json"), "w") as f:
        json.dump({"model": model_name, "frames": FRAMES, "width": WIDTH,
                   "height": HEIGHT, "low_res_size": 256,
                   "logits_sample": {"start": SAMPLE_START, "step": SAMPLE_STEP},
                   "options": {"add_all_frames_to_correct_as_cond": True,
                               "non_overlap_masks": True},
                   "steps": steps, "events": events}, f, indent=1)
    total = sum(os.path.getsize(os.path.join(out_dir, n)) for n in os.listdir(out_dir)
                if os.path.isfile(os.path.join(out_dir, n)))
    print(f"fixtures {total} bytes in {out_dir}")


if __name__ == "__main__":
    main()
