#include "model/prompt_encoder.h"

#include "model/nn_layers.h"

namespace sam {
namespace {
constexpr double kLayerNorm2dEps = 1e-6;
}

PromptEncoder::PromptEncoder(Weights& weights, const std::string& prefix, const PromptEncoderSizes& sizes)
    : sizes_(sizes), pe_layer_(weights, prefix + "pe_layer.", sizes.embed_dim) {
  const int64_t c = sizes.embed_dim, hidden = sizes.mask_in_chans, quarter = sizes.mask_in_chans / 4;
  std::vector<at::Tensor> labels;
  for (int i = 0; i < 4; ++i) {
    labels.push_back(weights.get(prefix + "point_embeddings." + std::to_string(i) + ".weight", {1, c}));
  }
  point_embeddings_ = at::cat(labels, 0);
  not_a_point_embed_ = weights.get(prefix + "not_a_point_embed.weight", {1, c});
  no_mask_embed_ = weights.get(prefix + "no_mask_embed.weight", {1, c});
  const std::string down = prefix + "mask_downscaling.";
  MaskDownscaling& m = mask_downscaling;
  m.conv1_weight = weights.get(down + "0.weight", {quarter, 1, 2, 2});
  m.conv1_bias = weights.get(down + "0.bias", {quarter});
  m.norm1_weight = weights.get(down + "1.weight", {quarter});
  m.norm1_bias = weights.get(down + "1.bias", {quarter});
  m.conv2_weight = weights.get(down + "3.weight", {hidden, quarter, 2, 2});
  m.conv2_bias = weights.get(down + "3.bias", {hidden});
  m.norm2_weight = weights.get(down + "4.weight", {hidden});
  m.norm2_bias = weights.get(down + "4.bias", {hidden});
  m.conv3_weight = weights.get(down + "6.weight", {c, hidden, 1, 1});
  m.conv3_bias = weights.get(down + "6.bias", {c});
}

at::Tensor PromptEncoder::embed_points(const at::Tensor& coords, const at::Tensor& labels, bool pad) const {
  at::Tensor points = coords + 0.5;  // to the centre of the pixel
  at::Tensor point_labels = labels.to(at::kLong);
  if (pad) {
    const int64_t batch = points.size(0);
    points = at::cat({points, at::zeros({batch, 1, 2}, points.options())}, 1);
    point_labels = at::cat({point_labels, at::full({batch, 1}, -1, point_labels.options())}, 1);
  }
  at::Tensor embedding = pe_layer_.encode_pixels(points, sizes_.image_size, sizes_.image_size);
  // Padding points carry no position, only their own embedding; the others add the embedding
  // of their label. Other label values keep the bare position encoding, as in the reference.
  const at::Tensor is_padding = point_labels.eq(-1).unsqueeze(-1);
  embedding = at::where(is_padding, at::zeros_like(embedding) + not_a_point_embed_, embedding);
  const int64_t labelled = sizes_.embeds_corner_labels ? 4 : 2;
  for (int64_t label = 0; label < labelled; ++label) {
    const at::Tensor has_label = point_labels.eq(label).unsqueeze(-1);
    embedding = at::where(has_label, embedding + point_embeddings_[label], embedding);
  }
  return embedding;
}

at::Tensor PromptEncoder::embed_boxes(const at::Tensor& boxes) const {
  const at::Tensor corners = (boxes + 0.5).reshape({-1, 2, 2});
  const at::Tensor embedding = pe_layer_.encode_pixels(corners, sizes_.image_size, sizes_.image_size);
  return embedding + point_embeddings_.slice(0, 2, 4).unsqueeze(0);
}

at::Tensor MaskDownscaling::hidden(const at::Tensor& masks) const {
  at::Tensor x = at::conv2d(masks, conv1_weight, conv1_bias, {2, 2});
  x = at::gelu(layer_norm_channels(x, norm1_weight, norm1_bias, kLayerNorm2dEps));
  x = at::conv2d(x, conv2_weight, conv2_bias, {2, 2});
  return at::gelu(layer_norm_channels(x, norm2_weight, norm2_bias, kLayerNorm2dEps));
}

at::Tensor MaskDownscaling::operator()(const at::Tensor& masks) const {
  return at::conv2d(hidden(masks), conv3_weight, conv3_bias);
}

at::Tensor PromptEncoder::dense_positional_encoding() const {
  return pe_layer_.grid(sizes_.image_embedding_size, sizes_.image_embedding_size).unsqueeze(0);
}

}  // namespace sam
