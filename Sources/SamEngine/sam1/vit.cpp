#include "sam1/vit.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "engine_error.h"
#include "model/nn_layers.h"
#include "model/parallel_tasks.h"

namespace sam {
namespace {

constexpr double kLayerNormEps = 1e-6;  // the encoder's norm_layer and LayerNorm2d
constexpr int kPatchSize = 16;
// Token rows per task of the row-wise steps (norm and qkv projection; output projection and
// MLP): enough rows for efficient GEMMs, few enough that a task's activations stay in cache.
constexpr int64_t kRowChunk = 256;
// A global attention task takes whole rows of the query grid, up to about this many scores.
constexpr int64_t kScoreSliceElements = int64_t{1} << 20;

std::string block_prefix(const std::string& prefix, int index) {
  return prefix + "blocks." + std::to_string(index) + ".";
}

// Exact (erf) GELU in place, x (1 + erf(x / sqrt 2)) / 2, from elementwise kernels: at::gelu
// goes through oneDNN, whose own OpenMP region per call is costly inside parallel tasks.
void gelu_in_place(at::Tensor& x, at::Tensor& scratch) {
  at::mul_out(scratch, x, M_SQRT1_2);
  scratch.erf_().add_(1.0);
  x.mul_(scratch).mul_(0.5);
}

// Per-thread buffers of the attention tasks.
struct AttentionBuffers {
  at::Tensor scores, rel_h, rel_w;  // [rows, T], [rows, S], [rows, S]
  at::Tensor q, k, v, out;          // one window's head (windowed blocks only): [T, head_dim]
};

// softmax(scale q k^T + decomposed relative positions) v for a block of queries that covers
// whole rows of the side x side query grid, starting at grid row `first_row`.
// q: [n, hd] (n = rows * side; rows may be strided), k, v: [side^2, hd]; writes out: [n, hd].
// rel_h_t, rel_w_t: [side, hd, side] tables (add_decomposed_rel_pos's Rh and Rw, transposed);
// the relative terms use the unscaled queries, as the reference does.
void attend(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& rel_h_t,
            const at::Tensor& rel_w_t, int64_t side, int64_t first_row, float scale, AttentionBuffers& scratch,
            at::Tensor out) {
  const int64_t n = q.size(0), head_dim = q.size(1), grid_rows = n / side, keys = k.size(0);
  at::Tensor scores = scratch.scores.narrow(0, 0, n);
  at::mm_out(scores, q, k.t());
  // rel_h[y, x, ky] = q[y, x] . Rh[y, ky] (batched over query rows y);
  // rel_w[x, y, kx] = q[y, x] . Rw[x, kx] (batched over query columns x).
  const at::Tensor q_grid = q.view({grid_rows, side, head_dim});
  at::Tensor rel_h = scratch.rel_h.narrow(0, 0, n).view({grid_rows, side, side});
  at::Tensor rel_w = scratch.rel_w.narrow(0, 0, n).view({side, grid_rows, side});
  at::bmm_out(rel_h, q_grid, rel_h_t.narrow(0, first_row, grid_rows));
  at::bmm_out(rel_w, q_grid.transpose(0, 1), rel_w_t);

  float* score_data = scores.data_ptr<float>();
  const float* h_data = rel_h.data_ptr<float>();
  const float* w_data = rel_w.data_ptr<float>();
  for (int64_t r = 0; r < n; ++r) {
    const int64_t y = r / side, x = r % side;
    const float* h = h_data + r * side;
    const float* w = w_data + (x * grid_rows + y) * side;
    float* row = score_data + r * keys;
    for (int64_t ky = 0; ky < side; ++ky) {
      float* cells = row + ky * side;
      const float base = h[ky];
      for (int64_t kx = 0; kx < side; ++kx) cells[kx] = cells[kx] * scale + (base + w[kx]);
    }
  }
  at::_softmax_out(scores, scores, 1, false);
  at::mm_out(out, scores, v);
}

}  // namespace

at::Tensor relative_position_rows(int64_t q_size, int64_t k_size, const at::Tensor& rel_pos) {
  const int64_t max_distance = 2 * std::max(q_size, k_size) - 1;
  at::Tensor table = rel_pos;
  if (rel_pos.size(0) != max_distance) {
    // F.interpolate(mode="linear") along the length: [1, head_dim, L] -> [1, head_dim, max_distance].
    table = at::upsample_linear1d(rel_pos.t().unsqueeze(0), {max_distance}, false).squeeze(0).t();
  }
  // The reference computes the coordinates in float32 and truncates them to indices.
  const double q_stretch = std::max(static_cast<double>(k_size) / q_size, 1.0);
  const double k_stretch = std::max(static_cast<double>(q_size) / k_size, 1.0);
  const at::Tensor q_coords = at::arange(q_size, at::kFloat).mul(static_cast<float>(q_stretch)).unsqueeze(1);
  const at::Tensor k_coords = at::arange(k_size, at::kFloat).mul(static_cast<float>(k_stretch)).unsqueeze(0);
  const at::Tensor relative = (q_coords - k_coords).add(static_cast<float>((k_size - 1) * k_stretch));
  return table.index({relative.to(at::kLong)}).contiguous();
}

VitBlock::VitBlock(Weights& weights, const std::string& prefix, int dim, int num_heads, int window_size, int grid)
    : dim_(dim),
      num_heads_(num_heads),
      head_dim_(num_heads > 0 ? dim / num_heads : 0),
      window_size_(window_size),
      attention_size_(window_size > 0 ? window_size : grid),
      cpu_kernels_(weights.cpu_kernels()) {
  if (num_heads <= 0 || dim % num_heads != 0)
    throw Error(SAM_ERROR_MODEL, prefix + ": " + std::to_string(dim) + " channels do not split into " +
                                     std::to_string(num_heads) + " heads");
  scale_ = static_cast<float>(1.0 / std::sqrt(static_cast<double>(head_dim_)));
  norm1_weight_ = weights.get(prefix + "norm1.weight", {dim});
  norm1_bias_ = weights.get(prefix + "norm1.bias", {dim});
  qkv_ = Linear(weights, prefix + "attn.qkv.", dim, 3 * dim);
  proj_ = Linear(weights, prefix + "attn.proj.", dim, dim);
  norm2_weight_ = weights.get(prefix + "norm2.weight", {dim});
  norm2_bias_ = weights.get(prefix + "norm2.bias", {dim});
  mlp_in_ = Linear(weights, prefix + "mlp.lin1.", dim, 4 * dim);
  mlp_out_ = Linear(weights, prefix + "mlp.lin2.", 4 * dim, dim);
  // The tables are sized for the attention square the block was trained on (its window, or
  // the whole grid for a global block); queries and keys always cover that square here.
  const int64_t side = attention_size_;
  const auto table = [&](const char* name) {
    const at::Tensor rel_pos = weights.get(prefix + "attn." + name, {2 * side - 1, head_dim_});
    return relative_position_rows(side, side, rel_pos).transpose(1, 2).contiguous();
  };
  rel_rows_h_t_ = table("rel_pos_h");
  rel_rows_w_t_ = table("rel_pos_w");
}

void VitBlock::windowed_attention(const at::Tensor& qkv, int64_t height, int64_t width, at::Tensor& out) const {
  const int64_t size = window_size_, tokens = size * size, hd = head_dim_;
  const int64_t rows = (height + size - 1) / size, cols = (width + size - 1) / size;
  const float* qkv_data = qkv.data_ptr<float>();
  const float* bias = qkv_.bias.data_ptr<float>();
  float* out_data = out.data_ptr<float>();
  std::vector<AttentionBuffers> scratch(parallel_worker_count());
  // One task per window and head. window_partition pads the normed map with zeros, whose
  // projection is the bias alone: padding tokens take the bias as their q, k and v.
  parallel_tasks(rows * cols * num_heads_, [&](int64_t index, int64_t worker) {
    AttentionBuffers& s = scratch[worker];
    if (!s.scores.defined()) {
      s.scores = at::empty({tokens, tokens}, qkv.options());
      s.rel_h = at::empty({tokens, size}, qkv.options());
      s.rel_w = at::empty({tokens, size}, qkv.options());
      s.q = at::empty({tokens, hd}, qkv.options());
      s.k = at::empty({tokens, hd}, qkv.options());
      s.v = at::empty({tokens, hd}, qkv.options());
      s.out = at::empty({tokens, hd}, qkv.options());
    }
    const int64_t window = index / num_heads_, head = index % num_heads_;
    const int64_t top = (window / cols) * size, left = (window % cols) * size;
    float* local[3] = {s.q.data_ptr<float>(), s.k.data_ptr<float>(), s.v.data_ptr<float>()};
    for (int64_t t = 0; t < tokens; ++t) {
      const int64_t y = top + t / size, x = left + t % size;
      const bool inside = y < height && x < width;
      const float* source = inside ? qkv_data + (y * width + x) * 3 * dim_ : bias;
      for (int part = 0; part < 3; ++part)
        std::memcpy(local[part] + t * hd, source + part * dim_ + head * hd, hd * sizeof(float));
    }
    attend(s.q, s.k, s.v, rel_rows_h_t_, rel_rows_w_t_, size, 0, scale_, s, s.out);
    // window_unpartition: the real tokens' outputs go back to their places; padding is dropped.
    const float* result = s.out.data_ptr<float>();
    for (int64_t t = 0; t < tokens; ++t) {
      const int64_t y = top + t / size, x = left + t % size;
      if (y < height && x < width) std::memcpy(out_data + (y * width + x) * dim_ + head * hd, result + t * hd, hd * sizeof(float));
    }
  });
}

void VitBlock::global_attention(const at::Tensor& qkv, at::Tensor& out) const {
  const int64_t side = attention_size_, tokens = side * side, hd = head_dim_;
  const int64_t grid_rows = std::max<int64_t>(1, kScoreSliceElements / (tokens * side));
  const int64_t slice = grid_rows * side;
  const int64_t slices = (tokens + slice - 1) / slice;
  std::vector<AttentionBuffers> scratch(parallel_worker_count());
  // One task per head and block of query rows; q, k and v are read in place from qkv.
  parallel_tasks(num_heads_ * slices, [&](int64_t index, int64_t worker) {
    AttentionBuffers& s = scratch[worker];
    if (!s.scores.defined()) {
      s.scores = at::empty({slice, tokens}, qkv.options());
      s.rel_h = at::empty({slice, side}, qkv.options());
      s.rel_w = at::empty({slice, side}, qkv.options());
    }
    const int64_t head = index / slices, first = (index % slices) * slice, count = std::min(slice, tokens - first);
    const at::Tensor q = qkv.narrow(1, head * hd, hd).narrow(0, first, count);
    const at::Tensor k = qkv.narrow(1, dim_ + head * hd, hd);
    const at::Tensor v = qkv.narrow(1, 2 * dim_ + head * hd, hd);
    attend(q, k, v, rel_rows_h_t_, rel_rows_w_t_, side, first / side, scale_, s,
           out.narrow(1, head * hd, hd).narrow(0, first, count));
  });
}

at::Tensor VitBlock::forward_batched(const at::Tensor& x) const {
  const int64_t height = x.size(1), width = x.size(2), side = attention_size_, tokens = side * side;
  const int64_t heads = num_heads_, hd = head_dim_;
  at::Tensor qkv = qkv_(layer_norm_float(x, {dim_}, norm1_weight_, norm1_bias_, kLayerNormEps));
  const int64_t rows = (height + side - 1) / side, cols = (width + side - 1) / side;
  if (rows * side != height || cols * side != width) {
    // Padding tokens project to the bias alone (see windowed_attention).
    at::Tensor padded = qkv_.bias.to(qkv.scalar_type()).view({1, 1, 1, 3 * dim_}).expand({1, rows * side, cols * side, 3 * dim_}).contiguous();
    padded.narrow(1, 0, height).narrow(2, 0, width).copy_(qkv);
    qkv = padded;
  }
  const int64_t windows = rows * cols;
  // [windows, S, S, 3, heads, hd] -> q, k, v: [windows, heads, S, S, hd]
  const at::Tensor parts = qkv.view({rows, side, cols, side, 3, heads, hd}).permute({4, 0, 2, 5, 1, 3, 6})
                               .reshape({3, windows, heads, side, side, hd});
  const at::Tensor q = parts[0], k = parts[1].reshape({windows, heads, tokens, hd}), v = parts[2].reshape({windows, heads, tokens, hd});
  at::Tensor scores = at::matmul(q.reshape({windows, heads, tokens, hd}), k.transpose(-2, -1)).mul_(scale_);
  const at::Tensor rel_h = at::einsum("nhyxc,yck->nhyxk", {q, rel_rows_h_t_});
  const at::Tensor rel_w = at::einsum("nhyxc,xck->nhyxk", {q, rel_rows_w_t_});
  scores = scores.view({windows, heads, side, side, side, side})
               .add_(rel_h.unsqueeze(-1))
               .add_(rel_w.unsqueeze(-2))
               .view({windows, heads, tokens, tokens});
  scores = softmax_float(scores, -1);
  at::Tensor attended = at::matmul(scores, v)  // [windows, heads, T, hd] -> [1, rows S, cols S, C]
                            .view({rows, cols, heads, side, side, hd})
                            .permute({0, 3, 1, 4, 2, 5})
                            .reshape({1, rows * side, cols * side, dim_});
  if (rows * side != height || cols * side != width) attended = attended.narrow(1, 0, height).narrow(2, 0, width);
  at::Tensor out = x + proj_(attended);
  const at::Tensor hidden = at::gelu(mlp_in_(layer_norm_float(out, {dim_}, norm2_weight_, norm2_bias_, kLayerNormEps)));
  return out.add_(mlp_out_(hidden));
}

at::Tensor VitBlock::forward(const at::Tensor& x) const {
  const int64_t height = x.size(1), width = x.size(2), tokens = height * width;
  if (window_size_ == 0 && (height != attention_size_ || width != attention_size_))
    throw Error(SAM_ERROR_ARGUMENT, "ViT global attention: a " + std::to_string(height) + "x" + std::to_string(width) +
                                        " grid does not match the " + std::to_string(attention_size_) + "x" +
                                        std::to_string(attention_size_) + " relative position tables");
  if (!cpu_kernels_) return forward_batched(x);
  const at::Tensor input = x.view({tokens, dim_});
  at::Tensor qkv = at::empty({tokens, 3 * dim_}, x.options());
  parallel_row_chunks(tokens, kRowChunk, [&](int64_t begin, int64_t end, int64_t) {
    const at::Tensor normed =
        layer_norm_float(input.narrow(0, begin, end - begin), {dim_}, norm1_weight_, norm1_bias_, kLayerNormEps);
    at::Tensor rows = qkv.narrow(0, begin, end - begin);
    qkv_.apply_rows(normed, rows, 0, end - begin);
  });

  at::Tensor attended = at::empty({tokens, dim_}, x.options());
  if (window_size_ > 0) {
    windowed_attention(qkv, height, width, attended);
  } else {
    global_attention(qkv, attended);
  }

  // x + proj(attention), then x += MLP(norm2(x)), row by row.
  at::Tensor out = at::empty_like(x);
  const at::Tensor out_rows = out.view({tokens, dim_});
  std::vector<std::array<at::Tensor, 2>> hidden(parallel_worker_count());
  parallel_row_chunks(tokens, kRowChunk, [&](int64_t begin, int64_t end, int64_t worker) {
    const int64_t count = end - begin;
    if (!hidden[worker][0].defined()) {
      for (at::Tensor& buffer : hidden[worker]) buffer = at::empty({kRowChunk, 4 * dim_}, x.options());
    }
    at::Tensor rows = out_rows.narrow(0, begin, count);
    const at::Tensor residual = input.narrow(0, begin, count);
    proj_.apply_rows(attended.narrow(0, begin, count), rows, 0, count, &residual);
    at::Tensor h = hidden[worker][0].narrow(0, 0, count), scratch = hidden[worker][1].narrow(0, 0, count);
    mlp_in_.apply_rows(layer_norm_float(rows, {dim_}, norm2_weight_, norm2_bias_, kLayerNormEps), h, 0, count);
    gelu_in_place(h, scratch);
    mlp_out_.apply_rows(h, rows, 0, count, &rows);
  });
  return out;
}

ImageEncoderVit::ImageEncoderVit(Weights& weights, const std::string& prefix, const VitSizes& sizes, int image_size,
                                 int out_channels)
    : grid_(image_size / kPatchSize), cpu_kernels_(weights.cpu_kernels()) {
  const int dim = sizes.embed_dim;
  patch_weight_ = weights.get(prefix + "patch_embed.proj.weight", {dim, 3, kPatchSize, kPatchSize});
  patch_bias_ = weights.get(prefix + "patch_embed.proj.bias", {dim});
  pos_embed_ = weights.get(prefix + "pos_embed", {1, grid_, grid_, dim});
  blocks_.reserve(sizes.depth);
  for (int i = 0; i < sizes.depth; ++i) {
    const bool global =
        std::find(sizes.global_attn_indexes.begin(), sizes.global_attn_indexes.end(), i) != sizes.global_attn_indexes.end();
    blocks_.emplace_back(weights, block_prefix(prefix, i), dim, sizes.num_heads, global ? 0 : sizes.window_size, grid_);
  }
  neck_conv1_weight_ = weights.get(prefix + "neck.0.weight", {out_channels, dim, 1, 1}).view({out_channels, dim});
  neck_norm1_weight_ = weights.get(prefix + "neck.1.weight", {out_channels});
  neck_norm1_bias_ = weights.get(prefix + "neck.1.bias", {out_channels});
  neck_conv2_weight_ = weights.get(prefix + "neck.2.weight", {out_channels, out_channels, 3, 3});
  neck_norm2_weight_ = weights.get(prefix + "neck.3.weight", {out_channels});
  neck_norm2_bias_ = weights.get(prefix + "neck.3.bias", {out_channels});
}

at::Tensor ImageEncoderVit::forward(const at::Tensor& image) const {
  at::Tensor x = at::conv2d(image, patch_weight_, patch_bias_, {kPatchSize, kPatchSize});
  if (x.size(2) != grid_ || x.size(3) != grid_)
    throw Error(SAM_ERROR_ARGUMENT, "ViT: the patch grid " + std::to_string(x.size(2)) + "x" +
                                        std::to_string(x.size(3)) + " does not match the position embedding's " +
                                        std::to_string(grid_) + "x" + std::to_string(grid_));
  x = x.permute({0, 2, 3, 1}).add(pos_embed_).contiguous();
  for (const VitBlock& block : blocks_) x = block.forward(x);

  // Neck. Its LayerNorm2d's normalise over channels, which are the last dimension here.
  const int64_t channels = neck_conv1_weight_.size(0), tokens = x.size(1) * x.size(2);
  const at::Tensor input = x.view({tokens, x.size(3)});
  at::Tensor reduced;
  if (cpu_kernels_) {
    reduced = at::empty({1, x.size(1), x.size(2), channels}, x.options());
    const at::Tensor reduced_rows = reduced.view({tokens, channels});
    parallel_row_chunks(tokens, kRowChunk, [&](int64_t begin, int64_t end, int64_t) {
      at::Tensor rows = reduced_rows.narrow(0, begin, end - begin);
      at::mm_out(rows, input.narrow(0, begin, end - begin), neck_conv1_weight_.t());
      rows.copy_(layer_norm_float(rows, {channels}, neck_norm1_weight_, neck_norm1_bias_, kLayerNormEps));
    });
  } else {
    reduced = layer_norm_float(at::matmul(x, neck_conv1_weight_.t()), {channels}, neck_norm1_weight_, neck_norm1_bias_,
                             kLayerNormEps);
  }
  x = at::conv2d(reduced.permute({0, 3, 1, 2}), neck_conv2_weight_, {}, {1, 1}, {1, 1});
  x = layer_norm_float(x.permute({0, 2, 3, 1}), {channels}, neck_norm2_weight_, neck_norm2_bias_, kLayerNormEps);
  return x.permute({0, 3, 1, 2}).contiguous();
}

}  // namespace sam
