#!/usr/bin/env python3
"""Parity fixtures for the SAM 1 engine, made with the official `segment-anything` package.

Builds a tiny SAM 1-architecture model with the official classes, the way build_sam.py builds
ViT-B/L/H but with small sizes (a ViT of embed 16, 2 heads, three blocks of which the middle
one is global and the others windowed (14) with relative positions; a 16-channel neck and
prompt embedding; the mask decoder with build_sam.py's transformer and head sizes), perturbs
every parameter so that no bias is zero and no norm weight is one, saves it the official way
(a bare state_dict through torch.save), reloads it into a fresh model and runs the official
SamPredictor on three images for a set of prompt cases.

Output (Tests/Fixtures/sam1/):
  tiny_sam1.pth              the model, official checkpoint format
  image_<name>.npy           the test images (RGB uint8, H x W x 3): two small crops of a photo,
                             which the predictor enlarges, and a long strip, which it shrinks
  cases.json                 every prompt case and what the reference did with it
  <case>_masks.npy           uint8 [C, H, W] at the original image size
  <case>_scores.npy          float32 [C]
  <case>_logits_sample.npy   float32 [C, n, n]: the low-res logits at rows/cols start::step
  refine_mask_input.npy      uint8 [1, 256, 256]: a mask input, as logits (value - 128) / 16
  resized_<case>_<W>x<H>.npy uint8 [H, W]: a case's best mask postprocessed to another size

The full low-res logits are 256 KB per candidate, so only a strided sample (step 7, which visits
every phase of the decoder's 4x upscaling) is kept per case. The refinement case feeds back the
best low-res logits of an earlier case, quantised to sixteenths in [-8, 7.9375] so that they fit
in one byte each and both sides see exactly the same input.

Usage: /tmp/ref/bin/python tools/make_sam1_fixtures.py [output_dir]
"""
import json
import os
import sys
from functools import partial

import numpy as np
import torch
from PIL import Image

from segment_anything import SamPredictor
from segment_anything.modeling import ImageEncoderViT, MaskDecoder, PromptEncoder, Sam, TwoWayTransformer

# The first seed under which every case gives masks that are neither empty nor full.
SEED = 6
# Sizes of the tiny model; the engine's test-only preset ("sam_test_tiny") must say the same.
EMBED_DIM = 8
DEPTH = 3
NUM_HEADS = 2
GLOBAL_ATTN_INDEXES = (1,)
WINDOW_SIZE = 14
PROMPT_EMBED_DIM = 16  # neck channels = prompt embedding channels; a multiple of 8
# Fixed by build_sam.py for every SAM 1 model (the engine's builder uses them too).
IMAGE_SIZE = 1024
PATCH_SIZE = 16
SAMPLE_START, SAMPLE_STEP = 1, 7
MASK_INPUT_SCALE, MASK_INPUT_ZERO = 16.0, 128
# (case, width, height): best masks also kept at other output sizes.
RESIZED_OUTPUTS = [("point_multimask", 32, 24), ("point_multimask", 100, 75), ("box_single_mask", 25, 35)]
# Freshly initialised heads give logits of about +-0.1, scores of about 0.5 and masks that
# ignore the image. These gains give the mask and IoU logits the spread of a trained model.
HEAD_GAINS = {
    "mask_decoder.output_hypernetworks_mlps.0.layers.2.": 40.0,
    "mask_decoder.output_hypernetworks_mlps.1.layers.2.": 40.0,
    "mask_decoder.output_hypernetworks_mlps.2.layers.2.": 40.0,
    "mask_decoder.output_hypernetworks_mlps.3.layers.2.": 40.0,
    "mask_decoder.iou_prediction_head.layers.2.": 10.0,
}


def build_tiny_sam():
    """build_sam.py's _build_sam with the tiny encoder and prompt widths."""
    grid = IMAGE_SIZE // PATCH_SIZE
    sam = Sam(
        image_encoder=ImageEncoderViT(
            depth=DEPTH,
            embed_dim=EMBED_DIM,
            img_size=IMAGE_SIZE,
            mlp_ratio=4,
            norm_layer=partial(torch.nn.LayerNorm, eps=1e-6),
            num_heads=NUM_HEADS,
            patch_size=PATCH_SIZE,
            qkv_bias=True,
            use_rel_pos=True,
            global_attn_indexes=GLOBAL_ATTN_INDEXES,
            window_size=WINDOW_SIZE,
            out_chans=PROMPT_EMBED_DIM,
        ),
        prompt_encoder=PromptEncoder(
            embed_dim=PROMPT_EMBED_DIM,
            image_embedding_size=(grid, grid),
            input_image_size=(IMAGE_SIZE, IMAGE_SIZE),
            mask_in_chans=16,
        ),
        mask_decoder=MaskDecoder(
            num_multimask_outputs=3,
            transformer=TwoWayTransformer(depth=2, embedding_dim=PROMPT_EMBED_DIM, mlp_dim=2048, num_heads=8),
            transformer_dim=PROMPT_EMBED_DIM,
            iou_head_depth=3,
            iou_head_hidden_dim=256,
        ),
        pixel_mean=[123.675, 116.28, 103.53],
        pixel_std=[58.395, 57.12, 57.375],
    )
    return sam.eval()


