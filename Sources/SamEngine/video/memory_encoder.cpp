#include "video/memory_encoder.h"

#include <cmath>

#include "engine_error.h"

namespace sam {
namespace {

constexpr double kLayerNorm2dEps = 1e-6;

}  // namespace

Conv2d::Conv2d(Weights& weights, const std::string& prefix, std::vector<int64_t> shape, int64_t stride_,
               int64_t padding_, int64_t groups_)
    : weight(weights.get(prefix + "weight", shape)),
      bias(weights.get(prefix + "bias", {shape[0]})),
      stride(stride_),
      padding(padding_),
      groups(groups_) {}

at::Tensor Conv2d::operator()(const at::Tensor& x) const {
  return at::conv2d(x, weight, bias, {stride, stride}, {padding, padding}, {1, 1}, groups);
}

MaskDownSampler::MaskDownSampler(Weights& weights, const std::string& prefix, const VideoSizes& sizes,
                                 int64_t embed_dim, int64_t total_stride) {
  const int64_t stride = sizes.mask_stride, kernel = sizes.mask_kernel;
  const int64_t count = std::lround(std::log2(static_cast<double>(total_stride)) / std::log2(static_cast<double>(stride)));
  if (static_cast<int64_t>(std::lround(std::pow(stride, count))) != total_stride)
    throw Error(SAM_ERROR_INTERNAL, "mask downsampler: stride " + std::to_string(stride) + " does not reach " +
                                        std::to_string(total_stride));
  int64_t in = 1;
  for (int64_t i = 0; i < count; ++i) {
    const int64_t out = in * stride * stride;
    const std::string conv = prefix + "encoder." + std::to_string(3 * i) + ".";
    const std::string norm = prefix + "encoder." + std::to_string(3 * i + 1) + ".";
    steps.push_back({Conv2d(weights, conv, {out, in, kernel, kernel}, stride, sizes.mask_padding),
                     weights.get(norm + "weight", {out}), weights.get(norm + "bias", {out})});
    in = out;
  }
  project = Conv2d(weights, prefix + "encoder." + std::to_string(3 * count) + ".", {embed_dim, in, 1, 1});
}

at::Tensor MaskDownSampler::operator()(const at::Tensor& masks) const {
  at::Tensor x = masks;
  for (const Step& step : steps) x = at::gelu(layer_norm_channels(step.conv(x), step.norm_weight, step.norm_bias, kLayerNorm2dEps));
  return project(x);
}

CXBlock::CXBlock(Weights& weights, const std::string& prefix, int64_t dim)
    : dwconv(weights, prefix + "dwconv.", {dim, 1, 7, 7}, 1, 3, dim),
      norm_weight(weights.get(prefix + "norm.weight", {dim})),
      norm_bias(weights.get(prefix + "norm.bias", {dim})),
      pwconv1(weights, prefix + "pwconv1.", dim, 4 * dim),
      pwconv2(weights, prefix + "pwconv2.", 4 * dim, dim),
      gamma(weights.get(prefix + "gamma", {dim})) {}

at::Tensor CXBlock::operator()(const at::Tensor& input) const {
  at::Tensor x = layer_norm_channels(dwconv(input), norm_weight, norm_bias, kLayerNorm2dEps);
  x = x.permute({0, 2, 3, 1});  // channels last for the pointwise layers
  x = pwconv2(at::gelu(pwconv1(x))) * gamma;
  return input + x.permute({0, 3, 1, 2});
}

MemoryEncoder::MemoryEncoder(Weights& weights, const std::string& prefix, const VideoSizes& sizes, int64_t in_dim,
                             int64_t total_stride)
    : mask_downsampler_(weights, prefix + "mask_downsampler.", sizes, in_dim, total_stride),
      pix_feat_proj_(weights, prefix + "pix_feat_proj.", {in_dim, in_dim, 1, 1}),
      out_proj_(weights, prefix + "out_proj.", {sizes.mem_dim, in_dim, 1, 1}) {
  for (int i = 0; i < sizes.fuser_layers; ++i)
    fuser_.emplace_back(weights, prefix + "fuser.layers." + std::to_string(i) + ".", in_dim);
}

at::Tensor MemoryEncoder::operator()(const at::Tensor& pix_feat, const at::Tensor& masks) const {
  at::Tensor x = pix_feat_proj_(pix_feat) + mask_downsampler_(masks);
  for (const CXBlock& block : fuser_) x = block(x);
  return out_proj_(x);
}

}  // namespace sam
