// Frames' image features for the video predictor. A frame is encoded when first needed; the
// most recently used frames stay in memory within a byte budget. A frame pushed out of memory
// is written to a folder (the embedding cache), when one is given, and read back from there
// instead of being encoded again: reading 16 MB costs milliseconds, encoding a hiera frame on a
// CPU about a second. The reference keeps only the last frame's features and encodes again
// every other frame it comes back to.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "video/sam2_tracker.h"

namespace sam {

struct FrameFeatureFolder {
  std::string folder;       // exists; files are named <key>-<frame>.embedding
  std::string key;          // names the frames (their content and selection)
  int64_t byte_budget = 0;  // at most this many bytes written there by one store
};

struct FrameFeatureCounts {
  int64_t encoded = 0;        // frames run through the image encoder
  int64_t read_back = 0;      // frames read back from the folder
  int64_t bytes_written = 0;  // to the folder
};

class FrameFeatureStore {
 public:
  using Encode = std::function<FrameFeatures(int64_t frame)>;

  FrameFeatureStore(const SamModel& model, int64_t memory_budget, std::optional<FrameFeatureFolder> folder,
                    Encode encode);

  // The frame's features: from memory, else from the folder, else encoded.
  const FrameFeatures& get(int64_t frame);

  int64_t memory_bytes() const { return memory_bytes_; }
  const FrameFeatureCounts& counts() const { return counts_; }

 private:
  std::string path(int64_t frame) const;
  std::optional<FrameFeatures> read(int64_t frame);
  void write(int64_t frame, const FrameFeatures& features);
  void make_room(int64_t bytes);

  const SamModel& model_;
  int64_t memory_budget_;
  std::optional<FrameFeatureFolder> folder_;
  Encode encode_;
  std::map<int64_t, FrameFeatures> resident_;
  std::list<int64_t> recent_;  // most recently used first
  std::set<int64_t> on_disk_;  // frames whose file in the folder is known good
  int64_t memory_bytes_ = 0;
  FrameFeatureCounts counts_;
};

}  // namespace sam
