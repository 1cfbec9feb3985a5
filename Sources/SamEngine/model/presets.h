// Model presets as data: the sizes that the official configs give each model. A checkpoint
// does not carry its configuration, so the preset is detected from its tensor names and shapes.
#pragma once
#include <array>
#include <string>
#include <vector>

#include "checkpoint/checkpoint.h"

namespace sam {

enum class Family { Sam2, Sam1 };

struct HieraSizes {
  int embed_dim;                        // first stage's channels
  int num_heads;                        // first stage's heads
  std::array<int, 4> stages;            // blocks per stage
  std::vector<int> global_att_blocks;   // indices (over all blocks) with global attention
  std::array<int, 4> window_spec;       // window size per stage
  std::array<int, 2> window_pos_embed_bkg_spatial_size;
  std::array<int, 4> backbone_channel_list;  // channels per stage, deepest first (neck input)
};

struct VitSizes {  // SAM 1 image encoder
  int embed_dim;
  int depth;
  int num_heads;
  std::vector<int> global_attn_indexes;
  int window_size;
};

// SAM 2's video modules (memory attention, memory encoder, object pointers), as the official
// configs build them. The image predictor never uses them.
struct VideoSizes {
  int mem_dim = 64;                 // memory encoder output channels (out_proj)
  int memory_attention_layers = 4;
  int memory_attention_ffn = 2048;  // dim_feedforward
  int mask_kernel = 3, mask_stride = 2, mask_padding = 1;  // MaskDownSampler, to total stride 16
  int fuser_layers = 2;             // CXBlocks, kernel 7, padding 3
  int num_maskmem = 7;              // the conditioning frames + 6 previous frames
  int max_obj_ptrs_in_encoder = 16;
  // SAM 2.1: object pointers carry a signed temporal encoding projected to mem_dim
  // (add_tpos_enc_to_obj_ptrs, proj_tpos_enc_in_obj_ptrs, use_signed_tpos_enc_to_obj_ptrs), and
  // memories of frames without the object get no_obj_embed_spatial. SAM 2.0: neither.
  bool version_2_1 = true;
};

struct Preset {
  std::string name;  // "sam2.1_hiera_t", ..., "sam_vit_b"
  Family family;
  HieraSizes hiera;  // Sam2 only
  VitSizes vit;      // Sam1 only
  int d_model;       // neck / prompt embedding channels (256 for official models)
  int image_size;    // 1024 for official models
  bool iou_prediction_use_sigmoid;
  bool pred_obj_scores;
  bool pred_obj_scores_mlp;
  bool use_high_res_features;
  // Single-mask output falls back to the most stable multimask candidate (SAM 2 configs).
  bool dynamic_multimask_via_stability;
  float dynamic_multimask_stability_delta;
  float dynamic_multimask_stability_thresh;
  VideoSizes video;  // Sam2 only
  // Tensors (names without SAM 2's leading "model.") that only this preset's release carries,
  // e.g. SAM 2.1's no_obj_embed_spatial. Detection prefers the preset matching the most of them.
  std::vector<std::string> signature_tensors;
};

const std::vector<Preset>& presets();
// nullptr when no preset has that name.
const Preset* find_preset(const std::string& name);
// The preset whose signature (names, shapes, block counts) the checkpoint carries, or nullptr.
const Preset* detect_preset(const Checkpoint& checkpoint);

}  // namespace sam
