#include "decoder_plan/transformer_plan.h"

#include <cmath>

#include "decoder_plan/image_chunks.h"
#include "kernels/vector_kernels.h"
#include "model/parallel_tasks.h"

namespace sam {
namespace {

// [B, N, heads * d] -> [B, heads, N, d]
at::Tensor separate_heads(const at::Tensor& x, int64_t heads) {
  return x.view({x.size(0), x.size(1), heads, x.size(2) / heads}).transpose(1, 2);
}

// [B, heads, N, d] -> [B, N, heads * d]
at::Tensor recombine_heads(const at::Tensor& x) {
  return x.transpose(1, 2).reshape({x.size(0), x.size(2), x.size(1) * x.size(3)});
}

// One of the transformer's attentions between the image and the tokens, evaluated in the
// order that `order` picks, in chunks of image rows.
struct PlannedAttention {
  const Attention& a;
  AttentionOrder order;

  // Tokens attend to the image: tokens [B, N, C] (position included) -> [B, N, C].
  at::Tensor tokens_to_image(const at::Tensor& tokens, const ImageTokens& image) const;
  // The same with the image side already projected: k, v [heads, HW, d].
  at::Tensor tokens_to_image_projected(const at::Tensor& tokens, const at::Tensor& k, const at::Tensor& v) const;

  // The image attends to the tokens (queries image.with_pe, keys tokens_k, values tokens_v
  // [B, N, C]) and the residual sum goes through `norm`: [B, HW, C], with image_pe [1, HW, C] added.
  ImageTokens image_to_tokens(const ImageTokens& image, const at::Tensor& tokens_k, const at::Tensor& tokens_v,
                              const LayerNorm& norm, const at::Tensor& image_pe) const;
  // The same with the image queries already projected: q [heads, HW, d]; image.tokens [1 or B, HW, C].
  ImageTokens image_to_tokens_projected(const at::Tensor& q, const ImageTokens& image, const at::Tensor& tokens_k,
                                        const at::Tensor& tokens_v, const LayerNorm& norm,
                                        const at::Tensor& image_pe) const;

  // x [1, HW, C] -> [heads, HW, d] through one of the projections.
  at::Tensor project_heads(const Linear& projection, const at::Tensor& x) const;

 private:
  bool reorders(int64_t tokens) const;
  // rows [R, C] -> [heads, R, d] through one of the projections (a strided view).
  at::Tensor project_rows(const Linear& projection, const at::Tensor& rows) const;

