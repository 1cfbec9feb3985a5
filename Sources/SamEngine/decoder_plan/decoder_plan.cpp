#include "decoder_plan/decoder_plan.h"

#include <algorithm>

#include "kernels/vector_kernels.h"
#include "model/blas_threads.h"
#include "model/nn_layers.h"
#include "model/parallel_tasks.h"

namespace sam {
namespace {
constexpr int64_t kUpscaleBandRows = 4;  // grid rows per upscaling task (4 x 64 image tokens)

// [1, C, H, W] -> [1, HW, C]
at::Tensor to_tokens(const at::Tensor& map) { return map.flatten(2).transpose(1, 2).contiguous(); }

// A 2x2 stride-2 transposed convolution's weight [C_in, C_out, 2, 2] as a matrix
// [C_in, 2 * 2 * C_out] whose columns run over (di, dj, out).
at::Tensor transposed_conv_matrix(const at::Tensor& weight) {
  return weight.permute({0, 2, 3, 1}).reshape({weight.size(0), 4 * weight.size(1)}).contiguous();
}
}  // namespace

at::Tensor DenseEmbedding::tokens() const {
  return at::baddbmm(bias, hidden, weight.t().unsqueeze(0).expand({hidden.size(0), -1, -1}));
}

DecoderPlan::DecoderPlan(const MaskDecoder& decoder, const PromptEncoder& prompt_encoder, AttentionOrder order)
    : decoder_(decoder),
      prompt_encoder_(prompt_encoder),
      transformer_(decoder.transformer, order),
      output_tokens_(decoder.output_tokens()) {
  const OutputUpscaling& upscaling = decoder.output_upscaling;
  upscale1_matrix_ = transposed_conv_matrix(upscaling.conv1_weight);
  upscale1_bias_ = upscaling.conv1_bias.repeat({4});
  upscale2_matrix_ = transposed_conv_matrix(upscaling.conv2_weight);
  upscale2_bias_ = upscaling.conv2_bias.repeat({4});
  for (size_t layer = 0; layer < 3; ++layer) {
    std::vector<at::Tensor> layer_weights, layer_biases;
    for (const Mlp& mlp : decoder.output_hypernetworks_mlps) {
      layer_weights.push_back(mlp.layers[layer].weight);
      layer_biases.push_back(mlp.layers[layer].bias.view({1, -1}));
    }
    hypernetwork_weights_.push_back(at::stack(layer_weights));
    hypernetwork_biases_.push_back(at::stack(layer_biases));
  }
}

DenseEmbedding DecoderPlan::embed_masks(const at::Tensor& masks) const {
  const MaskDownscaling& downscaling = prompt_encoder_.mask_downscaling;
  DenseEmbedding dense;
  dense.hidden = downscaling.hidden(masks).flatten(2).transpose(1, 2);
  dense.weight = downscaling.conv3_weight.flatten(1);
  dense.bias = downscaling.conv3_bias;
  return dense;
}

PlannedImage DecoderPlan::prepare(const at::Tensor& image_embed, const std::vector<at::Tensor>& high_res) const {
  const at::Tensor image_pe = prompt_encoder_.dense_positional_encoding();
  const at::Tensor no_mask_dense = prompt_encoder_.no_mask_embedding();
  PlannedImage image;
  image.height = image_embed.size(2);
  image.width = image_embed.size(3);
  image.image_tokens = to_tokens(image_embed);
  image.pe_tokens = to_tokens(image_pe);
  image.no_mask_tokens = to_tokens(image_embed + no_mask_dense);
  image.no_mask_embedding = no_mask_dense.flatten();
  image.first_layer = transformer_.prepare(image.no_mask_tokens, image.pe_tokens);
  if (image.first_layer.defined()) {
    image.upscale1_base = at::mm(transformer_.terms_base(image.no_mask_tokens), upscale1_matrix_);
  }
  image.upscale1_offset = upscale1_bias_;
  image.upscale2_offset = upscale2_bias_;
  if (!high_res.empty()) {
    const int64_t h = image.height, w = image.width;
    // Rows 2i + di, columns 2j + dj -> [i, j, di, dj, channel]; likewise at 4x.
    const at::Tensor& s1 = high_res[1];
    const at::Tensor s1_blocks = s1.view({s1.size(1), h, 2, w, 2}).permute({1, 3, 2, 4, 0}).reshape({h * w, -1});
    image.upscale1_offset = s1_blocks + upscale1_bias_;
    const at::Tensor& s0 = high_res[0];
    const at::Tensor s0_blocks =
        s0.view({s0.size(1), h, 2, 2, w, 2, 2}).permute({1, 4, 2, 5, 3, 6, 0}).reshape({4 * h * w, -1});
    image.upscale2_offset = s0_blocks + upscale2_bias_;
  }
  return image;
}

at::Tensor DecoderPlan::upscale_rows(at::Tensor upscaled_once, const PlannedImage& image, int64_t first_row,
                                     int64_t rows) const {
  // Each transposed convolution maps one input pixel to a 2x2 block of output pixels, so the
  // output stays in block order: pixel (4i + 2di + ei, 4j + 2dj + ej) at row (i, j, di, dj, ei, ej).
  // The per-pixel norm and activations do not care about the order; only the masks get rearranged.
  const int64_t w = image.width, tokens = rows * w;
  const OutputUpscaling& upscaling = decoder_.output_upscaling;
  const int64_t quarter = upscaling.norm_weight.size(0), eighth = upscale2_bias_.size(0) / 4;
  at::Tensor x = upscaled_once.view({4 * tokens, quarter});
  layer_norm_gelu_in_place(x, upscaling.norm_weight, upscaling.norm_bias, OutputUpscaling::kNormEps);
  // The offset (bias plus skip features) is added by the product itself.
  const at::Tensor& offset2 = image.upscale2_offset;
  at::Tensor y = at::addmm(offset2.dim() == 1 ? offset2 : offset2.narrow(0, 4 * first_row * w, 4 * tokens), x,
                           upscale2_matrix_);
  gelu_in_place(y);
  return y.view({16 * tokens, eighth});
}

at::Tensor DecoderPlan::hypernetworks(const at::Tensor& mask_tokens, const MaskTokens& which) const {
  at::Tensor x = mask_tokens.transpose(0, 1);  // [M, B, C]
  for (size_t layer = 0; layer < hypernetwork_weights_.size(); ++layer) {
    x = product_across_threads(hypernetwork_biases_[layer].narrow(0, which.first, which.count), x,
                               hypernetwork_weights_[layer].narrow(0, which.first, which.count).transpose(1, 2));
    if (layer + 1 < hypernetwork_weights_.size()) x = at::relu(x);
  }
  return x.transpose(0, 1);
}

namespace {
// Masks of grid rows [first_row, first_row + rows) from block order (see DecoderPlan::upscale_rows)
// to raster order: planes [M, 16 rows w] -> masks [M, 4h, 4w] at raster rows 4 first_row ...
void unblock_masks(const at::Tensor& planes, at::Tensor& masks, int64_t first_row, int64_t rows, int64_t w) {
  const int64_t count = planes.size(0), side_w = 4 * w, plane_size = masks.size(1) * masks.size(2);
  const float* in = planes.data_ptr<float>();
  float* out = masks.data_ptr<float>();
  for (int64_t m = 0; m < count; ++m) {
    for (int64_t i = 0; i < rows; ++i) {
      const float* block_row = in + m * 16 * rows * w + i * 16 * w;  // the blocks of grid row i
      float* raster = out + m * plane_size + 4 * (first_row + i) * side_w;
      for (int64_t di = 0; di < 2; ++di)
        for (int64_t ei = 0; ei < 2; ++ei) {
          float* row = raster + (2 * di + ei) * side_w;
          const float* block = block_row + di * 8 + ei * 2;
          for (int64_t j = 0; j < w; ++j, block += 16, row += 4) {
            row[0] = block[0];  // dj 0, ej 0
            row[1] = block[1];  // dj 0, ej 1
            row[2] = block[4];  // dj 1, ej 0
            row[3] = block[5];  // dj 1, ej 1
          }
        }
    }
  }
}
}  // namespace

at::Tensor DecoderPlan::upscaled_masks(const ImageTokens& image_tokens, const at::Tensor& hyper_in,
                                       const PlannedImage& image) const {
  const int64_t batch = image_tokens.tokens.size(0), h = image.height, w = image.width, m = hyper_in.size(1);
  at::Tensor masks = at::empty({batch, m, 4 * h, 4 * w}, hyper_in.options());
  // The first transposed convolution of tokens written as terms (see ImageTokenTerms) is the
  // image's own share, mapped once in prepare_image, plus a product with K < C channels.
  const ImageTokenTerms& terms = image_tokens.terms;
  const bool from_terms = terms.defined() && image.upscale1_base.defined();
  const at::Tensor tokens = from_terms ? at::Tensor() : image_tokens.tokens.contiguous();
  const at::Tensor right_mapped =
      from_terms ? product_across_threads({}, terms.right.flatten(0, 1), upscale1_matrix_)
                       .view({terms.right.size(0), terms.right.size(1), -1})
                 : at::Tensor();
  const at::Tensor hyper = hyper_in.contiguous();
  // Every grid row is independent from here on: bands of rows run as tasks, each small
  // enough to stay in cache.
  const int64_t band = std::min<int64_t>(h, kUpscaleBandRows);
  const int64_t bands = (h + band - 1) / band;
  parallel_tasks(batch * bands, [&](int64_t index, int64_t) {
    const int64_t b = index / bands, first_row = (index % bands) * band, rows = std::min(band, h - first_row);
    const int64_t first_token = first_row * w, count = rows * w;
    const at::Tensor& offset = image.upscale1_offset;
    const at::Tensor offset_rows = offset.dim() == 1 ? offset : offset.narrow(0, first_token, count);
    at::Tensor once;
    if (from_terms) {
      // tokens M = scale (base M) + left (right M)
      once = at::addcmul(offset_rows, image.upscale1_base.narrow(0, first_token, count),
                         terms.scale[b].narrow(0, first_token, count));
      once.addmm_(terms.left[b].narrow(0, first_token, count), right_mapped[b]);
    } else {
      once = at::addmm(offset_rows, tokens[b].narrow(0, first_token, count), upscale1_matrix_);
    }
    const at::Tensor upscaled = upscale_rows(once, image, first_row, rows);  // [16 rows w, C/8]
    const at::Tensor planes = at::mm(hyper[b], upscaled.t());                // [M, 16 rows w]
    at::Tensor out = masks[b];
    unblock_masks(planes, out, first_row, rows, w);
  });
  return masks;
}

namespace {
// Prompt sets `rows` of image tokens.
ImageTokens select_prompt_sets(const ImageTokens& image, const at::Tensor& rows) {
  ImageTokens out{image.tokens.index_select(0, rows), at::Tensor(), {}};
  const ImageTokenTerms& terms = image.terms;
  if (terms.defined()) {
    out.terms = {terms.scale.index_select(0, rows), terms.left.index_select(0, rows),
                 terms.right.index_select(0, rows)};
  }
  return out;
}
}  // namespace

DecoderOutput DecoderPlan::predict_masks(const PlannedImage& image, const at::Tensor& prompt_tokens,
                                         const DenseEmbedding& dense, const MaskTokens& which,
                                         float score_floor) const {
  const int64_t batch = prompt_tokens.size(0);
  const int64_t iou_index = decoder_.iou_token_index();
  const at::Tensor tokens = at::cat({output_tokens_.unsqueeze(0).expand({batch, -1, -1}), prompt_tokens}, 1);
  // The final attention runs only for the tokens read below: the IoU token and the wanted mask tokens.
  const at::Tensor kept =
      at::cat({at::full({1}, iou_index, at::kLong), at::arange(iou_index + 1 + which.first,
                                                                iou_index + 1 + which.first + which.count, at::kLong)})
          .to(tokens.device());

  // The engine splits the image-sized work across ATen's threads itself; OpenBLAS's own pool,
  // spinning between these small products, would fight those threads for the cores.
  const SingleThreadedBlas single_threaded_blas;
  at::Tensor hs;
  ImageTokens keys;
  if (dense.defined()) {
    const at::Tensor src = image.image_tokens + dense.tokens();
    // One prompt set: the first layer's image-side projections are the cached ones plus the
    // mask embedding's share, which is cheap to project (see TwoWayTransformer::with_dense).
    const FirstLayerCache cache =
        batch == 1 && image.first_layer.defined()
            ? transformer_.with_dense(image.first_layer, dense.hidden[0], dense.weight, dense.bias,
                                      image.no_mask_embedding)
            : FirstLayerCache{};
    std::tie(hs, keys) = transformer_(src, image.pe_tokens, tokens, cache, kept);
  } else {
    std::tie(hs, keys) = transformer_(image.no_mask_tokens, image.pe_tokens, tokens, image.first_layer, kept);
  }
  const at::Tensor mask_tokens_out = hs.slice(1, 1);

  DecoderOutput out;
  out.iou_predictions = decoder_.iou_prediction_head(hs.select(1, 0)).narrow(1, which.first, which.count);
  const at::Tensor needed = score_floor > -std::numeric_limits<float>::infinity()
                                ? out.iou_predictions.gt(score_floor).any(1)
                                : at::Tensor();
  if (!needed.defined() || needed.all().item<bool>()) {
    out.masks = upscaled_masks(keys, hypernetworks(mask_tokens_out, which), image);
  } else {
    const at::Tensor rows = needed.nonzero().flatten();
    out.masks = at::zeros({batch, which.count, 4 * image.height, 4 * image.width}, hs.options());
    if (rows.numel() > 0) {
      out.masks.index_copy_(0, rows, upscaled_masks(select_prompt_sets(keys, rows),
                                                    hypernetworks(mask_tokens_out.index_select(0, rows), which), image));
    }
  }
  return out;
}

DecoderOutput DecoderPlan::operator()(const PlannedImage& image, const at::Tensor& sparse, const at::Tensor& mask_input,
                                      bool multimask, float score_floor) const {
  const MaskTokens which = decoder_.returned_tokens(multimask);
  const DenseEmbedding dense = mask_input.defined() ? embed_masks(mask_input) : DenseEmbedding{};
  if (decoder_.chooses_by_stability(multimask)) {
    // The stability choice compares every mask, so none is skipped.
    return decoder_.most_stable(predict_masks(image, sparse, dense, which, -std::numeric_limits<float>::infinity()));
  }
  return predict_masks(image, sparse, dense, which, score_floor);
}

}  // namespace sam
