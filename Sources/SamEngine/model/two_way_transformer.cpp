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

bool Attention::reorders(AttentionOrder order, int64_t tokens) const {
  switch (order) {
    case AttentionOrder::Reference: return false;
    case AttentionOrder::Reordered: return true;
    case AttentionOrder::Automatic: break;
  }
  // Reference: two projections of every image token (2 HW C C_internal multiply-adds).
  // Reordered: two products of the image with heads * tokens vectors (2 HW C heads N).
  return num_heads * tokens < q_proj.out_features();
}

at::Tensor Attention::operator()(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) const {
  const at::Tensor qh = separate_heads(q_proj(q), num_heads);
  const at::Tensor kh = separate_heads(k_proj(k), num_heads);
  const at::Tensor vh = separate_heads(v_proj(v), num_heads);
  const double scale = 1.0 / std::sqrt(static_cast<double>(qh.size(-1)));
  const at::Tensor attention = at::softmax(at::matmul(qh, kh.transpose(-2, -1)) * scale, -1);
  return out_proj(recombine_heads(at::matmul(attention, vh)));
}

at::Tensor Attention::project_heads(const Linear& projection, const at::Tensor& x) const {
  const int64_t tokens = x.size(1);
  return projection(x[0]).view({tokens, num_heads, head_dim()}).permute({1, 0, 2}).contiguous();
}

at::Tensor Attention::values_through_output(const at::Tensor& values) const {
  const int64_t batch = values.size(0), tokens = values.size(2), channels = out_proj.out_features();
  const at::Tensor output_weight = out_proj.weight.view({channels, num_heads, head_dim()}).permute({1, 2, 0});
  return at::matmul(values, output_weight)
      .add_(out_proj.bias / static_cast<double>(num_heads))
      .reshape({batch, num_heads * tokens, channels});
}

at::Tensor Attention::tokens_to_image(const at::Tensor& tokens, const at::Tensor& image_k, const at::Tensor& image_v,
                                      AttentionOrder order) const {
  const int64_t batch = tokens.size(0), n = tokens.size(1);
  if (!reorders(order, n)) return (*this)(tokens, image_k, image_v);

  const int64_t heads = num_heads, d = head_dim(), c = tokens.size(2), hw = image_k.size(1);
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  const at::Tensor q = separate_heads(q_proj(tokens), heads);  // [B, h, N, d]
  // Score of query q against image token x: q . (W_k,h x + b_k,h) = (q W_k,h) . x + const; the
  // constant is the same for every image token and cancels in the softmax.
  const at::Tensor q_through_key = at::matmul(q.mul(scale), k_proj.weight.view({heads, d, c}));  // [B, h, N, C]
  at::Tensor weights;
  if (image_k.size(0) == 1) {
    weights = at::mm(q_through_key.reshape({batch * heads * n, c}), image_k[0].t());
  } else {
    weights = at::bmm(q_through_key.reshape({batch, heads * n, c}), image_k.transpose(1, 2));
  }
  weights = at::softmax(weights, -1);
  // Mixing the image tokens first, then projecting: sum_t a_t (W_v,h x_t + b_v,h) = W_v,h (sum_t a_t x_t) + b_v,h.
  at::Tensor mixed;
  if (image_v.size(0) == 1) {
    mixed = at::mm(weights.view({batch * heads * n, hw}), image_v[0]);
  } else {
    mixed = at::bmm(weights.view({batch, heads * n, hw}), image_v);
  }
  const at::Tensor value_weight = v_proj.weight.view({heads, d, c}).transpose(1, 2);  // [h, C, d]
  const at::Tensor values =
      at::matmul(mixed.view({batch, heads, n, c}), value_weight).add_(v_proj.bias.view({heads, 1, d}));
  return out_proj(recombine_heads(values));
}

at::Tensor Attention::tokens_to_image_projected(const at::Tensor& tokens, const at::Tensor& k,
                                                const at::Tensor& v) const {
  const int64_t batch = tokens.size(0), n = tokens.size(1), heads = num_heads, d = head_dim();
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  // All prompt sets of a batch share the image: one product per head.
  const at::Tensor q =
      q_proj(tokens).mul(scale).view({batch, n, heads, d}).permute({2, 0, 1, 3}).reshape({heads, batch * n, d});
  const at::Tensor weights = at::softmax(at::bmm(q, k.transpose(1, 2)), -1);  // [h, B N, HW]
  const at::Tensor out = at::bmm(weights, v);                                              // [h, B N, d]
  return out_proj(out.view({heads, batch, n, d}).permute({1, 2, 0, 3}).reshape({batch, n, heads * d}));
}

