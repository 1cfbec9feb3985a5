#include "model/parallel_tasks.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/TensorIterator.h>
#include <c10/core/InferenceMode.h>

#include <atomic>

namespace sam {

int64_t parallel_worker_count() { return std::max(1, at::get_num_threads()); }

void parallel_tasks(int64_t count, const std::function<void(int64_t, int64_t)>& task) {
  if (count <= 0) return;
  const int64_t workers = std::min(parallel_worker_count(), count);
  if (workers == 1 || at::in_parallel_region()) {
    for (int64_t index = 0; index < count; ++index) task(index, 0);
    return;
  }
  std::atomic<int64_t> next{0};
  const bool inference = c10::InferenceMode::is_enabled();
  // One element per worker, with a grain of 1: LibTorch's parallel loop gives each thread one.
  const at::Tensor slots = at::arange(workers, at::TensorOptions().dtype(at::kLong));
  at::TensorIterator iter = at::TensorIteratorConfig().add_input(slots).build();
  iter.for_each(
      [&](char** data, const int64_t* strides, int64_t size0, int64_t size1) {
        c10::InferenceMode mode(inference);  // thread-local: the workers do not inherit it
        for (int64_t j = 0; j < size1; ++j) {
          for (int64_t i = 0; i < size0; ++i) {
            const int64_t worker = *reinterpret_cast<const int64_t*>(data[0] + j * strides[1] + i * strides[0]);
            for (int64_t index = next++; index < count; index = next++) {
              try {
                task(index, worker);
              } catch (...) {
                next = count;  // the other threads stop taking tasks
                throw;
              }
            }
          }
        }
      },
      1);
}

void parallel_row_chunks(int64_t rows, int64_t chunk, const std::function<void(int64_t, int64_t, int64_t)>& body) {
  const int64_t chunks = (rows + chunk - 1) / chunk;
  parallel_tasks(chunks, [&](int64_t index, int64_t worker) {
    const int64_t begin = index * chunk;
    body(begin, std::min(rows, begin + chunk), worker);
  });
}

}  // namespace sam
