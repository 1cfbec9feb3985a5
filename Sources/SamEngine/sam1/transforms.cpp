#include "sam1/transforms.h"

#include <algorithm>
#include <cmath>

#include "model/mask_upsampling.h"
#include "model/parallel_tasks.h"

namespace sam {
namespace {

// Sam's pixel statistics, in 0-255 units.
constexpr float kPixelMean[3] = {123.675f, 116.28f, 103.53f};
constexpr float kPixelStd[3] = {58.395f, 57.12f, 57.375f};

// Pillow's Resample.c: coefficients in 22-bit fixed point, accumulators in int.
constexpr int kPrecisionBits = 32 - 8 - 2;

// One axis of Pillow's resampling: for each output sample, its first input sample and the
// fixed-point weights of the inputs from there on (precompute_coeffs + normalize_coeffs_8bpc).
struct Taps {
  int64_t width = 0;                   // weights per output sample (ksize)
  std::vector<int64_t> first, count;   // per output sample
  std::vector<int32_t> weights;        // out_size * width
};

Taps bilinear_taps(int64_t in_size, int64_t out_size) {
  const double scale = static_cast<double>(in_size) / static_cast<double>(out_size);
  const double filter_scale = std::max(scale, 1.0);
  const double support = 1.0 * filter_scale;  // the triangle filter's support, widened when shrinking
  Taps taps;
  taps.width = static_cast<int64_t>(std::ceil(support)) * 2 + 1;
  taps.first.resize(out_size);
  taps.count.resize(out_size);
  taps.weights.assign(out_size * taps.width, 0);
  std::vector<double> raw(taps.width);
  for (int64_t xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    const double inverse = 1.0 / filter_scale;
    // (int) casts truncate toward zero, as in C.
    int64_t xmin = static_cast<int64_t>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int64_t xmax = static_cast<int64_t>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double total = 0.0;
    for (int64_t x = 0; x < xmax; ++x) {
      const double t = std::fabs((x + xmin - center + 0.5) * inverse);
      raw[x] = t < 1.0 ? 1.0 - t : 0.0;
      total += raw[x];
    }
    for (int64_t x = 0; x < xmax; ++x) {
      const double w = total != 0.0 ? raw[x] / total : raw[x];
      const double fixed = w * (1 << kPrecisionBits);
      taps.weights[xx * taps.width + x] = static_cast<int32_t>(w < 0 ? fixed - 0.5 : fixed + 0.5);
    }
    taps.first[xx] = xmin;
    taps.count[xx] = xmax;
  }
  return taps;
}

inline uint8_t clip8(int32_t accumulator) {
  const int32_t value = accumulator >> kPrecisionBits;  // arithmetic shift: floors negatives
  return static_cast<uint8_t>(std::min(255, std::max(0, value)));
}

// rows x in_width x 3 -> rows x taps.size x 3.
std::vector<uint8_t> resample_rows(const uint8_t* in, int64_t rows, int64_t in_width, const Taps& taps) {
  const int64_t out_width = static_cast<int64_t>(taps.first.size());
  std::vector<uint8_t> out(static_cast<size_t>(rows * out_width * 3));
  parallel_row_chunks(rows, 16, [&](int64_t begin, int64_t end, int64_t) {
    for (int64_t y = begin; y < end; ++y) {
      const uint8_t* line = in + y * in_width * 3;
      uint8_t* target = out.data() + y * out_width * 3;
      for (int64_t xx = 0; xx < out_width; ++xx) {
        const int32_t* k = taps.weights.data() + xx * taps.width;
        const uint8_t* source = line + taps.first[xx] * 3;
        int32_t s0 = 1 << (kPrecisionBits - 1), s1 = s0, s2 = s0;
        for (int64_t x = 0; x < taps.count[xx]; ++x) {
          s0 += source[3 * x + 0] * k[x];
          s1 += source[3 * x + 1] * k[x];
          s2 += source[3 * x + 2] * k[x];
        }
        target[3 * xx + 0] = clip8(s0);
        target[3 * xx + 1] = clip8(s1);
        target[3 * xx + 2] = clip8(s2);
      }
    }
  });
  return out;
}

// in_rows x width x 3 -> taps.size x width x 3, the taps' first rows relative to `in`.
std::vector<uint8_t> resample_columns(const uint8_t* in, int64_t width, const Taps& taps, int64_t row_offset) {
  const int64_t out_rows = static_cast<int64_t>(taps.first.size());
  const int64_t line = width * 3;
  std::vector<uint8_t> out(static_cast<size_t>(out_rows * line));
  parallel_row_chunks(out_rows, 16, [&](int64_t begin, int64_t end, int64_t) {
    std::vector<int32_t> sums(static_cast<size_t>(line));
    for (int64_t yy = begin; yy < end; ++yy) {
      const int32_t* k = taps.weights.data() + yy * taps.width;
      std::fill(sums.begin(), sums.end(), 1 << (kPrecisionBits - 1));
      for (int64_t y = 0; y < taps.count[yy]; ++y) {
        const uint8_t* source = in + (taps.first[yy] - row_offset + y) * line;
        const int32_t weight = k[y];
        for (int64_t i = 0; i < line; ++i) sums[i] += source[i] * weight;
      }
      uint8_t* target = out.data() + yy * line;
      for (int64_t i = 0; i < line; ++i) target[i] = clip8(sums[i]);
    }
  });
  return out;
}

// ATen's bilinear source indices and weights along one axis (upsample_bilinear2d with
// align_corners=False): the first `count` of `out_size` outputs from `in_size` inputs.
struct LinearTaps {
  std::vector<int64_t> first, second;
  std::vector<float> first_weight, second_weight;
};

LinearTaps linear_taps(int64_t in_size, int64_t out_size, int64_t count) {
  LinearTaps taps;
  const float scale = static_cast<float>(in_size) / static_cast<float>(out_size);
  for (int64_t i = 0; i < count; ++i) {
    // area_pixel_compute_source_index: the float scale times (i + 0.5) in double, then float.
    float source = static_cast<float>(scale * (static_cast<double>(i) + 0.5) - 0.5);
    if (source < 0) source = 0;
    const int64_t index = static_cast<int64_t>(source);
    const float lambda = std::min(std::max(source - static_cast<float>(index), 0.0f), 1.0f);
    taps.first.push_back(index);
    taps.second.push_back(index + (index < in_size - 1 ? 1 : 0));
    taps.first_weight.push_back(1.0f - lambda);
    taps.second_weight.push_back(lambda);
  }
  return taps;
}

// Output row y (columns.size() values) of the bilinear upsample of a side x side map, with
// ATen's order of operations: h0 (w0 a + w1 b) + h1 (w0 c + w1 d).
void upsampled_row(const float* map, int64_t side, const LinearTaps& rows, const LinearTaps& columns, int64_t y,
                   float* out) {
  const float* top = map + rows.first[y] * side;
  const float* bottom = map + rows.second[y] * side;
  const float h0 = rows.first_weight[y], h1 = rows.second_weight[y];
  const int64_t width = static_cast<int64_t>(columns.first.size());
  for (int64_t x = 0; x < width; ++x) {
    const int64_t c0 = columns.first[x], c1 = columns.second[x];
    const float w0 = columns.first_weight[x], w1 = columns.second_weight[x];
    out[x] = (top[c0] * w0 + top[c1] * w1) * h0 + (bottom[c0] * w0 + bottom[c1] * w1) * h1;
  }
}

}  // namespace

ImageSize longest_side_size(ImageSize original, int64_t target) {
  const double scale = static_cast<double>(target) / static_cast<double>(std::max(original.height, original.width));
  // int(x + 0.5) on positive values.
  return ImageSize{static_cast<int64_t>(original.height * scale + 0.5), static_cast<int64_t>(original.width * scale + 0.5)};
}

std::vector<uint8_t> resize_rgb_like_pil(const uint8_t* rgb, ImageSize from, ImageSize to) {
  const bool horizontal = to.width != from.width, vertical = to.height != from.height;
  if (!horizontal && !vertical) return std::vector<uint8_t>(rgb, rgb + from.height * from.width * 3);
  if (!vertical) return resample_rows(rgb, from.height, from.width, bilinear_taps(from.width, to.width));
  const Taps rows = bilinear_taps(from.height, to.height);
  if (!horizontal) return resample_columns(rgb, from.width, rows, 0);
  // Horizontal pass over the input rows the vertical pass reads, then the vertical pass.
  const int64_t first_row = rows.first.front();
  const int64_t last_row = rows.first.back() + rows.count.back();
  const std::vector<uint8_t> wide = resample_rows(rgb + first_row * from.width * 3, last_row - first_row, from.width,
                                                  bilinear_taps(from.width, to.width));
  return resample_columns(wide.data(), to.width, rows, first_row);
}

at::Tensor sam1_preprocess(const uint8_t* rgb, ImageSize original, int64_t image_size, at::Device device,
                           ImageSize* input_size) {
  const ImageSize input = longest_side_size(original, image_size);
  const std::vector<uint8_t> resized = resize_rgb_like_pil(rgb, original, input);
  at::Tensor image = at::zeros({1, 3, image_size, image_size}, at::kFloat);
  const at::Tensor pixels = at::from_blob(const_cast<uint8_t*>(resized.data()), {input.height, input.width, 3}, at::kByte)
                                .permute({2, 0, 1})
                                .to(at::kFloat);
  const at::Tensor mean = at::tensor(at::ArrayRef<float>(kPixelMean, 3)).view({3, 1, 1});
  const at::Tensor std = at::tensor(at::ArrayRef<float>(kPixelStd, 3)).view({3, 1, 1});
  image.select(0, 0).narrow(1, 0, input.height).narrow(2, 0, input.width).copy_(pixels.sub(mean).div(std));
  if (input_size) *input_size = input;
  return image.to(device);
}

float sam1_scale_coordinate(float value, int64_t original_extent, int64_t input_extent) {
  return static_cast<float>(static_cast<double>(value) *
                            (static_cast<double>(input_extent) / static_cast<double>(original_extent)));
}

void sam1_threshold_mask(const float* logits, int64_t side, int64_t image_size, ImageSize input, ImageSize output,
                         uint8_t* out) {
  const LinearTaps rows = linear_taps(side, image_size, input.height);
  const LinearTaps columns = linear_taps(side, image_size, input.width);
  // Resizing to the same size with align_corners=False is the identity: threshold directly.
  const bool same_size = output.height == input.height && output.width == input.width;
  std::vector<float> cropped(same_size ? 0 : static_cast<size_t>(input.height * input.width));
  parallel_row_chunks(input.height, 32, [&](int64_t begin, int64_t end, int64_t) {
    std::vector<float> row(static_cast<size_t>(input.width));
    for (int64_t y = begin; y < end; ++y) {
      float* target = same_size ? row.data() : cropped.data() + y * input.width;
      upsampled_row(logits, side, rows, columns, y, target);
      if (same_size) {
        uint8_t* mask_row = out + y * input.width;
        for (int64_t x = 0; x < input.width; ++x) mask_row[x] = row[x] > 0.0f ? 1 : 0;
      }
    }
  });
  if (!same_size) upsample_threshold(cropped.data(), input.height, input.width, out, output.height, output.width);
}

void sam1_frame_logits(const float* logits, int64_t side, int64_t image_size, ImageSize input, float* out) {
  const LinearTaps rows = linear_taps(side, image_size, input.height);
  const LinearTaps columns = linear_taps(side, image_size, input.width);
  for (int64_t y = 0; y < input.height; ++y) upsampled_row(logits, side, rows, columns, y, out + y * input.width);
}

namespace {

class Sam1Transforms : public PredictorTransforms {
 public:
  explicit Sam1Transforms(int64_t image_size) : image_size_(image_size) {}

