// Image-sized work of the decoder plan in chunks of image rows, as tasks on ATen's threads, each
// chunk small enough for its products and element-wise steps to stay in cache; and attention
// over all of an image's rows one chunk at a time, merging the chunks' partial softmaxes as
// FlashAttention merges its blocks.
#pragma once
#include <ATen/ATen.h>

#include <functional>

namespace sam {

constexpr int64_t kChunkRows = 512;

// body(b, first, rows) for every prompt set b < batch and chunk of chunk_rows rows of [0, hw).
void in_image_chunks(int64_t batch, int64_t hw, const std::function<void(int64_t, int64_t, int64_t)>& body,
                     int64_t chunk_rows = kChunkRows);

// Rows [first, first + count) of prompt set b's image tokens [1 or B, HW, C] (one image for
// all prompt sets, or one each).
at::Tensor rows_of(const at::Tensor& image, int64_t b, int64_t first, int64_t count);

// One chunk's share of a softmax over all of an image's rows, for R query rows at once.
struct ChunkSoftmax {
  at::Tensor max, sum;  // [R, 1]: the chunk's largest score and its sum of weights
  // exp(scores - the chunk's maximum) for scores [R, rows].
  at::Tensor weights(const at::Tensor& scores);
};

// chunk(b, first, rows, softmax): prompt set b's mix [R, V] of those image rows, weighted by
// softmax.weights(its scores).
using ChunkAttention = std::function<at::Tensor(int64_t b, int64_t first, int64_t rows, ChunkSoftmax& softmax)>;

// Attention of R query rows over all HW image rows for each prompt set: [batch, R, V].
at::Tensor attend_in_chunks(int64_t batch, int64_t hw, const ChunkAttention& chunk, int64_t chunk_rows = kChunkRows);

}  // namespace sam
