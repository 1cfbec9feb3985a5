// The image embedding as a file, so that the editor can skip the encoder for images it has
// seen. Little-endian:
//   magic "SAMEMBED", u32 version (1),
//   u32 length + model name, u32 length + image key, i32 width, i32 height (original image),
//   u32 tensor count, per tensor u32 rank + i64 dims, then each tensor's float32 values
//   in row-major order; nothing after them.
// Reading checks every field against what the caller expects before trusting any size, so a
// damaged or hostile file gives SAM_ERROR_FORMAT, never a crash or a huge allocation.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sam {

struct EmbeddingFile {
  std::string model_name;
  std::string image_key;
  int32_t width = 0, height = 0;
  std::vector<at::Tensor> tensors;  // float32
};

// The shapes of an image's features as the files hold them: the embedding [1, C, E, E], then,
// with high-resolution features, [1, C/8, 4E, 4E] and [1, C/4, 2E, 2E] (C the model's width, E
// the embedding's side).
std::vector<std::vector<int64_t>> image_feature_shapes(int64_t channels, int64_t side, bool high_res);

// Writes atomically (a temporary file renamed into place). Throws SAM_ERROR_IO.
void write_embedding_file(const std::string& path, const EmbeddingFile& embedding);

// Throws SAM_ERROR_IO (unreadable) or SAM_ERROR_FORMAT (not an embedding file, another model,
// another image key, or tensors whose shapes differ from `expected_shapes`). Tensors come back on the CPU.
EmbeddingFile read_embedding_file(const std::string& path, const std::string& expected_model,
                                  const std::string& expected_key,
                                  const std::vector<std::vector<int64_t>>& expected_shapes);

}  // namespace sam
