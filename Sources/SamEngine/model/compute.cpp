#include "model/compute.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

namespace sam {
namespace {

// The autocast state of one device type. LibTorch 2.4 replaced the per-device functions
// (set_enabled for CUDA, set_cpu_enabled, ...) with ones that take the device type.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
bool enabled(at::DeviceType type) { return at::autocast::is_autocast_enabled(type); }
void set_enabled(at::DeviceType type, bool on) { at::autocast::set_autocast_enabled(type, on); }
at::ScalarType dtype(at::DeviceType type) { return at::autocast::get_autocast_dtype(type); }
void set_dtype(at::DeviceType type, at::ScalarType value) { at::autocast::set_autocast_dtype(type, value); }
#else
bool enabled(at::DeviceType type) {
  return type == at::kCUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
}
void set_enabled(at::DeviceType type, bool on) {
  type == at::kCUDA ? at::autocast::set_enabled(on) : at::autocast::set_cpu_enabled(on);
}
at::ScalarType dtype(at::DeviceType type) {
  return type == at::kCUDA ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
}
void set_dtype(at::DeviceType type, at::ScalarType value) {
  type == at::kCUDA ? at::autocast::set_autocast_gpu_dtype(value) : at::autocast::set_autocast_cpu_dtype(value);
}
#endif

}  // namespace

AutocastScope::AutocastScope(const Compute& compute) {
  if (compute.precision == at::kFloat) return;
  active_ = true;
  device_type_ = compute.device.type();
  was_enabled_ = enabled(device_type_);
  previous_dtype_ = dtype(device_type_);
  set_dtype(device_type_, compute.precision);
  set_enabled(device_type_, true);
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  // Leaving the outermost scope drops the casts of the weights autocast cached.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set_enabled(device_type_, was_enabled_);
  set_dtype(device_type_, previous_dtype_);
}

}  // namespace sam