def perturbed_state_dict(model, generator):
    """Every float tensor moved off its initial value, relative to its own scale."""
    state = {}
    for name, tensor in model.state_dict().items():
        tensor = tensor.detach().clone().float()
        scale = float(tensor.abs().mean()) if tensor.numel() else 0.0
        noise = torch.randn(tensor.shape, generator=generator)
        if scale == 0.0:
            tensor = tensor + 0.1 * noise  # zero-initialised (biases, embeddings, rel_pos)
        else:
            tensor = tensor + 0.3 * scale * noise
        for prefix, gain in HEAD_GAINS.items():
            if name.startswith(prefix):
                tensor = tensor * gain
        state[name] = tensor.contiguous()
    return state


def check_perturbed(state):
    for name, tensor in state.items():
        if name.endswith("bias") or "rel_pos" in name or name.endswith("pos_embed"):
            assert bool((tensor != 0).all()), f"{name} has a zero entry"
        if ("norm" in name or "neck.1" in name or "neck.3" in name) and name.endswith("weight"):
            assert bool((tensor != 1).all()), f"{name} has a one entry"


def load_images(out_dir):
    import skimage  # only for the location of its sample photos

    photo_path = os.path.join(os.path.dirname(skimage.__file__), "data", "astronaut.png")
    photo = Image.open(photo_path).convert("RGB")
    pixels = np.asarray(photo)
    crops = {
        # name: (top, left, height, width); ResizeLongestSide enlarges these 16x and 18.3x
        "wide": (150, 170, 48, 64),  # the astronaut's face: 64 x 48
        "tall": (300, 300, 56, 40),  # suit and flag: 40 x 56
    }
    images = {}
    for name, (top, left, height, width) in crops.items():
        images[name] = np.ascontiguousarray(pixels[top:top + height, left:left + width])
    # A band across the photo stretched to 1100 x 12, which ResizeLongestSide shrinks to
    # 1024 x 11 (PIL's widened filter).
    band = photo.crop((0, 180, 512, 300)).resize((1100, 12), Image.BICUBIC)
    images["strip"] = np.ascontiguousarray(np.asarray(band))
    for name, image in images.items():
        np.save(os.path.join(out_dir, f"image_{name}.npy"), image)
    return images


def quantised_mask_input(logits):
    """[1, 256, 256] float logits -> (uint8 codes, the float logits they stand for)."""
    codes = np.clip(np.round(logits * MASK_INPUT_SCALE) + MASK_INPUT_ZERO, 0, 255).astype(np.uint8)
    return codes, ((codes.astype(np.float32) - MASK_INPUT_ZERO) / MASK_INPUT_SCALE)


