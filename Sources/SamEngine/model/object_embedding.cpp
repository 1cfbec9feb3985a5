#include "model/object_embedding.h"

#include "engine_error.h"

namespace sam {

std::vector<float> object_embedding(const at::Tensor& image_embed, const at::Tensor& frame_mask) {
  const at::Tensor features = image_embed.to(at::kCPU, at::kFloat)[0];  // [C, H, W]
  const int64_t channels = features.size(0), height = features.size(1), width = features.size(2);
  const at::Tensor weights = at::_upsample_bilinear2d_aa(frame_mask.to(at::kCPU, at::kFloat), {height, width}, false)
                                 .reshape({height * width});
  // Double sums: a large object's weights add up to thousands of cells.
  const double total = weights.sum(at::kDouble).item<double>();
  require(total > 0, "object embedding: the mask covers none of the image");
  const at::Tensor pooled = at::matmul(features.reshape({channels, height * width}).to(at::kDouble),
                                       weights.to(at::kDouble)) / total;
  const double length = pooled.norm().item<double>();
  require(length > 0, "object embedding: the image embedding is zero under the mask");
  const at::Tensor unit = (pooled / length).to(at::kFloat).contiguous();
  return std::vector<float>(unit.data_ptr<float>(), unit.data_ptr<float>() + channels);
}

}  // namespace sam
