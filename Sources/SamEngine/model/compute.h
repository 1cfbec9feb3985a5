// Where and how a model computes, decided once when it is loaded (sam_model_options) and read
// by every module as it is built.
#pragma once
#include <ATen/ATen.h>


namespace sam {

// How the decoder plan evaluates attentions between the image and a few tokens.
enum class AttentionOrder {
  Automatic,  // whichever order needs fewer multiply-adds for the token count at hand
  Reference,  // project the image tokens, as the reference does
  Reordered,  // fold the projections into the token side (cheaper while heads * tokens < channels)
};

struct Compute {
  at::Device device = at::kCPU;
  // The CPU's own path: hand-written kernels, work split across ATen's threads by the code
  // itself, the decoder plan. Off on every other device and with SAM_KERNELS_GENERIC: then
  // each module runs the device-independent ATen path.
  bool cpu_kernels = true;
  // The lower precision of autocast's products (kBFloat16, kHalf), or kFloat for none.
  at::ScalarType precision = at::kFloat;
  AttentionOrder decoder_order = AttentionOrder::Automatic;
};

// While alive, runs LibTorch's operations under autocast to compute.precision on
// compute.device, as torch.autocast does (nothing for float32); restores the state after.
class AutocastScope {
 public:
  explicit AutocastScope(const Compute& compute);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  at::DeviceType device_type_ = at::kCPU;
  bool was_enabled_ = false;
  at::ScalarType previous_dtype_ = at::kFloat;
};

}  // namespace sam