  at::Tensor preprocess(const uint8_t* rgb, int32_t width, int32_t height, at::Device device) const override {
    return sam1_preprocess(rgb, ImageSize{height, width}, image_size_, device, nullptr);
  }

  std::array<float, 2> to_frame(float x, float y, int32_t width, int32_t height) const override {
    const ImageSize input = longest_side_size(ImageSize{height, width}, image_size_);
    return {sam1_scale_coordinate(x, width, input.width), sam1_scale_coordinate(y, height, input.height)};
  }

  bool boxes_as_points() const override { return false; }

  // SamPredictor returns the decoder's logits as they are.
  at::Tensor returned_logits(const at::Tensor& low_res) const override { return low_res; }

  void threshold_mask(const float* logits, int64_t side, int32_t width, int32_t height, uint8_t* out,
                      int32_t out_width, int32_t out_height) const override {
    const ImageSize input = longest_side_size(ImageSize{height, width}, image_size_);
    sam1_threshold_mask(logits, side, image_size_, input, ImageSize{out_height, out_width}, out);
  }

  at::Tensor frame_mask(const uint8_t* mask, int32_t mask_width, int32_t mask_height, int32_t width,
                        int32_t height) const override {
    const ImageSize input = longest_side_size(ImageSize{height, width}, image_size_);
    const at::Tensor binary = at::from_blob(const_cast<uint8_t*>(mask), {1, 1, mask_height, mask_width}, at::kByte)
                                  .ne(0)
                                  .to(at::kFloat);
    // As the image goes into the frame (ResizeLongestSide, then padded bottom and right).
    const at::Tensor resized =
        at::_upsample_bilinear2d_aa(binary, {input.height, input.width}, false).ge(0.5).to(at::kFloat);
    return at::constant_pad_nd(resized, {0, image_size_ - input.width, 0, image_size_ - input.height}, 0);
  }

  const float* resizable_logits(const float* logits, int64_t side, int32_t width, int32_t height,
                                std::vector<float>& scratch, int64_t* map_height, int64_t* map_width) const override {
    const ImageSize input = longest_side_size(ImageSize{height, width}, image_size_);
    scratch.resize(static_cast<size_t>(input.height * input.width));
    sam1_frame_logits(logits, side, image_size_, input, scratch.data());
    *map_height = input.height;
    *map_width = input.width;
    return scratch.data();
  }

 private:
  int64_t image_size_;
};

}  // namespace

std::unique_ptr<PredictorTransforms> make_sam1_transforms(int64_t image_size) {
  return std::make_unique<Sam1Transforms>(image_size);
}

}  // namespace sam
