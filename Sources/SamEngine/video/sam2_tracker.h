// SAM 2's tracking step (sam2/modeling/sam2_base.py, the parts SAM2VideoPredictor runs): the
// frame's features conditioned on the object's memories (memory attention over the spatial
// memories of the conditioning frames and the last six frames, and over object pointers), the
// SAM heads with an object score and an object pointer, and the memory encoder that turns a
// prediction into the memory of its frame. The prompt encoder and mask decoder are the image
// predictor's; the video modules are read from the checkpoint when a video is opened.
#pragma once
#include <ATen/ATen.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/nn_layers.h"
#include "model/sam_model.h"
#include "video/memory_attention.h"
#include "video/memory_encoder.h"
#include "video/output_spill.h"

namespace sam {

// A placeholder logit for objects without a mask (NO_OBJ_SCORE).
constexpr float kNoObjectScore = -1024.0f;

// One frame's backbone outputs as tracking reads them.
struct FrameFeatures {
  at::Tensor vision;                 // [1, C, h, w]: the lowest level, without no_mem_embed
  std::vector<at::Tensor> high_res;  // the decoder's conv_s0 / conv_s1 applied, as for images
};

// What the predictor keeps per object and frame (the reference's compact output).
struct TrackOutput {
  at::Tensor maskmem_features;     // [1, mem_dim, h, w] bfloat16; undefined until encoded
  at::Tensor pred_masks;           // [1, 1, 4h, 4w] low-resolution logits
  at::Tensor obj_ptr;              // [1, C]
  at::Tensor object_score_logits;  // [1, 1]
  // Where the first two lie on disk when the predictor moved them there (OutputSpill): they are
  // undefined here until restored.
  struct Spilled {
    SpilledTensor memory, logits;
  } spilled;
};

// One object's outputs by frame (output_dict_per_obj).
struct ObjectOutputs {
  std::map<int64_t, TrackOutput> cond, non_cond;
};

struct PointInputs {
  at::Tensor coords;  // [1, N, 2] in the model's input frame
  at::Tensor labels;  // [1, N] int32
};

class Sam2Tracker {
 public:
  // Reads the video modules of `checkpoint_path` for `model` (SAM 2 only). Throws
  // SAM_ERROR_MODEL when they are missing or do not fit the preset.
  Sam2Tracker(const SamModel& model, const std::string& checkpoint_path);

  struct Step {
    TrackOutput output;
    at::Tensor high_res_masks;  // [1, 1, S, S]: what the memory encoder reads
  };
  // track_step: points or a mask (not both) on the frame, or neither (propagation); the
  // memory encoder runs when asked. prev_mask_logits: an earlier prediction on this frame,
  // fed to the decoder with new points.
  Step track_step(int64_t frame, bool is_init_cond_frame, const FrameFeatures& features, const PointInputs* points,
                  const at::Tensor* mask_inputs, const ObjectOutputs& memory, int64_t num_frames, bool reverse,
                  bool run_memory_encoder, const at::Tensor* prev_mask_logits) const;

  // _encode_new_memory, stored as the reference stores it (bfloat16).
  at::Tensor encode_memory(const FrameFeatures& features, const at::Tensor& high_res_masks,
                           const at::Tensor& object_score_logits, bool is_mask_from_points) const;

  const SamModel& model() const { return model_; }

 private:
  struct HeadsOutput {
    at::Tensor low_res_masks, high_res_masks, obj_ptr, object_score_logits;
  };
  HeadsOutput forward_sam_heads(const at::Tensor& backbone_features, const PointInputs* points,
                                const at::Tensor* mask_inputs, const std::vector<at::Tensor>& high_res,
                                bool multimask) const;
  HeadsOutput use_mask_as_output(const at::Tensor& backbone_features, const std::vector<at::Tensor>& high_res,
                                 const at::Tensor& mask_inputs) const;
  at::Tensor memory_conditioned_features(int64_t frame, bool is_init_cond_frame, const FrameFeatures& features,
                                         const ObjectOutputs& memory, int64_t num_frames, bool reverse) const;
  at::Tensor gate_object_pointer(at::Tensor obj_ptr, const at::Tensor& present) const;

  const SamModel& model_;
  VideoSizes sizes_;
  int64_t hidden_dim_, grid_side_;
  at::Tensor image_pe_;        // the prompt encoder's dense position encoding
  at::Tensor vision_pos_;      // [1, HW, C]: the sine encoding of the grid (vision_pos_enc)
  at::Tensor maskmem_pos_;     // [1, HW, mem_dim]: the memory's sine encoding
  std::unique_ptr<MemoryAttention> memory_attention_;
  std::unique_ptr<MemoryEncoder> memory_encoder_;
  at::Tensor maskmem_tpos_enc_;  // [num_maskmem, mem_dim]
  at::Tensor no_mem_embed_;      // [C]
  at::Tensor no_obj_ptr_;        // [1, C]
  at::Tensor no_obj_embed_spatial_;  // [mem_dim] (2.1) or undefined
  Mlp obj_ptr_proj_;
  std::optional<Linear> obj_ptr_tpos_proj_;  // 2.1
  Conv2d mask_downsample_;
};

}  // namespace sam
