// Named parameters of a model, taken out of a checkpoint one by one. The model's
// constructors ask for every tensor they need with its expected shape; afterwards
// `check_complete` reports, in one error, what was missing, wrongly shaped or unexpected.
#pragma once
#include <ATen/ATen.h>

#include <map>
#include <string>
#include <vector>

#include "checkpoint/checkpoint.h"
#include "model/compute.h"

namespace sam {

class Weights {
 public:
  // SAM 2 files nest the state dict under "model": that leading "model." is dropped from
  // every key. Floating tensors are converted to float32 and moved to compute.device.
  Weights(const Checkpoint& checkpoint, const Compute& compute);

  // Where and how the modules built from these weights compute.
  const Compute& compute() const { return compute_; }
  bool cpu_kernels() const { return compute_.cpu_kernels; }

  // The tensor called `name`; records a problem (and returns an empty tensor of the expected
  // shape) when it is absent or its shape differs from `shape`.
  at::Tensor get(const std::string& name, at::IntArrayRef shape);
  bool has(const std::string& name) const { return tensors_.count(name) != 0; }

  // Keys under these prefixes are known but unused by the image predictor (video memory modules).
  void ignore_prefix(const std::string& prefix) { ignored_prefixes_.push_back(prefix); }

  // Throws sam::Error(SAM_ERROR_MODEL) naming tensors that hold NaN or infinity, or listing
  // missing, wrongly shaped and unexpected ones.
  void check_complete(const std::string& model_name) const;

 private:
  Compute compute_;
  std::map<std::string, at::Tensor> tensors_;
  std::map<std::string, bool> used_;
  std::vector<std::string> ignored_prefixes_;
  std::vector<std::string> missing_;
  std::vector<std::string> misshapen_;
  std::vector<std::string> not_finite_;
};

// A checkpoint tensor as an at::Tensor (a copy, contiguous, in its own dtype).
at::Tensor to_tensor(const TensorRecord& record);

}  // namespace sam
