// Work split across ATen's intra-op threads from code compiled without OpenMP.
//
// at::parallel_for is a header template that runs serially unless the including file is
// compiled with OpenMP, so the split goes through TensorIterator::for_each, whose parallel loop
// is compiled into LibTorch. Tasks are handed out one at a time from a shared counter rather
// than in fixed shares: on a busy machine a thread that the OS holds back takes fewer of them
// instead of keeping the others waiting at the end.
#pragma once
#include <cstdint>
#include <functional>

namespace sam {

// How many threads parallel_tasks may use (ATen's intra-op thread count).
int64_t parallel_worker_count();

// Calls task(index, worker) for every index in [0, count), concurrently. `worker`, in
// [0, parallel_worker_count()), is the calling thread's slot, for per-thread scratch memory.
// Inside a task, ATen ops see the parallel region and stay single-threaded, and inference mode
// is as it was for the caller. Runs serially with one thread or inside another parallel region.
// The first exception a task throws is rethrown once every thread has stopped.
void parallel_tasks(int64_t count, const std::function<void(int64_t index, int64_t worker)>& task);

// Calls body(begin, end) over [0, rows) in chunks of `chunk` rows (the last one shorter), as tasks.
void parallel_row_chunks(int64_t rows, int64_t chunk, const std::function<void(int64_t begin, int64_t end, int64_t worker)>& body);

}  // namespace sam
