// Memory attention (sam2/modeling/memory_attention.py): the current frame's image tokens attend
// to themselves and then to the memories of earlier frames (spatial memories and object
// pointers), through attention layers with rotary position encodings (RoPEAttention in
// sam2/modeling/sam/transformer.py). A plain port in ATen operations; tokens are batch-first
// here ([B, N, C]) where the reference keeps them sequence-first.
#pragma once
#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "model/nn_layers.h"
#include "model/weights.h"

namespace sam {

// Attention whose queries and keys are rotated by an axial rotary encoding of the image grid
// (two halves of the head's channels for x and y). Keys beyond the grid's token count repeat
// the grid's rotations (rope_k_repeat: one grid per memory frame); the last
// `keys_without_rope` keys (object pointers) are not rotated.
class RoPEAttention {
 public:
  RoPEAttention() = default;
  RoPEAttention(Weights& weights, const std::string& prefix, int64_t embedding_dim, int64_t kv_in_dim,
                int64_t grid_side, double theta);

  // q [B, Nq, C], k and v [B, Nk, kv_in_dim] -> [B, Nq, C].
  at::Tensor operator()(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                        int64_t keys_without_rope = 0) const;

 private:
  // x [B, N, D] rotated pairwise by the grid's angles, repeated along N.
  at::Tensor rotate(const at::Tensor& x) const;

  Linear q_proj_, k_proj_, v_proj_, out_proj_;
  at::Tensor cos_, sin_;  // [grid tokens, D / 2]
};

struct MemoryAttentionLayer {
  MemoryAttentionLayer(Weights& weights, const std::string& prefix, int64_t d_model, int64_t mem_dim,
                       int64_t feedforward, int64_t grid_side);

  // tgt [B, HW, C]; memory [B, M, mem_dim] and its position encoding; the last
  // `object_pointer_tokens` memory tokens carry no rotary encoding.
  at::Tensor operator()(const at::Tensor& tgt, const at::Tensor& memory, const at::Tensor& memory_pos,
                        int64_t object_pointer_tokens) const;

  RoPEAttention self_attn, cross_attn_image;
  Linear linear1, linear2;
  LayerNorm norm1, norm2, norm3;
};

class MemoryAttention {
 public:
  MemoryAttention(Weights& weights, const std::string& prefix, int64_t d_model, int64_t mem_dim, int64_t layers,
                  int64_t feedforward, int64_t grid_side);

  // curr [B, HW, C] (the frame's lowest-resolution features) and its position encoding;
  // memory [B, M, mem_dim] and its position encoding -> [B, HW, C].
  at::Tensor operator()(const at::Tensor& curr, const at::Tensor& curr_pos, const at::Tensor& memory,
                        const at::Tensor& memory_pos, int64_t object_pointer_tokens) const;

 private:
  std::vector<MemoryAttentionLayer> layers_;
  LayerNorm norm_;
};

}  // namespace sam
