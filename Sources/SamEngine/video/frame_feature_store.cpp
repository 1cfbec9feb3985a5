#include "video/frame_feature_store.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "engine_error.h"
#include "model/embedding_file.h"

namespace sam {
namespace {

int64_t bytes_of(const FrameFeatures& features) {
  int64_t bytes = features.vision.nbytes();
  for (const at::Tensor& level : features.high_res) bytes += level.nbytes();
  return bytes;
}

}  // namespace

FrameFeatureStore::FrameFeatureStore(const SamModel& model, int64_t memory_budget,
                                     std::optional<FrameFeatureFolder> folder, Encode encode)
    : model_(model), memory_budget_(memory_budget), folder_(std::move(folder)), encode_(std::move(encode)) {}

const FrameFeatures& FrameFeatureStore::get(int64_t frame) {
  const auto found = resident_.find(frame);
  if (found != resident_.end()) {
    recent_.remove(frame);
    recent_.push_front(frame);
    return found->second;
  }
  std::optional<FrameFeatures> features = read(frame);
  if (features) {
    ++counts_.read_back;
  } else {
    features = encode_(frame);
    ++counts_.encoded;
  }
  const int64_t bytes = bytes_of(*features);
  make_room(bytes);
  memory_bytes_ += bytes;
  recent_.push_front(frame);
  return resident_.emplace(frame, std::move(*features)).first->second;
}

void FrameFeatureStore::make_room(int64_t bytes) {
  while (!recent_.empty() && memory_bytes_ + bytes > memory_budget_) {
    const auto evicted = resident_.find(recent_.back());
    if (folder_ && !on_disk_.count(evicted->first)) write(evicted->first, evicted->second);
    memory_bytes_ -= bytes_of(evicted->second);
    resident_.erase(evicted);
    recent_.pop_back();
  }
}

std::string FrameFeatureStore::path(int64_t frame) const {
  return folder_->folder + "/" + folder_->key + "-" + std::to_string(frame) + ".embedding";
}

std::optional<FrameFeatures> FrameFeatureStore::read(int64_t frame) {
  if (!folder_) return std::nullopt;
  const std::string file = path(frame);
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0) return std::nullopt;
  EmbeddingFile embedding;
  try {
    embedding = read_embedding_file(
        file, model_.preset.name, folder_->key + "#" + std::to_string(frame),
        image_feature_shapes(model_.preset.d_model, model_.embedding_size(), model_.preset.use_high_res_features));
  } catch (const Error&) {
    return std::nullopt;  // damaged, or another video's: the frame is encoded and the file written again
  }
  ::utimensat(AT_FDCWD, file.c_str(), nullptr, 0);  // just used: the cache's pruning keeps it
  on_disk_.insert(frame);
  FrameFeatures features;
  features.vision = embedding.tensors[0].to(model_.compute.device);
  for (size_t i = 1; i < embedding.tensors.size(); ++i)
    features.high_res.push_back(embedding.tensors[i].to(model_.compute.device));
  return features;
}

void FrameFeatureStore::write(int64_t frame, const FrameFeatures& features) {
  const int64_t bytes = bytes_of(features);
  if (counts_.bytes_written + bytes > folder_->byte_budget) return;  // over budget: encoded again if needed
  EmbeddingFile embedding;
  embedding.model_name = model_.preset.name;
  embedding.image_key = folder_->key + "#" + std::to_string(frame);
  embedding.width = static_cast<int32_t>(model_.image_size());
  embedding.height = embedding.width;
  embedding.tensors.push_back(features.vision);
  for (const at::Tensor& level : features.high_res) embedding.tensors.push_back(level);
  try {
    write_embedding_file(path(frame), embedding);
  } catch (const Error&) {
    return;  // a full or read-only cache costs an encoding later, not the tracking
  }
  on_disk_.insert(frame);
  counts_.bytes_written += bytes;
}

}  // namespace sam
