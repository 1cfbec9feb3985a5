#!/usr/bin/env python3
"""Parity fixtures for the SAM 2 engine, made with the official `sam2` package.

Builds a tiny SAM 2.1-architecture model (the official config with small sizes: a Hiera with
q-pooling, windowed and global blocks and the windowed position embedding; a 16-channel neck;
the mask decoder exactly as SAM2Base builds it), perturbs every parameter so that no bias is
zero and no norm weight is one, saves it the official way (`torch.save({"model": state_dict})`),
reloads it through `build_sam2` and runs the official SAM2ImagePredictor on two small crops of
a real photo for a set of prompt cases.

Output (Tests/Fixtures/sam2/):
  tiny_sam2.1.pt             the model, official checkpoint format
  broken_checkpoint.pt       the same keys with one tensor missing and one wrongly shaped
  image_<name>.png / .npy    the test images (RGB uint8; .npy is H x W x 3)
  cases.json                 every prompt case and what the reference did with it
  <case>_masks.npy           uint8 [C, H, W] at the original image size
  <case>_scores.npy          float32 [C]
  <case>_logits_sample.npy   float32 [C, n, n]: the low-res logits at rows/cols start::step
  refine_mask_input.npy      float32 [1, 256, 256]: the full low-res logits fed back as mask input

The full low-res logits are 256 KB per candidate, so only a strided sample (step 5, which visits
every phase of the decoder's 4x upscaling) is kept per case; refine_mask_input.npy holds one full
map, which is also the best candidate of the case it came from.

Usage: /tmp/ref/bin/python tools/make_sam2_fixtures.py [output_dir]
"""
import json
import os
import sys

import numpy as np
import torch
from PIL import Image

import sam2  # noqa: F401  (initialises hydra's config module)
from hydra import compose
from hydra.utils import instantiate
from omegaconf import OmegaConf
from sam2.build_sam import build_sam2
from sam2.modeling.sam.mask_decoder import MaskDecoder
from sam2.sam2_image_predictor import SAM2ImagePredictor

CONFIG = "configs/sam2.1/sam2.1_hiera_t.yaml"
SEED = 20240917
D_MODEL = 16   # neck channels = prompt embedding channels; must be a multiple of 16
MEM_DIM = 8    # memory encoder output (video only, present in the state dict)
SAMPLE_START, SAMPLE_STEP = 1, 5
# Freshly initialised heads give logits of about +-0.1, scores of about 0.5 and masks that
# ignore the image. These gains give the mask logits and IoU logits the spread of a trained
# model, and let the high-res skip features shape the masks.
HEAD_GAINS = {
    "sam_mask_decoder.output_hypernetworks_mlps.0.layers.2.": 40.0,
    "sam_mask_decoder.output_hypernetworks_mlps.1.layers.2.": 40.0,
    "sam_mask_decoder.output_hypernetworks_mlps.2.layers.2.": 40.0,
    "sam_mask_decoder.output_hypernetworks_mlps.3.layers.2.": 40.0,
    "sam_mask_decoder.iou_prediction_head.layers.2.": 10.0,
    "sam_mask_decoder.conv_s0.": 4.0,
    "sam_mask_decoder.conv_s1.": 4.0,
}

# Sizes of the tiny model; the engine's test-only preset must say the same.
TINY_OVERRIDES = [
    "model.image_encoder.trunk.embed_dim=8",
    "model.image_encoder.trunk.num_heads=1",
    "model.image_encoder.trunk.stages=[1,2,2,1]",
    "model.image_encoder.trunk.global_att_blocks=[4]",
    "++model.image_encoder.trunk.window_spec=[8,4,14,7]",
    "model.image_encoder.trunk.window_pos_embed_bkg_spatial_size=[7,7]",
    f"model.image_encoder.neck.d_model={D_MODEL}",
    "model.image_encoder.neck.backbone_channel_list=[64,32,16,8]",
    f"model.image_encoder.neck.position_encoding.num_pos_feats={D_MODEL}",
    # Video-only modules, shrunk so that the file stays small.
    f"model.memory_attention.d_model={D_MODEL}",
    "model.memory_attention.num_layers=1",
    f"model.memory_attention.layer.d_model={D_MODEL}",
    "model.memory_attention.layer.dim_feedforward=32",
    f"model.memory_attention.layer.self_attention.embedding_dim={D_MODEL}",
    f"model.memory_attention.layer.cross_attention.embedding_dim={D_MODEL}",
    f"model.memory_attention.layer.cross_attention.kv_in_dim={MEM_DIM}",
    f"model.memory_encoder.out_dim={MEM_DIM}",
    f"++model.memory_encoder.in_dim={D_MODEL}",
    f"model.memory_encoder.position_encoding.num_pos_feats={MEM_DIM}",
    f"++model.memory_encoder.mask_downsampler.embed_dim={D_MODEL}",
    "++model.memory_encoder.mask_downsampler.kernel_size=4",
    "++model.memory_encoder.mask_downsampler.stride=4",
    "++model.memory_encoder.mask_downsampler.padding=0",
    "++model.memory_encoder.mask_downsampler.total_stride=4",
    f"model.memory_encoder.fuser.layer.dim={D_MODEL}",
    "model.memory_encoder.fuser.num_layers=1",
]


