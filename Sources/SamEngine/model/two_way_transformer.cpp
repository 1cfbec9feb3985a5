#include "model/two_way_transformer.h"

#include <cmath>
#include <functional>

#include "model/parallel_tasks.h"
#include "model/vector_kernels.h"

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

// Image-sized work runs in chunks of image rows on all of ATen's threads, each chunk small
// enough for its products and element-wise steps to stay in cache (the engine's BLAS is
// single-threaded here; see MaskDecoder::predict_masks).
constexpr int64_t kChunkRows = 512;

int64_t chunk_count(int64_t hw, int64_t chunk_rows) { return (hw + chunk_rows - 1) / chunk_rows; }

// body(b, first, rows) for every prompt set b < batch and chunk of chunk_rows rows of [0, hw).
void in_image_chunks(int64_t batch, int64_t hw, const std::function<void(int64_t, int64_t, int64_t)>& body,
                     int64_t chunk_rows = kChunkRows) {
  const int64_t chunks = chunk_count(hw, chunk_rows);
  parallel_tasks(batch * chunks, [&](int64_t index, int64_t) {
    const int64_t first = (index % chunks) * chunk_rows;
    body(index / chunks, first, std::min(chunk_rows, hw - first));
  });
}

// Rows [first, first + count) of prompt set b's image tokens [1 or B, HW, C] (one image for
// all prompt sets, or one each).
at::Tensor rows_of(const at::Tensor& image, int64_t b, int64_t first, int64_t count) {
  return image[image.size(0) == 1 ? 0 : b].narrow(0, first, count);
}

// One chunk's share of a softmax over all of an image's rows, for R query rows at once.
struct ChunkSoftmax {
  at::Tensor max, sum;  // [R, 1]: the chunk's largest score and its sum of weights
  // exp(scores - the chunk's maximum) for scores [R, rows].
  at::Tensor weights(const at::Tensor& scores);
};

at::Tensor ChunkSoftmax::weights(const at::Tensor& scores) {
  max = std::get<0>(scores.max(1, true));
  at::Tensor e = (scores - max).exp_();
  sum = e.sum(1, true);
  return e;
}

// chunk(b, first, rows, softmax): prompt set b's mix [R, V] of those image rows, weighted by
// softmax.weights(its scores).
using ChunkAttention = std::function<at::Tensor(int64_t b, int64_t first, int64_t rows, ChunkSoftmax& softmax)>;

// Attention of R query rows over all HW image rows for each prompt set: [batch, R, V].
at::Tensor attend_in_chunks(int64_t batch, int64_t hw, const ChunkAttention& chunk, int64_t chunk_rows = kChunkRows) {
  // Softmax over all HW rows, one chunk of rows at a time: each chunk weighs its rows by
  // exp(score - its own maximum); rescaled by exp(its maximum - the overall maximum), the
  // chunks' mixes and sums add up to the whole softmax's (as FlashAttention merges its blocks).
  const int64_t chunks = chunk_count(hw, chunk_rows);
  std::vector<at::Tensor> mixes(batch * chunks), maxima(batch * chunks), sums(batch * chunks);
  in_image_chunks(
      batch, hw,
      [&](int64_t b, int64_t first, int64_t rows) {
        ChunkSoftmax softmax;
        const size_t slot = static_cast<size_t>(b * chunks + first / chunk_rows);
        mixes[slot] = chunk(b, first, rows, softmax);
        maxima[slot] = softmax.max;
        sums[slot] = softmax.sum;
      },
      chunk_rows);
  std::vector<at::Tensor> out;
  for (int64_t b = 0; b < batch; ++b) {
    auto of_prompt = [&](const std::vector<at::Tensor>& all) {
      return at::stack(at::ArrayRef<at::Tensor>(all).slice(b * chunks, chunks));  // [chunks, R, 1 or V]
    };
    const at::Tensor max = of_prompt(maxima);
    const at::Tensor rescale = (max - std::get<0>(max.max(0, true))).exp_();
    out.push_back((of_prompt(mixes) * rescale).sum(0) / (of_prompt(sums) * rescale).sum(0));
  }
  return at::stack(out);
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
  return project_rows(projection, x[0]).contiguous();
}

at::Tensor Attention::project_rows(const Linear& projection, const at::Tensor& rows) const {
  return projection(rows).view({rows.size(0), num_heads, head_dim()}).permute({1, 0, 2});
}

at::Tensor Attention::values_through_output(const at::Tensor& values) const {
  const int64_t batch = values.size(0), tokens = values.size(2), channels = out_proj.out_features();
  const at::Tensor output_weight = out_proj.weight.view({channels, num_heads, head_dim()}).permute({1, 2, 0});
  return at::matmul(values, output_weight)
      .add_(out_proj.bias / static_cast<double>(num_heads))
      .reshape({batch, num_heads * tokens, channels});
}

