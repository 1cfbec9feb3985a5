// The mask decoder's two-way transformer (sam2/modeling/sam/transformer.py; the same in SAM 1):
// prompt tokens attend to the image and the image attends back, `depth` times, then a final
// token-to-image attention. A plain port, block for block, in ATen operations that run on any
// device. On the CPU the decoder plan (decoder_plan/) computes the same function in another
// order; its tests hold it to this one.
#pragma once
#include <ATen/ATen.h>

#include <string>
#include <utility>
#include <vector>

#include "model/nn_layers.h"
#include "model/weights.h"

namespace sam {

// Attention: multi-head attention whose projections may shrink the channels (downsample_rate).
struct Attention {
  Attention() = default;
  Attention(Weights& weights, const std::string& prefix, int64_t embedding_dim, int64_t num_heads,
            int64_t downsample_rate);

  // q [B, Nq, C], k and v [B, Nk, C] -> [B, Nq, C].
  at::Tensor operator()(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) const;

  int64_t internal_dim() const { return q_proj.out_features(); }
  int64_t head_dim() const { return internal_dim() / num_heads; }

  Linear q_proj, k_proj, v_proj, out_proj;
  int64_t num_heads = 1;
};

struct TwoWayTransformerSizes {
  int64_t depth = 2;
  int64_t embedding_dim;
  int64_t num_heads = 8;
  int64_t mlp_dim = 2048;
  int64_t attention_downsample_rate = 2;
  // SAM 1 names the blocks' MLP layers mlp.lin1 / mlp.lin2 (MLPBlock); SAM 2 mlp.layers.0 / .1.
  bool mlp_lin_names = false;
};

// TwoWayAttentionBlock: (1) self-attention of the tokens, (2) tokens attend to the image,
// (3) an MLP on the tokens, (4) the image attends to the tokens; a residual norm after each.
struct TwoWayAttentionBlock {
  TwoWayAttentionBlock(Weights& weights, const std::string& prefix, const TwoWayTransformerSizes& sizes,
                       bool skip_first_layer_pe);

  // queries [B, N, C], keys [B, HW, C], their position encodings query_pe, key_pe
  // -> (queries, keys).
  std::pair<at::Tensor, at::Tensor> operator()(const at::Tensor& queries, const at::Tensor& keys,
                                               const at::Tensor& query_pe, const at::Tensor& key_pe) const;

  Attention self_attn;
  LayerNorm norm1;
  Attention cross_attn_token_to_image;
  LayerNorm norm2;
  Mlp mlp;  // ReLU between its two layers
  LayerNorm norm3;
  LayerNorm norm4;
  Attention cross_attn_image_to_token;
  bool skip_first_layer_pe = false;  // the first block's queries carry no separate position
};

struct TwoWayTransformer {
  TwoWayTransformer(Weights& weights, const std::string& prefix, const TwoWayTransformerSizes& sizes);

  // image_embedding [B, C, h, w], image_pe [B, C, h, w] (a batch of 1 broadcasts),
  // point_embedding [B, N, C] -> (processed tokens [B, N, C], processed image [B, hw, C]).
  std::pair<at::Tensor, at::Tensor> operator()(const at::Tensor& image_embedding, const at::Tensor& image_pe,
                                               const at::Tensor& point_embedding) const;

  std::vector<TwoWayAttentionBlock> layers;
  Attention final_attn_token_to_image;
  LayerNorm norm_final_attn;
};

}  // namespace sam
