// SAM 1's input and output transforms (segment_anything/utils/transforms.py ResizeLongestSide,
// Sam.preprocess and Sam.postprocess_masks), which differ from SAM 2's: the image keeps its
// aspect ratio (longest side resized to image_size with PIL's bilinear filter on uint8 pixels),
// is normalised in 0-255 units and zero-padded at the bottom and right to a square; masks come
// back through the padded square and are cropped before they are resized to the image.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "model/predictor_transforms.h"

namespace sam {

struct ImageSize {
  int64_t height = 0, width = 0;
};

// ResizeLongestSide.get_preprocess_shape: the size with the longest side `target`, rounded.
ImageSize longest_side_size(ImageSize original, int64_t target);

// PIL Image.resize(size, BILINEAR) on an RGB uint8 image, bit for bit: Pillow's separable
// fixed-point filter (horizontal pass, then vertical, each rounded to 8 bits), which widens the
// triangle filter when it shrinks. rgb: height x width x 3.
std::vector<uint8_t> resize_rgb_like_pil(const uint8_t* rgb, ImageSize from, ImageSize to);

// apply_image, then (x - pixel_mean) / pixel_std and zero padding to image_size x image_size:
// [1, 3, image_size, image_size] float on `device`. Also reports the resized size (the input size).
at::Tensor sam1_preprocess(const uint8_t* rgb, ImageSize original, int64_t image_size, at::Device device,
                           ImageSize* input_size);

// apply_coords for one coordinate along an axis of `original_extent` pixels that the resize
// made `input_extent` long (computed in double, as numpy does, then rounded to float).
float sam1_scale_coordinate(float value, int64_t original_extent, int64_t input_extent);

// postprocess_masks and the mask threshold (> 0) for one candidate: low-res logits side x side
// -> bilinear to image_size x image_size, the padding cropped to `input`, bilinear to `output`
// (align_corners=False both times) -> `out`, output.height x output.width bytes of 0 and 1.
// The logits resized to the input frame, rows and columns of the resized image only:
// input.height x input.width floats into `out` (Sam.postprocess_masks before its last resize).
void sam1_frame_logits(const float* logits, int64_t side, int64_t image_size, ImageSize input, float* out);

void sam1_threshold_mask(const float* logits, int64_t side, int64_t image_size, ImageSize input, ImageSize output,
                         uint8_t* out);

// The predictor's transforms for SAM 1 models (see model/predictor_transforms.h).
std::unique_ptr<PredictorTransforms> make_sam1_transforms(int64_t image_size);

}  // namespace sam
