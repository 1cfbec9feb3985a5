#include "video/memory_attention.h"

#include <cmath>

#include "engine_error.h"
#include "model/blas_threads.h"
#include "model/parallel_tasks.h"

namespace sam {
namespace {

// Query rows per block of the attention: the scores of a block are rows x keys floats (the
// keys of seven memory frames are 28k at full size), 29 MB at 256 rows. Measured on the video
// bench against 128 and 512: 256 was fastest for three objects (about 14% over 512).
constexpr int64_t kQueryBlock = 256;

// softmax(q k^T / sqrt(d)) v, q [B, Nq, D], k and v [B, Nk, D], in blocks of query rows. On the
// CPU the blocks are tasks on ATen's threads, each with single-threaded BLAS (see blas_threads.h).
at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
  // The scale on the queries rather than on the (far larger) scores.
  const at::Tensor scaled = q * (1.0 / std::sqrt(static_cast<double>(q.size(-1))));
  const at::Tensor kt = k.transpose(1, 2);
  const int64_t rows = q.size(1);
  auto block = [&](int64_t start) {
    const at::Tensor part = scaled.narrow(1, start, std::min(kQueryBlock, rows - start));
    return at::matmul(at::softmax(at::matmul(part, kt), -1), v);
  };
  if (!q.device().is_cpu()) {
    std::vector<at::Tensor> blocks;
    for (int64_t start = 0; start < rows; start += kQueryBlock) blocks.push_back(block(start));
    return blocks.size() == 1 ? blocks[0] : at::cat(blocks, 1);
  }
  at::Tensor out = at::empty({q.size(0), rows, v.size(-1)}, q.options());
  SingleThreadedBlas single_threaded;
  parallel_tasks((rows + kQueryBlock - 1) / kQueryBlock, [&](int64_t index, int64_t) {
    const int64_t start = index * kQueryBlock;
    out.narrow(1, start, std::min(kQueryBlock, rows - start)).copy_(block(start));
  });
  return out;
}

}  // namespace

RoPEAttention::RoPEAttention(Weights& weights, const std::string& prefix, int64_t embedding_dim, int64_t kv_in_dim,
                             int64_t grid_side, double theta)
    : q_proj_(weights, prefix + "q_proj.", embedding_dim, embedding_dim),
      k_proj_(weights, prefix + "k_proj.", kv_in_dim, embedding_dim),
      v_proj_(weights, prefix + "v_proj.", kv_in_dim, embedding_dim),
      out_proj_(weights, prefix + "out_proj.", embedding_dim, embedding_dim) {
  // compute_axial_cis: dim / 4 frequencies per axis; token t sits at x = t % side, y = t / side.
  const int64_t dim = embedding_dim;  // one head
  const at::Tensor steps = at::arange(0, dim, 4, at::kLong).slice(0, 0, dim / 4).to(at::kFloat);
  const at::Tensor freqs = 1.0 / at::pow(theta, steps / static_cast<double>(dim));
  const at::Tensor t = at::arange(grid_side * grid_side, at::kFloat);
  const at::Tensor t_x = at::remainder(t, static_cast<double>(grid_side));
  const at::Tensor t_y = at::floor_divide(t, static_cast<double>(grid_side));
  const at::Tensor angles = at::cat({at::outer(t_x, freqs), at::outer(t_y, freqs)}, -1);  // [HW, D/2]
  cos_ = angles.cos().to(weights.compute().device);
  sin_ = angles.sin().to(weights.compute().device);
}

at::Tensor RoPEAttention::rotate(const at::Tensor& x) const {
  const int64_t n = x.size(1), grid = cos_.size(0);
  if (n % grid != 0)
    throw Error(SAM_ERROR_INTERNAL, "memory attention: " + std::to_string(n) + " tokens are not whole grids of " +
                                        std::to_string(grid));
  const at::Tensor pairs = x.reshape({x.size(0), n / grid, grid, -1, 2});
  const at::Tensor a = pairs.select(-1, 0), b = pairs.select(-1, 1);
  // (a + ib)(cos + i sin), as the reference's complex product.
  const at::Tensor real = a * cos_ - b * sin_;
  const at::Tensor imag = a * sin_ + b * cos_;
  return at::stack({real, imag}, -1).reshape(x.sizes());
}