at::Tensor Attention::tokens_to_image(const at::Tensor& tokens, const ImageTokens& image, AttentionOrder order) const {
  const int64_t batch = tokens.size(0), n = tokens.size(1), heads = num_heads, d = head_dim(), c = tokens.size(2);
  const int64_t hw = image.tokens.size(1);
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  const at::Tensor q = separate_heads(q_proj(tokens), heads).mul(scale);  // [B, h, N, d]

  if (!reorders(order, n)) {
    const at::Tensor mixed = attend_in_chunks(batch, hw, [&](int64_t b, int64_t first, int64_t rows,
                                                             ChunkSoftmax& softmax) {
      const at::Tensor k = project_rows(k_proj, rows_of(image.with_pe, b, first, rows));  // [h, rows, d]
      const at::Tensor weights = softmax.weights(at::bmm(q[b], k.transpose(1, 2)).view({heads * n, rows}));
      const at::Tensor v = project_rows(v_proj, rows_of(image.tokens, b, first, rows));
      return at::bmm(weights.view({heads, n, rows}), v).view({heads * n, d});
    });
    return out_proj(recombine_heads(mixed.view({batch, heads, n, d})));
  }
  // Score of query q against image token x: q . (W_k,h x + b_k,h) = (q W_k,h) . x + const; the
  // constant is the same for every image token and cancels in the softmax.
  const at::Tensor q_through_key = at::matmul(q, k_proj.weight.view({heads, d, c})).reshape({batch, heads * n, c});
  const at::Tensor mixed = attend_in_chunks(batch, hw, [&](int64_t b, int64_t first, int64_t rows,
                                                           ChunkSoftmax& softmax) {
    const at::Tensor weights = softmax.weights(at::mm(q_through_key[b], rows_of(image.with_pe, b, first, rows).t()));
    return at::mm(weights, rows_of(image.tokens, b, first, rows));  // [h N, C]
  });
  // Mixing the image tokens first, then projecting: sum_t a_t (W_v,h x_t + b_v,h) = W_v,h (sum_t a_t x_t) + b_v,h.
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
  return out_proj(mixed.view({heads, batch, n, d}).permute({1, 2, 0, 3}).reshape({batch, n, heads * d}));
}

ImageTokens Attention::image_to_tokens(const ImageTokens& image, const at::Tensor& tokens_k, const at::Tensor& tokens_v,
                                       const LayerNorm& norm, const at::Tensor& image_pe, AttentionOrder order) const {
  const int64_t batch = tokens_k.size(0), n = tokens_k.size(1), heads = num_heads, d = head_dim();
  const int64_t hw = image.tokens.size(1), c = image.tokens.size(2);
  const ImageTokensMixer mixer = tokens_for_image(tokens_k, tokens_v, order);
  ImageTokens out = image_tokens_out(batch, image.tokens, image.terms, mixer, norm);
  if (!mixer.reordered) {
    in_image_chunks(batch, hw, [&](int64_t b, int64_t first, int64_t rows) {
      const at::Tensor q = project_rows(q_proj, rows_of(image.with_pe, b, first, rows));  // [h, rows, d]
      at::Tensor weights = at::bmm(mixer.keys[b], q.transpose(1, 2));                     // [h, N, rows]
      column_softmax_in_place(weights);
      mix_into(out, rows_of(image.tokens, b, first, rows), image.terms, weights, mixer, b, first, norm, image_pe);
    });
    return out;
  }
  // Score of image token x against key k: (W_q,h x + b_q,h) . k = x . (W_q,h^T k) + b_q,h . k.
  const at::Tensor key_through_query =
      at::matmul(mixer.keys, q_proj.weight.view({heads, d, c})).reshape({batch, heads * n, c});
  const at::Tensor key_bias = at::matmul(mixer.keys, q_proj.bias.view({heads, d, 1})).reshape({batch, heads * n, 1});
  in_image_chunks(batch, hw, [&](int64_t b, int64_t first, int64_t rows) {
    at::Tensor weights = at::addmm(key_bias[b], key_through_query[b], rows_of(image.with_pe, b, first, rows).t())
                             .view({heads, n, rows});
    column_softmax_in_place(weights);
    mix_into(out, rows_of(image.tokens, b, first, rows), image.terms, weights, mixer, b, first, norm, image_pe);
  });
  return out;
}

ImageTokens Attention::image_to_tokens_projected(const at::Tensor& q, const ImageTokens& image,
                                                 const at::Tensor& tokens_k, const at::Tensor& tokens_v,
                                                 const LayerNorm& norm, const at::Tensor& image_pe,
                                                 AttentionOrder order) const {
  const int64_t batch = tokens_k.size(0);
  const ImageTokensMixer mixer = tokens_for_image(tokens_k, tokens_v, order);
  ImageTokens out = image_tokens_out(batch, image.tokens, image.terms, mixer, norm);
  in_image_chunks(batch, image.tokens.size(1), [&](int64_t b, int64_t first, int64_t rows) {
    at::Tensor weights = at::bmm(mixer.keys[b], q.narrow(1, first, rows).transpose(1, 2));  // [h, N, rows]
    column_softmax_in_place(weights);
    mix_into(out, rows_of(image.tokens, b, first, rows), image.terms, weights, mixer, b, first, norm, image_pe);
  });
  return out;
}

