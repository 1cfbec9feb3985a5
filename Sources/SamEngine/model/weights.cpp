#include "model/weights.h"

#include <sstream>

#include "engine_error.h"

namespace sam {
namespace {

at::ScalarType scalar_type(sam_dtype dtype) {
  switch (dtype) {
    case SAM_DTYPE_FLOAT32: return at::kFloat;
    case SAM_DTYPE_FLOAT16: return at::kHalf;
    case SAM_DTYPE_BFLOAT16: return at::kBFloat16;
    case SAM_DTYPE_INT64: return at::kLong;
    case SAM_DTYPE_INT32: return at::kInt;
    case SAM_DTYPE_UINT8: return at::kByte;
    case SAM_DTYPE_BOOL: return at::kBool;
    case SAM_DTYPE_FLOAT64: return at::kDouble;
    case SAM_DTYPE_INT16: return at::kShort;
    case SAM_DTYPE_INT8: return at::kChar;
  }
  throw Error(SAM_ERROR_FORMAT, "unsupported dtype");
}

std::string shape_string(at::IntArrayRef shape) {
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? "," : "") << shape[i];
  out << "]";
  return out.str();
}

}  // namespace

at::Tensor to_tensor(const TensorRecord& record) {
  const auto type = scalar_type(record.dtype);
  const int64_t storage_elements = static_cast<int64_t>(record.storage_bytes / dtype_size(record.dtype));
  // The storage is borrowed for the duration of the copy only.
  auto storage = at::from_blob(const_cast<uint8_t*>(record.storage), {storage_elements},
                               at::TensorOptions().dtype(type));
  return storage.as_strided(record.shape, record.strides, record.storage_offset).contiguous().clone();
}

Weights::Weights(const Checkpoint& checkpoint, const Compute& compute) : compute_(compute) {
  for (const auto& record : checkpoint.tensors()) {
    auto tensor = to_tensor(record);
    if (at::isFloatingType(tensor.scalar_type())) tensor = tensor.to(at::kFloat);
    const bool nested = record.name.rfind("model.", 0) == 0;
    tensors_[nested ? record.name.substr(6) : record.name] = tensor.to(compute.device);
  }
}

at::Tensor Weights::get(const std::string& name, at::IntArrayRef shape) {
  auto found = tensors_.find(name);
  if (found == tensors_.end()) {
    missing_.push_back(name + " " + shape_string(shape));
    return at::zeros(shape);
  }
  used_[name] = true;
  if (found->second.sizes() != shape) {
    misshapen_.push_back(name + " is " + shape_string(found->second.sizes()) + ", expected " + shape_string(shape));
    return at::zeros(shape, found->second.options());
  }
  // One NaN or infinity in a weight spreads into every output (scores, logits, masks): refuse
  // the file instead of answering every click with garbage.
  if (at::isFloatingType(found->second.scalar_type()) && !at::isfinite(found->second).all().item<bool>()) {
    not_finite_.push_back(name);
  }
  return found->second;
}

void Weights::check_complete(const std::string& model_name) const {
  std::vector<std::string> unexpected;
  for (const auto& entry : tensors_) {
    if (used_.count(entry.first)) continue;
    bool ignored = false;
    for (const auto& prefix : ignored_prefixes_) ignored = ignored || entry.first.rfind(prefix, 0) == 0;
    if (!ignored) unexpected.push_back(entry.first);
  }
  if (!not_finite_.empty()) {
    std::ostringstream out;
    out << "checkpoint is damaged: " << not_finite_.size() << " tensor" << (not_finite_.size() > 1 ? "s hold" : " holds")
        << " values that are not finite numbers (NaN or infinity): " << not_finite_.front()
        << (not_finite_.size() > 1 ? ", ..." : "");
    throw Error(SAM_ERROR_MODEL, out.str());
  }
  if (missing_.empty() && misshapen_.empty() && unexpected.empty()) return;
  std::ostringstream out;
  out << "checkpoint does not match the " << model_name << " preset:";
  auto list = [&](const char* title, const std::vector<std::string>& items) {
    if (items.empty()) return;
    out << " " << items.size() << " " << title << " (";
    for (size_t i = 0; i < items.size() && i < 8; ++i) out << (i ? "; " : "") << items[i];
    if (items.size() > 8) out << "; ...";
    out << ")";
  };
  list("missing", missing_);
  list("wrongly shaped", misshapen_);
  list("unexpected", unexpected);
  throw Error(SAM_ERROR_MODEL, out.str());
}

}  // namespace sam