at::Tensor RoPEAttention::operator()(const at::Tensor& q_in, const at::Tensor& k_in, const at::Tensor& v_in,
                                     int64_t keys_without_rope) const {
  at::Tensor q = rotate(q_proj_(q_in));
  at::Tensor k = k_proj_(k_in);
  const int64_t rotated = k.size(1) - keys_without_rope;
  if (rotated > 0) {
    k = keys_without_rope > 0 ? at::cat({rotate(k.narrow(1, 0, rotated)), k.narrow(1, rotated, keys_without_rope)}, 1)
                              : rotate(k);
  }
  // One head, and each row of the softmax sums to 1: softmax(S) (V W^T + b) = (softmax(S) V) W^T + b.
  // Weighting the memories' own channels (64) before the value projection (to 256) makes the
  // second product of the cross-attention four times smaller: a third of its work goes.
  if (v_in.size(-1) < q.size(-1)) return out_proj_(v_proj_(attention(q, k, v_in)));
  return out_proj_(attention(q, k, v_proj_(v_in)));
}

MemoryAttentionLayer::MemoryAttentionLayer(Weights& weights, const std::string& prefix, int64_t d_model,
                                           int64_t mem_dim, int64_t feedforward, int64_t grid_side)
    : self_attn(weights, prefix + "self_attn.", d_model, d_model, grid_side, 10000.0),
      cross_attn_image(weights, prefix + "cross_attn_image.", d_model, mem_dim, grid_side, 10000.0),
      linear1(weights, prefix + "linear1.", d_model, feedforward),
      linear2(weights, prefix + "linear2.", feedforward, d_model),
      norm1(weights, prefix + "norm1.", d_model, 1e-5),
      norm2(weights, prefix + "norm2.", d_model, 1e-5),
      norm3(weights, prefix + "norm3.", d_model, 1e-5) {}

at::Tensor MemoryAttentionLayer::operator()(const at::Tensor& tgt_in, const at::Tensor& memory,
                                            const at::Tensor& memory_pos, int64_t object_pointer_tokens) const {
  // Self-attention without position encodings (pos_enc_at_attn: false in every config).
  at::Tensor tgt = tgt_in;
  at::Tensor x = norm1(tgt);
  tgt = tgt + self_attn(x, x, x);
  // Cross-attention to the memories; their keys carry their position encodings
  // (pos_enc_at_cross_attn_keys), the queries none.
  x = norm2(tgt);
  tgt = tgt + cross_attn_image(x, memory + memory_pos, memory, object_pointer_tokens);
  x = norm3(tgt);
  return tgt + linear2(at::relu(linear1(x)));
}

MemoryAttention::MemoryAttention(Weights& weights, const std::string& prefix, int64_t d_model, int64_t mem_dim,
                                 int64_t layers, int64_t feedforward, int64_t grid_side)
    : norm_(weights, prefix + "norm.", d_model, 1e-5) {
  for (int64_t i = 0; i < layers; ++i) {
    layers_.emplace_back(weights, prefix + "layers." + std::to_string(i) + ".", d_model, mem_dim, feedforward,
                         grid_side);
  }
}

at::Tensor MemoryAttention::operator()(const at::Tensor& curr, const at::Tensor& curr_pos, const at::Tensor& memory,
                                       const at::Tensor& memory_pos, int64_t object_pointer_tokens) const {
  at::Tensor output = curr + 0.1 * curr_pos;  // pos_enc_at_input
  for (const MemoryAttentionLayer& layer : layers_) output = layer(output, memory, memory_pos, object_pointer_tokens);
  return norm_(output);
}

}  // namespace sam
