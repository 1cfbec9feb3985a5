#include "model/blas_threads.h"

#include <dlfcn.h>

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

}  // namespace

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
