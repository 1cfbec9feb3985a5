// The mask decoder's two-way transformer (sam2/modeling/sam/transformer.py; the same in SAM 1):
// prompt tokens attend to the image and the image attends back, `depth` times, then a final
// token-to-image attention.
//
// The image has thousands of tokens and the prompt about ten, so the attentions between them
// can run in a cheaper order than the reference's (see Attention::tokens_to_image and
// image_to_tokens); the result is the same up to float rounding. What the first layer
// computes from the image alone is prepared once per image (FirstLayerCache). Everything
// image-sized runs in chunks of image rows across ATen's threads; an attention over the image
// merges its chunks' partial softmaxes as FlashAttention does.
#pragma once
#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "model/nn_layers.h"
#include "model/weights.h"

namespace sam {

// How attentions between the image and a few tokens are evaluated.
enum class AttentionOrder {
  Automatic,  // whichever order needs fewer multiply-adds for the token count at hand
  Reference,  // project the image tokens, as the reference does
  Reordered,  // fold the projections into the token side (cheaper while heads * tokens < channels)
};

// Image tokens written as terms of image-only tokens `base` [HW, C]:
//   tokens = scale * base + left right,
// with scale [1 or B, HW, 1] and left [1 or B, HW, K] per token and right [1 or B, K, C] per
// prompt set. Each layer's image-to-tokens attention adds its attention weights to `left` (K
// grows by heads * tokens + 2, far below C) and its norm scales, centres and shifts; so a fixed
// linear map of the transformer's output tokens (the decoder's first upscaling) costs a product
// with K channels, plus the map of `base`, made once per image. Defined only when the first
// layer is cached and the attentions are reordered.
struct ImageTokenTerms {
  at::Tensor scale, left, right;
  bool defined() const { return scale.defined(); }
};

// Image tokens [1 or B, HW, C] and the same plus the position encoding: every attention over
// the image takes its keys (or queries) from the latter, so each layer makes both in one pass.
// `terms`, when defined, writes `tokens` as ImageTokenTerms.
struct ImageTokens {
  at::Tensor tokens;
  at::Tensor with_pe;
  ImageTokenTerms terms;
};

// Multi-head attention whose projections may shrink the channels (downsample_rate).
class Attention {
 public:
  Attention() = default;
  Attention(Weights& weights, const std::string& prefix, int64_t embedding_dim, int64_t num_heads,
            int64_t downsample_rate);

  // The reference computation. q [B, Nq, C], k and v [B, Nk, C] -> [B, Nq, C].
  at::Tensor operator()(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) const;

  // Tokens attend to the image: tokens [B, N, C] (position included) -> [B, N, C].
  at::Tensor tokens_to_image(const at::Tensor& tokens, const ImageTokens& image, AttentionOrder order) const;
  // The same with the image side already projected: k, v [heads, HW, d].
  at::Tensor tokens_to_image_projected(const at::Tensor& tokens, const at::Tensor& k, const at::Tensor& v) const;

  // The image attends to the tokens (queries image.with_pe, keys tokens_k, values tokens_v
  // [B, N, C]) and the residual sum goes through `norm`: [B, HW, C], with image_pe [1, HW, C] added.
  ImageTokens image_to_tokens(const ImageTokens& image, const at::Tensor& tokens_k, const at::Tensor& tokens_v,
                              const LayerNorm& norm, const at::Tensor& image_pe, AttentionOrder order) const;
  // The same with the image queries already projected: q [heads, HW, d]; image.tokens [1 or B, HW, C].
  ImageTokens image_to_tokens_projected(const at::Tensor& q, const ImageTokens& image, const at::Tensor& tokens_k,
                                        const at::Tensor& tokens_v, const LayerNorm& norm, const at::Tensor& image_pe,
                                        AttentionOrder order) const;

  // x [1, HW, C] -> [heads, HW, d] through one of the projections.
  at::Tensor project_heads(const Linear& projection, const at::Tensor& x) const;

  int64_t head_dim() const { return q_proj.out_features() / num_heads; }

  Linear q_proj, k_proj, v_proj, out_proj;
  int64_t num_heads = 1;

 private:
  bool reorders(AttentionOrder order, int64_t tokens) const;
  // rows [R, C] -> [heads, R, d] through one of the projections (a strided view).
  at::Tensor project_rows(const Linear& projection, const at::Tensor& rows) const;

  // The token side of an image-to-tokens attention, made once for all chunks of image rows.
  struct ImageTokensMixer {
    at::Tensor keys;     // [B, h, N, d], scaled
    at::Tensor values;   // reordered: [B, h N, C] (values_through_output); else [B, h, N, d]
    bool reordered = false;
  };
  ImageTokensMixer tokens_for_image(const at::Tensor& tokens_k, const at::Tensor& tokens_v, AttentionOrder order) const;
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

// The first layer's projections of the image side when the image tokens do not depend on the
// prompt (no mask input): computed once per image.
struct FirstLayerCache {
  at::Tensor token_to_image_k, token_to_image_v;  // [heads, HW, d]
  at::Tensor image_to_token_q;                    // [heads, HW, d]
  ImageTokenTerms input;                          // the first layer's image tokens, as terms
  bool defined() const { return token_to_image_k.defined(); }
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

class TwoWayTransformer {
 public:
  TwoWayTransformer(Weights& weights, const std::string& prefix, const TwoWayTransformerSizes& sizes,
                    AttentionOrder order = AttentionOrder::Automatic);

  // image [1, HW, C] (image embedding plus the no-mask embedding), image_pe [1, HW, C].
  FirstLayerCache prepare(const at::Tensor& image, const at::Tensor& image_pe) const;
  // The base of the ImageTokenTerms of runs from prepare(image)'s cache: image times the gains
  // of every layer's image norm, [HW, C].
  at::Tensor terms_base(const at::Tensor& image) const;

  // The cache for the same image tokens with `base` [C] (added to every token) replaced by a
  // dense prompt hidden [HW, c] weight^T [c, C] + bias [C]: each projection P gains
  // hidden (P weight)^T + P (bias - base), a product with c channels instead of C.
  FirstLayerCache with_dense(const FirstLayerCache& cache, const at::Tensor& hidden, const at::Tensor& weight,
                             const at::Tensor& bias, const at::Tensor& base) const;

  // image [1 or B, HW, C] (the image embedding plus the dense prompt, flattened), image_pe
  // [1, HW, C], tokens [B, N, C]; `cache` from prepare() for this image when `image` is the
  // one it was made from, else undefined. Only the tokens at the indices kept_tokens [K] come
  // back (the ones the caller reads; the reference computes them all and drops the rest), all
  // when undefined.
  // -> (processed tokens [B, K, C], processed image [B, HW, C] with its terms of
  // terms_base(image) when the cache is defined and the attentions reordered).
  std::pair<at::Tensor, ImageTokens> operator()(const at::Tensor& image, const at::Tensor& image_pe,
                                                const at::Tensor& tokens, const FirstLayerCache& cache,
                                                const at::Tensor& kept_tokens = at::Tensor()) const;

 private:
  struct Block {
    Attention self_attn, cross_attn_token_to_image, cross_attn_image_to_token;
    LayerNorm norm1, norm2, norm3, norm4;
    Mlp mlp;
    bool skip_first_layer_pe = false;
  };
  std::vector<Block> layers_;
  Attention final_attn_token_to_image_;
  LayerNorm norm_final_attn_;
  AttentionOrder order_;
};

}  // namespace sam
