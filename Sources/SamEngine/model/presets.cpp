#include "model/presets.h"

#include <cstdlib>
#include <map>
#include <set>

namespace sam {
namespace {

// Values from the official configs: sam2/configs/sam2{,.1}/*.yaml (missing keys take the
// defaults of sam2.modeling.backbones.hieradet.Hiera) and segment_anything/build_sam.py.
// build_sam2 adds the dynamic multimask settings (apply_postprocessing=True, its default).
Preset sam2_preset(const std::string& name, HieraSizes hiera, bool version_2_1) {
  Preset preset;
  preset.name = name;
  preset.family = Family::Sam2;
  preset.hiera = std::move(hiera);
  preset.vit = VitSizes{0, 0, 0, {}, 0};
  preset.d_model = 256;
  preset.image_size = 1024;
  preset.iou_prediction_use_sigmoid = true;
  preset.pred_obj_scores = true;
  preset.pred_obj_scores_mlp = true;
  preset.use_high_res_features = true;
  preset.dynamic_multimask_via_stability = true;
  preset.dynamic_multimask_stability_delta = 0.05f;
  preset.dynamic_multimask_stability_thresh = 0.98f;
  preset.video.version_2_1 = version_2_1;
  // 2.1 configs add no_obj_embed_spatial and proj_tpos_enc_in_obj_ptrs (video memory only).
  if (version_2_1) preset.signature_tensors = {"no_obj_embed_spatial", "obj_ptr_tpos_proj.weight"};
  return preset;
}

Preset sam1_preset(const std::string& name, VitSizes vit) {
  Preset preset;
  preset.name = name;
  preset.family = Family::Sam1;
  preset.hiera = HieraSizes{0, 0, {0, 0, 0, 0}, {}, {0, 0, 0, 0}, {0, 0}, {0, 0, 0, 0}};
  preset.vit = std::move(vit);
  preset.d_model = 256;
  preset.image_size = 1024;
  preset.iou_prediction_use_sigmoid = false;
  preset.pred_obj_scores = false;
  preset.pred_obj_scores_mlp = false;
  preset.use_high_res_features = false;
  preset.dynamic_multimask_via_stability = false;
  preset.dynamic_multimask_stability_delta = 0;
  preset.dynamic_multimask_stability_thresh = 0;
  return preset;
}

const HieraSizes kHieraTiny{96, 1, {1, 2, 7, 2}, {5, 7, 9}, {8, 4, 14, 7}, {7, 7}, {768, 384, 192, 96}};
const HieraSizes kHieraSmall{96, 1, {1, 2, 11, 2}, {7, 10, 13}, {8, 4, 14, 7}, {7, 7}, {768, 384, 192, 96}};
const HieraSizes kHieraBasePlus{112, 2, {2, 3, 16, 3}, {12, 16, 20}, {8, 4, 14, 7}, {14, 14}, {896, 448, 224, 112}};
const HieraSizes kHieraLarge{144, 2, {2, 6, 36, 4}, {23, 33, 43}, {8, 4, 16, 8}, {7, 7}, {1152, 576, 288, 144}};

// TEST ONLY: the tiny random-weight SAM 2.1 model of Tests/Fixtures/sam2, made by
// tools/make_sam2_fixtures.py (which must use the same sizes), and the SAM 2.0 model of
// Tests/Fixtures/video-sam2.0 (tools/make_video_fixtures.py --version 2.0). No official
// checkpoint matches them.
Preset sam2_test_fixture_preset(bool version_2_1) {
  Preset preset = sam2_preset(version_2_1 ? "sam2.1_test_tiny" : "sam2_test_tiny",
                              HieraSizes{8, 1, {1, 2, 2, 1}, {4}, {8, 4, 14, 7}, {7, 7}, {64, 32, 16, 8}}, version_2_1);
  preset.d_model = 16;
  // The video fixtures' model (tools/make_video_fixtures.py); the image fixtures' model has
  // smaller video modules that cannot run (a mask downsampler of total stride 4).
  preset.video.mem_dim = 8;
  preset.video.memory_attention_layers = 2;
  preset.video.memory_attention_ffn = 32;
  preset.video.mask_kernel = 4;
  preset.video.mask_stride = 4;
  preset.video.mask_padding = 0;
  preset.video.fuser_layers = 1;
  return preset;
}

// TEST ONLY: the tiny random-weight SAM 1 model of Tests/Fixtures/sam1, made by
// tools/make_sam1_fixtures.py (which must use the same sizes). No official checkpoint matches it.
Preset sam1_test_fixture_preset() {
  Preset preset = sam1_preset("sam_test_tiny", VitSizes{8, 3, 2, {1}, 14});
  preset.d_model = 16;
  return preset;
}

std::vector<Preset> make_presets() {
  return {
      sam2_preset("sam2.1_hiera_t", kHieraTiny, true),
      sam2_preset("sam2.1_hiera_s", kHieraSmall, true),
      sam2_preset("sam2.1_hiera_b+", kHieraBasePlus, true),
      sam2_preset("sam2.1_hiera_l", kHieraLarge, true),
      sam2_preset("sam2_hiera_t", kHieraTiny, false),
      sam2_preset("sam2_hiera_s", kHieraSmall, false),
      sam2_preset("sam2_hiera_b+", kHieraBasePlus, false),
      sam2_preset("sam2_hiera_l", kHieraLarge, false),
      sam1_preset("sam_vit_b", VitSizes{768, 12, 12, {2, 5, 8, 11}, 14}),
      sam1_preset("sam_vit_l", VitSizes{1024, 24, 16, {5, 11, 17, 23}, 14}),
      sam1_preset("sam_vit_h", VitSizes{1280, 32, 16, {7, 15, 23, 31}, 14}),
      sam2_test_fixture_preset(true),   // TEST ONLY (see above)
      sam2_test_fixture_preset(false),  // TEST ONLY (see above)
      sam1_test_fixture_preset(),  // TEST ONLY (see above)
  };
}

// The checkpoint's tensor shapes by name, SAM 2's "model." prefix removed.
class Shapes {
 public:
  explicit Shapes(const Checkpoint& checkpoint) {
    for (const auto& record : checkpoint.tensors()) {
      const bool nested = record.name.rfind("model.", 0) == 0;
      shapes_[nested ? record.name.substr(6) : record.name] = record.shape;
    }
  }