def perturbed_state_dict(model, generator):
    """Every float tensor moved off its initial value, relative to its own scale."""
    state = {}
    for name, tensor in model.state_dict().items():
        tensor = tensor.detach().clone().float()
        scale = float(tensor.abs().mean()) if tensor.numel() else 0.0
        noise = torch.randn(tensor.shape, generator=generator)
        if scale == 0.0:
            tensor = tensor + 0.1 * noise  # zero-initialised (biases, embeddings)
        else:
            tensor = tensor + 0.3 * scale * noise
        for prefix, gain in HEAD_GAINS.items():
            if name.startswith(prefix):
                tensor = tensor * gain
        state[name] = tensor.contiguous()
    return state


def check_perturbed(state):
    for name, tensor in state.items():
        if name.endswith("bias"):
            assert bool((tensor != 0).all()), f"{name} has a zero entry"
        if "norm" in name and name.endswith("weight"):
            assert bool((tensor != 1).all()), f"{name} has a one entry"


def broken_checkpoint(state, generator):
    """The model's keys with one tensor missing and one wrongly shaped. Every tensor is a view
    of one shared storage, so the file stays small."""
    largest = max(t.numel() for t in state.values())
    shared = torch.randn(largest, generator=generator)
    broken = {}
    for name, tensor in state.items():
        if name == "sam_mask_decoder.iou_token.weight":
            continue
        shape = list(tensor.shape)
        if name == "sam_prompt_encoder.no_mask_embed.weight":
            shape = [1, D_MODEL // 2]
        count = int(np.prod(shape)) if shape else 1
        broken[name] = shared[:count].view(shape)
    return broken


def load_images(out_dir):
    import skimage  # only for the location of its sample photos

    photo_path = os.path.join(os.path.dirname(skimage.__file__), "data", "astronaut.png")
    photo = np.asarray(Image.open(photo_path).convert("RGB"))
    crops = {
        # name: (top, left, height, width)
        "wide": (150, 170, 48, 64),  # the astronaut's face: 64 x 48
        "tall": (300, 300, 56, 40),  # suit and flag: 40 x 56
    }
    images = {}
    for name, (top, left, height, width) in crops.items():
        crop = np.ascontiguousarray(photo[top:top + height, left:left + width])
        Image.fromarray(crop).save(os.path.join(out_dir, f"image_{name}.png"))
        np.save(os.path.join(out_dir, f"image_{name}.npy"), crop)
        images[name] = crop
    return images


def record_stability_decisions(decoder):
    """Wraps the decoder's dynamic multimask selection to note whether it fell back to a
    multimask candidate (the single-mask token's output was unstable)."""
    decisions = []
    original = MaskDecoder._dynamic_multimask_via_stability

    def wrapped(all_mask_logits, all_iou_scores):
        stability = decoder._get_stability_scores(all_mask_logits[:, 0:1])
        decisions.append(bool((stability < decoder.dynamic_multimask_stability_thresh).any()))
        return original(decoder, all_mask_logits, all_iou_scores)

    decoder._dynamic_multimask_via_stability = wrapped
    return decisions


def main():
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(repo, "Tests", "Fixtures", "sam2")
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(SEED)
    generator = torch.Generator().manual_seed(SEED)

    cfg = compose(config_name=CONFIG, overrides=TINY_OVERRIDES)
    OmegaConf.resolve(cfg)
    state = perturbed_state_dict(instantiate(cfg.model, _recursive_=True), generator)
    check_perturbed(state)
    model_path = os.path.join(out_dir, "tiny_sam2.1.pt")
    torch.save({"model": state}, model_path)
    torch.save({"model": broken_checkpoint(state, generator)},
               os.path.join(out_dir, "broken_checkpoint.pt"))

    # The reference, loaded back from the file the way users load official checkpoints.
    model = build_sam2(CONFIG, model_path, device="cpu", hydra_overrides_extra=TINY_OVERRIDES)
    predictor = SAM2ImagePredictor(model)
    decisions = record_stability_decisions(model.sam_mask_decoder)
    images = load_images(out_dir)

    # (case, image, prompt); "mask_input_from" names an earlier case whose best low-res
    # logits are fed back.
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
        ("point_single_mask", "wide", {"points": [[18, 34]], "labels": [1], "multimask": False}),
        ("point_near_border", "tall", {"points": [[0.5, 55.25]], "labels": [1], "multimask": True}),
        ("box_single_mask", "tall", {"box": [4, 10, 36, 50], "multimask": False}),
        ("point_single_mask_tall", "tall", {"points": [[20, 28]], "labels": [1], "multimask": False}),
        ("padding_label_point", "tall",
         {"points": [[20, 28], [9, 9]], "labels": [1, -1], "multimask": True}),
    ]

    records = []
    best_logits = {}
    current = None
    for case, image_name, prompt in cases:
        if current != image_name:
            predictor.set_image(images[image_name])
            current = image_name
        mask_input = None
        if "mask_input_from" in prompt:
            mask_input = best_logits[prompt["mask_input_from"]]
            np.save(os.path.join(out_dir, "refine_mask_input.npy"), mask_input.astype(np.float32))
        before = len(decisions)
        masks, scores, logits = predictor.predict(
            point_coords=np.array(prompt["points"], np.float32) if "points" in prompt else None,
            point_labels=np.array(prompt["labels"], np.int32) if "labels" in prompt else None,
            box=np.array(prompt["box"], np.float32) if "box" in prompt else None,
            mask_input=mask_input,
            multimask_output=prompt["multimask"],
        )
        fell_back = decisions[before] if len(decisions) > before else None
        best = int(np.argmax(scores))
        best_logits[case] = logits[best:best + 1]
        sample = logits[:, SAMPLE_START::SAMPLE_STEP, SAMPLE_START::SAMPLE_STEP]
        np.save(os.path.join(out_dir, f"{case}_masks.npy"), masks.astype(np.uint8))
        np.save(os.path.join(out_dir, f"{case}_scores.npy"), scores.astype(np.float32))
        np.save(os.path.join(out_dir, f"{case}_logits_sample.npy"),
                np.ascontiguousarray(sample.astype(np.float32)))
        record = {"name": case, "image": image_name, **prompt,
                  "candidates": int(masks.shape[0]), "best": best,
                  "single_mask_fell_back_to_multimask": fell_back,
                  "mask_area": [int(m.sum()) for m in masks]}
        if "mask_input_from" in prompt:
            record["mask_input"] = "refine_mask_input.npy"
        records.append(record)
        print(f"{case:28s} scores {np.round(scores, 4)} areas {record['mask_area']} "
              f"fallback {fell_back}")

    fallbacks = [r["single_mask_fell_back_to_multimask"] for r in records if not r["multimask"]]
    assert True in fallbacks and False in fallbacks, \
        f"single-mask cases should exercise both sides of the stability fallback: {fallbacks}"

    with open(os.path.join(out_dir, "cases.json"), "w") as f:
        json.dump({"model": "tiny_sam2.1.pt", "low_res_size": 256,
                   "logits_sample": {"start": SAMPLE_START, "step": SAMPLE_STEP},
                   "cases": records}, f, indent=1)
    total = sum(os.path.getsize(os.path.join(out_dir, n)) for n in os.listdir(out_dir))
    print(f"model {os.path.getsize(model_path)} bytes; fixtures {total} bytes in {out_dir}")


if __name__ == "__main__":
    main()