at::Tensor Attention::image_to_tokens(const at::Tensor& image_q, const at::Tensor& tokens_k, const at::Tensor& tokens_v,
                                      const at::Tensor& residual, AttentionOrder order) const {
  const int64_t batch = tokens_k.size(0), n = tokens_k.size(1);
  if (!reorders(order, n)) return residual + (*this)(image_q, tokens_k, tokens_v);

  const int64_t heads = num_heads, d = head_dim(), c = image_q.size(2), hw = image_q.size(1);
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  const at::Tensor k = separate_heads(k_proj(tokens_k), heads).mul(scale);  // [B, h, N, d]
  const at::Tensor v = separate_heads(v_proj(tokens_v), heads);
  // Score of image token x against key k: (W_q,h x + b_q,h) . k = x . (W_q,h^T k) + b_q,h . k.
  const at::Tensor key_through_query = at::matmul(k, q_proj.weight.view({heads, d, c})).reshape({batch, heads * n, c});
  const at::Tensor key_bias = at::matmul(k, q_proj.bias.view({heads, d, 1})).reshape({batch, heads * n, 1});
  // Tokens as rows ([B, h N, HW]): the softmax over a few tokens then runs vectorised across the image.
  at::Tensor scores;
  if (image_q.size(0) == 1) {
    scores = at::addmm(key_bias.view({batch * heads * n, 1}), key_through_query.view({batch * heads * n, c}),
                       image_q[0].t());
  } else {
    scores = at::baddbmm(key_bias, key_through_query, image_q.transpose(1, 2));
  }
  const at::Tensor weights = at::softmax(scores.view({batch, heads, n, hw}), 2).view({batch, heads * n, hw});
  // sum_n a_n W_o,h v_n: the values go through the output projection before the mixing.
  return at::baddbmm(residual, weights.transpose(1, 2), values_through_output(v));
}

at::Tensor Attention::image_to_tokens_projected(const at::Tensor& q, const at::Tensor& tokens_k,
                                                const at::Tensor& tokens_v, const at::Tensor& residual,
                                                AttentionOrder order) const {
  const int64_t batch = tokens_k.size(0), n = tokens_k.size(1), heads = num_heads, d = head_dim();
  const int64_t hw = q.size(1);
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  const at::Tensor k =
      k_proj(tokens_k).mul(scale).view({batch, n, heads, d}).permute({2, 0, 1, 3}).reshape({heads, batch * n, d});
  const at::Tensor v = separate_heads(v_proj(tokens_v), heads);  // [B, h, N, d]
  // [h, B, N, HW], normalised over the tokens
  const at::Tensor weights = at::softmax(at::bmm(k, q.transpose(1, 2)).view({heads, batch, n, hw}), 2);
  if (reorders(order, n)) {
    const at::Tensor mixing = weights.permute({1, 0, 2, 3}).reshape({batch, heads * n, hw});
    return at::baddbmm(residual, mixing.transpose(1, 2), values_through_output(v));
  }
  const at::Tensor out = at::matmul(weights.permute({1, 0, 3, 2}), v);  // [B, h, HW, d]
  return residual + out_proj(recombine_heads(out));
}

TwoWayTransformer::TwoWayTransformer(Weights& weights, const std::string& prefix,
                                     const TwoWayTransformerSizes& sizes, AttentionOrder order)
    : order_(order) {
  const int64_t c = sizes.embedding_dim, rate = sizes.attention_downsample_rate;
  for (int64_t i = 0; i < sizes.depth; ++i) {
    const std::string p = prefix + "layers." + std::to_string(i) + ".";
    Block block;
    block.self_attn = Attention(weights, p + "self_attn.", c, sizes.num_heads, 1);
    block.norm1 = LayerNorm(weights, p + "norm1.", c, kLayerNormEps);
    block.cross_attn_token_to_image = Attention(weights, p + "cross_attn_token_to_image.", c, sizes.num_heads, rate);
    block.norm2 = LayerNorm(weights, p + "norm2.", c, kLayerNormEps);
    if (sizes.mlp_lin_names) {
      block.mlp.layers = {Linear(weights, p + "mlp.lin1.", c, sizes.mlp_dim), Linear(weights, p + "mlp.lin2.", sizes.mlp_dim, c)};
    } else {
      block.mlp = Mlp(weights, p + "mlp.", c, sizes.mlp_dim, c, 2);
    }
    block.norm3 = LayerNorm(weights, p + "norm3.", c, kLayerNormEps);
    block.norm4 = LayerNorm(weights, p + "norm4.", c, kLayerNormEps);
    block.cross_attn_image_to_token = Attention(weights, p + "cross_attn_image_to_token.", c, sizes.num_heads, rate);
    block.skip_first_layer_pe = i == 0;
    layers_.push_back(std::move(block));
  }
  final_attn_token_to_image_ = Attention(weights, prefix + "final_attn_token_to_image.", c, sizes.num_heads, rate);
  norm_final_attn_ = LayerNorm(weights, prefix + "norm_final_attn.", c, kLayerNormEps);
}

