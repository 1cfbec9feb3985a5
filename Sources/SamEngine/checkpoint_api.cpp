// The sam_checkpoint_* functions of sam_engine.h: thin wrappers that turn every exception
// into a status and one line in the caller's sam_error.
#include <algorithm>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "api_boundary.h"
#include "checkpoint/checkpoint.h"
#include "engine_error.h"
#include "include/sam_engine.h"
#include "model/presets.h"

struct sam_checkpoint {
  std::unique_ptr<sam::Checkpoint> checkpoint;
  const char* model_name;  // detected once at opening; static storage
};

namespace {

sam_status finish_open(std::unique_ptr<sam::Checkpoint> checkpoint, sam_checkpoint** out) {
  const sam::Preset* preset = sam::detect_preset(*checkpoint);
  *out = new sam_checkpoint{std::move(checkpoint), preset ? preset->name.c_str() : "unknown"};
  return SAM_OK;
}

}  // namespace

extern "C" {

sam_status sam_checkpoint_open(const char* path, sam_checkpoint** out, sam_error* error) {
  if (out) *out = nullptr;
  return sam::guarded(error, [&] {
    if (!path || !out) throw sam::Error(SAM_ERROR_ARGUMENT, "sam_checkpoint_open: path and out must not be NULL");
    finish_open(sam::Checkpoint::open(path), out);
  });
}

sam_status sam_checkpoint_open_bytes(const void* bytes, size_t size, const char* name, sam_checkpoint** out,
                                     sam_error* error) {
  if (out) *out = nullptr;
  return sam::guarded(error, [&] {
    if ((!bytes && size) || !out)
      throw sam::Error(SAM_ERROR_ARGUMENT, "sam_checkpoint_open_bytes: bytes and out must not be NULL");
    const auto* begin = static_cast<const uint8_t*>(bytes);
    std::vector<uint8_t> copy(begin, begin + size);
    finish_open(sam::Checkpoint::from_bytes(std::move(copy), name ? name : "<memory>"), out);
  });
}

void sam_checkpoint_free(sam_checkpoint* checkpoint) { delete checkpoint; }

size_t sam_checkpoint_tensor_count(const sam_checkpoint* checkpoint) {
  return checkpoint ? checkpoint->checkpoint->tensors().size() : 0;
}

sam_status sam_checkpoint_tensor_info(const sam_checkpoint* checkpoint, size_t index, sam_tensor_info* out,
                                      sam_error* error) {
  return sam::guarded(error, [&] {
    if (!checkpoint || !out) throw sam::Error(SAM_ERROR_ARGUMENT, "sam_checkpoint_tensor_info: NULL argument");
    const auto& tensors = checkpoint->checkpoint->tensors();
    if (index >= tensors.size())
      throw sam::Error(SAM_ERROR_ARGUMENT, checkpoint->checkpoint->name() + ": tensor index " + std::to_string(index) +
                                               " is out of range (" + std::to_string(tensors.size()) + " tensors)");
    const sam::TensorRecord& record = tensors[index];
    *out = sam_tensor_info{};
    out->name = record.name.c_str();
    out->dtype = record.dtype;
    out->rank = static_cast<int32_t>(record.shape.size());
    for (size_t d = 0; d < record.shape.size(); ++d) {
      out->shape[d] = record.shape[d];
      out->strides[d] = record.strides[d];
    }
    out->storage_offset = record.storage_offset;
    out->numel = record.numel();
  });
}

sam_status sam_checkpoint_tensor_values(const sam_checkpoint* checkpoint, size_t index, double* out, size_t count,
                                        sam_error* error) {
  return sam::guarded(error, [&] {
    if (!checkpoint || (!out && count)) throw sam::Error(SAM_ERROR_ARGUMENT, "sam_checkpoint_tensor_values: NULL argument");
    checkpoint->checkpoint->copy_values(index, out, count);
  });
}

const char* sam_checkpoint_model_name(const sam_checkpoint* checkpoint) {
  return checkpoint ? checkpoint->model_name : "unknown";
}

}  // extern "C"
