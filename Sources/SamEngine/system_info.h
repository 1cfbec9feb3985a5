// What this LibTorch can run on, beyond what sam_engine.h reports: for the engine's device choice.
#pragma once

namespace sam {

// Whether this LibTorch has CUDA (its libtorch_cuda is loaded).
bool cuda_built();
// The compute capability's major number of CUDA device `device`, from the driver; -1 when unknown.
int cuda_compute_capability_major(int device);

}  // namespace sam