def main():
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(repo, "Tests", "Fixtures", "sam1")
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(SEED)
    generator = torch.Generator().manual_seed(SEED)

    state = perturbed_state_dict(build_tiny_sam(), generator)
    check_perturbed(state)
    model_path = os.path.join(out_dir, "tiny_sam1.pth")
    torch.save(state, model_path)

    # The reference, loaded back from the file the way build_sam.py loads official checkpoints.
    model = build_tiny_sam()
    with open(model_path, "rb") as f:
        model.load_state_dict(torch.load(f))
    predictor = SamPredictor(model)
    images = load_images(out_dir)

    # (case, image, prompt); "mask_input_from" names an earlier case whose best low-res
    # logits are fed back (quantised, see above).
    cases = [
        ("point_multimask", "wide", {"points": [[30, 20]], "labels": [1], "multimask": True}),
        ("points_positive_negative", "wide",
         {"points": [[30, 20], [40, 28], [22, 30], [5, 5], [60, 44]], "labels": [1, 1, 1, 0, 0],
          "multimask": False}),
        ("box_multimask", "wide", {"box": [12, 8, 50, 40], "multimask": True}),
        ("box_and_points", "wide",
         {"box": [12, 8, 50, 40], "points": [[30, 22], [14, 38]], "labels": [1, 0],
          "multimask": False}),
        ("mask_input_refinement", "wide",
         {"points": [[30, 20], [44, 12]], "labels": [1, 0], "multimask": False,
          "mask_input_from": "point_multimask"}),
        ("mask_input_only", "wide",
         {"multimask": True, "mask_input_from": "point_multimask"}),
        ("point_single_mask", "wide", {"points": [[18, 34]], "labels": [1], "multimask": False}),
        ("point_near_border", "tall", {"points": [[0.5, 55.25]], "labels": [1], "multimask": True}),
        ("box_single_mask", "tall", {"box": [4, 10, 36, 50], "multimask": False}),
        ("padding_label_point", "tall",
         {"points": [[20, 28], [9, 9]], "labels": [1, -1], "multimask": True}),
        ("strip_point_multimask", "strip", {"points": [[520, 6]], "labels": [1], "multimask": True}),
        ("strip_box_and_point", "strip",
         {"box": [220, 1, 880, 10], "points": [[1060, 3]], "labels": [0], "multimask": False}),
    ]

    records = []
    best_logits = {}
    mask_inputs = {}
    current = None
    for case, image_name, prompt in cases:
        if current != image_name:
            predictor.set_image(images[image_name])
            current = image_name
        mask_input = None
        if "mask_input_from" in prompt:
            source = prompt["mask_input_from"]
            if source not in mask_inputs:
                codes, mask_inputs[source] = quantised_mask_input(best_logits[source])
                np.save(os.path.join(out_dir, "refine_mask_input.npy"), codes)
            mask_input = mask_inputs[source]
        masks, scores, logits = predictor.predict(
            point_coords=np.array(prompt["points"], np.float32) if "points" in prompt else None,
            point_labels=np.array(prompt["labels"], np.int32) if "labels" in prompt else None,
            box=np.array(prompt["box"], np.float32) if "box" in prompt else None,
            mask_input=mask_input,
            multimask_output=prompt["multimask"],
        )
        best = int(np.argmax(scores))
        best_logits[case] = logits[best:best + 1]
        sample = logits[:, SAMPLE_START::SAMPLE_STEP, SAMPLE_START::SAMPLE_STEP]
        np.save(os.path.join(out_dir, f"{case}_masks.npy"), masks.astype(np.uint8))
        np.save(os.path.join(out_dir, f"{case}_scores.npy"), scores.astype(np.float32))
        np.save(os.path.join(out_dir, f"{case}_logits_sample.npy"),
                np.ascontiguousarray(sample.astype(np.float32)))
        record = {"name": case, "image": image_name, **prompt,
                  "input_size": list(predictor.input_size),
                  "candidates": int(masks.shape[0]), "best": best,
                  "mask_area": [int(m.sum()) for m in masks],
                  "logit_range": [float(logits.min()), float(logits.max())]}
        if "mask_input_from" in prompt:
            record["mask_input"] = "refine_mask_input.npy"
        records.append(record)
        print(f"{case:26s} scores {np.round(scores, 4)} areas {record['mask_area']} "
              f"logits [{logits.min():.1f}, {logits.max():.1f}]")

    # The best mask of a case at sizes other than the image's: postprocess_masks with another
    # original_size, which is what the engine's output size option stands for.
    resized = []
    for case, width, height in RESIZED_OUTPUTS:
        record = next(r for r in records if r["name"] == case)
        predictor.set_image(images[record["image"]])
        low_res = torch.from_numpy(best_logits[case])[None]
        with torch.no_grad():
            mask = model.postprocess_masks(low_res, predictor.input_size, (height, width)) > model.mask_threshold
        file = f"resized_{case}_{width}x{height}.npy"
        np.save(os.path.join(out_dir, file), mask[0, 0].numpy().astype(np.uint8))
        resized.append({"case": case, "width": width, "height": height, "mask": file})

    for record in records:
        image = images[record["image"]]
        pixels = image.shape[0] * image.shape[1]
        assert all(0 < area < pixels for area in record["mask_area"]), \
            f"{record['name']}: a mask is empty or full, which would test little: {record['mask_area']}"

    with open(os.path.join(out_dir, "cases.json"), "w") as f:
        json.dump({"model": "tiny_sam1.pth", "low_res_size": 256,
                   "logits_sample": {"start": SAMPLE_START, "step": SAMPLE_STEP},
                   "mask_input_encoding": {"zero": MASK_INPUT_ZERO, "scale": MASK_INPUT_SCALE},
                   "cases": records, "resized_outputs": resized}, f, indent=1)
    total = sum(os.path.getsize(os.path.join(out_dir, n)) for n in os.listdir(out_dir))
    print(f"model {os.path.getsize(model_path)} bytes; fixtures {total} bytes in {out_dir}")


if __name__ == "__main__":
    main()
