#include "sam2/hiera.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "engine_error.h"
#include "model/nn_layers.h"
#include "model/parallel_tasks.h"
#include "kernels/avx2_support.h"
#include "kernels/cpu_attention.h"
#include "kernels/cpu_linear.h"

namespace sam {
namespace {

constexpr double kLayerNormEps = 1e-6;
// Rows per task of the fused MLP: the hidden activations of a task (rows x 4C floats) stay in
// cache between the two GEMMs and the GELU.
constexpr int64_t kMlpRows = 512;
// Without the AVX2 kernel, attention scores are computed in slices of at most this many floats
// per task, so that a slice is still in cache when the softmax and the values read it back.
constexpr int64_t kScoreSliceElements = int64_t{1} << 19;

std::string block_prefix(const std::string& prefix, int index) {
  return prefix + "blocks." + std::to_string(index) + ".";
}

// Max pooling with a 2x2 kernel and stride 2 (rounding down) over [B, H, W, C], as the
// maximum of the four strided quarter maps.
at::Tensor pool_2x2(const at::Tensor& x) {
  const int64_t height = x.size(1) / 2 * 2, width = x.size(2) / 2 * 2;
  const at::Tensor even = x.slice(1, 0, height, 2), odd = x.slice(1, 1, height, 2);
  at::Tensor out = at::maximum(even.slice(2, 0, width, 2), even.slice(2, 1, width, 2));
  at::maximum_out(out, out, odd.slice(2, 0, width, 2));
  at::maximum_out(out, out, odd.slice(2, 1, width, 2));
  return out;
}

// [B, H, W, C] -> [B * windows, size, size, C], zero-padding H and W up to multiples of size.
at::Tensor window_partition(const at::Tensor& x, int64_t size) {
  const int64_t batch = x.size(0), height = x.size(1), width = x.size(2), channels = x.size(3);
  const int64_t pad_h = (size - height % size) % size, pad_w = (size - width % size) % size;
  const at::Tensor padded = (pad_h || pad_w) ? at::constant_pad_nd(x, {0, 0, 0, pad_w, 0, pad_h}, 0) : x;
  const int64_t rows = (height + pad_h) / size, cols = (width + pad_w) / size;
  return padded.view({batch, rows, size, cols, size, channels})
      .permute({0, 1, 3, 2, 4, 5})
      .reshape({batch * rows * cols, size, size, channels});
}

// Inverse of window_partition for a map of height x width: [B, H, W, C], padding dropped.
at::Tensor window_unpartition(const at::Tensor& windows, int64_t size, int64_t height, int64_t width) {
  const int64_t rows = (height + size - 1) / size, cols = (width + size - 1) / size;
  const int64_t channels = windows.size(3), batch = windows.size(0) / (rows * cols);
  const at::Tensor whole = windows.view({batch, rows, cols, size, size, channels})
                               .permute({0, 1, 3, 2, 4, 5})
                               .reshape({batch, rows * size, cols * size, channels});
  if (rows * size == height && cols * size == width) return whole;
  return whole.slice(1, 0, height).slice(2, 0, width).contiguous();
}

// softmax(q k^T) v per window and head. q: [N, Tq, heads * D] (rows may be strided),
// k and v: [N, T, heads * D] (likewise); writes out: [N, Tq, heads * D]. q is pre-scaled.
// cpu_kernels: the CPU's own path (see Compute); else one batched product over every window and
// head, as the reference computes it.
void attend(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, int64_t heads, at::Tensor& out,
            bool cpu_kernels) {
  const int64_t windows = q.size(0), queries = q.size(1), keys = k.size(1), head_dim = q.size(2) / heads;
  if (!cpu_kernels) {
    auto split = [&](const at::Tensor& t) {
      return t.reshape({windows, t.size(1), heads, head_dim}).transpose(1, 2).reshape({-1, t.size(1), head_dim});
    };
    const at::Tensor scores = softmax_float(at::bmm(split(q), split(k).transpose(1, 2)), -1);
    out.copy_(at::bmm(scores, split(v)).view({windows, heads, queries, head_dim}).transpose(1, 2).reshape(out.sizes()));
    return;
  }
  if (q.scalar_type() == at::kFloat && avx2_kernels_available()) {
    // Each task is one head of one window (or a share of its queries when there are fewer
    // windows and heads than threads), computed start to end on one thread.
    const int64_t pairs = windows * heads;
    const int64_t shares = std::max<int64_t>(1, (2 * parallel_worker_count() + pairs - 1) / pairs);
    const int64_t share_rows = (queries + shares - 1) / shares;
    const float* q_data = q.data_ptr<float>();
    const float* k_data = k.data_ptr<float>();
    const float* v_data = v.data_ptr<float>();
    float* out_data = out.data_ptr<float>();
    std::vector<AttentionScratch> scratch(parallel_worker_count());
    parallel_tasks(pairs * shares, [&](int64_t task, int64_t worker) {
      const int64_t window = task / (heads * shares), head = (task / shares) % heads;
      const int64_t first = (task % shares) * share_rows, count = std::min(share_rows, queries - first);
      if (count <= 0) return;
      const int64_t channel = head * head_dim;
      cpu_attention(q_data + window * q.stride(0) + first * q.stride(1) + channel, q.stride(1),
                    k_data + window * k.stride(0) + channel, k.stride(1), v_data + window * v.stride(0) + channel,
                    v.stride(1), out_data + window * out.stride(0) + first * out.stride(1) + channel, out.stride(1),
                    count, keys, head_dim, scratch[worker]);
    });
    return;
  }
  // Other CPUs: each task is one slice of queries of one head of one window.
  const int64_t rows = std::min(queries, std::max<int64_t>(16, kScoreSliceElements / keys));
  const int64_t slices = (queries + rows - 1) / rows;
  std::vector<at::Tensor> buffers(parallel_worker_count());
  parallel_tasks(windows * heads * slices, [&](int64_t task, int64_t worker) {
    if (!buffers[worker].defined()) buffers[worker] = at::empty({rows, keys}, q.options());
    const int64_t window = task / (heads * slices), head = (task / slices) % heads;
    const int64_t first = (task % slices) * rows, count = std::min(rows, queries - first);
    const int64_t channel = head * head_dim;
    at::Tensor scores = buffers[worker].narrow(0, 0, count);
    at::mm_out(scores, q.select(0, window).narrow(1, channel, head_dim).narrow(0, first, count),
               k.select(0, window).narrow(1, channel, head_dim).t());
    at::_softmax_out(scores, scores, 1, false);
    at::Tensor out_slice = out.select(0, window).narrow(1, channel, head_dim).narrow(0, first, count);
    at::mm_out(out_slice, scores, v.select(0, window).narrow(1, channel, head_dim));
  });
}

}  // namespace

HieraBlock::HieraBlock(Weights& weights, const std::string& prefix, int dim, int dim_out, int num_heads,
                       int window_size, bool pools_queries)
    : dim_(dim), dim_out_(dim_out), num_heads_(num_heads), window_size_(window_size),
      pools_queries_(pools_queries), cpu_kernels_(weights.cpu_kernels()) {
  if (num_heads <= 0 || dim_out % num_heads != 0)
    throw Error(SAM_ERROR_MODEL, prefix + ": " + std::to_string(dim_out) + " channels do not split into " +
                                     std::to_string(num_heads) + " heads");
  norm1_weight_ = weights.get(prefix + "norm1.weight", {dim});
  norm1_bias_ = weights.get(prefix + "norm1.bias", {dim});
  norm2_weight_ = weights.get(prefix + "norm2.weight", {dim_out});
  norm2_bias_ = weights.get(prefix + "norm2.bias", {dim_out});
  // Fold the attention's 1/sqrt(head_dim) into the query projection; max pooling of the
  // queries commutes with a positive scale, so this is the same function.
  const double scale = 1.0 / std::sqrt(static_cast<double>(dim_out / num_heads));
  at::Tensor qkv_weight = weights.get(prefix + "attn.qkv.weight", {3 * dim_out, dim}).clone();
  at::Tensor qkv_bias = weights.get(prefix + "attn.qkv.bias", {3 * dim_out}).clone();
  qkv_weight.narrow(0, 0, dim_out).mul_(scale);
  qkv_bias.narrow(0, 0, dim_out).mul_(scale);
  qkv_ = Linear(qkv_weight, qkv_bias, weights.compute());
  attn_proj_ = Linear(weights, prefix + "attn.proj.", dim_out, dim_out);
  mlp_in_ = Linear(weights, prefix + "mlp.layers.0.", dim_out, 4 * dim_out);
  mlp_out_ = Linear(weights, prefix + "mlp.layers.1.", 4 * dim_out, dim_out);
  if (dim != dim_out) skip_ = Linear(weights, prefix + "proj.", dim, dim_out);
}

at::Tensor HieraBlock::attention(const at::Tensor& tokens) const {
  const int64_t windows = tokens.size(0), height = tokens.size(1), width = tokens.size(2);
  const at::Tensor qkv = qkv_(tokens).view({windows, height * width, 3 * dim_out_});
  at::Tensor q = qkv.narrow(2, 0, dim_out_);
  int64_t out_height = height, out_width = width;
  if (pools_queries_) {
    q = pool_2x2(q.view({windows, height, width, dim_out_}));
    out_height = q.size(1);
    out_width = q.size(2);
    q = q.view({windows, out_height * out_width, dim_out_});
  }
  at::Tensor out = at::empty({windows, out_height * out_width, dim_out_}, tokens.options());
  attend(q, qkv.narrow(2, dim_out_, dim_out_), qkv.narrow(2, 2 * dim_out_, dim_out_), num_heads_, out, cpu_kernels_);
  return out.view({windows, out_height, out_width, dim_out_});
}

void HieraBlock::mlp_residual_(at::Tensor& x) const {
  at::Tensor rows = x.view({-1, dim_out_});
  if (!cpu_kernels_) {
    rows.add_(mlp_out_(at::gelu(mlp_in_(layer_norm_float(rows, {dim_out_}, norm2_weight_, norm2_bias_, kLayerNormEps)))));
    return;
  }
  std::vector<at::Tensor> hidden(parallel_worker_count());
  // Each task takes its rows through norm, expansion, GELU and contraction, the hidden
  // activations staying in cache.
  parallel_row_chunks(rows.size(0), kMlpRows, [&](int64_t begin, int64_t end, int64_t worker) {
    if (!hidden[worker].defined()) hidden[worker] = at::empty({kMlpRows, 4 * dim_out_}, x.options());
    const at::Tensor normed = layer_norm_float(rows.narrow(0, begin, end - begin), {dim_out_}, norm2_weight_,
                                             norm2_bias_, kLayerNormEps);
    at::Tensor h = hidden[worker].narrow(0, 0, end - begin);
    mlp_in_.apply_rows(normed, h, 0, end - begin);
    at::gelu_(h);
    at::Tensor slice = rows.narrow(0, begin, end - begin);
    mlp_out_.apply_rows(h, slice, 0, end - begin, &slice);
  });
}

at::Tensor HieraBlock::forward(const at::Tensor& x) const {
  const at::Tensor normed = layer_norm_float(x, {dim_}, norm1_weight_, norm1_bias_, kLayerNormEps);
  at::Tensor shortcut = x;
  if (dim_ != dim_out_) {
    shortcut = skip_(normed);
    if (pools_queries_) shortcut = pool_2x2(shortcut);
  }
  at::Tensor attended;
  if (window_size_ > 0) {
    // Pooled queries shrink each window along with the map.
    const int64_t out_window = pools_queries_ ? window_size_ / 2 : window_size_;
    attended = window_unpartition(attention(window_partition(normed, window_size_)), out_window, shortcut.size(1),
                                  shortcut.size(2));
  } else {
    attended = attention(normed);
  }
  at::Tensor out = attn_proj_(attended, shortcut);
  mlp_residual_(out);
  return out;
}

Hiera::Hiera(Weights& weights, const std::string& prefix, const HieraSizes& sizes) : sizes_(sizes) {
  int dim = sizes.embed_dim, heads = sizes.num_heads;
  patch_weight_ = weights.get(prefix + "patch_embed.proj.weight", {dim, 3, 7, 7});
  patch_bias_ = weights.get(prefix + "patch_embed.proj.bias", {dim});
  pos_embed_ = weights.get(prefix + "pos_embed",
                           {1, dim, sizes.window_pos_embed_bkg_spatial_size[0], sizes.window_pos_embed_bkg_spatial_size[1]});
  pos_embed_window_ = weights.get(prefix + "pos_embed_window", {1, dim, sizes.window_spec[0], sizes.window_spec[0]});

  int depth = 0;
  for (int blocks : sizes.stages) {
    depth += blocks;
    stage_ends_.push_back(depth - 1);
  }
  auto is_stage_end = [&](int i) { return std::find(stage_ends_.begin(), stage_ends_.end(), i) != stage_ends_.end(); };
  auto is_global = [&](int i) {
    return std::find(sizes.global_att_blocks.begin(), sizes.global_att_blocks.end(), i) != sizes.global_att_blocks.end();
  };
  size_t stage = 0;
  blocks_.reserve(depth);
  for (int i = 0; i < depth; ++i) {
    // The window size lags a block behind the stage: a stage's first block (the one that
    // pools) still uses the previous stage's window, measured before pooling.
    const int window = is_global(i) ? 0 : sizes.window_spec[stage];
    int dim_out = dim;
    const bool starts_stage = i > 0 && is_stage_end(i - 1);
    if (starts_stage) {
      dim_out = dim * 2;
      heads *= 2;
      ++stage;
    }
    blocks_.emplace_back(weights, block_prefix(prefix, i), dim, dim_out, heads, window, starts_stage);
    dim = dim_out;
    if (is_stage_end(i)) stage_channels_.push_back(dim);
  }
}

const at::Tensor& Hiera::position_embedding(int64_t height, int64_t width) {
  if (cached_pos_.defined() && cached_pos_.size(2) == height && cached_pos_.size(3) == width) return cached_pos_;
  const int64_t window = pos_embed_window_.size(2);
  if (height % window != 0 || width % window != 0)
    throw Error(SAM_ERROR_ARGUMENT, "Hiera: the patch grid " + std::to_string(height) + "x" + std::to_string(width) +
                                        " is not a multiple of the " + std::to_string(window) +
                                        "-token position-embedding window");
  // Background embedding resized to the grid, plus the window embedding repeated over it.
  cached_pos_ = at::upsample_bicubic2d(pos_embed_, {height, width}, false);
  cached_pos_.add_(pos_embed_window_.repeat({1, 1, height / window, width / window}));
  return cached_pos_;
}

std::vector<at::Tensor> Hiera::forward(const at::Tensor& image) {
  at::Tensor x = at::conv2d(image, patch_weight_, patch_bias_, {4, 4}, {3, 3});
  x.add_(position_embedding(x.size(2), x.size(3)));
  x = x.permute({0, 2, 3, 1}).contiguous();

  std::vector<at::Tensor> outputs;
  for (size_t i = 0; i < blocks_.size(); ++i) {
    x = blocks_[i].forward(x);
    if (std::find(stage_ends_.begin(), stage_ends_.end(), static_cast<int>(i)) != stage_ends_.end())
      outputs.push_back(x);
  }
  return outputs;
}

}  // namespace sam
