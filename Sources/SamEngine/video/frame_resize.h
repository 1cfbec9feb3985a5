// How the official video loader makes a frame the model's square input: PIL's Image.resize
// to image_size x image_size (bicubic, PIL's own 8-bit fixed-point two-pass resampler, so the
// resized pixels are bytes), divided by 255 and normalised with ImageNet's statistics
// (sam2/utils/misc.py _load_img_as_tensor, load_video_frames). The image predictor resizes
// differently (SAM2Transforms, bilinear on floats): frames of a video are not images.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace sam {

// Packed RGB bytes, width x height -> out_width x out_height, as PIL resizes an RGB image with
// Resampling.BICUBIC (an unchanged size is a copy).
std::vector<uint8_t> pil_bicubic_resize(const uint8_t* rgb, int32_t width, int32_t height, int32_t out_width,
                                        int32_t out_height);

// The encoder's input [1, 3, size, size] on `device`, as the official video loader makes it.
at::Tensor video_frame_input(const uint8_t* rgb, int32_t width, int32_t height, int64_t size, at::Device device);

}  // namespace sam