  // The token side of an image-to-tokens attention, made once for all chunks of image rows.
  struct ImageTokensMixer {
    at::Tensor keys;     // [B, h, N, d], scaled
    at::Tensor values;   // reordered: [B, h N, C] (values_through_output); else [B, h, N, d]
    bool reordered = false;
  };
  ImageTokensMixer tokens_for_image(const at::Tensor& tokens_k, const at::Tensor& tokens_v) const;
  // Room for norm(x + this attention's output) of `batch` prompt sets' image tokens shaped like
  // `like`, with its terms when `in` (the terms of x) is defined and the mixer reordered.
  ImageTokens image_tokens_out(int64_t batch, const at::Tensor& like, const ImageTokenTerms& in,
                               const ImageTokensMixer& mixer, const LayerNorm& norm) const;
  // Writes norm(x + the attention output) for prompt set b's image rows x [rows, C] from
  // `first` on, with weights [h, N, rows], into out.tokens, that plus image_pe into out.with_pe,
  // and the rows of out.terms from those of `in`, the terms of x.
  void mix_into(ImageTokens& out, const at::Tensor& x, const ImageTokenTerms& in, const at::Tensor& weights,
                const ImageTokensMixer& mixer, int64_t b, int64_t first, const LayerNorm& norm,
                const at::Tensor& image_pe) const;
  // Per-head values times the output projection, plus the output bias spread over the heads:
  // [B, heads, N, d] -> [B, heads * N, C]. Mixed with weights whose rows sum to 1 per head, it
  // gives the attention output bias included.
  at::Tensor values_through_output(const at::Tensor& values) const;
};

bool PlannedAttention::reorders(int64_t tokens) const {
  switch (order) {
    case AttentionOrder::Reference: return false;
    case AttentionOrder::Reordered: return true;
    case AttentionOrder::Automatic: break;
  }
  // Reference: two projections of every image token (2 HW C C_internal multiply-adds).
  // Reordered: two products of the image with heads * tokens vectors (2 HW C heads N).
  return a.num_heads * tokens < a.q_proj.out_features();
}

at::Tensor PlannedAttention::project_heads(const Linear& projection, const at::Tensor& x) const {
  return project_rows(projection, x[0]).contiguous();
}

at::Tensor PlannedAttention::project_rows(const Linear& projection, const at::Tensor& rows) const {
  return projection(rows).view({rows.size(0), a.num_heads, a.head_dim()}).permute({1, 0, 2});
}

at::Tensor PlannedAttention::values_through_output(const at::Tensor& values) const {
  const int64_t batch = values.size(0), tokens = values.size(2), channels = a.out_proj.out_features();
  const at::Tensor output_weight = a.out_proj.weight.view({channels, a.num_heads, a.head_dim()}).permute({1, 2, 0});
  return at::matmul(values, output_weight)
      .add_(a.out_proj.bias / static_cast<double>(a.num_heads))
      .reshape({batch, a.num_heads * tokens, channels});
}

at::Tensor PlannedAttention::tokens_to_image(const at::Tensor& tokens, const ImageTokens& image) const {
  const int64_t batch = tokens.size(0), n = tokens.size(1), heads = a.num_heads, d = a.head_dim(), c = tokens.size(2);
  const int64_t hw = image.tokens.size(1);
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  const at::Tensor q = separate_heads(a.q_proj(tokens), heads).mul(scale);  // [B, h, N, d]

  if (!reorders(n)) {
    const at::Tensor mixed = attend_in_chunks(batch, hw, [&](int64_t b, int64_t first, int64_t rows,
                                                             ChunkSoftmax& softmax) {
      const at::Tensor k = project_rows(a.k_proj, rows_of(image.with_pe, b, first, rows));  // [h, rows, d]
      const at::Tensor weights = softmax.weights(at::bmm(q[b], k.transpose(1, 2)).view({heads * n, rows}));
      const at::Tensor v = project_rows(a.v_proj, rows_of(image.tokens, b, first, rows));
      return at::bmm(weights.view({heads, n, rows}), v).view({heads * n, d});
    });
    return a.out_proj(recombine_heads(mixed.view({batch, heads, n, d})));
  }
  // Score of query q against image token x: q . (W_k,h x + b_k,h) = (q W_k,h) . x + const; the
  // constant is the same for every image token and cancels in the softmax.
  const at::Tensor q_through_key = at::matmul(q, a.k_proj.weight.view({heads, d, c})).reshape({batch, heads * n, c});
  const at::Tensor mixed = attend_in_chunks(batch, hw, [&](int64_t b, int64_t first, int64_t rows,
                                                           ChunkSoftmax& softmax) {
    const at::Tensor weights = softmax.weights(at::mm(q_through_key[b], rows_of(image.with_pe, b, first, rows).t()));
    return at::mm(weights, rows_of(image.tokens, b, first, rows));  // [h N, C]
  });
  // Mixing the image tokens first, then projecting: sum_t a_t (W_v,h x_t + b_v,h) = W_v,h (sum_t a_t x_t) + b_v,h.
  const at::Tensor value_weight = a.v_proj.weight.view({heads, d, c}).transpose(1, 2);  // [h, C, d]
  const at::Tensor values =
      at::matmul(mixed.view({batch, heads, n, c}), value_weight).add_(a.v_proj.bias.view({heads, 1, d}));
  return a.out_proj(recombine_heads(values));
}

at::Tensor PlannedAttention::tokens_to_image_projected(const at::Tensor& tokens, const at::Tensor& k,
                                                const at::Tensor& v) const {
  const int64_t batch = tokens.size(0), n = tokens.size(1), heads = a.num_heads, d = a.head_dim();
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  // All prompt sets of a batch share the image: one product per head.
  const at::Tensor q =
      a.q_proj(tokens).mul(scale).view({batch, n, heads, d}).permute({2, 0, 1, 3}).reshape({heads, batch * n, d});
  // Projected keys and values leave little work per image row for one prompt set: one chunk per
  // thread keeps the count of small products (and their overhead) down. A batch keeps the usual
  // chunks, whose scores stay small.
  const int64_t hw = k.size(1), workers = parallel_worker_count();
  const int64_t chunk_rows = batch == 1 ? (hw + workers - 1) / workers : kChunkRows;
  const at::Tensor mixed = attend_in_chunks(
      1, hw,
      [&](int64_t, int64_t first, int64_t rows, ChunkSoftmax& softmax) {
        const at::Tensor weights =
            softmax.weights(at::bmm(q, k.narrow(1, first, rows).transpose(1, 2)).view({heads * batch * n, rows}));
        return at::bmm(weights.view({heads, batch * n, rows}), v.narrow(1, first, rows)).view({heads * batch * n, d});
      },
      chunk_rows);
  return a.out_proj(mixed.view({heads, batch, n, d}).permute({1, 2, 0, 3}).reshape({batch, n, heads * d}));
}

ImageTokens PlannedAttention::image_to_tokens(const ImageTokens& image, const at::Tensor& tokens_k, const at::Tensor& tokens_v,
                                       const LayerNorm& norm, const at::Tensor& image_pe) const {
  const int64_t batch = tokens_k.size(0), n = tokens_k.size(1), heads = a.num_heads, d = a.head_dim();
  const int64_t hw = image.tokens.size(1), c = image.tokens.size(2);
  const ImageTokensMixer mixer = tokens_for_image(tokens_k, tokens_v);
  ImageTokens out = image_tokens_out(batch, image.tokens, image.terms, mixer, norm);
  if (!mixer.reordered) {
    in_image_chunks(batch, hw, [&](int64_t b, int64_t first, int64_t rows) {
      const at::Tensor q = project_rows(a.q_proj, rows_of(image.with_pe, b, first, rows));  // [h, rows, d]
      at::Tensor weights = at::bmm(mixer.keys[b], q.transpose(1, 2));                     // [h, N, rows]
      column_softmax_in_place(weights);
      mix_into(out, rows_of(image.tokens, b, first, rows), image.terms, weights, mixer, b, first, norm, image_pe);
    });
    return out;
  }
  // Score of image token x against key k: (W_q,h x + b_q,h) . k = x . (W_q,h^T k) + b_q,h . k.
  const at::Tensor key_through_query =
      at::matmul(mixer.keys, a.q_proj.weight.view({heads, d, c})).reshape({batch, heads * n, c});
  const at::Tensor key_bias = at::matmul(mixer.keys, a.q_proj.bias.view({heads, d, 1})).reshape({batch, heads * n, 1});
  in_image_chunks(batch, hw, [&](int64_t b, int64_t first, int64_t rows) {
    at::Tensor weights = at::addmm(key_bias[b], key_through_query[b], rows_of(image.with_pe, b, first, rows).t())
                             .view({heads, n, rows});
    column_softmax_in_place(weights);
    mix_into(out, rows_of(image.tokens, b, first, rows), image.terms, weights, mixer, b, first, norm, image_pe);
  });
  return out;
}

ImageTokens PlannedAttention::image_to_tokens_projected(const at::Tensor& q, const ImageTokens& image,
                                                 const at::Tensor& tokens_k, const at::Tensor& tokens_v,
                                                 const LayerNorm& norm, const at::Tensor& image_pe) const {
  const int64_t batch = tokens_k.size(0);
  const ImageTokensMixer mixer = tokens_for_image(tokens_k, tokens_v);
  ImageTokens out = image_tokens_out(batch, image.tokens, image.terms, mixer, norm);
  in_image_chunks(batch, image.tokens.size(1), [&](int64_t b, int64_t first, int64_t rows) {
    at::Tensor weights = at::bmm(mixer.keys[b], q.narrow(1, first, rows).transpose(1, 2));  // [h, N, rows]
    column_softmax_in_place(weights);
    mix_into(out, rows_of(image.tokens, b, first, rows), image.terms, weights, mixer, b, first, norm, image_pe);
  });
  return out;
}

PlannedAttention::ImageTokensMixer PlannedAttention::tokens_for_image(const at::Tensor& tokens_k, const at::Tensor& tokens_v) const {
  const double scale = 1.0 / std::sqrt(static_cast<double>(a.head_dim()));
  ImageTokensMixer mixer;
  mixer.keys = separate_heads(a.k_proj(tokens_k), a.num_heads).mul(scale);  // [B, h, N, d]
  const at::Tensor values = separate_heads(a.v_proj(tokens_v), a.num_heads);
  mixer.reordered = reorders(tokens_k.size(1));
  // Reordered: sum_n a_n W_o,h v_n, the values through the output projection before the mixing.
  mixer.values = mixer.reordered ? values_through_output(values) : values;
  return mixer;
}

ImageTokens PlannedAttention::image_tokens_out(int64_t batch, const at::Tensor& like, const ImageTokenTerms& in,
                                        const ImageTokensMixer& mixer, const LayerNorm& norm) const {
  const int64_t hw = like.size(1), c = like.size(2);
  ImageTokens out{at::empty({batch, hw, c}, like.options()), at::empty({batch, hw, c}, like.options()), {}};
  if (!in.defined() || !mixer.reordered) return out;
  // With x = scale base + left right and the attention output a values (a [HW, h N]),
  // norm(x + a values) = rstd (x + a values - mean) g + b is again such terms:
  //   scale' = rstd scale, left' = [rstd left | rstd a | -rstd mean | 1],
  //   right' = [right g; values g; g; b].
  // The chunks of rows fill in scale' and left' (see mix_into).
  const int64_t k = in.left.size(2), mixed = mixer.values.size(1);
  out.terms.scale = at::empty({batch, hw, 1}, like.options());
  out.terms.left = at::empty({batch, hw, k + mixed + 2}, like.options());
  const at::Tensor gain = norm.weight.view({1, 1, c});
  out.terms.right = at::cat({in.right.expand({batch, k, c}) * gain, mixer.values * gain, gain.expand({batch, 1, c}),
                             norm.bias.view({1, 1, c}).expand({batch, 1, c})},
                            1);
  return out;
}

void PlannedAttention::mix_into(ImageTokens& out, const at::Tensor& x, const ImageTokenTerms& in, const at::Tensor& weights,
                         const ImageTokensMixer& mixer, int64_t b, int64_t first, const LayerNorm& norm,
                         const at::Tensor& image_pe) const {
  const int64_t rows = x.size(0), heads = a.num_heads, n = weights.size(1);
  at::Tensor sum;
  const at::Tensor by_row = weights.view({heads * n, rows}).t();  // [rows, h N]
  if (mixer.reordered) {
    sum = at::addmm(x, by_row, mixer.values[b]);
  } else {
    const at::Tensor mixed = at::bmm(weights.transpose(1, 2), mixer.values[b]);  // [h, rows, d]
    sum = x + a.out_proj(mixed.transpose(0, 1).reshape({rows, heads * a.head_dim()}));
  }
  at::Tensor tokens = out.tokens[b].narrow(0, first, rows);
  at::Tensor with_pe = out.with_pe[b].narrow(0, first, rows);
  // The norm's mean and reciprocal deviation of each row scale the terms (image_tokens_out).
  at::Tensor mean, rstd;
  if (out.terms.defined()) {
    mean = at::empty({rows, 1}, x.options());
    rstd = at::empty({rows, 1}, x.options());
  }
  layer_norm_rows(sum, norm.weight, norm.bias, norm.eps, tokens, image_pe[0].narrow(0, first, rows), with_pe, mean,
                  rstd);
  if (out.terms.defined()) {
    at::Tensor scale = out.terms.scale[b].narrow(0, first, rows);
    at::mul_out(scale, rows_of(in.scale, b, first, rows), rstd);
    at::Tensor left = out.terms.left[b].narrow(0, first, rows);
    const int64_t k = in.left.size(2), mixed = by_row.size(1);
    at::Tensor carried = left.narrow(1, 0, k), added = left.narrow(1, k, mixed);
    at::mul_out(carried, rows_of(in.left, b, first, rows), rstd);
    at::mul_out(added, by_row, rstd);
    at::Tensor centre = left.narrow(1, k + mixed, 1);
    at::mul_out(centre, mean, rstd).neg_();
    left.narrow(1, k + mixed + 1, 1).fill_(1.0f);
  }
}

}  // namespace

TransformerPlan::TransformerPlan(const TwoWayTransformer& transformer, AttentionOrder order)
    : transformer_(transformer), order_(order) {}

FirstLayerCache TransformerPlan::prepare(const at::Tensor& image, const at::Tensor& image_pe) const {
  FirstLayerCache cache;
  if (transformer_.layers.empty()) return cache;
  const TwoWayAttentionBlock& first = transformer_.layers[0];
  const PlannedAttention to_image{first.cross_attn_token_to_image, order_};
  const PlannedAttention to_tokens{first.cross_attn_image_to_token, order_};
  const at::Tensor image_with_pe = image + image_pe;
  cache.token_to_image_k = to_image.project_heads(to_image.a.k_proj, image_with_pe);
  cache.token_to_image_v = to_image.project_heads(to_image.a.v_proj, image);
  cache.image_to_token_q = to_tokens.project_heads(to_tokens.a.q_proj, image_with_pe);
  // The image tokens themselves: scale 1, nothing else.
  const int64_t hw = image.size(1), c = image.size(2);
  cache.input = {at::ones({1, hw, 1}, image.options()), at::empty({1, hw, 0}, image.options()),
                 at::empty({1, 0, c}, image.options())};
  return cache;
}

at::Tensor TransformerPlan::terms_base(const at::Tensor& image) const {
  at::Tensor base = image[0].clone();
  for (const TwoWayAttentionBlock& block : transformer_.layers) base.mul_(block.norm4.weight);
  return base;
}

FirstLayerCache TransformerPlan::with_dense(const FirstLayerCache& cache, const at::Tensor& hidden,
                                              const at::Tensor& weight, const at::Tensor& bias,
                                              const at::Tensor& base) const {
  const TwoWayAttentionBlock& first = transformer_.layers[0];
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
  // The image tokens are the cached ones plus hidden weight^T + (bias - base).
  out.input = {cache.input.scale, at::cat({hidden, at::ones({hw, 1}, hidden.options())}, 1).unsqueeze(0),
               at::cat({weight.t(), shift.view({1, -1})}, 0).unsqueeze(0)};
  return out;
}

std::pair<at::Tensor, ImageTokens> TransformerPlan::operator()(const at::Tensor& image, const at::Tensor& image_pe,
                                                                 const at::Tensor& tokens, const FirstLayerCache& cache,
                                                                 const at::Tensor& kept_tokens) const {
  at::Tensor queries = tokens;
  // A cached first layer works from its projections and hands on the image plus position
  // encoding like every later layer; without it, the first layer needs that sum made here.
  ImageTokens keys{image, cache.defined() ? at::Tensor() : image + image_pe, cache.input};
  for (size_t i = 0; i < transformer_.layers.size(); ++i) {
    const TwoWayAttentionBlock& block = transformer_.layers[i];
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
    at::Tensor q = queries + tokens;
    const PlannedAttention to_image{block.cross_attn_token_to_image, order_};
    const at::Tensor attended = cached ? to_image.tokens_to_image_projected(q, cache.token_to_image_k,
                                                                            cache.token_to_image_v)
                                       : to_image.tokens_to_image(q, keys);
    queries = block.norm2(queries + attended);

    // Reading the MLP's weights (two 256 x 2048 matrices) is most of its work on a few tokens.
    queries = block.norm3(queries + block.mlp.across_threads(queries));

    // The image attends to the tokens.
    q = queries + tokens;
    const PlannedAttention to_tokens{block.cross_attn_image_to_token, order_};
    keys = cached ? to_tokens.image_to_tokens_projected(cache.image_to_token_q, keys, q, queries, block.norm4,
                                                        image_pe)
                  : to_tokens.image_to_tokens(keys, q, queries, block.norm4, image_pe);
  }
  // The last attention's outputs count only for the tokens the caller keeps.
  const at::Tensor kept_queries = queries.index_select(1, kept_tokens);
  const at::Tensor q = kept_queries + tokens.index_select(1, kept_tokens);
  const PlannedAttention final_attention{transformer_.final_attn_token_to_image, order_};
  queries = transformer_.norm_final_attn(kept_queries + final_attention.tokens_to_image(q, keys));
  return {queries, keys};
}


}  // namespace sam
