// A torch.save zip archive read into an ordered list of tensor records, without torch.
// Nested dicts are flattened with dots: SAM 2's {"model": {...}} gives "model.image_encoder...".
// The records point into the archive's bytes, which the Checkpoint owns.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "include/sam_engine.h"

namespace sam {

struct TensorRecord {
  std::string name;              // key in the state dict, e.g. "image_encoder.trunk.pos_embed"
  sam_dtype dtype;
  std::vector<int64_t> shape;
  std::vector<int64_t> strides;  // in elements
  int64_t storage_offset = 0;    // in elements
  const uint8_t* storage = nullptr;  // first byte of the whole storage (shared between views)
  size_t storage_bytes = 0;          // size of that storage in bytes

  int64_t numel() const;
};

size_t dtype_size(sam_dtype dtype);

class Checkpoint {
 public:
  // Throws sam::Error (SAM_ERROR_IO or SAM_ERROR_FORMAT) naming `path` and what was wrong.
  static std::unique_ptr<Checkpoint> open(const std::string& path);
  static std::unique_ptr<Checkpoint> from_bytes(std::vector<uint8_t> bytes, const std::string& name);

  const std::string& name() const { return name_; }
  const std::vector<TensorRecord>& tensors() const { return tensors_; }
  // Row-major values of one tensor converted to double (for tests and inspection).
  std::vector<double> values(size_t index) const;
  // The same into `out`, which must hold at least numel values. Throws SAM_ERROR_ARGUMENT.
  void copy_values(size_t index, double* out, size_t count) const;

 private:
  std::string name_;
  std::vector<uint8_t> bytes_;    // from_bytes: the archive itself
  std::shared_ptr<void> mapping_;  // open: the file mapped read-only, unmapped on release
  std::vector<TensorRecord> tensors_;
  friend class CheckpointParser;
};

}  // namespace sam
