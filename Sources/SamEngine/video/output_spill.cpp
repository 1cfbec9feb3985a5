#include "video/output_spill.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine_error.h"
#include "video/sam2_tracker.h"

namespace sam {
namespace {

// A failure of the temporary file: SAM_ERROR_IO with the reason.
void check_io(bool condition, const std::string& message) {
  if (!condition) throw Error(SAM_ERROR_IO, message);
}

}  // namespace

OutputSpill::~OutputSpill() {
  if (file_) std::fclose(file_);
}

void OutputSpill::spill(TrackOutput& output) {
  if (!output.maskmem_features.defined() || !output.pred_masks.defined()) return;  // not encoded yet: stays
  if (output.spilled.memory.offset < 0) write(output.maskmem_features, output.spilled.memory);
  if (output.spilled.logits.offset < 0) write(output.pred_masks, output.spilled.logits);
  output.maskmem_features = at::Tensor();
  output.pred_masks = at::Tensor();
}

void OutputSpill::restore(TrackOutput& output) {
  if (!output.maskmem_features.defined() && output.spilled.memory.offset >= 0)
    output.maskmem_features = read(output.spilled.memory);
  if (!output.pred_masks.defined() && output.spilled.logits.offset >= 0) output.pred_masks = read(output.spilled.logits);
}

void OutputSpill::write(const at::Tensor& tensor, SpilledTensor& record) {
  if (!file_) {
    file_ = std::tmpfile();  // unlinked: nothing is left behind, whatever happens
    check_io(file_ != nullptr, std::string("video: cannot make a temporary file for old frames' outputs: ") + std::strerror(errno));
  }
  const at::Tensor host = tensor.to(at::kCPU).contiguous();
  const size_t bytes = host.nbytes();
  check_io(std::fseek(file_, 0, SEEK_END) == 0, "video: cannot seek the temporary file of old outputs");
  const long offset = std::ftell(file_);
  check_io(offset >= 0 && std::fwrite(host.data_ptr(), 1, bytes, file_) == bytes && std::fflush(file_) == 0,
          std::string("video: cannot write old frames' outputs to a temporary file: ") + std::strerror(errno));
  record.offset = offset;
  record.sizes = host.sizes().vec();
  record.dtype = host.scalar_type();
  record.device = tensor.device();
  bytes_written_ += static_cast<int64_t>(bytes);
}

at::Tensor OutputSpill::read(const SpilledTensor& record) {
  at::Tensor host = at::empty(record.sizes, at::TensorOptions().dtype(record.dtype));
  const size_t bytes = host.nbytes();
  size_t done = 0;
  auto* data = static_cast<char*>(host.data_ptr());
  while (done < bytes) {
    const ssize_t got = ::pread(fileno(file_), data + done, bytes - done, static_cast<off_t>(record.offset + done));
    if (got < 0 && errno == EINTR) continue;
    check_io(got > 0, std::string("video: cannot read old frames' outputs back: ") + (got < 0 ? std::strerror(errno) : "short file"));
    done += static_cast<size_t>(got);
  }
  return record.device.is_cpu() ? host : host.to(record.device);
}

}  // namespace sam