  bool has(const std::string& name) const { return shapes_.count(name) != 0; }

  bool shape_is(const std::string& name, const std::vector<int64_t>& shape) const {
    auto found = shapes_.find(name);
    return found != shapes_.end() && found->second == shape;
  }

  // Indices i of tensors named `prefix` + i + "." + ...
  std::set<long> block_indices(const std::string& prefix) const {
    std::set<long> indices;
    for (auto it = shapes_.lower_bound(prefix); it != shapes_.end() && it->first.rfind(prefix, 0) == 0; ++it) {
      const char* digits = it->first.c_str() + prefix.size();
      char* end = nullptr;
      const long index = std::strtol(digits, &end, 10);
      if (end != digits && *end == '.') indices.insert(index);
    }
    return indices;
  }

 private:
  std::map<std::string, std::vector<int64_t>> shapes_;
};

// Contiguous blocks 0..n-1.
bool blocks_are(const std::set<long>& indices, long count) {
  return static_cast<long>(indices.size()) == count && (count == 0 || *indices.rbegin() == count - 1);
}

bool matches_hiera(const Shapes& shapes, const Preset& preset) {
  const HieraSizes& hiera = preset.hiera;
  const long embed = hiera.embed_dim;
  if (!shapes.shape_is("image_encoder.trunk.patch_embed.proj.weight", {embed, 3, 7, 7})) return false;
  if (!shapes.shape_is("image_encoder.trunk.pos_embed",
                       {1, embed, hiera.window_pos_embed_bkg_spatial_size[0], hiera.window_pos_embed_bkg_spatial_size[1]}))
    return false;
  if (!shapes.shape_is("image_encoder.trunk.pos_embed_window", {1, embed, hiera.window_spec[0], hiera.window_spec[0]}))
    return false;
  long depth = 0;
  for (int blocks : hiera.stages) depth += blocks;
  if (!blocks_are(shapes.block_indices("image_encoder.trunk.blocks."), depth)) return false;
  // The first block of each later stage projects to the wider dimension: that fixes the split.
  long first = 0;
  for (size_t stage = 0; stage < hiera.stages.size(); ++stage) {
    const bool projects = shapes.has("image_encoder.trunk.blocks." + std::to_string(first) + ".proj.weight");
    if (projects != (stage > 0)) return false;
    first += hiera.stages[stage];
  }
  return shapes.shape_is("sam_prompt_encoder.point_embeddings.0.weight", {1, preset.d_model});
}

bool matches_vit(const Shapes& shapes, const Preset& preset) {
  const VitSizes& vit = preset.vit;
  const long embed = vit.embed_dim;
  const long grid = preset.image_size / 16;
  return shapes.shape_is("image_encoder.patch_embed.proj.weight", {embed, 3, 16, 16}) &&
         shapes.shape_is("image_encoder.pos_embed", {1, grid, grid, embed}) &&
         blocks_are(shapes.block_indices("image_encoder.blocks."), vit.depth) &&
         shapes.shape_is("prompt_encoder.point_embeddings.0.weight", {1, preset.d_model});
}

}  // namespace

const std::vector<Preset>& presets() {
  static const std::vector<Preset> table = make_presets();
  return table;
}

const Preset* find_preset(const std::string& name) {
  for (const auto& preset : presets())
    if (preset.name == name) return &preset;
  return nullptr;
}

const Preset* detect_preset(const Checkpoint& checkpoint) {
  const Shapes shapes(checkpoint);
  const Preset* best = nullptr;
  size_t best_signature = 0;
  for (const auto& preset : presets()) {
    const bool fits = preset.family == Family::Sam2 ? matches_hiera(shapes, preset) : matches_vit(shapes, preset);
    if (!fits) continue;
    bool all_signatures = true;
    for (const auto& name : preset.signature_tensors) all_signatures = all_signatures && shapes.has(name);
    if (!all_signatures) continue;
    // A 2.1 file also fits the 2.0 preset of its size; the more specific signature wins.
    if (!best || preset.signature_tensors.size() > best_signature) {
      best = &preset;
      best_signature = preset.signature_tensors.size();
    }
  }
  return best;
}

}  // namespace sam
