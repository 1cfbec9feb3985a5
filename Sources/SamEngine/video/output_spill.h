// Outputs of frames far from the one being tracked, kept on disk: their memory features and
// logits are written once to an unlinked temporary file and read back, bit for bit, when a
// propagation comes near them again or a prompt lands on them. The reference keeps every output
// in memory (about 768 KB per object and frame at hiera's sizes); this bounds a long video's memory.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <cstdio>
#include <vector>

namespace sam {

struct TrackOutput;

// Where a spilled tensor lies in the file, and what it was.
struct SpilledTensor {
  int64_t offset = -1;  // -1: not written
  std::vector<int64_t> sizes;
  at::ScalarType dtype = at::kFloat;
  at::Device device = at::kCPU;
};

class OutputSpill {
 public:
  OutputSpill() = default;
  ~OutputSpill();
  OutputSpill(const OutputSpill&) = delete;
  OutputSpill& operator=(const OutputSpill&) = delete;

  // Moves the output's memory features and logits to the file (written the first time only).
  void spill(TrackOutput& output);
  // Brings them back if they were spilled.
  void restore(TrackOutput& output);

  int64_t bytes_written() const { return bytes_written_; }

 private:
  void write(const at::Tensor& tensor, SpilledTensor& record);
  at::Tensor read(const SpilledTensor& record);

  std::FILE* file_ = nullptr;
  int64_t bytes_written_ = 0;
};

}  // namespace sam
