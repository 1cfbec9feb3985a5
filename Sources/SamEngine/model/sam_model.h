// A loaded Segment Anything model as the image predictor uses it: preset, where it computes,
// the predictor's family-specific transforms, image encoder, prompt encoder and mask decoder,
// and on the CPU the decoder plan that runs the mask decoder fast.
#pragma once
#include <ATen/ATen.h>

#include <memory>
#include <string>

#include "decoder_plan/decoder_plan.h"
#include "model/compute.h"
#include "model/image_features.h"
#include "model/mask_decoder.h"
#include "model/predictor_transforms.h"
#include "model/presets.h"
#include "model/prompt_encoder.h"

namespace sam {

struct SamModel {
  Preset preset;
  Compute compute;
  std::unique_ptr<PredictorTransforms> transforms;
  std::unique_ptr<ImageEncoder> image_encoder;
  std::unique_ptr<PromptEncoder> prompt_encoder;
  std::unique_ptr<MaskDecoder> mask_decoder;
  std::unique_ptr<DecoderPlan> decoder_plan;  // with compute.cpu_kernels only

  int64_t image_size() const { return preset.image_size; }
  int64_t embedding_size() const { return preset.image_size / 16; }   // side of the image embedding
  int64_t low_res_size() const { return 4 * embedding_size(); }       // side of the mask logits
};

// Opens the checkpoint, picks the preset (`model_name`, or detected from the tensors when
// empty), builds every part for `compute` and checks that every tensor was used.
// Throws sam::Error: SAM_ERROR_IO / SAM_ERROR_FORMAT (the file), SAM_ERROR_ARGUMENT (an
// unknown model name), SAM_ERROR_MODEL (the tensors do not fit the preset).
std::unique_ptr<SamModel> load_sam_model(const std::string& checkpoint_path, const std::string& model_name,
                                         const Compute& compute);

}  // namespace sam
