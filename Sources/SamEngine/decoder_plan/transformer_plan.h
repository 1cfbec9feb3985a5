// The two-way transformer (model/two_way_transformer.h) as the decoder plan runs it on the CPU:
// the same function, computed another way, from the transformer's own weights.
//
// - The image has thousands of tokens and the prompt about ten, so the attentions between them
//   can run in a cheaper order than the reference's (project the few tokens through the image
//   side's projections instead of projecting every image token); equal up to float rounding.
// - What the first layer computes from the image alone is prepared once per image
//   (FirstLayerCache), and a mask prompt's share is added as a product with its few channels.
// - The transformer's output image tokens come back as terms (ImageTokenTerms), so that the
//   decoder plan's first upscaling costs a product with a few channels per click.
// - Everything image-sized runs in chunks of image rows across ATen's threads (image_chunks.h).
#pragma once
#include <ATen/ATen.h>

#include <utility>

#include "model/compute.h"
#include "model/two_way_transformer.h"

namespace sam {

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

// The first layer's projections of the image side when the image tokens do not depend on the
// prompt (no mask input): computed once per image.
struct FirstLayerCache {
  at::Tensor token_to_image_k, token_to_image_v;  // [heads, HW, d]
  at::Tensor image_to_token_q;                    // [heads, HW, d]
  ImageTokenTerms input;                          // the first layer's image tokens, as terms
  bool defined() const { return token_to_image_k.defined(); }
};

class TransformerPlan {
 public:
  TransformerPlan(const TwoWayTransformer& transformer, AttentionOrder order);

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
  // back (the ones the caller reads; the reference computes them all and drops the rest).
  // -> (processed tokens [B, K, C], processed image [B, HW, C] with its terms of
  // terms_base(image) when the cache is defined and the attentions reordered).
  std::pair<at::Tensor, ImageTokens> operator()(const at::Tensor& image, const at::Tensor& image_pe,
                                                const at::Tensor& tokens, const FirstLayerCache& cache,
                                                const at::Tensor& kept_tokens) const;

 private:
  const TwoWayTransformer& transformer_;
  AttentionOrder order_;
};

}  // namespace sam
