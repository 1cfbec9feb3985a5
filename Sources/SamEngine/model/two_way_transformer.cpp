#include "model/two_way_transformer.h"

#include <cmath>

namespace sam {
namespace {
constexpr double kLayerNormEps = 1e-5;

// [B, N, heads * d] -> [B, heads, N, d]
at::Tensor separate_heads(const at::Tensor& x, int64_t heads) {
  return x.view({x.size(0), x.size(1), heads, x.size(2) / heads}).transpose(1, 2);
}

// [B, heads, N, d] -> [B, N, heads * d]
at::Tensor recombine_heads(const at::Tensor& x) {
  return x.transpose(1, 2).reshape({x.size(0), x.size(2), x.size(1) * x.size(3)});
}
}  // namespace

Attention::Attention(Weights& weights, const std::string& prefix, int64_t embedding_dim, int64_t heads,
                     int64_t downsample_rate)
    : q_proj(weights, prefix + "q_proj.", embedding_dim, embedding_dim / downsample_rate),
      k_proj(weights, prefix + "k_proj.", embedding_dim, embedding_dim / downsample_rate),
      v_proj(weights, prefix + "v_proj.", embedding_dim, embedding_dim / downsample_rate),
      out_proj(weights, prefix + "out_proj.", embedding_dim / downsample_rate, embedding_dim),
      num_heads(heads) {}

at::Tensor Attention::operator()(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) const {
  const at::Tensor qh = separate_heads(q_proj(q), num_heads);
  const at::Tensor kh = separate_heads(k_proj(k), num_heads);
  const at::Tensor vh = separate_heads(v_proj(v), num_heads);
  const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim()));
  const at::Tensor attention = softmax_float(at::matmul(qh, kh.transpose(-2, -1)) * scale, -1);
  return out_proj(recombine_heads(at::matmul(attention, vh)));
}

TwoWayAttentionBlock::TwoWayAttentionBlock(Weights& weights, const std::string& p, const TwoWayTransformerSizes& sizes,
                                           bool skip_pe)
    : self_attn(weights, p + "self_attn.", sizes.embedding_dim, sizes.num_heads, 1),
      norm1(weights, p + "norm1.", sizes.embedding_dim, kLayerNormEps),
      cross_attn_token_to_image(weights, p + "cross_attn_token_to_image.", sizes.embedding_dim, sizes.num_heads,
                                sizes.attention_downsample_rate),
      norm2(weights, p + "norm2.", sizes.embedding_dim, kLayerNormEps),
      norm3(weights, p + "norm3.", sizes.embedding_dim, kLayerNormEps),
      norm4(weights, p + "norm4.", sizes.embedding_dim, kLayerNormEps),
      cross_attn_image_to_token(weights, p + "cross_attn_image_to_token.", sizes.embedding_dim, sizes.num_heads,
                                sizes.attention_downsample_rate),
      skip_first_layer_pe(skip_pe) {
  const int64_t c = sizes.embedding_dim;
  if (sizes.mlp_lin_names) {
    mlp.layers = {Linear(weights, p + "mlp.lin1.", c, sizes.mlp_dim), Linear(weights, p + "mlp.lin2.", sizes.mlp_dim, c)};
  } else {
    mlp = Mlp(weights, p + "mlp.", c, sizes.mlp_dim, c, 2);
  }
}

std::pair<at::Tensor, at::Tensor> TwoWayAttentionBlock::operator()(const at::Tensor& queries_in,
                                                                   const at::Tensor& keys_in,
                                                                   const at::Tensor& query_pe,
                                                                   const at::Tensor& key_pe) const {
  // (1) Self-attention.
  at::Tensor queries;
  if (skip_first_layer_pe) {
    queries = self_attn(queries_in, queries_in, queries_in);
  } else {
    const at::Tensor q = queries_in + query_pe;
    queries = queries_in + self_attn(q, q, queries_in);
  }
  queries = norm1(queries);

  // (2) Tokens attend to the image.
  at::Tensor q = queries + query_pe;
  const at::Tensor k = keys_in + key_pe;
  queries = norm2(queries + cross_attn_token_to_image(q, k, keys_in));

  // (3) MLP.
  queries = norm3(queries + mlp(queries));

  // (4) The image attends to the tokens.
  q = queries + query_pe;
  const at::Tensor keys = norm4(keys_in + cross_attn_image_to_token(k, q, queries));
  return {queries, keys};
}

TwoWayTransformer::TwoWayTransformer(Weights& weights, const std::string& prefix, const TwoWayTransformerSizes& sizes)
    : final_attn_token_to_image(weights, prefix + "final_attn_token_to_image.", sizes.embedding_dim, sizes.num_heads,
                                sizes.attention_downsample_rate),
      norm_final_attn(weights, prefix + "norm_final_attn.", sizes.embedding_dim, kLayerNormEps) {
  for (int64_t i = 0; i < sizes.depth; ++i) {
    layers.emplace_back(weights, prefix + "layers." + std::to_string(i) + ".", sizes, /*skip_first_layer_pe=*/i == 0);
  }
}

std::pair<at::Tensor, at::Tensor> TwoWayTransformer::operator()(const at::Tensor& image_embedding,
                                                                const at::Tensor& image_pe,
                                                                const at::Tensor& point_embedding) const {
  // [B, C, h, w] -> [B, hw, C]
  const at::Tensor image = image_embedding.flatten(2).permute({0, 2, 1});
  const at::Tensor pe = image_pe.flatten(2).permute({0, 2, 1});
  at::Tensor queries = point_embedding, keys = image;
  for (const TwoWayAttentionBlock& layer : layers) std::tie(queries, keys) = layer(queries, keys, point_embedding, pe);

  // The final attention from the tokens to the image.
  const at::Tensor q = queries + point_embedding;
  const at::Tensor k = keys + pe;
  queries = norm_final_attn(queries + final_attn_token_to_image(q, k, keys));
  return {queries, keys};
}

}  // namespace sam