Attention::ImageTokensMixer Attention::tokens_for_image(const at::Tensor& tokens_k, const at::Tensor& tokens_v,
                                                        AttentionOrder order) const {
  const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim()));
  ImageTokensMixer mixer;
  mixer.keys = separate_heads(k_proj(tokens_k), num_heads).mul(scale);  // [B, h, N, d]
  const at::Tensor values = separate_heads(v_proj(tokens_v), num_heads);
  mixer.reordered = reorders(order, tokens_k.size(1));
  // Reordered: sum_n a_n W_o,h v_n, the values through the output projection before the mixing.
  mixer.values = mixer.reordered ? values_through_output(values) : values;
  return mixer;
}

ImageTokens Attention::image_tokens_out(int64_t batch, const at::Tensor& like, const ImageTokenTerms& in,
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

void Attention::mix_into(ImageTokens& out, const at::Tensor& x, const ImageTokenTerms& in, const at::Tensor& weights,
                         const ImageTokensMixer& mixer, int64_t b, int64_t first, const LayerNorm& norm,
                         const at::Tensor& image_pe) const {
  const int64_t rows = x.size(0), heads = num_heads, n = weights.size(1);
  at::Tensor sum;
  const at::Tensor by_row = weights.view({heads * n, rows}).t();  // [rows, h N]
  if (mixer.reordered) {
    sum = at::addmm(x, by_row, mixer.values[b]);
  } else {
    const at::Tensor mixed = at::bmm(weights.transpose(1, 2), mixer.values[b]);  // [h, rows, d]
    sum = x + out_proj(mixed.transpose(0, 1).reshape({rows, heads * head_dim()}));
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
  // The image tokens themselves: scale 1, nothing else.
  const int64_t hw = image.size(1), c = image.size(2);
  cache.input = {at::ones({1, hw, 1}, image.options()), at::empty({1, hw, 0}, image.options()),
                 at::empty({1, 0, c}, image.options())};
  return cache;
}

at::Tensor TwoWayTransformer::terms_base(const at::Tensor& image) const {
  at::Tensor base = image[0].clone();
  for (const Block& block : layers_) base.mul_(block.norm4.weight);
  return base;
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
  // The image tokens are the cached ones plus hidden weight^T + (bias - base).
  out.input = {cache.input.scale, at::cat({hidden, at::ones({hw, 1}, hidden.options())}, 1).unsqueeze(0),
               at::cat({weight.t(), shift.view({1, -1})}, 0).unsqueeze(0)};
  return out;
}

std::pair<at::Tensor, ImageTokens> TwoWayTransformer::operator()(const at::Tensor& image, const at::Tensor& image_pe,
                                                                 const at::Tensor& tokens, const FirstLayerCache& cache,
                                                                 const at::Tensor& kept_tokens) const {
  at::Tensor queries = tokens;
  // A cached first layer works from its projections and hands on the image plus position
  // encoding like every later layer; without it, the first layer needs that sum made here.
  ImageTokens keys{image, cache.defined() ? at::Tensor() : image + image_pe, cache.input};
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
    at::Tensor q = queries + tokens;
    const at::Tensor to_image =
        cached ? block.cross_attn_token_to_image.tokens_to_image_projected(q, cache.token_to_image_k,
                                                                           cache.token_to_image_v)
               : block.cross_attn_token_to_image.tokens_to_image(q, keys, order_);
    queries = block.norm2(queries + to_image);

    // Reading the MLP's weights (two 256 x 2048 matrices) is most of its work on a few tokens.
    queries = block.norm3(queries + block.mlp.across_threads(queries));

    // The image attends to the tokens.
    q = queries + tokens;
    const Attention& to_tokens = block.cross_attn_image_to_token;
    keys = cached ? to_tokens.image_to_tokens_projected(cache.image_to_token_q, keys, q, queries, block.norm4,
                                                        image_pe, order_)
                  : to_tokens.image_to_tokens(keys, q, queries, block.norm4, image_pe, order_);
  }
  // The last attention's outputs count only for the tokens the caller keeps.
  const at::Tensor kept_queries = kept_tokens.defined() ? queries.index_select(1, kept_tokens) : queries;
  const at::Tensor q = kept_queries + (kept_tokens.defined() ? tokens.index_select(1, kept_tokens) : tokens);
  queries = norm_final_attn_(kept_queries + final_attn_token_to_image_.tokens_to_image(q, keys, order_));
  return {queries, keys};
}

}  // namespace sam
