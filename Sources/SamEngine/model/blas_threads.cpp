#include "model/blas_threads.h"

#include <dlfcn.h>

#include <strings.h>

#include <cstdlib>

namespace sam {
namespace {

using GetThreads = int (*)();
using SetThreads = void (*)(int);

// OpenBLAS's own entry points, when the BLAS in the process is OpenBLAS.
struct OpenBlas {
  GetThreads get = nullptr;
  SetThreads set = nullptr;
};

const OpenBlas& open_blas() {
  static const OpenBlas functions = [] {
    OpenBlas found;
    found.get = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
    found.set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
    if (!found.get || !found.set) found = OpenBlas{};
    return found;
  }();
  return functions;
}

// OpenMP's, looked up the same way: LibTorch brings its own OpenMP runtime, and this code is
// compiled without -fopenmp.
struct OpenMp {
  GetThreads get = nullptr;
  SetThreads set = nullptr;
};

const OpenMp& open_mp() {
  static const OpenMp functions = [] {
    OpenMp found;
    found.get = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "omp_get_max_threads"));
    found.set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"));
    if (!found.get || !found.set) found = OpenMp{};
    return found;
  }();
  return functions;
}

}  // namespace

bool openmp_workers_sleep() {
  // The OpenMP runtime read this variable when it was loaded; the environment still holds it.
  static const bool passive = [] {
    const char* policy = std::getenv("OMP_WAIT_POLICY");
    return policy != nullptr && strcasecmp(policy, "passive") == 0;
  }();
  return passive;
}

SerialAten::SerialAten() {
  const OpenMp& omp = open_mp();
  if (!omp.set) return;
  const int threads = omp.get();
  if (threads > 1) {
    previous_ = threads;
    omp.set(1);
  }
}

SerialAten::~SerialAten() {
  if (previous_ > 1) open_mp().set(previous_);
}

SingleThreadedBlas::SingleThreadedBlas() {
  const OpenBlas& blas = open_blas();
  if (!blas.set) return;
  const int threads = blas.get();
  if (threads > 1) {
    previous_ = threads;
    blas.set(1);
  }
}

SingleThreadedBlas::~SingleThreadedBlas() {
  if (previous_ > 1) open_blas().set(previous_);
}

}  // namespace sam
