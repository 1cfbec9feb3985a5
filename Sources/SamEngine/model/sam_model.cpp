#include "model/sam_model.h"

#include "checkpoint/checkpoint.h"
#include "engine_error.h"
#include "model/sam1_model.h"
#include "model/sam2_model.h"
#include "model/weights.h"

namespace sam {

std::unique_ptr<SamModel> load_sam_model(const std::string& checkpoint_path, const std::string& model_name,
                                         at::Device device) {
  const std::unique_ptr<Checkpoint> checkpoint = Checkpoint::open(checkpoint_path);
  const Preset* preset = nullptr;
  if (model_name.empty()) {
    preset = detect_preset(*checkpoint);
    if (!preset) {
      throw Error(SAM_ERROR_MODEL, checkpoint_path + ": not a checkpoint of any known SAM model (" +
                                       std::to_string(checkpoint->tensors().size()) +
                                       " tensors); name the model explicitly to see which tensors differ");
    }
  } else {
    preset = find_preset(model_name);
    if (!preset) {
      std::string known;
      for (const Preset& p : presets()) known += (known.empty() ? "" : ", ") + p.name;
      throw Error(SAM_ERROR_ARGUMENT, "unknown model name '" + model_name + "' (known: " + known + ")");
    }
  }
  Weights weights(*checkpoint, device);
  std::unique_ptr<SamModel> model = preset->family == Family::Sam1 ? build_sam1_model(weights, *preset, device)
                                                                   : build_sam2_model(weights, *preset, device);
  try {
    weights.check_complete(preset->name);
  } catch (const Error& error) {
    throw Error(error.status(), checkpoint_path + ": " + error.what());
  }
  return model;
}

}  // namespace sam
