#include "decoder_plan/image_chunks.h"

#include <vector>

#include "model/parallel_tasks.h"

namespace sam {
namespace {
int64_t chunk_count(int64_t hw, int64_t chunk_rows) { return (hw + chunk_rows - 1) / chunk_rows; }
}  // namespace

void in_image_chunks(int64_t batch, int64_t hw, const std::function<void(int64_t, int64_t, int64_t)>& body,
                     int64_t chunk_rows) {
  const int64_t chunks = chunk_count(hw, chunk_rows);
  parallel_tasks(batch * chunks, [&](int64_t index, int64_t) {
    const int64_t first = (index % chunks) * chunk_rows;
    body(index / chunks, first, std::min(chunk_rows, hw - first));
  });
}

at::Tensor rows_of(const at::Tensor& image, int64_t b, int64_t first, int64_t count) {
  return image[image.size(0) == 1 ? 0 : b].narrow(0, first, count);
}

at::Tensor ChunkSoftmax::weights(const at::Tensor& scores) {
  max = std::get<0>(scores.max(1, true));
  at::Tensor e = (scores - max).exp_();
  sum = e.sum(1, true);
  return e;
}

at::Tensor attend_in_chunks(int64_t batch, int64_t hw, const ChunkAttention& chunk, int64_t chunk_rows) {
  // Softmax over all HW rows, one chunk of rows at a time: each chunk weighs its rows by
  // exp(score - its own maximum); rescaled by exp(its maximum - the overall maximum), the
  // chunks' mixes and sums add up to the whole softmax's.
  const int64_t chunks = chunk_count(hw, chunk_rows);
  std::vector<at::Tensor> mixes(batch * chunks), maxima(batch * chunks), sums(batch * chunks);
  in_image_chunks(
      batch, hw,
      [&](int64_t b, int64_t first, int64_t rows) {
        ChunkSoftmax softmax;
        const size_t slot = static_cast<size_t>(b * chunks + first / chunk_rows);
        mixes[slot] = chunk(b, first, rows, softmax);
        maxima[slot] = softmax.max;
        sums[slot] = softmax.sum;
      },
      chunk_rows);
  std::vector<at::Tensor> out;
  for (int64_t b = 0; b < batch; ++b) {
    auto of_prompt = [&](const std::vector<at::Tensor>& all) {
      return at::stack(at::ArrayRef<at::Tensor>(all).slice(b * chunks, chunks));  // [chunks, R, 1 or V]
    };
    const at::Tensor max = of_prompt(maxima);
    const at::Tensor rescale = (max - std::get<0>(max.max(0, true))).exp_();
    out.push_back((of_prompt(mixes) * rescale).sum(0) / (of_prompt(sums) * rescale).sum(0));
  }
  return at::stack(out);
}

}  // namespace sam