FirstLayerCache TwoWayTransformer::prepare(const at::Tensor& image, const at::Tensor& image_pe) const {
  FirstLayerCache cache;
  if (layers_.empty()) return cache;
  const Block& first = layers_[0];
  const at::Tensor image_with_pe = image + image_pe;
  cache.token_to_image_k = first.cross_attn_token_to_image.project_heads(first.cross_attn_token_to_image.k_proj, image_with_pe);
  cache.token_to_image_v = first.cross_attn_token_to_image.project_heads(first.cross_attn_token_to_image.v_proj, image);
  cache.image_to_token_q = first.cross_attn_image_to_token.project_heads(first.cross_attn_image_to_token.q_proj, image_with_pe);
  return cache;
}

FirstLayerCache TwoWayTransformer::with_dense(const FirstLayerCache& cache, const at::Tensor& hidden,
                                              const at::Tensor& weight, const at::Tensor& bias,
                                              const at::Tensor& base) const {
  const Block& first = layers_[0];
  const at::Tensor shift = bias - base;
  const int64_t hw = hidden.size(0), channels = hidden.size(1);
  auto corrected = [&](const Attention& attention, const Linear& projection, const at::Tensor& cached) {
    // Straight into the cache's [heads, HW, d] layout: one small product per head.
    const int64_t heads = attention.num_heads, d = attention.head_dim();
    const at::Tensor composed = at::matmul(projection.weight, weight).view({heads, d, channels}).transpose(1, 2);
    const at::Tensor offset = at::matmul(projection.weight, shift).view({heads, 1, d});
    return at::baddbmm(cached + offset, hidden.unsqueeze(0).expand({heads, hw, channels}), composed);
  };
  FirstLayerCache out;
  const Attention& to_image = first.cross_attn_token_to_image;
  const Attention& to_tokens = first.cross_attn_image_to_token;
  out.token_to_image_k = corrected(to_image, to_image.k_proj, cache.token_to_image_k);
  out.token_to_image_v = corrected(to_image, to_image.v_proj, cache.token_to_image_v);
  out.image_to_token_q = corrected(to_tokens, to_tokens.q_proj, cache.image_to_token_q);
  return out;
}

std::pair<at::Tensor, at::Tensor> TwoWayTransformer::operator()(const at::Tensor& image, const at::Tensor& image_pe,
                                                                const at::Tensor& tokens,
                                                                const FirstLayerCache& cache) const {
  at::Tensor queries = tokens, keys = image;
  for (size_t i = 0; i < layers_.size(); ++i) {
    const Block& block = layers_[i];
    const bool cached = i == 0 && cache.defined();
    // Self-attention of the tokens (the first layer's queries carry no separate position).
    if (block.skip_first_layer_pe) {
      queries = block.self_attn(queries, queries, queries);
    } else {
      const at::Tensor q = queries + tokens;
      queries = queries + block.self_attn(q, q, queries);
    }
    queries = block.norm1(queries);

    // Tokens attend to the image.
    const at::Tensor keys_with_pe = cached ? at::Tensor() : keys + image_pe;
    at::Tensor q = queries + tokens;
    const at::Tensor to_image =
        cached ? block.cross_attn_token_to_image.tokens_to_image_projected(q, cache.token_to_image_k,
                                                                           cache.token_to_image_v)
               : block.cross_attn_token_to_image.tokens_to_image(q, keys_with_pe, keys, order_);
    queries = block.norm2(queries + to_image);

    queries = block.norm3(queries + block.mlp(queries));

    // The image attends to the tokens.
    q = queries + tokens;
    keys = cached ? block.cross_attn_image_to_token.image_to_tokens_projected(cache.image_to_token_q, q, queries,
                                                                              keys, order_)
                  : block.cross_attn_image_to_token.image_to_tokens(keys_with_pe, q, queries, keys, order_);
    keys = block.norm4(keys);
  }
  const at::Tensor q = queries + tokens;
  const at::Tensor k = keys + image_pe;
  queries = norm_final_attn_(queries + final_attn_token_to_image_.tokens_to_image(q, k, keys, order_));
  return {queries, keys};
}

}  // namespace sam
