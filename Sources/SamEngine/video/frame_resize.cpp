#include "video/frame_resize.h"

#include <algorithm>
#include <climits>
#include <cmath>

namespace sam {
namespace {

// Fixed-point precision of PIL's 8-bit resampler: 8 bits of result, 2 of headroom for the
// filter's negative lobes.
constexpr int kPrecisionBits = 32 - 8 - 2;

double bicubic(double x) {
  constexpr double a = -0.5;
  x = std::fabs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

uint8_t clip8(int value) {
  const int shifted = value >> kPrecisionBits;  // arithmetic shift, as PIL's lookup table is indexed
  return static_cast<uint8_t>(std::clamp(shifted, 0, 255));
}

// One axis's taps: for each output position, the first input index, the count, and the
// fixed-point weights (ksize per output position).
struct Taps {
  int ksize = 0;
  std::vector<int> first, count;
  std::vector<int32_t> weights;
};

Taps precompute(int in_size, int out_size) {
  constexpr double support_at_1 = 2.0;  // bicubic
  const float in0 = 0.0f, in1 = static_cast<float>(in_size);
  const double scale = static_cast<double>(in1 - in0) / out_size;
  const double filterscale = std::max(scale, 1.0);
  const double support = support_at_1 * filterscale;
  Taps taps;
  taps.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  taps.first.resize(out_size);
  taps.count.resize(out_size);
  taps.weights.assign(static_cast<size_t>(out_size) * taps.ksize, 0);
  std::vector<double> k(taps.ksize);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = in0 + (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    const int xmin = std::max(static_cast<int>(center - support + 0.5), 0);
    const int xmax = std::min(static_cast<int>(center + support + 0.5), in_size) - xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      k[x] = bicubic((x + xmin - center + 0.5) * ss);
      ww += k[x];
    }
    for (int x = 0; x < taps.ksize; ++x) {
      double w = x < xmax ? (ww != 0.0 ? k[x] / ww : k[x]) : 0.0;
      taps.weights[static_cast<size_t>(xx) * taps.ksize + x] =
          w < 0 ? static_cast<int32_t>(-0.5 + w * (1 << kPrecisionBits)) : static_cast<int32_t>(0.5 + w * (1 << kPrecisionBits));
    }
    taps.first[xx] = xmin;
    taps.count[xx] = xmax;
  }
  return taps;
}

}  // namespace

std::vector<uint8_t> pil_bicubic_resize(const uint8_t* rgb, int32_t width, int32_t height, int32_t out_width,
                                        int32_t out_height) {
  if (out_width == width && out_height == height) return std::vector<uint8_t>(rgb, rgb + size_t(width) * height * 3);
  const Taps vertical = precompute(height, out_height);
  // Rows of the source the vertical pass reads; the horizontal pass resizes only those.
  const int row_first = vertical.first[0];
  const int row_last = vertical.first[out_height - 1] + vertical.count[out_height - 1];

  std::vector<uint8_t> horizontal;
  const uint8_t* rows = rgb;
  int rows_width = width, rows_offset = 0;
  if (out_width != width) {
    const Taps taps = precompute(width, out_width);
    horizontal.resize(static_cast<size_t>(row_last - row_first) * out_width * 3);
    for (int y = row_first; y < row_last; ++y) {
      const uint8_t* in = rgb + static_cast<size_t>(y) * width * 3;
      uint8_t* out = horizontal.data() + static_cast<size_t>(y - row_first) * out_width * 3;
      for (int xx = 0; xx < out_width; ++xx) {
        const int32_t* k = &taps.weights[static_cast<size_t>(xx) * taps.ksize];
        const int xmin = taps.first[xx];
        int s0 = 1 << (kPrecisionBits - 1), s1 = s0, s2 = s0;
        for (int x = 0; x < taps.count[xx]; ++x) {
          const uint8_t* p = in + static_cast<size_t>(x + xmin) * 3;
          s0 += p[0] * k[x];
          s1 += p[1] * k[x];
          s2 += p[2] * k[x];
        }
        out[3 * xx] = clip8(s0);
        out[3 * xx + 1] = clip8(s1);
        out[3 * xx + 2] = clip8(s2);
      }
    }
    rows = horizontal.data();
    rows_width = out_width;
    rows_offset = row_first;
  }
  if (out_height == height) return horizontal;

  std::vector<uint8_t> result(static_cast<size_t>(out_height) * rows_width * 3);
  for (int yy = 0; yy < out_height; ++yy) {
    const int32_t* k = &vertical.weights[static_cast<size_t>(yy) * vertical.ksize];
    const int ymin = vertical.first[yy] - rows_offset;
    uint8_t* out = result.data() + static_cast<size_t>(yy) * rows_width * 3;
    for (int xx = 0; xx < rows_width * 3; ++xx) {
      int s = 1 << (kPrecisionBits - 1);
      for (int y = 0; y < vertical.count[yy]; ++y) s += rows[static_cast<size_t>(ymin + y) * rows_width * 3 + xx] * k[y];
      out[xx] = clip8(s);
    }
  }
  return result;
}

at::Tensor video_frame_input(const uint8_t* rgb, int32_t width, int32_t height, int64_t size, at::Device device) {
  static constexpr float kMean[3] = {0.485f, 0.456f, 0.406f};
  static constexpr float kStd[3] = {0.229f, 0.224f, 0.225f};
  const int32_t side = static_cast<int32_t>(size);
  const std::vector<uint8_t> resized = pil_bicubic_resize(rgb, width, height, side, side);
  // The loader divides in float64 (NumPy) and stores float32; a float32 division of a byte by
  // 255 rounds to the same value.
  const at::Tensor image = at::from_blob(const_cast<uint8_t*>(resized.data()), {side, side, 3}, at::kByte)
                               .permute({2, 0, 1})
                               .to(at::kFloat)
                               .div(255)
                               .unsqueeze(0)
                               .contiguous();
  const at::Tensor mean = at::tensor(at::ArrayRef<float>(kMean, 3)).view({1, 3, 1, 1});
  const at::Tensor std = at::tensor(at::ArrayRef<float>(kStd, 3)).view({1, 3, 1, 1});
  return image.sub(mean).div(std).to(device);
}

}  // namespace sam
